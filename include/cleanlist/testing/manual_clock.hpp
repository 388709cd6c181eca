#pragma once
// A clock that only moves when a test moves it, for timer-driven code (rate limiter, deadline
// watch) tested without sleeping: the Boost.MySQL `mock_clock` idiom.
//
//   boost::asio::io_context ioc;
//   cleanlist::basic_rate_limiter<cleanlist::testing::manual_clock> lim(ioc.get_executor(), p);
//   ... start waits ...
//   ioc.poll();                                   // runs what is ready now
//   cleanlist::testing::manual_clock::advance(60s); // the window passes, instantly
//   ioc.poll();                                   // the timers due by now fire
//
// Its time points are std::chrono::steady_clock's (a clock may share another clock's epoch),
// so code that stores steady_clock time points works unchanged with either clock. Timers on
// this clock wait zero real time (wait_traits below): io_context::poll() fires those due by
// now() and leaves the others pending. Do not call io_context::run() while a manual-clock
// timer is pending and nobody advances the clock: it would spin.
//
// The time is one process-wide value (atomic): tests that use it must not run concurrently
// with other tests that advance it (doctest runs test cases one after the other).
#include <cleanlist/asio_config.hpp>
#include <cleanlist/rate_limiter.hpp>
#include <boost/asio/wait_traits.hpp>

#include <atomic>
#include <chrono>

namespace cleanlist::testing {

struct manual_clock {
  using duration = std::chrono::steady_clock::duration;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::steady_clock::time_point;
  static constexpr bool is_steady = true;

  static time_point now() noexcept { return time_point(duration(ticks().load(std::memory_order_acquire))); }
  /// Moves time forward by d (negative values are ignored: the clock is steady).
  static void advance(duration d) noexcept {
    if (d > duration::zero()) ticks().fetch_add(d.count(), std::memory_order_acq_rel);
  }

private:
  // Starts one day after the epoch: "time_point{}" (a common "never set" value) stays in the past.
  static std::atomic<rep>& ticks() noexcept {
    static std::atomic<rep> t{std::chrono::duration_cast<duration>(std::chrono::hours(24)).count()};
    return t;
  }
};

} // namespace cleanlist::testing

namespace boost::asio {
/// A pending manual-clock timer is re-checked at once: whether it is due depends on now(), not on real time.
template <>
struct wait_traits<cleanlist::testing::manual_clock> {
  using duration = cleanlist::testing::manual_clock::duration;
  using time_point = cleanlist::testing::manual_clock::time_point;
  static duration to_wait_duration(const duration&) { return duration::zero(); }
  static duration to_wait_duration(const time_point&) { return duration::zero(); }
};
} // namespace boost::asio

namespace cleanlist {
// Compiled into cleanlist::testing, never into the production library.
extern template class basic_rate_limiter<testing::manual_clock>;
} // namespace cleanlist
