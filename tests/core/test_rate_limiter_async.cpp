// Async shell of the rate limiter on an io_context driven by a manual clock: time moves only
// when the test advances it, so grant times are checked exactly and nothing sleeps.
#include <doctest/doctest.h>

#include <cleanlist/rate_limiter.hpp>
#include <cleanlist/testing/manual_clock.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

using namespace std::chrono_literals;
using clk = cleanlist::testing::manual_clock;
using cleanlist::rate_limit_params;
using rate_limiter = cleanlist::basic_rate_limiter<clk>;
using boost::system::error_code;

namespace {

rate_limit_params small(int per_key, int per_org = 1000, std::chrono::milliseconds window = 50ms) {
  rate_limit_params p;
  p.per_key = per_key;
  p.per_org = per_org;
  p.window = window;
  p.margin = 2ms;
  return p;
}

struct record {
  int index;
  error_code ec;
  clk::time_point at;
};

/// Runs every handler ready at the current manual time.
void settle(boost::asio::io_context& ioc) {
  do ioc.restart();
  while (ioc.poll() != 0);
}

/// Settles, then advances the clock 1 ms at a time (settling each time) until `done()`;
/// fails the test instead of looping forever. Returns the manual time elapsed.
clk::duration run_until(boost::asio::io_context& ioc, const std::function<bool()>& done,
                        clk::duration limit = 60s) {
  const auto start = clk::now();
  settle(ioc);
  while (!done()) {
    REQUIRE(clk::now() - start < limit);
    clk::advance(1ms);
    settle(ioc);
  }
  return clk::now() - start;
}

} // namespace

TEST_CASE("rate_limiter: FIFO order, N per window, grants exactly one window + margin apart") {
  boost::asio::io_context ioc;
  rate_limiter lim(ioc.get_executor(), small(5));
  std::vector<record> done;
  const auto start = clk::now();
  for (int i = 0; i < 12; ++i)
    lim.async_acquire([&, i](error_code ec) { done.push_back({i, ec, clk::now()}); });
  CHECK(done.empty()); // never completes inline
  // The first 5 slots are taken at once (completions posted); 7 wait for the window.
  CHECK(lim.stats().waiting == 7);
  CHECK(lim.stats().granted == 5);
  run_until(ioc, [&] { return done.size() == 12; });
  for (int i = 0; i < 12; ++i) {
    const auto& r = done[static_cast<std::size_t>(i)];
    CHECK(r.index == i);
    CHECK_FALSE(r.ec);
    // Grant k is due when grant k-5 leaves the 52 ms span: k / 5 spans after the start, not later.
    CHECK(r.at - start == (i / 5) * 52ms);
  }
  const auto st = lim.stats();
  CHECK(st.granted == 12);
  CHECK(st.waited == 7);
  CHECK(st.waiting == 0);
  CHECK(st.total_wait == 5 * 52ms + 2 * 104ms);
}

TEST_CASE("rate_limiter: a cancelled waiter gives its slot to the next one") {
  boost::asio::io_context ioc;
  rate_limiter lim(ioc.get_executor(), small(1, 1000, 50ms));
  boost::asio::cancellation_signal sig;
  std::vector<record> done;
  const auto start = clk::now();
  lim.async_acquire([&](error_code ec) {
    done.push_back({0, ec, clk::now()});
    sig.emit(boost::asio::cancellation_type::terminal); // cancel waiter 1 while it waits
  });
  lim.async_acquire(boost::asio::bind_cancellation_slot(
      sig.slot(), [&](error_code ec) { done.push_back({1, ec, clk::now()}); }));
  lim.async_acquire([&](error_code ec) { done.push_back({2, ec, clk::now()}); });
  run_until(ioc, [&] { return done.size() == 3; });
  CHECK(done[0].index == 0);
  CHECK_FALSE(done[0].ec);
  CHECK(done[1].index == 1);
  CHECK(done[1].ec == boost::asio::error::operation_aborted);
  CHECK(done[1].at == start); // aborted at once, not at the end of the window
  CHECK(done[2].index == 2);
  CHECK_FALSE(done[2].ec);
  // Waiter 2 got the second slot (one span after the first), not a third one.
  CHECK(done[2].at - start == 52ms);
  CHECK(lim.stats().granted == 2);
  // Emitting again after completion is harmless.
  sig.emit(boost::asio::cancellation_type::terminal);
}

TEST_CASE("rate_limiter: cancelling a non-head waiter and partial cancellation") {
  boost::asio::io_context ioc;
  rate_limiter lim(ioc.get_executor(), small(1, 1000, 50ms));
  boost::asio::cancellation_signal sig;
  std::vector<record> done;
  const auto start = clk::now();
  lim.async_acquire([&](error_code ec) { done.push_back({0, ec, clk::now()}); });
  lim.async_acquire([&](error_code ec) {
    done.push_back({1, ec, clk::now()});
    sig.emit(boost::asio::cancellation_type::partial);
  });
  lim.async_acquire(boost::asio::bind_cancellation_slot(
      sig.slot(), [&](error_code ec) { done.push_back({2, ec, clk::now()}); }));
  lim.async_acquire([&](error_code ec) { done.push_back({3, ec, clk::now()}); });
  run_until(ioc, [&] { return done.size() == 4; });
  CHECK(done[2].index == 2);
  CHECK(done[2].ec == boost::asio::error::operation_aborted);
  CHECK(done[3].index == 3);
  CHECK_FALSE(done[3].ec);
  CHECK(done[3].at - start == 104ms);  // the cancelled waiter's slot went to waiter 3
  CHECK(lim.stats().granted == 3);
}

TEST_CASE("rate_limiter: cancel_all aborts every waiter and leaves no timer pending") {
  boost::asio::io_context ioc;
  rate_limiter lim(ioc.get_executor(), small(1, 1000, 10000ms)); // 10 s window
  std::vector<record> done;
  lim.async_acquire([&](error_code ec) {
    done.push_back({0, ec, clk::now()});
    lim.cancel_all();
  });
  for (int i = 1; i < 5; ++i)
    lim.async_acquire([&, i](error_code ec) { done.push_back({i, ec, clk::now()}); });
  settle(ioc);  // no time passes
  REQUIRE(done.size() == 5);
  CHECK_FALSE(done[0].ec);
  for (int i = 1; i < 5; ++i) {
    CHECK(done[static_cast<std::size_t>(i)].index == i);
    CHECK(done[static_cast<std::size_t>(i)].ec == boost::asio::error::operation_aborted);
  }
  CHECK(ioc.stopped());  // no work left: a timer kept armed would keep the io_context busy
  CHECK(lim.stats().granted == 1);
  CHECK(lim.stats().waiting == 0);
}

TEST_CASE("rate_limiter: destruction aborts pending waiters") {
  boost::asio::io_context ioc;
  std::vector<record> done;
  {
    auto lim = std::make_unique<rate_limiter>(ioc.get_executor(), small(1, 1000, 10000ms));
    for (int i = 0; i < 3; ++i)
      lim->async_acquire([&, i](error_code ec) { done.push_back({i, ec, clk::now()}); });
    settle(ioc); // the first is granted at once
    REQUIRE(done.size() == 1);
  }
  settle(ioc);
  REQUIRE(done.size() == 3);
  CHECK(done[1].ec == boost::asio::error::operation_aborted);
  CHECK(done[2].ec == boost::asio::error::operation_aborted);
  CHECK(ioc.stopped());
}

TEST_CASE("rate_limiter: server Retry-After pauses every waiter of the key and its org") {
  boost::asio::io_context ioc;
  auto params = small(100, 1000, 50ms);
  auto org = cleanlist::make_org_budget(params);
  rate_limiter a(ioc.get_executor(), params, org);
  rate_limiter b(ioc.get_executor(), params, org);
  rate_limiter other(ioc.get_executor(), params); // another organisation: not paused
  std::vector<record> done;
  clk::time_point paused_at{};
  a.async_acquire([&](error_code ec) {
    done.push_back({0, ec, clk::now()});
    paused_at = clk::now();
    a.on_server_retry_after(200ms);
    for (int i = 1; i <= 3; ++i)
      a.async_acquire([&, i](error_code e) { done.push_back({i, e, clk::now()}); });
    b.async_acquire([&](error_code e) { done.push_back({10, e, clk::now()}); });
    other.async_acquire([&](error_code e) { done.push_back({20, e, clk::now()}); });
  });
  run_until(ioc, [&] { return done.size() == 6; });
  CHECK(done[1].index == 20); // the other organisation is not delayed
  CHECK(done[1].at == paused_at);
  for (const auto& r : done) {
    CHECK_FALSE(r.ec);
    if (r.index != 0 && r.index != 20) CHECK(r.at - paused_at == 200ms);  // exactly when the pause ends
  }
}

TEST_CASE("rate_limiter: two keys share an organisation budget") {
  boost::asio::io_context ioc;
  auto params = small(5, 6, 50ms);
  auto org = cleanlist::make_org_budget(params);
  rate_limiter a(ioc.get_executor(), params, org);
  rate_limiter b(ioc.get_executor(), params, org);
  std::vector<record> da, db, all;
  const auto start = clk::now();
  for (int i = 0; i < 9; ++i) {
    a.async_acquire([&, i](error_code ec) { da.push_back({i, ec, clk::now()}); all.push_back(da.back()); });
    b.async_acquire([&, i](error_code ec) { db.push_back({i, ec, clk::now()}); all.push_back(db.back()); });
  }
  run_until(ioc, [&] { return all.size() == 18; });
  REQUIRE(da.size() == 9);
  REQUIRE(db.size() == 9);
  for (int i = 0; i < 9; ++i) {
    CHECK(da[static_cast<std::size_t>(i)].index == i); // FIFO within each key
    CHECK(db[static_cast<std::size_t>(i)].index == i);
  }
  // 18 requests, 6 per span for the org: grants 6k..6k+5 happen k spans after the start.
  for (std::size_t k = 0; k < all.size(); ++k) CHECK(all[k].at - start == static_cast<int>(k / 6) * 52ms);
  // Per key: the 6th grant of a key needs a span too.
  CHECK(da[5].at - start >= 52ms);
  CHECK(db[5].at - start >= 52ms);
  CHECK(a.stats().granted + b.stats().granted == 18);
}

TEST_CASE("rate_limiter: disabled limiter grants at once") {
  boost::asio::io_context ioc;
  auto params = small(1, 1, 10000ms);
  params.enabled = false;
  rate_limiter lim(ioc.get_executor(), params);
  int ok = 0;
  for (int i = 0; i < 100; ++i)
    lim.async_acquire([&](error_code ec) { ok += ec ? 0 : 1; });
  settle(ioc);  // no time passes
  CHECK(ok == 100);
}

namespace {
boost::asio::awaitable<void> three_acquires(rate_limiter& lim, int& count) {
  for (int i = 0; i < 3; ++i) {
    co_await lim.async_acquire(); // default token: use_awaitable
    ++count;
  }
}
} // namespace

TEST_CASE("rate_limiter: works with coroutines (default token)") {
  boost::asio::io_context ioc;
  rate_limiter lim(ioc.get_executor(), small(2, 1000, 50ms));
  int count = 0;
  boost::asio::co_spawn(ioc, three_acquires(lim, count), boost::asio::detached);
  const auto elapsed = run_until(ioc, [&] { return count == 3; });
  CHECK(elapsed == 52ms);
}

TEST_CASE("try_acquire takes a free slot at once, and never one a waiter or the budget holds") {
  boost::asio::io_context ioc;
  rate_limiter lim(ioc.get_executor(), small(2, 1000, 10s));
  CHECK(lim.try_acquire());
  CHECK(lim.try_acquire());
  CHECK_FALSE(lim.try_acquire());  // the window's budget is spent
  CHECK(lim.stats().granted == 2);

  rate_limiter queued(ioc.get_executor(), small(1, 1000, 10s));
  queued.on_server_retry_after(50ms);
  int got = 0;
  queued.async_acquire([&](error_code ec) { if (!ec) ++got; });
  CHECK_FALSE(queued.try_acquire());  // paused by the server, and a waiter is ahead (FIFO)
  const auto elapsed = run_until(ioc, [&] { return got == 1; });
  CHECK(elapsed == 50ms);
  CHECK_FALSE(queued.try_acquire());  // the waiter took the only slot
}

TEST_CASE("release gives a slot back to the next waiter at once") {
  boost::asio::io_context ioc;
  rate_limiter lim(ioc.get_executor(), small(1, 1000, 10s));
  rate_limiter::time_point granted{};
  REQUIRE(lim.try_acquire(&granted));
  int got = 0;
  lim.async_acquire([&](error_code ec) { if (!ec) ++got; });
  settle(ioc);
  CHECK(got == 0);  // the budget is spent for 10 s
  lim.release(granted);  // the request it was for never went out
  settle(ioc);
  CHECK(got == 1);  // no time passed
}
