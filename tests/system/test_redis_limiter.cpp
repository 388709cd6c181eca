// The rate limiter with its budget shared through a real redis-server (make_redis_budget):
// FIFO inside a process, both budgets all-or-nothing, the shared pause, release, and the
// fallback to a local share while Redis is down, then back to sharing (conservatively).
#include "redis_test_support.hpp"

#include <cleanlist/rate_limiter.hpp>
#include <cleanlist/redis.hpp>

#include <doctest/doctest.h>

#include <memory>

using namespace cleanlist::redis;
using namespace cleanlist::redis::test;
using namespace std::chrono_literals;
using boost::system::error_code;
namespace asio = boost::asio;
using cleanlist::rate_limiter;

namespace {

constexpr auto tup = asio::as_tuple(asio::use_awaitable);

asio::awaitable<void> wait_until_zero(const int& n) {
  while (n > 0) co_await sleep_for(5ms);
}

cleanlist::rate_limit_params limits(int per_key, int per_org, std::chrono::milliseconds window) {
  cleanlist::rate_limit_params p;
  p.per_key = per_key;
  p.per_org = per_org;
  p.window = window;
  p.margin = 20ms;
  return p;
}

// Decisions, not speed: a deadline generous for a loaded machine (the fallback test sets its own).
cleanlist::shared_budget_options patient() {
  cleanlist::shared_budget_options o;
  o.op_timeout = 5000ms;
  o.connect_timeout = 5000ms;
  return o;
}

asio::awaitable<std::int64_t> zcard(connection& c, std::string key) {
  reply r = co_await c.async_exec(cmd("ZCARD", key));
  co_return r.integer;
}

asio::awaitable<void> one_acquire(rate_limiter& l, std::vector<int>& order, int i) {
  auto [ec] = co_await l.async_acquire(tup);
  CHECK(!ec);
  order.push_back(i);
}

asio::awaitable<void> fifo_and_all_or_nothing(std::string url) {
  auto ex = co_await asio::this_coro::executor;
  auto shared = cleanlist::make_redis_budget(ex, url, patient());
  auto raw = std::make_shared<connection>(ex, config_for(url));
  redis_budget naming(raw);
  const auto keys_a = naming.keys("key-a", "org"), keys_b = naming.keys("key-b", "org");
  {
    rate_limiter a(ex, limits(3, 4, 400ms), shared, "key-a", "org");
    rate_limiter b(ex, limits(3, 4, 400ms), shared, "key-b", "org");
    CHECK(!a.try_acquire());  // remote: always asynchronous
    // FIFO: 7 waiters on key a (3 per 420 ms) complete in arrival order.
    std::vector<int> order;
    int left = 7;
    for (int i = 0; i < 7; ++i)
      asio::co_spawn(ex, one_acquire(a, order, i), [&](std::exception_ptr e) {
        CHECK(!e);
        --left;
      });
    co_await wait_until_zero(left);
    CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 5, 6});
    CHECK(a.stats().shared_grants == 7);
    CHECK(a.stats().waited >= 4);

    // All-or-nothing: org 4 per span. Key b takes what the org has left; a denied
    // acquisition is recorded in neither log.
    co_await sleep_for(440ms);  // let a's grants age out of the span (the rule, not a race)
    for (int i = 0; i < 3; ++i) co_await a.async_acquire(asio::use_awaitable);
    co_await b.async_acquire(asio::use_awaitable);  // org: 4 of 4
    std::vector<int> border;
    int bleft = 1;
    asio::co_spawn(ex, one_acquire(b, border, 0), [&](std::exception_ptr) { --bleft; });
    co_await sleep_for(100ms);  // observe while b's second acquisition waits (no decision depends on it)
    CHECK(b.stats().waiting == 1);
    CHECK(co_await zcard(*raw, keys_b.key_log) == 1);
    CHECK(co_await zcard(*raw, keys_b.org_log) == 4);
    const auto before = co_await raw->async_exec(cmd("ZRANGE", keys_b.key_log, "0", "-1"));
    co_await wait_until_zero(bleft);
    // The grant is in b's key log now. (Its first grant may have expired meanwhile — the log's
    // TTL is one span, and this grant came about a span later — so compare members, not counts.)
    const auto after = co_await raw->async_exec(cmd("ZRANGE", keys_b.key_log, "0", "-1"));
    REQUIRE(before.elements.size() == 1);
    CHECK(!after.elements.empty());
    CHECK(after.elements.back().str != before.elements[0].str);
  }
  raw->close();
}

asio::awaitable<void> shared_pause(std::string url) {
  auto ex = co_await asio::this_coro::executor;
  // Two "processes": two budgets, two connections.
  auto s1 = cleanlist::make_redis_budget(ex, url, patient());
  auto s2 = cleanlist::make_redis_budget(ex, url, patient());
  auto raw = std::make_shared<connection>(ex, config_for(url));
  redis_budget naming(raw);
  {
    rate_limiter l1(ex, limits(10, 20, 1000ms), s1, "pkey", "porg");
    rate_limiter l2(ex, limits(10, 20, 1000ms), s2, "pkey", "porg");
    co_await l1.async_acquire(asio::use_awaitable);
    l1.on_server_retry_after(700ms);
    // The pause is in Redis (fire and forget on s1's connection): wait until it shows.
    const auto k = naming.keys("pkey", "porg");
    for (;;) {
      reply r = co_await raw->async_exec(cmd("PTTL", k.key_pause));
      if (r.integer > 0) break;
      co_await sleep_for(5ms);
    }
    reply o = co_await raw->async_exec(cmd("PTTL", k.org_pause));
    CHECK(o.integer > 0);
    const auto t0 = std::chrono::steady_clock::now();
    co_await l2.async_acquire(asio::use_awaitable);  // the other process waits for the pause
    const auto waited = std::chrono::steady_clock::now() - t0;
    CHECK(waited >= 500ms);  // lower bound only: the pause (700 ms) minus the time taken to see it
    CHECK(l2.stats().waited == 1);
  }
  raw->close();
}

asio::awaitable<void> release_gives_back(std::string url) {
  auto ex = co_await asio::this_coro::executor;
  auto shared = cleanlist::make_redis_budget(ex, url, patient());
  auto raw = std::make_shared<connection>(ex, config_for(url));
  redis_budget naming(raw);
  {
    // A window of an hour: without the release, the third grant could only come an hour later
    // (the test would hang), so a grant at all proves the release.
    constexpr std::chrono::milliseconds window = 1h;
    rate_limiter l(ex, limits(2, 100, window), shared, "rkey", "rorg");
    rate_limiter::time_point ta{}, tb{};
    co_await l.async_acquire(&ta, asio::use_awaitable);
    co_await l.async_acquire(&tb, asio::use_awaitable);
    l.release(ta);
    co_await l.async_acquire(asio::use_awaitable);
    const auto k = naming.keys("rkey", "rorg");
    reply r = co_await raw->async_exec(cmd("ZRANGE", k.key_log, "0", "-1", "WITHSCORES"));
    REQUIRE(r.elements.size() == 4);  // b and c
    const auto gap_us = std::stoll(r.elements[3].str) - std::stoll(r.elements[1].str);
    // c recorded within b's span: possible only because a was released
    CHECK(gap_us < std::chrono::duration_cast<std::chrono::microseconds>(window).count());
    CHECK(l.stats().granted == 2);
  }
  raw->close();
}

struct fallback_run {
  std::vector<rate_limiter::time_point> times;
  std::vector<bool> fallback;
};

asio::awaitable<void> acquire_one(rate_limiter& l, fallback_run& run) {
  const auto before = l.stats().fallback_grants;
  rate_limiter::time_point t{};
  auto [ec] = co_await l.async_acquire(&t, tup);
  REQUIRE(!ec);
  run.times.push_back(t);
  run.fallback.push_back(l.stats().fallback_grants > before);
}

asio::awaitable<void> fallback_and_back(redis_server& srv) {
  auto ex = co_await asio::this_coro::executor;
  cleanlist::shared_budget_options o;
  o.op_timeout = 300ms;
  o.connect_timeout = 300ms;
  o.fallback_share = 0.5;
  o.probe_initial = 100ms;
  o.probe_max = 400ms;
  auto shared = cleanlist::make_redis_budget(ex, srv.url(), o);
  const auto p = limits(4, 100, 400ms);
  const auto span = p.window + p.margin;
  fallback_run run;
  {
    rate_limiter l(ex, p, shared, "fkey", "forg");
    for (int i = 0; i < 2; ++i) co_await acquire_one(l, run);
    CHECK(l.stats().shared_grants == 2);
    srv.stop();  // Redis crashes: every grant still completes, from the local share
    for (int i = 0; i < 6; ++i) co_await acquire_one(l, run);
    CHECK(l.stats().shared_errors >= 1);
    CHECK(l.stats().fallback_grants >= 5);
    srv.start();  // back (empty: the windows are lost)
    const auto shared_before = l.stats().shared_grants;
    int n = 0;
    while (l.stats().shared_grants < shared_before + 6 && n < 200) {
      co_await acquire_one(l, run);
      ++n;
    }
    CHECK(l.stats().shared_grants >= shared_before + 6);  // sharing again
    MESSAGE("fallback test: " << l.stats().fallback_grants << " fallback grants, " << l.stats().shared_grants
                              << " shared grants, " << l.stats().shared_errors << " Redis errors");
  }
  // The local share (2 of 4) holds in every span that holds a fallback grant, including the
  // span after Redis came back (conservative: the fallback budget records every grant).
  const int share = 2;
  for (std::size_t i = 0; i < run.times.size(); ++i) {
    std::size_t in_span = 0;
    bool any_fallback = false;
    for (std::size_t j = i; j < run.times.size() && run.times[j] - run.times[i] < span; ++j) {
      ++in_span;
      any_fallback = any_fallback || run.fallback[j];
    }
    if (any_fallback) CHECK(in_span <= static_cast<std::size_t>(share));
  }
}

struct fair_log {
  std::vector<int> order;  // limiter index per grant, in grant order
  std::vector<std::chrono::steady_clock::time_point> at;
  int left = 0;
};

asio::awaitable<void> fair_waiter(rate_limiter& l, int idx, fair_log& log) {
  auto [ec] = co_await l.async_acquire(tup);
  CHECK(!ec);
  log.order.push_back(idx);
  log.at.push_back(std::chrono::steady_clock::now());
  --log.left;
}

asio::awaitable<void> fairness(std::string url, int procs, int per_proc, int n,
                               std::chrono::milliseconds window = 200ms) {
  auto ex = co_await asio::this_coro::executor;
  std::vector<std::shared_ptr<cleanlist::shared_budget>> budgets;
  std::vector<std::unique_ptr<rate_limiter>> lims;
  for (int i = 0; i < procs; ++i) {  // one budget (connection) each: separate "processes"
    budgets.push_back(cleanlist::make_redis_budget(ex, url, patient()));
    lims.push_back(std::make_unique<rate_limiter>(ex, limits(n, 1000, window), budgets.back(), "fair-key", "fair-org"));
  }
  fair_log log;
  log.left = procs * per_proc;
  for (int k = 0; k < per_proc; ++k)
    for (int i = 0; i < procs; ++i) asio::co_spawn(ex, fair_waiter(*lims[i], i, log), asio::detached);
  co_await wait_until_zero(log.left);
  // Bound: once a queue head of limiter i has been denied, at most (procs - 1) + n grants go
  // to the others before i's next grant (older tickets first, one slot each; up to n places
  // that were free at once). So a waiting process is served within ceil(procs / n) + 1 spans.
  int worst = 0;
  for (int i = 0; i < procs; ++i) {
    int others = 0;
    for (int who : log.order) {
      if (who == i) {
        worst = std::max(worst, others);
        others = 0;
      } else {
        ++others;
      }
    }
  }
  std::string seq;
  for (int who : log.order) seq += std::to_string(who);
  MESSAGE("grant order: " << seq);
  MESSAGE("fairness: " << procs << " processes, " << n << " per span: at most " << worst
                       << " grants to others between two grants of one process (bound " << procs - 1 + n << ")");
  CHECK(worst <= procs - 1 + n);
  const auto span = window + 20ms;
  const double took = std::chrono::duration<double>(log.at.back() - log.at.front()).count();
  const double ideal = (static_cast<double>(procs * per_proc) / n - 1) * std::chrono::duration<double>(span).count();
  MESSAGE("throughput: " << procs * per_proc << " grants in " << took << " s, ideal " << ideal << " s");
}

} // namespace

TEST_CASE("limiter on Redis: waiting processes are served in turn (fairness bound)") {
  redis_server srv;
  // N = 1: grants are one span apart, so the order in which this process sees them is the
  // order Redis gave them (with N > 1, grants due at the same instant come back in any order).
  run(fairness(srv.url(), 5, 5, 1));
}

TEST_CASE("limiter on Redis: throughput of 4 processes at N = 30") {
  redis_server srv;
  run(fairness(srv.url(), 4, 45, 30, 2000ms));
}

TEST_CASE("limiter on Redis: FIFO within a process, key and organisation all-or-nothing") {
  redis_server srv;
  run(fifo_and_all_or_nothing(srv.url()));
}

TEST_CASE("limiter on Redis: a Retry-After seen by one process pauses the others") {
  redis_server srv;
  run(shared_pause(srv.url()));
}

TEST_CASE("limiter on Redis: release gives the grant back in Redis") {
  redis_server srv;
  run(release_gives_back(srv.url()));
}

TEST_CASE("limiter on Redis: Redis down -> local share, no hang; back -> shared again, conservatively") {
  redis_server srv;
  run(fallback_and_back(srv));
}
