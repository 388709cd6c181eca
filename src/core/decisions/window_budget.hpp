#pragma once
// Sans-io rate-limit arithmetic: a sliding-window ("sliding log") budget.
//
// The server counts requests in FIXED windows (60 s) whose alignment the client does not
// know. A client that never issues more than N requests in ANY interval of length W never
// exceeds N in any server window, whatever its alignment. Requests reach the server after a
// variable delay, so the client window is widened by a margin (default 100 ms): grants k and
// k+N are at least W + margin apart, so as long as their network delays differ by at most
// `margin` they still arrive at least W apart, and no server window [s, s+W) holds N + 1.
//
// Implementation: a ring buffer of the last N grant times (N * 8 bytes: 240 B for 30/min,
// 480 B for 60/min), allocated by the first grant: a process holding thousands of keys (one
// budget each) pays for the keys that are used, not for every key it knows. earliest(now) = max(now, not_before, oldest_of_last_N + W + margin).
// All operations are O(1) except set_limit (O(N)). No clock is read here: callers pass
// time points (std::chrono::steady_clock in the library, plain values in tests).
//
// Why not GCRA / a token bucket (what the anchors suggest for generic limiters)?
// GCRA with rate N/W and burst N lets N requests through at once and then keeps emitting one
// every W/N: the interval [t0, t0 + W) then holds N + (N - 1) = 2N - 1 grants, so a server
// window of W aligned with the burst would see almost 2N requests and answer 429. GCRA is
// only safe with burst 1 (strict pacing), which delays the first N requests for no reason.
// The sliding log allows the full burst N at start and never N + 1 in any window.
//
// Throughput: M requests take ceil(M / N - 1) * (W + margin), i.e. within
// (1 + margin / W) = 1.0017 of the theoretical minimum M / (N / W) for the defaults.
//
// Thread-safety: none (a plain value type); the async shell serialises access.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace cleanlist::core {

using steady_time = std::chrono::steady_clock::time_point;
using steady_duration = std::chrono::steady_clock::duration;

class window_budget {
public:
  using time_point = steady_time;
  using duration = steady_duration;

  /// limit <= 0 means unlimited (only set_not_before() delays grants).
  window_budget(int limit, duration window, duration margin = std::chrono::milliseconds(100));

  /// Earliest time >= now at which one more grant keeps every interval of length
  /// window() + margin() at <= limit() grants, and which honours not_before().
  time_point earliest(time_point now) const noexcept;

  /// True if a grant at `now` is allowed (earliest(now) <= now).
  bool can_grant(time_point now) const noexcept { return earliest(now) <= now; }

  /// Records a grant at t. Callers grant at t >= earliest(t); a t earlier than the last
  /// recorded grant is clamped to it so the log stays sorted. Returns the time recorded.
  /// The first grant allocates the log (limit() time points; std::bad_alloc if it cannot).
  time_point grant(time_point t);

  /// Gives back a grant recorded at t (the value grant() returned) that was never used: the
  /// request it was for did not go out. Safe whenever called: a grant given while the log was
  /// full only ever displaced a record already older than span(). False if no record at t
  /// remains (it aged out of the log: nothing to give back).
  bool release(time_point t) noexcept;

  /// Server feedback (429/503 Retry-After): no grant before t. Only moves forward.
  void set_not_before(time_point t) noexcept;
  time_point not_before() const noexcept { return not_before_; }

  /// Changes the limit, keeping the most recent min(old count, new limit) grants.
  void set_limit(int limit);
  void set_window(duration w) noexcept { window_ = w; }
  void set_margin(duration m) noexcept { margin_ = m; }

  int limit() const noexcept { return limit_; }
  duration window() const noexcept { return window_; }
  duration margin() const noexcept { return margin_; }
  /// window() + margin(): the interval in which at most limit() grants happen.
  duration span() const noexcept { return window_ + margin_; }

  /// Grants recorded in (now - span(), now] (bounded by limit(); for stats and tests).
  std::size_t recent_grants(time_point now) const noexcept;
  std::uint64_t total_grants() const noexcept { return total_; }
  /// Time of the last grant recorded (meaningful when total_grants() > 0).
  time_point last_grant() const noexcept { return last_; }
  /// Grant times the log holds memory for: 0 until the first grant (and when unlimited),
  /// then limit(). For tests and memory accounting.
  std::size_t log_capacity() const noexcept { return log_ ? size() : 0; }

private:
  time_point oldest() const noexcept { return log_[head_]; }

  std::size_t size() const noexcept { return static_cast<std::size_t>(limit_); }  // of the log, when allocated
  bool full() const noexcept { return limit_ > 0 && count_ == size(); }

  // 64 bytes in all (one budget per key, thousands per process).
  std::unique_ptr<time_point[]> log_; // ring buffer of limit() grant times once something was granted (else null)
  std::uint32_t head_ = 0;            // index of the oldest recorded grant
  std::uint32_t count_ = 0;           // recorded grants (<= limit())
  int limit_;
  duration window_;
  duration margin_;
  time_point not_before_{};
  time_point last_{};
  std::uint64_t total_ = 0;
};

/// Earliest time >= now at which every budget allows one grant (e.g. the key budget and the
/// organisation budget). Each budget's earliest(t) is max(t, c_b) with c_b independent of t,
/// so one pass gives the fixed point. Null pointers are skipped.
steady_time earliest_all(std::span<window_budget* const> budgets, steady_time now) noexcept;

/// Result of planning a combined acquisition.
struct acquire_plan {
  steady_time at;        ///< when all budgets allow a grant
  std::size_t limiting;  ///< index of the budget that set `at` (budgets.size() if none: now)
  bool ready(steady_time now) const noexcept { return at <= now; }
};

acquire_plan plan_acquire(std::span<window_budget* const> budgets, steady_time now) noexcept;

/// If all budgets allow a grant at `now`, records it in all of them and returns true;
/// otherwise records nothing and returns false (all-or-nothing).
bool try_grant_all(std::span<window_budget* const> budgets, steady_time now);

/// Same, returning the time recorded in every budget (nullopt: nothing recorded). The budgets
/// record the same time when they were granted together (each clamps to its last grant, so
/// the latest of those is recorded in all).
std::optional<steady_time> try_grant_all_at(std::span<window_budget* const> budgets, steady_time now);

} // namespace cleanlist::core
