// The limiter with a shared budget, on a manual clock and a scripted in-process backend (a
// cleanlist::shared_budget whose answers the test chooses): which grant release() gives back,
// with no Redis and no sleeping. The backend's answers are posted (never inline), like Redis's.
#include <doctest/doctest.h>

#include <cleanlist/rate_limiter.hpp>
#include <cleanlist/testing/manual_clock.hpp>

#include "engine/shared_budget.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using clk = cleanlist::testing::manual_clock;
using rate_limiter = cleanlist::basic_rate_limiter<clk>;
using boost::system::error_code;

namespace {

/// Answers acquire() from a script (then grants with fresh tokens "g1", "g2", ...); records
/// the tokens given back.
class scripted_backend final : public cleanlist::shared_budget {
public:
  scripted_backend(boost::asio::any_io_executor ex, cleanlist::shared_budget_options o)
      : shared_budget(std::move(o)), ex_(std::move(ex)) {}

  void acquire(const std::string&, const std::string&, const cleanlist::rate_limit_params&, const std::string&,
               acquire_handler h) override {
    cleanlist::shared_acquire_result r;
    if (!script.empty()) {
      r = script.front();
      script.pop_front();
    } else {
      r.granted = true;
    }
    if (r.granted && !r.ec) r.token = "g" + std::to_string(++granted_);
    ++asked;
    auto hex = boost::asio::get_associated_executor(h, ex_);
    boost::asio::post(ex_, boost::asio::bind_executor(hex, [h = std::move(h), r = std::move(r)]() mutable {
                        std::move(h)(std::move(r));
                      }));
  }
  void release(const std::string&, const std::string&, std::string token) override { released.push_back(std::move(token)); }
  void pause(const std::string&, const std::string&, std::chrono::milliseconds) override {}

  std::deque<cleanlist::shared_acquire_result> script;
  std::vector<std::string> released;
  int asked = 0;

private:
  boost::asio::any_io_executor ex_;
  int granted_ = 0;
};

cleanlist::rate_limit_params params8() {
  cleanlist::rate_limit_params p;
  p.per_key = 8;
  p.per_org = 16;
  p.window = 1000ms;
  p.margin = 10ms;
  return p;
}

cleanlist::shared_budget_options opts() {
  cleanlist::shared_budget_options o;
  o.fallback_share = 0.5;
  o.probe_initial = 250ms;
  o.probe_max = 1000ms;
  return o;
}

void settle(boost::asio::io_context& ioc) {
  do ioc.restart();
  while (ioc.poll() != 0);
}

cleanlist::shared_acquire_result failure() {
  cleanlist::shared_acquire_result r;
  r.ec = make_error_code(boost::system::errc::connection_refused);
  return r;
}

struct grants {
  std::vector<rate_limiter::time_point> at;  // granted_at (the release key)
  std::vector<clk::time_point> done;         // manual time of the completion
  std::vector<error_code> ec;
  explicit grants(std::size_t n) : at(n), done(n), ec(n, make_error_code(boost::system::errc::timed_out)) {}
  void start(rate_limiter& lim, std::size_t from = 0, std::size_t to = SIZE_MAX) {
    for (std::size_t i = from; i < std::min(to, at.size()); ++i)
      lim.async_acquire(&at[i], [this, i](error_code e) {
        ec[i] = e;
        done[i] = clk::now();
      });
  }
  std::size_t completed() const {
    std::size_t n = 0;
    for (auto& e : ec) n += !e;
    return n;
  }
};

/// Advances the manual clock 1 ms at a time (settling each time) until `pred` or `limit`.
template <class Pred>
void run_until(boost::asio::io_context& ioc, Pred pred, clk::duration limit = 30s) {
  const auto start = clk::now();
  settle(ioc);
  while (!pred()) {
    REQUIRE(clk::now() - start < limit);
    clk::advance(1ms);
    settle(ioc);
  }
}

} // namespace

TEST_CASE("shared budget: two shared grants in one clock tick are released one by one, each its own token") {
  boost::asio::io_context ioc;
  auto backend = std::make_shared<scripted_backend>(ioc.get_executor(), opts());
  rate_limiter lim(ioc.get_executor(), params8(), backend, "key", "org");
  grants g(2);
  g.start(lim);
  settle(ioc);  // the manual clock did not move: both grants are in the same tick
  REQUIRE(!g.ec[0]);
  REQUIRE(!g.ec[1]);
  CHECK(lim.stats().shared_grants == 2);
  CHECK(g.at[0] != g.at[1]);  // the time identifies the grant

  lim.release(g.at[1]);
  settle(ioc);
  CHECK(backend->released == std::vector<std::string>{"g2"});
  lim.release(g.at[0]);
  settle(ioc);
  CHECK(backend->released == std::vector<std::string>{"g2", "g1"});
  lim.release(g.at[0]);  // twice: nothing more to give back
  settle(ioc);
  CHECK(backend->released.size() == 2);
}

TEST_CASE("shared budget: a shared and a fallback grant in one tick; releasing the fallback one frees nothing in the backend") {
  boost::asio::io_context ioc;
  auto backend = std::make_shared<scripted_backend>(ioc.get_executor(), opts());
  backend->script.push_back({});  // granted (token g1)
  backend->script.front().granted = true;
  backend->script.push_back(failure());  // the next head falls back at once, same tick
  rate_limiter lim(ioc.get_executor(), params8(), backend, "key", "org");
  grants g(2);
  g.start(lim);
  settle(ioc);
  REQUIRE(!g.ec[0]);
  REQUIRE(!g.ec[1]);
  CHECK(lim.stats().shared_grants == 1);
  CHECK(lim.stats().fallback_grants == 1);
  CHECK(g.at[0] != g.at[1]);

  // The fallback grant's request did not go out: its slot comes back locally only; the shared
  // grant's request did go out, so Redis must keep counting it.
  lim.release(g.at[1]);
  settle(ioc);
  CHECK(backend->released.empty());
  lim.release(g.at[0]);
  settle(ioc);
  CHECK(backend->released == std::vector<std::string>{"g1"});
}

TEST_CASE("shared budget: a released fallback slot is free again in the same tick") {
  // fallback_share 0.5 of per_key 8: 4 local slots while the backend fails.
  boost::asio::io_context ioc;
  auto backend = std::make_shared<scripted_backend>(ioc.get_executor(), opts());
  backend->script.push_back(failure());
  rate_limiter lim(ioc.get_executor(), params8(), backend, "key", "org");
  grants g(5);
  g.start(lim);
  settle(ioc);
  CHECK(lim.stats().fallback_grants == 4);
  CHECK(lim.stats().waiting == 1);
  lim.release(g.at[2]);
  settle(ioc);
  CHECK(!g.ec[4]);  // the freed local slot went to the fifth waiter, no backend involved
  CHECK(lim.stats().fallback_grants == 5);
  CHECK(backend->released.empty());
  CHECK(backend->asked == 1);  // no probe before probe_initial
}

// The probe schedule is the backend's pure state (engine/shared_budget.hpp): plain time points.
TEST_CASE("shared budget: probes back off from probe_initial, doubling up to probe_max; a success resets them") {
  boost::asio::io_context ioc;
  auto o = opts();  // probe_initial 250 ms, probe_max 1000 ms
  scripted_backend b(ioc.get_executor(), o);
  const clk::time_point t0{std::chrono::hours(1)};
  CHECK(b.should_ask(t0));
  b.on_failure(t0);  // healthy -> failing: next probe after probe_initial
  CHECK(!b.healthy());
  CHECK(!b.should_ask(t0 + 249ms));
  CHECK(b.should_ask(t0 + 250ms));
  auto t = t0 + 250ms;
  for (auto expected : {500ms, 1000ms, 1000ms, 1000ms}) {  // doubling, capped at probe_max
    b.on_failure(t);
    CHECK(!b.should_ask(t + expected - 1ms));
    CHECK(b.should_ask(t + expected));
    t += expected;
  }
  b.on_success();
  CHECK(b.healthy());
  CHECK(b.should_ask(t));
  b.on_failure(t);  // a new failing period starts from probe_initial again
  CHECK(!b.should_ask(t + 249ms));
  CHECK(b.should_ask(t + 250ms));
  CHECK(b.failures() == 6);
}

TEST_CASE("shared budget: fallback while failing, then one window of both budgets after recovery, then shared only") {
  // per_key 8, fallback share 0.5: 4 local slots per span (1010 ms).
  boost::asio::io_context ioc;
  auto backend = std::make_shared<scripted_backend>(ioc.get_executor(), opts());
  backend->script.push_back(failure());  // Redis fails at t0; every later ask is granted
  rate_limiter lim(ioc.get_executor(), params8(), backend, "key", "org");
  const auto t0 = clk::now();
  grants g(13);
  g.start(lim, 0, 4);
  settle(ioc);
  // Entry: the head falls back at once, no wait for Redis; the local share (4) is granted.
  CHECK(g.completed() == 4);
  CHECK(lim.stats().fallback_grants == 4);
  CHECK(backend->asked == 1);
  // At t0 + 300 ms the probe is due (probe_initial 250 ms) and Redis would grant, but for one
  // span after the last fallback grant a grant also needs the local budget, which is full
  // until t0 + span: Redis is not asked before then.
  clk::advance(300ms);
  g.start(lim, 4, 5);
  run_until(ioc, [&] { return g.completed() == 5; });
  CHECK(g.done[4] - t0 == 1010ms);
  CHECK(backend->asked == 2);
  CHECK(lim.stats().shared_grants == 1);
  CHECK(backend->healthy());
  // Exit: a span after the last fallback grant, grants come from Redis alone — 8 in this
  // very tick, twice the local share.
  g.start(lim, 5, 13);
  settle(ioc);
  CHECK(g.completed() == 13);
  CHECK(lim.stats().shared_grants == 9);
  CHECK(lim.stats().fallback_grants == 4);
  for (std::size_t i = 5; i < 13; ++i) CHECK(g.done[i] == g.done[4]);
}
