// The deadline watch's decisions with explicit `now` values (sweep), and its timer on a real
// io_context cutting a wait that has no deadline of its own. No upper bounds on time.
#include <doctest/doctest.h>

#include "transport/deadline_watch.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>

using namespace std::chrono_literals;
namespace asio = boost::asio;
using cleanlist::transport::call_context;
using cleanlist::transport::deadline_watch;
using cleanlist::transport::watch_guard;

TEST_CASE("sweep stops a call at its overall deadline, not before") {
  asio::io_context ioc;
  auto w = std::make_shared<deadline_watch>(ioc.get_executor());
  call_context cc;
  const auto t0 = call_context::clock::now();
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
  auto w = std::make_shared<deadline_watch>(ioc.get_executor());
  call_context cc;
  watch_guard g(*w, cc, 1000ms);
  cc.begin_attempt(50ms);
  const auto due = cc.attempt_deadline;
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
  cc.begin_attempt(50ms);
  CHECK_FALSE(cc.attempt_expired);  // a new attempt starts clean
}

TEST_CASE("guards nest, removal keeps the list intact, the tick follows the shortest timeout") {
  asio::io_context ioc;
  auto w = std::make_shared<deadline_watch>(ioc.get_executor());
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

TEST_CASE("a saturating deadline: milliseconds::max() means never") {
  CHECK(call_context::after(std::chrono::milliseconds::max()) == call_context::clock::time_point::max());
  const auto due = call_context::after(0ms);
  CHECK(due <= call_context::clock::now());
}

namespace {

asio::awaitable<void> wait_forever(call_context& cc, boost::system::error_code& out, bool& done) {
  asio::steady_timer t(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
  auto [ec] = co_await t.async_wait(cc.token());
  cc.op_done();  // the timer dies with this frame: later emissions must not reach it
  out = ec;
  done = true;
}

} // namespace

TEST_CASE("the watch's timer cuts a wait that has no deadline of its own") {
  asio::io_context ioc;
  auto w = std::make_shared<deadline_watch>(ioc.get_executor());
  call_context cc;
  cc.overall_deadline = call_context::after(30ms);
  boost::system::error_code ec;
  bool done = false;
  {
    watch_guard g(*w, cc, 30ms);
    asio::co_spawn(ioc, wait_forever(cc, ec, done), asio::detached);
    // One handler at a time until the wait ends (the watch's tick keeps the context busy
    // while cc is watched); a broken watch hangs here and the test's timeout reports it.
    while (!done && ioc.run_one() != 0) {
    }
    CHECK(w->sweep(call_context::clock::now()) == 1);  // still expired: signalled again, harmlessly
  }
  CHECK(done);
  CHECK(ec == asio::error::operation_aborted);
  CHECK(cc.timed_out);
}

TEST_CASE("the tick stops with the last watched call: an idle io_context has no work left") {
  asio::io_context ioc;
  auto w = std::make_shared<deadline_watch>(ioc.get_executor());
  call_context cc;
  {
    watch_guard g(*w, cc, 10s);  // arms a 100 ms tick
    ioc.poll();
    CHECK_FALSE(ioc.stopped());  // the tick is pending work
  }
  ioc.poll();                    // runs the cancelled tick's handler, nothing else is pending
  CHECK(ioc.stopped());
}
