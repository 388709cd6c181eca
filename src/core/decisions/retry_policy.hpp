#pragma once
// Sans-io retry decisions: given what happened to one attempt, should the request be sent
// again, after how long, and what must the caller tell the limiter / the user.
//
// The rules are in include/cleanlist/retry.hpp (summary) and decide_retry() below (detail).
// Nothing here reads a clock or a random device: the caller passes a uniform value in [0,1).

#include <cleanlist/error.hpp>
#include <cleanlist/retry.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

namespace cleanlist::core {

/// How far an attempt got before it failed.
enum class send_stage {
  not_sent,         ///< connect/TLS failed, or the request was provably not written
  sent_no_response, ///< (possibly) written, then reset / timeout / truncated answer
  response,         ///< a complete HTTP answer was received
};

struct attempt_outcome {
  bool idempotent = true;
  /// Not idempotent, but a replay cannot be processed twice: it carries a single-use token
  /// (a quote) that the server refuses once redeemed (409 quote_already_used). After an
  /// ambiguous failure such a request is replayed once; the refusal then proves the first
  /// attempt was processed (reported as outcome_unknown by the caller).
  bool replay_safe = false;
  send_stage stage = send_stage::response;
  error_code ec{};                                  ///< transport / client error (not_sent, sent_no_response)
  int http_status = 0;                              ///< when stage == response
  std::optional<bool> retryable;                    ///< API `retryable` when present
  std::optional<std::chrono::milliseconds> retry_after; ///< Retry-After header / retry_after_ms
};

/// Why no retry happens (none when retry == true).
enum class stop_reason {
  none,                ///< retry == true
  success,             ///< the attempt succeeded (2xx/3xx)
  not_retryable,       ///< permanent error: 4xx, retryable:false, local error, non-idempotent 5xx, cancelled
  outcome_unknown,     ///< non-idempotent request sent without answer: surface error::outcome_unknown
  attempts_exhausted,  ///< attempt >= max_attempts
  retry_after_too_long,///< the server asked to wait longer than max_retry_after
  budget_exhausted,    ///< the client-wide retry budget is empty: error::retry_budget_exhausted
};

struct retry_decision {
  bool retry = false;
  std::chrono::milliseconds delay{0}; ///< wait before the next attempt (when retry)
  bool outcome_unknown = false;       ///< non-idempotent + sent_no_response: surface error::outcome_unknown
  bool pause_budget = false;          ///< 429/503: pause the key's limiter (and its org) for pause_for
  std::chrono::milliseconds pause_for{0}; ///< Retry-After when known, else the backoff delay
  stop_reason reason = stop_reason::none;
  double cost = 0;                    ///< budget tokens spent for this retry (refund it via on_success)

  /// The error to surface when not retrying because of the retry machinery itself
  /// (outcome_unknown / retry_budget_exhausted); empty otherwise (the caller keeps its own
  /// error, e.g. rate_limited with diagnostics).
  error_code error() const noexcept;
};

/// Client-wide retry quota (AWS "standard" mode): a retry spends retry_cost tokens
/// (timeout_cost after a timeout / lost answer); a success refunds success_refund,
/// or the cost of the retry that led to it. When a retry cannot be paid it does not happen.
/// Thread-safe (one client may run on several threads): lock-free, 16 bytes (one per client,
/// thousands per process).
class retry_budget {
public:
  explicit retry_budget(double capacity = 500) : capacity_(capacity), tokens_(capacity) {}
  explicit retry_budget(const retry_params& p) : retry_budget(p.budget_tokens) {}

  /// Takes `cost` tokens if available.
  bool try_spend(double cost);
  /// Adds tokens back, up to the capacity.
  void refund(double amount);
  /// A request succeeded: refunds `last_retry_cost` if it succeeded after a retry (> 0),
  /// else p.success_refund.
  void on_success(const retry_params& p, double last_retry_cost = 0);

  double available() const;
  double capacity() const noexcept { return capacity_; }

private:
  double capacity_;
  std::atomic<double> tokens_;
};

/// The backoff jitter's random source: splitmix64 (Steele, Lea, Flood 2014), 8 bytes of state
/// instead of std::mt19937_64's 2.5 KiB, which one client per API key (thousands per process)
/// paid although it only ever draws a few jitters. Not for anything needing unpredictability.
/// Meets UniformRandomBitGenerator.
class jitter_rng {
public:
  using result_type = std::uint64_t;
  explicit jitter_rng(std::uint64_t seed) noexcept : state_(seed) {}
  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return ~result_type{0}; }
  result_type operator()() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1): the top 53 bits.
  double next01() noexcept { return static_cast<double>(operator()() >> 11) * 0x1.0p-53; }

private:
  std::uint64_t state_;
};

/// Upper bound of the backoff before retry number `attempt` (1-based: the attempt that just
/// failed): min(max_delay, base_delay * 2^(attempt-1)).
std::chrono::milliseconds backoff_cap(int attempt, const retry_params& p) noexcept;

/// Full-jitter backoff: rand01 * backoff_cap(attempt, p), rand01 in [0,1).
std::chrono::milliseconds backoff_delay(int attempt, const retry_params& p, double rand01) noexcept;

/// True when the request must not be retried whatever its idempotency: local validation
/// errors, TLS verification failure, shutdown, user cancellation.
bool is_permanent_local_error(error_code ec) noexcept;

/// True for timeouts (cost timeout_cost in the budget).
bool is_timeout_error(error_code ec) noexcept;

/// True when the attempt's outcome proves the server did not process the request: nothing
/// was written, or a 429/503 (refused before processing). Anything else leaves a
/// non-idempotent request ambiguous.
bool provably_not_processed(const attempt_outcome& o) noexcept;

/// Decides what to do after attempt number `attempt` (1-based) ended with `o`.
/// `rand01` is uniform in [0,1) (jitter). Spends budget tokens only when retry == true.
///
/// Rules:
///  * 2xx/3xx: no retry (stop_reason::success).
///  * `retryable == false` from the API: never retried.
///  * idempotent: retried on not_sent / sent_no_response (connection errors, timeouts) and on
///    408, 429, 500, 502, 503, 504; also on any other status the API marks `retryable: true`.
///  * non-idempotent: retried only on not_sent, 429 and 503 (the server rejects those before
///    processing); sent_no_response -> outcome_unknown (never retried); other 5xx not retried.
///  * replay-safe (single-use quote): retried like an idempotent request; the caller maps a
///    409 quote_already_used after an ambiguous attempt to outcome_unknown.
///  * other 4xx and 501/505/5xx outside the list: not retried.
///  * user cancellation (operation_aborted) and local validation errors: not retried.
///  * delay: rand01 * min(max_delay, base * 2^(attempt-1)); with Retry-After,
///    min(max(retry_after, jittered), max_retry_after); Retry-After > max_retry_after -> no retry.
///  * 429 and 503 set pause_budget (even when not retried) so the limiter pauses the key, for
///    Retry-After capped at max_retry_after: a caller never freezes its key (and organisation)
///    for longer than it accepts to wait itself.
retry_decision decide_retry(const attempt_outcome& o, int attempt, const retry_params& p,
                            retry_budget& budget, double rand01);

} // namespace cleanlist::core
