#pragma once
// Deadlines of in-flight calls, checked by one timer per transport instead of a timer per
// request and per socket operation (arming and cancelling those cost more than the rest of a
// keep-alive request's bookkeeping). Lives on the transport's strand.
//
// A deadline is noticed at most one tick late; the tick is a twentieth of the shortest timeout
// a watched call uses, between 1 ms and 100 ms. The timer runs only while calls are watched
// (it is cancelled when the last one goes, so an idle io_context::run() returns at once).
#include "transport/call_context.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <memory>

namespace cleanlist::transport {

class deadline_watch : public std::enable_shared_from_this<deadline_watch> {
public:
  using clock = call_context::clock;

  explicit deadline_watch(boost::asio::any_io_executor strand);

  /// Watches `cc` until remove(). `shortest_timeout`: the shortest limit the call can set.
  void add(call_context& cc, std::chrono::milliseconds shortest_timeout);
  void remove(call_context& cc) noexcept;

  /// Stops every watched call whose overall or attempt deadline is at or before `now`;
  /// returns how many were stopped. Run by the timer; public for tests (any `now`).
  std::size_t sweep(clock::time_point now);

  std::size_t size() const noexcept { return size_; }
  std::chrono::milliseconds tick() const noexcept { return tick_; }

private:
  void arm();

  boost::asio::steady_timer timer_;
  call_context* head_ = nullptr;
  std::size_t size_ = 0;
  std::chrono::milliseconds tick_{100};
  bool armed_ = false;
};

/// Watches a call for the guard's lifetime, unless an outer guard already does.
class watch_guard {
public:
  watch_guard(deadline_watch& w, call_context& cc, std::chrono::milliseconds shortest_timeout) : cc_(cc) {
    if (!cc.watch) {
      w.add(cc, shortest_timeout);
      owner_ = &w;
    }
  }
  ~watch_guard() {
    if (owner_) owner_->remove(cc_);
  }
  watch_guard(const watch_guard&) = delete;
  watch_guard& operator=(const watch_guard&) = delete;

private:
  call_context& cc_;
  deadline_watch* owner_ = nullptr;
};

} // namespace cleanlist::transport
