#pragma once
// The asynchronous per-key rate limiter (the client's; usable alone). Parameters and budgets:
// cleanlist/rate_limit.hpp.
#include <cleanlist/rate_limit.hpp>

#include <cleanlist/asio_config.hpp>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace cleanlist {

namespace detail {
template <class Clock>
class rate_limiter_impl;
}

/// Counters of one limiter.
struct rate_limiter_stats {
  std::uint64_t granted = 0;             ///< slots granted
  std::uint64_t waited = 0;              ///< grants that could not be given at once
  std::chrono::nanoseconds total_wait{}; ///< sum of waits of granted acquisitions
  std::size_t waiting = 0;               ///< waiters in the queue now
  std::uint64_t shared_grants = 0;       ///< grants given by the shared budget (Redis)
  std::uint64_t fallback_grants = 0;     ///< grants given by the local fallback while Redis failed
  std::uint64_t shared_errors = 0;       ///< shared-budget requests that failed (timeout, down, ...)
};

/// Per-API-key asynchronous rate limiter. FIFO-fair among the waiters of this key.
///
/// `Clock`: where "now" and the wait timer come from. The library uses std::chrono::steady_clock
/// (`rate_limiter`); tests use cleanlist::testing::manual_clock (testing/manual_clock.hpp), which
/// moves only when advanced, so the limiter's timing is tested without sleeping. The library
/// compiles the steady clock's; cleanlist::testing compiles manual_clock's; no other clock is.
///
/// Executor / thread-safety: all member functions, including the destructor, and emitting a
/// waiter's cancellation signal must happen on the limiter's executor (use a strand when
/// the io_context runs on several threads). The org budget may be shared across executors.
///
/// Waiting uses one timer per limiter, armed for the queue head only (no polling).
/// When several keys share an organisation budget, each key's head wakes at the time the
/// key and the organisation both allow a grant and re-checks; whichever key runs first takes
/// the organisation's slot, the others re-arm (simple, approximately round-robin fairness
/// across keys; strict FIFO within a key).
template <class Clock = std::chrono::steady_clock>
class basic_rate_limiter {
public:
  using clock_type = Clock;
  using time_point = std::chrono::steady_clock::time_point;  ///< Clock's time points are steady_clock's
  using executor_type = boost::asio::any_io_executor;
  using completion_signature = void(boost::system::error_code);

  /// `org` null: the limiter gets its own organisation budget (per_org), unshared.
  basic_rate_limiter(executor_type ex, rate_limit_params p, std::shared_ptr<org_budget> org = nullptr);
  /// `shared` non-null: the budget is the shared (Redis) one for API key `key_identity` and
  /// organisation `org_identity` (both only hashed, never stored); `org` is then ignored.
  /// Only the queue head asks the shared budget, one round trip per grant; try_acquire
  /// always returns false (use async_acquire). See shared_budget for the guarantees.
  basic_rate_limiter(executor_type ex, rate_limit_params p, std::shared_ptr<shared_budget> shared,
                     std::string key_identity, std::string org_identity);
  /// Completes every pending waiter with operation_aborted.
  ~basic_rate_limiter();
  basic_rate_limiter(const basic_rate_limiter&) = delete;
  basic_rate_limiter& operator=(const basic_rate_limiter&) = delete;

  executor_type get_executor() const noexcept;

  /// Waits until one request may be sent now and consumes the slot.
  /// Signature: void(error_code). Completes with no error when the slot is granted;
  /// with boost::asio::error::operation_aborted when cancelled through the per-operation
  /// cancellation slot (any cancellation type), by cancel_all() or by the destructor. A
  /// cancelled waiter takes no slot: the next waiter gets it. Never completes inline.
  template <class CompletionToken = boost::asio::use_awaitable_t<>>
  auto async_acquire(CompletionToken&& token = CompletionToken{}) {
    return boost::asio::async_initiate<CompletionToken, completion_signature>(initiate_acquire{impl_.get(), nullptr},
                                                                              token);
  }
  /// Same; on success `*granted_at` (which must outlive the operation) receives the time the
  /// slot was recorded at, for release().
  template <class CompletionToken = boost::asio::use_awaitable_t<>>
  auto async_acquire(time_point* granted_at, CompletionToken&& token = CompletionToken{}) {
    return boost::asio::async_initiate<CompletionToken, completion_signature>(initiate_acquire{impl_.get(), granted_at},
                                                                              token);
  }

  /// Takes a slot now if one is free and nobody waits before (FIFO); false otherwise (then
  /// use async_acquire); always false with a shared budget (a grant needs a round trip). Call on the limiter's executor. No queue node, no handler, no post:
  /// the common case of a request within budget costs a clock read and a lock.
  /// `granted_at` (optional) receives the time the slot was recorded at, for release().
  bool try_acquire(time_point* granted_at = nullptr);

  /// Gives back a slot granted at `granted_at` whose request was never sent (e.g. the
  /// connection it was to go out on had been closed meanwhile). The slot goes to the next
  /// waiter (with a shared budget: it is removed from Redis too, asynchronously). Call on
  /// the limiter's executor. With a shared budget every grant of a limiter gets a distinct
  /// time (one clock tick later than the previous grant when both fall in one tick), so
  /// `granted_at` names exactly one grant: a local fallback grant never frees a Redis one.
  void release(time_point granted_at);

  /// Server feedback (429/503 with Retry-After): no grant for this key nor its organisation
  /// before now + d. Applies to every current and future waiter; with a shared budget, to
  /// every process sharing it too (the pause is set in Redis).
  void on_server_retry_after(std::chrono::milliseconds d);

  /// Completes every pending waiter with operation_aborted.
  void cancel_all();

  using stats_t = rate_limiter_stats;
  stats_t stats() const;

  const rate_limit_params& params() const noexcept;
  const std::shared_ptr<org_budget>& org() const noexcept;

private:
  struct initiate_acquire {
    detail::rate_limiter_impl<Clock>* impl;
    time_point* granted_at;
    void operator()(boost::asio::any_completion_handler<completion_signature> handler) const;
  };

  std::shared_ptr<detail::rate_limiter_impl<Clock>> impl_;
};

/// The library's limiter, on the steady clock.
using rate_limiter = basic_rate_limiter<std::chrono::steady_clock>;

extern template class basic_rate_limiter<std::chrono::steady_clock>;

} // namespace cleanlist
