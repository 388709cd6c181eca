#pragma once
// The deadline watch's timer, instantiated for the steady clock in deadline_watch.cpp and for
// testing::manual_clock in the testing library.
#include "transport/deadline_watch.hpp"

namespace cleanlist::transport {

template <class Clock>
basic_deadline_watch<Clock>::basic_deadline_watch(boost::asio::any_io_executor strand) : timer_(std::move(strand)) {}

template <class Clock>
void basic_deadline_watch<Clock>::arm() {
  if (armed_ || !head_) return;
  armed_ = true;
  timer_.expires_after(tick_);
  timer_.async_wait([w = this->weak_from_this()](boost::system::error_code ec) {
    auto self = w.lock();
    if (!self) return;
    self->armed_ = false;
    if (!ec) self->sweep(Clock::now());
    self->arm();  // also after a cancel: a call may have been added since
  });
}

template <class Clock>
void basic_deadline_watch<Clock>::disarm() noexcept {
  if (armed_) timer_.cancel();
}

} // namespace cleanlist::transport
