#pragma once
// Per-call cancellation plumbing: the user's cancellation slot, the overall deadline and the
// current attempt's deadline all end up emitting `signal`, which is bound to whichever inner
// operation is pending. Deadlines are checked by a deadline watch (one timer per transport,
// not one per request).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associator.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <type_traits>
#include <utility>

namespace cleanlist::transport {

class deadline_watch_base;

/// Completion token adapter: the handler it makes clears `slot` when the operation completes,
/// before the inner handler runs (for use_awaitable: before the coroutine resumes). An Asio
/// operation leaves its cancellation handler in the slot when it completes, and that handler
/// points into the operation's I/O object: a later emission (a deadline noticed between two
/// operations, a user's cancel) would reach an object that may be gone. Clearing at
/// completion only destroys that handler, which is safe: the operation no longer needs it.
/// Done by the token so that no call site can forget it (it used to be a manual op_done()).
template <class Inner>
struct clear_slot_t {
  boost::asio::cancellation_slot slot;
  Inner inner;
};

template <class Handler>
class clear_slot_handler {
public:
  template <class H>
  clear_slot_handler(boost::asio::cancellation_slot slot, H&& h) : slot_(slot), handler_(std::forward<H>(h)) {}

  template <class... Args>
  void operator()(Args&&... args) {
    slot_.clear();
    std::move(handler_)(std::forward<Args>(args)...);
  }

  const Handler& get() const noexcept { return handler_; }

private:
  boost::asio::cancellation_slot slot_;
  Handler handler_;
};

} // namespace cleanlist::transport

namespace boost::asio {

template <class Inner, class... Signatures>
struct async_result<cleanlist::transport::clear_slot_t<Inner>, Signatures...> : async_result<Inner, Signatures...> {
  using base_async_result = async_result<Inner, Signatures...>;

  template <class Initiation>
  struct init_wrapper {
    cancellation_slot slot;
    Initiation initiation;

    template <class Handler, class... Args>
    void operator()(Handler&& handler, Args&&... args) {
      std::move(initiation)(
          cleanlist::transport::clear_slot_handler<std::decay_t<Handler>>(slot, std::forward<Handler>(handler)),
          std::forward<Args>(args)...);
    }
  };

  template <class Initiation, class RawCompletionToken, class... Args>
  static auto initiate(Initiation&& initiation, RawCompletionToken&& token, Args&&... args) {
    return base_async_result::initiate(
        init_wrapper<std::decay_t<Initiation>>{token.slot, std::forward<Initiation>(initiation)},
        std::forward<RawCompletionToken>(token).inner, std::forward<Args>(args)...);
  }
};

// The wrapper has the inner handler's executor, allocator (and everything else associated).
template <template <typename, typename> class Associator, class Handler, class DefaultCandidate>
struct associator<Associator, cleanlist::transport::clear_slot_handler<Handler>, DefaultCandidate>
    : Associator<Handler, DefaultCandidate> {
  static typename Associator<Handler, DefaultCandidate>::type get(
      const cleanlist::transport::clear_slot_handler<Handler>& h) noexcept {
    return Associator<Handler, DefaultCandidate>::get(h.get());
  }
  static auto get(const cleanlist::transport::clear_slot_handler<Handler>& h, const DefaultCandidate& c) noexcept
      -> decltype(Associator<Handler, DefaultCandidate>::get(h.get(), c)) {
    return Associator<Handler, DefaultCandidate>::get(h.get(), c);
  }
};

} // namespace boost::asio

namespace cleanlist::transport {

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
  /// `now` comes from the caller's clock (any clock whose time_point is steady_clock's, such
  /// as testing::manual_clock), so deadlines can be computed on a test clock.
  static clock::time_point after(clock::time_point now, std::chrono::milliseconds d) {
    if (d <= std::chrono::milliseconds::zero()) return now;
    if (d >= std::chrono::duration_cast<std::chrono::milliseconds>(clock::time_point::max() - now))
      return clock::time_point::max();
    return now + d;
  }
  /// after() from steady_clock's now.
  static clock::time_point after(std::chrono::milliseconds d) { return after(clock::now(), d); }

  /// Starts an attempt phase (connect, request) that must end by now + limit.
  void begin_attempt(std::chrono::milliseconds limit, clock::time_point now = clock::now()) {
    attempt_expired = false;
    attempt_deadline = after(now, limit);
  }
  void end_attempt() noexcept { attempt_deadline = clock::time_point::max(); }

  /// Completion token for an inner awaited operation: cancellable by this call, errors as a
  /// tuple. The slot is cleared when the operation completes (clear_slot_t), so a later
  /// emission never reaches a finished operation.
  auto token() {
    using inner_token = boost::asio::as_tuple_t<boost::asio::use_awaitable_t<>>;
    return boost::asio::bind_cancellation_slot(
        signal.slot(), clear_slot_t<inner_token>{signal.slot(), boost::asio::as_tuple(boost::asio::use_awaitable)});
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

  // The deadline watch's intrusive list (a call is watched while one of its operations runs).
  deadline_watch_base* watch = nullptr;
  call_context* prev = nullptr;
  call_context* next = nullptr;
};

} // namespace cleanlist::transport
