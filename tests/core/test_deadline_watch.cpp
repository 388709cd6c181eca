// The deadline watch's decisions with explicit `now` values (sweep), and its timer cutting a
// wait that has no deadline of its own, on testing::manual_clock: no real waits, no bounds on
// real time. Also the completion token's slot clearing (call_context::token()).
#include <doctest/doctest.h>

#include "transport/deadline_watch.hpp"

#include <cleanlist/testing/manual_clock.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <optional>

using namespace std::chrono_literals;
namespace asio = boost::asio;
using cleanlist::testing::manual_clock;
using cleanlist::transport::basic_deadline_watch;
using cleanlist::transport::call_context;
using cleanlist::transport::watch_guard;
using manual_watch = basic_deadline_watch<manual_clock>;

TEST_CASE("sweep stops a call at its overall deadline, not before") {
  asio::io_context ioc;
  auto w = std::make_shared<manual_watch>(ioc.get_executor());
  call_context cc;
  const auto t0 = manual_clock::now();
  cc.overall_deadline = t0 + 100ms;
  watch_guard g(*w, cc, 100ms);
  CHECK(w->size() == 1);
  CHECK(w->sweep(t0 + 99ms) == 0);
  CHECK_FALSE(cc.stopped());
  CHECK(w->sweep(t0 + 100ms) == 1);
  CHECK(cc.timed_out);
  CHECK(cc.stopped());
}

TEST_CASE("an expired attempt is marked and signalled, the call itself goes on") {
  asio::io_context ioc;
  auto w = std::make_shared<manual_watch>(ioc.get_executor());
  call_context cc;
  watch_guard g(*w, cc, 1000ms);
  const auto t0 = manual_clock::now();
  cc.begin_attempt(50ms, t0);
  const auto due = cc.attempt_deadline;
  CHECK(due == t0 + 50ms);
  int emitted = 0;
  cc.signal.slot().assign([&](asio::cancellation_type) { ++emitted; });
  CHECK(w->sweep(due - 1ms) == 0);
  CHECK(w->sweep(due) == 1);
  CHECK(cc.attempt_expired);
  CHECK_FALSE(cc.stopped());  // a timed-out attempt may be retried
  CHECK(emitted == 1);
  // Signalled again while still expired: an emission between two operations reaches nothing.
  CHECK(w->sweep(due + 1ms) == 1);
  CHECK(emitted == 2);
  cc.end_attempt();
  CHECK(w->sweep(due + 2ms) == 0);
  cc.begin_attempt(50ms, t0);
  CHECK_FALSE(cc.attempt_expired);  // a new attempt starts clean
  cc.signal.slot().clear();
}

TEST_CASE("guards nest, removal keeps the list intact, the tick follows the shortest timeout") {
  asio::io_context ioc;
  auto w = std::make_shared<manual_watch>(ioc.get_executor());
  CHECK(w->tick() == 100ms);
  call_context a, b, c;
  {
    watch_guard ga(*w, a, 10s);
    watch_guard gb(*w, b, 200ms);
    CHECK(w->tick() == 10ms);
    {
      watch_guard inner(*w, b, 5ms);  // already watched: no second registration
      CHECK(w->size() == 2);
      CHECK(w->tick() == 10ms);
    }
    CHECK(w->size() == 2);
    watch_guard gc(*w, c, 1ms);
    CHECK(w->tick() == 1ms);  // clamped at 1 ms
    CHECK(w->size() == 3);
  }
  CHECK(w->size() == 0);
  CHECK(a.watch == nullptr);
  CHECK(b.watch == nullptr);
  CHECK(c.watch == nullptr);
}

TEST_CASE("a saturating deadline: milliseconds::max() means never; now comes from the caller's clock") {
  CHECK(call_context::after(std::chrono::milliseconds::max()) == call_context::clock::time_point::max());
  const auto due = call_context::after(0ms);
  CHECK(due <= call_context::clock::now());
  const auto t = manual_clock::now();
  CHECK(call_context::after(t, 5ms) == t + 5ms);
  CHECK(call_context::after(t, -5ms) == t);
  CHECK(call_context::after(t, std::chrono::milliseconds::max()) == call_context::clock::time_point::max());
}

namespace {

asio::awaitable<void> wait_forever(call_context& cc, std::optional<boost::system::error_code>& out) {
  asio::steady_timer t(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
  auto [ec] = co_await t.async_wait(cc.token());
  out = ec;
}

} // namespace

TEST_CASE("the watch's timer cuts a wait that has no deadline of its own, within one tick of the deadline") {
  asio::io_context ioc;
  auto w = std::make_shared<manual_watch>(ioc.get_executor());
  call_context cc;
  const auto t0 = manual_clock::now();
  cc.overall_deadline = call_context::after(t0, 30ms);
  std::optional<boost::system::error_code> ec;
  {
    watch_guard g(*w, cc, 30ms);
    CHECK(w->tick() == 1ms);  // 30 ms / 20, in whole milliseconds
    asio::co_spawn(ioc, wait_forever(cc, ec), asio::detached);
    ioc.poll();
    // Time moves only here, a tick at a time: the wait ends once the deadline is reached,
    // never before, and at most one tick after it.
    int ticks = 0;
    while (!ec && ticks < 1000) {
      CHECK(manual_clock::now() < cc.overall_deadline);
      manual_clock::advance(w->tick());
      ++ticks;
      ioc.poll();
    }
    REQUIRE(ec);
    CHECK(manual_clock::now() >= cc.overall_deadline);
    CHECK(manual_clock::now() <= cc.overall_deadline + w->tick());
    CHECK(w->sweep(manual_clock::now()) == 1);  // still expired: signalled again, harmlessly
  }
  CHECK(*ec == asio::error::operation_aborted);
  CHECK(cc.timed_out);
}

TEST_CASE("the tick stops with the last watched call: an idle io_context has no work left") {
  asio::io_context ioc;
  auto w = std::make_shared<manual_watch>(ioc.get_executor());
  call_context cc;
  {
    watch_guard g(*w, cc, 10s);  // arms a 100 ms tick
    ioc.poll();
    CHECK_FALSE(ioc.stopped());  // the tick is pending work
  }
  ioc.poll();                    // runs the cancelled tick's handler, nothing else is pending
  CHECK(ioc.stopped());
}

TEST_CASE("the steady_clock watch (the library's) is the same type the transport uses") {
  asio::io_context ioc;
  auto w = std::make_shared<cleanlist::transport::deadline_watch>(ioc.get_executor());
  call_context cc;
  const auto t0 = call_context::clock::now();
  cc.overall_deadline = t0 + 1h;
  watch_guard g(*w, cc, 10s);
  CHECK(w->sweep(t0) == 0);
  CHECK(w->sweep(t0 + 1h) == 1);
  CHECK(cc.timed_out);
}

// ---- call_context::token(): the slot is cleared when the operation completes ----

namespace {

// Awaits a timer that is already due, then destroys it: the I/O object the operation's
// cancellation handler points into. On the heap, so that ASan sees it freed (coroutine frames
// come from Asio's recycling allocator, which ASan does not watch).
asio::awaitable<void> one_short_wait(call_context& cc, bool& slot_had_handler, bool& done) {
  auto t = std::make_unique<asio::steady_timer>(co_await asio::this_coro::executor,
                                                asio::steady_timer::time_point::min());
  auto [ec] = co_await t->async_wait(cc.token());
  (void)ec;
  slot_had_handler = cc.signal.slot().has_handler();
  t.reset();
  done = true;
}

} // namespace

TEST_CASE("token(): a stop emitted after the operation completed does not reach it (its I/O object is gone)") {
  asio::io_context ioc;
  call_context cc;
  bool slot_had_handler = true;
  bool done = false;
  asio::co_spawn(ioc, one_short_wait(cc, slot_had_handler, done), asio::detached);
  ioc.run();
  REQUIRE(done);
  // The timer's cancellation handler would still sit in the slot, pointing into the
  // destroyed timer: this emission would be a use-after-free (ASan reports it).
  CHECK_FALSE(slot_had_handler);
  CHECK_FALSE(cc.signal.slot().has_handler());
  cc.cancelled = true;
  cc.stop();
  ioc.restart();
  CHECK(ioc.poll() == 0);  // nothing was reached, nothing completes
}

TEST_CASE("token(): a stop while the operation is pending still cancels it") {
  asio::io_context ioc;
  call_context cc;
  std::optional<boost::system::error_code> ec;
  asio::co_spawn(ioc, wait_forever(cc, ec), asio::detached);
  ioc.poll();
  CHECK_FALSE(ec);
  CHECK(cc.signal.slot().has_handler());
  cc.stop();
  ioc.poll();
  REQUIRE(ec);
  CHECK(*ec == asio::error::operation_aborted);
  CHECK_FALSE(cc.signal.slot().has_handler());
}
