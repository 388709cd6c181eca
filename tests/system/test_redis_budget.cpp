// redis_budget against a real redis-server: the sliding-log bound under many concurrent
// acquirers, both budgets all-or-nothing, the shared pause, release, NOSCRIPT after SCRIPT
// FLUSH, key TTLs and names, and the failure bound when Redis is down or stalled.
#include "redis_test_support.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <doctest/doctest.h>

#include <mutex>
#include <thread>

using namespace cleanlist::redis;
using namespace cleanlist::redis::test;
using namespace std::chrono_literals;
using boost::system::error_code;
namespace asio = boost::asio;

namespace {

constexpr auto tup = asio::as_tuple(asio::use_awaitable);
const std::string api_key = "cl_live_TOPSECRET_0123456789";

budget_limits scaled(int per_key, int per_org, std::chrono::milliseconds window = 500ms,
                     std::chrono::milliseconds margin = 20ms) {
  budget_limits l;
  l.per_key = per_key;
  l.per_org = per_org;
  l.window = window;
  l.margin = margin;
  return l;
}

// These tests check decisions, not speed: a deadline generous enough for a loaded machine or
// a sanitizer build (the failure-bound tests below set their own).
redis_budget_params patient() {
  redis_budget_params p;
  p.op_timeout = std::chrono::milliseconds(5000);
  return p;
}

std::shared_ptr<connection> connect(const asio::any_io_executor& ex, std::uint16_t port) {
  return std::make_shared<connection>(ex, config_for("redis://127.0.0.1:" + std::to_string(port)));
}

struct shared_counts {
  int target = 0;
  int granted = 0;
  std::vector<std::int64_t> times;
  int acquirers_left = 0;
  bool failed = false;
};

asio::awaitable<void> acquirer(redis_budget& b, std::string key, std::string org, budget_limits l,
                               shared_counts& s) {
  while (s.granted < s.target) {
    acquire_result r = co_await b.async_acquire(key, org, l);
    if (r.granted) {
      ++s.granted;
      s.times.push_back(r.grant.granted_at_us);
    } else {
      CHECK(r.wait.count() > 0);
      co_await sleep_for(r.wait);
    }
  }
}

asio::awaitable<void> wait_until_zero(const int& n) {
  while (n > 0) co_await sleep_for(5ms);
}

asio::awaitable<void> many_acquirers(std::uint16_t port) {
  auto ex = co_await asio::this_coro::executor;
  // two connections (two "clients" in one process), 24 acquirers, 10 per 500 ms (+20 ms)
  auto c1 = connect(ex, port), c2 = connect(ex, port);
  redis_budget b1(c1, patient()), b2(c2, patient());
  const auto l = scaled(10, 1000);
  shared_counts s;
  s.target = 45;
  s.acquirers_left = 24;
  for (int i = 0; i < 24; ++i)
    asio::co_spawn(ex, acquirer(i % 2 ? b1 : b2, api_key, "org", l, s), [&s](std::exception_ptr e) {
      if (e) s.failed = true;
      --s.acquirers_left;
    });
  co_await wait_until_zero(s.acquirers_left);
  CHECK_FALSE(s.failed);
  REQUIRE(s.times.size() >= 45u);
  const std::int64_t span_us = std::chrono::microseconds(l.span()).count();
  const std::int64_t gap = min_gap_of_n(s.times, l.per_key);
  MESSAGE("grants " << s.times.size() << ", smallest span of 11 consecutive grants " << gap << " us (bound "
                    << span_us << ")");
  CHECK(gap >= span_us);
  // every window+margin of length span, wherever it starts, holds at most N grants:
  // checked directly at each grant time as a window start.
  auto t = s.times;
  std::sort(t.begin(), t.end());
  for (std::size_t i = 0; i < t.size(); ++i) {
    const auto end = std::lower_bound(t.begin(), t.end(), t[i] + span_us);
    CHECK(end - (t.begin() + static_cast<std::ptrdiff_t>(i)) <= l.per_key);
  }
}

// Acquirers on an io_context run by 4 threads; each connection keeps its state on its strand.
struct mt_state {
  std::mutex mu;
  std::vector<std::int64_t> times;
  int target = 0;
  bool failed = false;
};

asio::awaitable<void> mt_acquirer(std::shared_ptr<redis_budget> b, budget_limits l, mt_state& s) {
  for (;;) {
    {
      std::lock_guard lk(s.mu);
      if (static_cast<int>(s.times.size()) >= s.target) co_return;
    }
    acquire_result r = co_await b->async_acquire(api_key, "org", l);
    if (r.granted) {
      std::lock_guard lk(s.mu);
      s.times.push_back(r.grant.granted_at_us);
    } else {
      co_await sleep_for(r.wait);
    }
  }
}

asio::awaitable<void> all_or_nothing(std::uint16_t port) {
  auto ex = co_await asio::this_coro::executor;
  auto c = connect(ex, port);
  redis_budget b(c, patient());
  const auto l = scaled(3, 5, 60000ms, 100ms);  // long window: nothing ages out in this test
  // key A: 3 grants, the 4th is refused by the key budget
  std::int64_t first_us = 0;
  for (int i = 0; i < 3; ++i) {
    acquire_result g = co_await b.async_acquire("key-A", "org", l);
    CHECK(g.granted);
    if (i == 0) first_us = g.grant.granted_at_us;
  }
  acquire_result r = co_await b.async_acquire("key-A", "org", l);
  CHECK_FALSE(r.granted);
  CHECK(r.reason == limited_by::key);
  // Until the oldest grant leaves the span, on Redis's clock (a bound on the wait alone would
  // also bound how fast this test ran).
  CHECK(r.server_now_us - first_us + r.wait.count() == std::chrono::microseconds(l.span()).count());
  const auto ka = b.keys("key-A", "org"), kb = b.keys("key-B", "org");
  { const auto v_ = (co_await c->async_exec(cmd("ZCARD", ka.org_log))).integer; CHECK(v_ == 3); }  // the refusal recorded nothing
  // key B: 2 grants fill the organisation (5), the 3rd is refused by the org budget
  for (int i = 0; i < 2; ++i) { const auto v_ = (co_await b.async_acquire("key-B", "org", l)).granted; CHECK(v_); }
  r = co_await b.async_acquire("key-B", "org", l);
  CHECK_FALSE(r.granted);
  CHECK(r.reason == limited_by::org);
  { const auto v_ = (co_await c->async_exec(cmd("ZCARD", kb.key_log))).integer; CHECK(v_ == 2); }  // nor in the key's log
  { const auto v_ = (co_await c->async_exec(cmd("ZCARD", ka.org_log))).integer; CHECK(v_ == 5); }
  // another organisation is independent
  { const auto v_ = (co_await b.async_acquire("key-C", "org-2", l)).granted; CHECK(v_); }
  // release gives a grant back to both budgets
  acquire_result g = co_await b.async_acquire("key-D", "org-3", scaled(1, 1, 60000ms));
  REQUIRE(g.granted);
  { const auto v_ = (co_await b.async_acquire("key-D", "org-3", scaled(1, 1, 60000ms))).granted; CHECK_FALSE(v_); }
  { const auto v_ = co_await b.async_release("key-D", "org-3", g.grant); CHECK(v_); }
  { const auto v_ = co_await b.async_release("key-D", "org-3", g.grant); CHECK_FALSE(v_); }  // only once
  { const auto v_ = (co_await b.async_acquire("key-D", "org-3", scaled(1, 1, 60000ms))).granted; CHECK(v_); }
}

asio::awaitable<void> log_keeps_last_n(std::uint16_t port) {
  auto ex = co_await asio::this_coro::executor;
  auto c = connect(ex, port);
  redis_budget b(c, patient());
  const auto l = scaled(3, 3, 200ms, 0ms);
  const auto k = b.keys("key", "org");
  for (int i = 0; i < 7; ++i) {
    co_await acquire_granted(b, "key", "org", l);
    const auto v_ = (co_await c->async_exec(cmd("ZCARD", k.key_log))).integer;
    // never more than N entries (fewer when the log expired while waiting: all were older than span)
    CHECK(v_ >= 1);
    CHECK(v_ <= 3);
  }
}

asio::awaitable<void> pause_honoured(std::uint16_t port) {
  auto ex = co_await asio::this_coro::executor;
  auto c1 = connect(ex, port), c2 = connect(ex, port);
  redis_budget b1(c1, patient()), b2(c2, patient());  // two "processes"
  const auto l = scaled(10, 20);
  // A long pause for the checks that must see it still in force (no assumption on how fast
  // this test runs), a short one below for its end.
  { const auto v_ = (co_await b1.async_acquire("key-A", "org", l)).granted; CHECK(v_); }
  co_await b1.async_pause("key-A", "org", 60s);  // a 429 with Retry-After seen by process 1
  acquire_result r = co_await b2.async_acquire("key-A", "org", l);
  CHECK_FALSE(r.granted);
  CHECK(r.reason == limited_by::pause);
  CHECK(r.wait > 0us);
  CHECK(r.wait <= 60s);
  // the organisation's other keys wait too
  acquire_result rb = co_await b2.async_acquire("key-B", "org", l);
  CHECK_FALSE(rb.granted);
  CHECK(rb.reason == limited_by::pause);
  // a shorter pause does not shorten it
  const auto k = b1.keys("key-A", "org");
  const auto before = std::stoll((co_await c1->async_exec(cmd("GET", k.org_pause))).str);
  co_await b2.async_pause("key-B", "org", 1ms);
  const auto after = std::stoll((co_await c1->async_exec(cmd("GET", k.org_pause))).str);
  CHECK(after == before);
  { const auto v_ = (co_await c1->async_exec(cmd("PTTL", k.org_pause))).integer; CHECK(v_ > 0); }
  { const auto v_ = (co_await b2.async_acquire("key-B", "org", l)).reason; CHECK(v_ == limited_by::pause); }

  // another organisation, a short pause: after the wait it reports, a grant comes, and not
  // before the pause's end (Redis clock)
  co_await b1.async_pause("key-A", "org-2", 200ms);
  const auto k2 = b1.keys("key-A", "org-2");
  const reply stored = co_await c1->async_exec(cmd("GET", k2.org_pause));
  const auto until = stored.type == reply::kind::string ? std::stoll(stored.str) : 0;  // nil: already over
  for (;;) {
    acquire_result g = co_await b2.async_acquire("key-A", "org-2", l);
    if (g.granted) {
      CHECK(g.grant.granted_at_us >= until);
      break;
    }
    CHECK(g.reason == limited_by::pause);
    co_await sleep_for(g.wait);
  }
}

asio::awaitable<void> noscript(std::uint16_t port) {
  auto ex = co_await asio::this_coro::executor;
  auto c = connect(ex, port);
  redis_budget b(c, patient());
  const auto l = scaled(100, 100);
  { const auto v_ = (co_await b.async_acquire("k", "o", l)).granted; CHECK(v_); }
  const std::string sha = script_sha1(acquire_script);
  reply ex1 = co_await c->async_exec(cmd("SCRIPT", "EXISTS", sha));
  CHECK(ex1.elements.at(0).integer == 1);
  co_await c->async_exec(cmd("SCRIPT", "FLUSH"));
  reply ex2 = co_await c->async_exec(cmd("SCRIPT", "EXISTS", sha));
  CHECK(ex2.elements.at(0).integer == 0);
  // EVALSHA gets NOSCRIPT; the budget loads the script again and retries within its deadline
  auto [ec, r] = co_await b.async_acquire("k", "o", l, tup);
  CHECK_FALSE(ec);
  CHECK(r.granted);
  reply ex3 = co_await c->async_exec(cmd("SCRIPT", "EXISTS", sha));
  CHECK(ex3.elements.at(0).integer == 1);
  // 20 acquisitions in flight when the script vanishes: all succeed (one reload each at most)
  co_await c->async_exec(cmd("SCRIPT", "FLUSH"));
  int ok = 0, failed = 0, left = 20;
  for (int i = 0; i < 20; ++i)
    b.async_acquire("k", "o", l, [&](error_code e, acquire_result a) {
      if (!e && a.granted) ++ok;
      else ++failed;
      --left;
    });
  while (left > 0) co_await sleep_for(5ms);
  CHECK(ok == 20);
  CHECK(failed == 0);
  // same for release and pause
  co_await c->async_exec(cmd("SCRIPT", "FLUSH"));
  { const auto v_ = co_await b.async_release("k", "o", r.grant); CHECK(v_); }
  co_await c->async_exec(cmd("SCRIPT", "FLUSH"));
  auto [pec] = co_await b.async_pause("k", "o", 10ms, tup);
  CHECK_FALSE(pec);
}

asio::awaitable<void> keys_ttl(std::uint16_t port) {
  auto ex = co_await asio::this_coro::executor;
  auto c = connect(ex, port);
  redis_budget b(c, patient());
  const auto l = scaled(5, 10, 60000ms, 100ms);
  { const auto v_ = (co_await b.async_acquire(api_key, "org-secret-id", l)).granted; CHECK(v_); }
  co_await b.async_pause(api_key, "org-secret-id", 60000ms);
  reply all = co_await c->async_exec(cmd("KEYS", "*"));
  REQUIRE(all.elements.size() == 4);
  for (const auto& k : all.elements) {
    CHECK(k.str.starts_with("cleanlist:budget:{"));
    CHECK(k.str.find(api_key) == std::string::npos);
    CHECK(k.str.find("TOPSECRET") == std::string::npos);
    CHECK(k.str.find("org-secret-id") == std::string::npos);
    const long long pttl = (co_await c->async_exec(cmd("PTTL", k.str))).integer;
    CHECK_MESSAGE(pttl > 0, k.str);  // every key expires by itself
    CHECK(pttl <= 60100);
  }
  // and the values hold times and ids, not the key either
  const auto k = b.keys(api_key, "org-secret-id");
  reply members = co_await c->async_exec(cmd("ZRANGE", k.key_log, "0", "-1"));
  for (const auto& m : members.elements) CHECK(m.str.find("TOPSECRET") == std::string::npos);
}

asio::awaitable<void> down_fails_within_bound(std::uint16_t dead_port) {
  auto ex = co_await asio::this_coro::executor;
  auto c = connect(ex, dead_port);
  redis_budget_params p;
  p.op_timeout = 300ms;
  redis_budget b(c, p);
  auto [ec, r] = co_await b.async_acquire("k", "o", scaled(1, 1), tup);
  CHECK(ec);  // refused: reported, so the caller falls back to a local budget
  CHECK_FALSE(r.granted);
  MESSAGE("Redis down: " << ec.message());
  auto [ec2, r2] = co_await b.async_acquire("k", "o", scaled(1, 1), tup);
  CHECK(ec2);
}

asio::awaitable<void> stalled_fails_within_bound() {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::acceptor acc(ex, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto c = connect(ex, acc.local_endpoint().port());
  redis_budget_params p;
  p.op_timeout = 200ms;
  redis_budget b(c, p);
  auto [ec, r] = co_await b.async_acquire("k", "o", scaled(1, 1), tup);
  CHECK(ec == errc::timeout);
  acc.close();
}

// The fair script's rule for a place freed earlier than announced: it goes to whoever comes,
// unless an older ticket is due now. Time is written into the log, not waited for: a 60 s
// span, the oldest grant moved back past it, and the queued ticket's announced time moved to
// now — so nothing depends on the test's speed.
asio::awaitable<void> freed_place_kept_for_due_ticket(std::uint16_t port) {
  auto ex = co_await asio::this_coro::executor;
  auto c = connect(ex, port);
  redis_budget b(c, patient());
  const auto l = scaled(2, 1000, 60000ms, 0ms);
  const auto grace = 1000ms;
  for (const char* t : {"A", "B"}) {
    const auto v_ = (co_await b.async_acquire_fair("fair-key", "fair-org", l, t, grace)).granted;
    REQUIRE(v_);
  }
  { const auto v_ = (co_await b.async_acquire_fair("fair-key", "fair-org", l, "C", grace)).granted; REQUIRE_FALSE(v_); }
  const auto k = b.keys("fair-key", "fair-org");
  const auto t = co_await c->async_exec(cmd("TIME"));
  REQUIRE(t.elements.size() == 2);
  const long long now = std::stoll(t.elements[0].str) * 1000000 + std::stoll(t.elements[1].str);
  const auto oldest = co_await c->async_exec(cmd("ZRANGE", k.key_log, "0", "0"));
  REQUIRE(oldest.elements.size() == 1);
  // The oldest grant aged out (one place free); C's announced time has come (due).
  co_await c->async_exec(cmd("ZADD", k.key_log, std::to_string(now - 61000000), oldest.elements[0].str));
  co_await c->async_exec(cmd("ZADD", k.key_log + ":q:dl", std::to_string(now + 1000000 - 1), "C"));
  // A newcomer does not take the place C waits for...
  { const auto v_ = (co_await b.async_acquire_fair("fair-key", "fair-org", l, "D", grace)).granted; CHECK_FALSE(v_); }
  // ...C does.
  { const auto v_ = (co_await b.async_acquire_fair("fair-key", "fair-org", l, "C", grace)).granted; CHECK(v_); }
}

} // namespace

TEST_CASE("fair script: a freed place is kept for an older ticket that is due, not taken by a newcomer") {
  redis_server srv;
  run(freed_place_kept_for_due_ticket(srv.port()));
}

TEST_CASE("never more than N grants in any window+margin, with 24 concurrent acquirers (10 per 500 ms)") {
  redis_server srv;
  run(many_acquirers(srv.port()));
}

TEST_CASE("an io_context run by 4 threads: 16 acquirers on 2 connections keep the bound") {
  redis_server srv;
  asio::io_context ioc;
  const auto l = scaled(10, 15);
  mt_state s;
  s.target = 40;
  std::vector<std::shared_ptr<redis_budget>> budgets;
  for (int i = 0; i < 2; ++i) budgets.push_back(std::make_shared<redis_budget>(connect(ioc.get_executor(), srv.port()), patient()));
  int left = 16;
  std::mutex left_mu;
  for (int i = 0; i < 16; ++i)
    asio::co_spawn(ioc, mt_acquirer(budgets[static_cast<std::size_t>(i % 2)], l, s), [&](std::exception_ptr e) {
      std::lock_guard lk(left_mu);
      if (e) s.failed = true;
      if (--left == 0) budgets.clear();  // the connections close: run() returns
    });
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  for (auto& t : threads) t.join();
  CHECK_FALSE(s.failed);
  REQUIRE(s.times.size() >= 40u);
  CHECK(min_gap_of_n(s.times, 10) >= std::chrono::microseconds(l.span()).count());
}

TEST_CASE("key and organisation budgets are granted together or not at all; release") {
  redis_server srv;
  run(all_or_nothing(srv.port()));
}

TEST_CASE("each log keeps the last N grants only") {
  redis_server srv;
  run(log_keeps_last_n(srv.port()));
}

TEST_CASE("a pause set by one process holds every process's grants until it ends") {
  redis_server srv;
  run(pause_honoured(srv.port()));
}

TEST_CASE("NOSCRIPT after SCRIPT FLUSH: the script is loaded again") {
  redis_server srv;
  run(noscript(srv.port()));
}

TEST_CASE("keys carry a TTL and contain neither the API key nor the organisation id") {
  redis_server srv;
  run(keys_ttl(srv.port()));
}

TEST_CASE("Redis down or stalled: acquire reports an error (bounded) for the caller's fallback") {
  run(down_fails_within_bound(free_port()));
  run(stalled_fails_within_bound());
}
