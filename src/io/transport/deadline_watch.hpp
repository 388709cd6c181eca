#pragma once
// Deadlines of in-flight calls, checked by one timer per transport instead of a timer per
// request and per socket operation (arming and cancelling those cost more than the rest of a
// keep-alive request's bookkeeping). Lives on the transport's strand.
//
// A deadline is noticed at most one tick late; the tick is a twentieth of the shortest timeout
// a watched call uses, between 1 ms and 100 ms. The timer runs only while calls are watched
// (it is cancelled when the last one goes, so an idle io_context::run() returns at once).
//
// The clock is a template parameter so that tests drive the timer with
// testing::manual_clock (zero real waits); the library uses deadline_watch (steady_clock).
// The list and the sweep do not depend on the clock: they live in a non-template base, which
// is what a call_context and a watch_guard point to.
#include "transport/call_context.hpp"

#include <cleanlist/testing/manual_clock.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/basic_waitable_timer.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <type_traits>

namespace cleanlist::transport {

class deadline_watch_base {
public:
  using time_point = call_context::clock::time_point;

  /// Watches `cc` until remove(). `shortest_timeout`: the shortest limit the call can set.
  void add(call_context& cc, std::chrono::milliseconds shortest_timeout);
  void remove(call_context& cc) noexcept;

  /// Stops every watched call whose overall or attempt deadline is at or before `now`;
  /// returns how many were stopped. Run by the timer; public for tests (any `now`).
  std::size_t sweep(time_point now);

  std::size_t size() const noexcept { return size_; }
  std::chrono::milliseconds tick() const noexcept { return tick_; }

protected:
  deadline_watch_base() = default;
  ~deadline_watch_base() = default;
  virtual void arm() = 0;               ///< starts the tick if calls are watched and it is not running
  virtual void disarm() noexcept = 0;   ///< the last call went: stop the tick

  call_context* head_ = nullptr;
  std::size_t size_ = 0;
  std::chrono::milliseconds tick_{100};
};

template <class Clock>
class basic_deadline_watch final : public deadline_watch_base,
                                   public std::enable_shared_from_this<basic_deadline_watch<Clock>> {
  // Deadlines are stored as steady_clock time points; the clock must share them.
  static_assert(std::is_same_v<typename Clock::time_point, call_context::clock::time_point>);

public:
  using clock = Clock;

  explicit basic_deadline_watch(boost::asio::any_io_executor strand);

private:
  void arm() override;
  void disarm() noexcept override;

  boost::asio::basic_waitable_timer<Clock> timer_;
  bool armed_ = false;
};

extern template class basic_deadline_watch<std::chrono::steady_clock>;
extern template class basic_deadline_watch<cleanlist::testing::manual_clock>;

using deadline_watch = basic_deadline_watch<std::chrono::steady_clock>;

/// Watches a call for the guard's lifetime, unless an outer guard already does.
class watch_guard {
public:
  watch_guard(deadline_watch_base& w, call_context& cc, std::chrono::milliseconds shortest_timeout) : cc_(cc) {
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
  deadline_watch_base* owner_ = nullptr;
};

} // namespace cleanlist::transport
