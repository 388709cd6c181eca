#pragma once
// Per-call cancellation plumbing: the user's cancellation slot and the overall deadline both
// end up emitting `signal`, which is bound to whichever inner operation is pending.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace cleanlist::transport {

struct call_context {
  boost::asio::cancellation_signal signal;
  bool cancelled = false;  ///< the caller cancelled the operation
  bool timed_out = false;  ///< the overall deadline expired

  bool stopped() const noexcept { return cancelled || timed_out; }
  void stop(boost::asio::cancellation_type t = boost::asio::cancellation_type::terminal) { signal.emit(t); }

  /// Completion token for an inner awaited operation: cancellable by this call, errors as tuple.
  auto token() {
    return boost::asio::bind_cancellation_slot(signal.slot(), boost::asio::as_tuple(boost::asio::use_awaitable));
  }
};

} // namespace cleanlist::transport
