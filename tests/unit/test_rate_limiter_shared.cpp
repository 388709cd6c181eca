// The limiter with a shared budget, on a manual clock and a scripted in-process backend (a
// cleanlist::shared_budget whose answers the test chooses): which grant release() gives back,
// with no Redis and no sleeping. The backend's answers are posted (never inline), like Redis's.
#include <doctest/doctest.h>

#include <cleanlist/rate_limit.hpp>
#include <cleanlist/testing/manual_clock.hpp>

#include "engine/shared_budget.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
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
  std::vector<rate_limiter::time_point> at;
  std::vector<error_code> ec;
  explicit grants(std::size_t n) : at(n), ec(n, make_error_code(boost::system::errc::timed_out)) {}
  void start(rate_limiter& lim) {
    for (std::size_t i = 0; i < at.size(); ++i) lim.async_acquire(&at[i], [this, i](error_code e) { ec[i] = e; });
  }
};

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
