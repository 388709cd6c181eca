#pragma once
// Per-call cancellation plumbing: the user's cancellation slot, the overall deadline and the
// current attempt's deadline all end up emitting `signal`, which is bound to whichever inner
// operation is pending. Deadlines are checked by a deadline_watch (one timer per transport,
// not one per request).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

namespace cleanlist::transport {

class deadline_watch;

struct call_context {
  using clock = std::chrono::steady_clock;

  boost::asio::cancellation_signal signal;
  bool cancelled = false;        ///< the caller cancelled the operation
  bool timed_out = false;        ///< the overall deadline expired
  bool attempt_expired = false;  ///< the current attempt's deadline (connect/request) expired

  clock::time_point overall_deadline = clock::time_point::max();
  clock::time_point attempt_deadline = clock::time_point::max();

  call_context() = default;
  call_context(const call_context&) = delete;
  call_context& operator=(const call_context&) = delete;

  bool stopped() const noexcept { return cancelled || timed_out; }
  void stop(boost::asio::cancellation_type t = boost::asio::cancellation_type::terminal) { signal.emit(t); }

  /// now + d, saturating (a limit of milliseconds::max() means no deadline, not an overflow).
  static clock::time_point after(std::chrono::milliseconds d) {
    const auto now = clock::now();
    if (d <= std::chrono::milliseconds::zero()) return now;
    if (d >= std::chrono::duration_cast<std::chrono::milliseconds>(clock::time_point::max() - now))
      return clock::time_point::max();
    return now + d;
  }

  /// Starts an attempt phase (connect, request) that must end by now + limit.
  void begin_attempt(std::chrono::milliseconds limit) {
    attempt_expired = false;
    attempt_deadline = after(limit);
  }
  void end_attempt() noexcept { attempt_deadline = clock::time_point::max(); }

  /// Call right after every awaited operation that used token(): an Asio operation leaves
  /// its cancellation handler in the slot when it completes, and a later emission (a deadline
  /// noticed between two operations) would reach an operation, or an I/O object, that is gone.
  void op_done() noexcept { signal.slot().clear(); }

  /// Completion token for an inner awaited operation: cancellable by this call, errors as
  /// tuple. Follow the co_await with op_done().
  auto token() {
    return boost::asio::bind_cancellation_slot(signal.slot(), boost::asio::as_tuple(boost::asio::use_awaitable));
  }

  // Honest cancellation types (Asio's contract: `total` = nothing happened, `partial` = a
  // well-defined partial effect). A call honours the caller's signal only when its type is in
  // `allowed`; writing a request that may change server state narrows `allowed` to
  // `after_write` (terminal only for one request: its effect is unknown; a batch also keeps
  // partial: each item reports its own state). `owner`: the batch a worker's call belongs to.
  boost::asio::cancellation_type allowed = boost::asio::cancellation_type::terminal |
                                           boost::asio::cancellation_type::partial |
                                           boost::asio::cancellation_type::total;
  boost::asio::cancellation_type after_write = boost::asio::cancellation_type::terminal;
  call_context* owner = nullptr;
  /// A request that may change server state is about to be written.
  void note_write() noexcept {
    allowed = allowed & after_write;
    if (owner) owner->note_write();
  }
  bool honours(boost::asio::cancellation_type t) const noexcept {
    return (t & allowed) != boost::asio::cancellation_type::none;
  }

  // deadline_watch's intrusive list (a call is watched while one of its operations runs).
  deadline_watch* watch = nullptr;
  call_context* prev = nullptr;
  call_context* next = nullptr;
};

} // namespace cleanlist::transport
