// The resolution cache of a transport (transport/resolver.hpp) with a fake resolver that
// answers when the test says so and testing::manual_clock for the TTL: coalescing, callers
// stopped while the resolution runs, late answers cached, TTL expiry, errors not cached.
// No sockets, no real waits.
#include <doctest/doctest.h>

#include "transport/resolver.hpp"

#include <cleanlist/testing/manual_clock.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;
using cleanlist::testing::manual_clock;
using cleanlist::transport::call_context;
using cleanlist::transport::resolve_cache;

namespace {

struct fake_resolver {
  std::vector<cleanlist::resolve_handler> pending;
  std::vector<std::string> asked;  // "host:port" per call

  cleanlist::resolver_function fn() {
    return [this](const std::string& host, std::uint16_t port, cleanlist::resolve_handler done) {
      asked.push_back(host + ":" + std::to_string(port));
      pending.push_back(std::move(done));
    };
  }
  void answer(boost::system::error_code ec = {}, std::uint16_t port = 8080) {
    auto p = std::move(pending);
    pending.clear();
    std::vector<asio::ip::tcp::endpoint> eps;
    if (!ec) eps.emplace_back(asio::ip::make_address("127.0.0.1"), port);
    for (auto& d : p) d(ec, eps);
  }
};

struct result {
  std::optional<boost::system::error_code> ec;
  resolve_cache::endpoints eps;
};

asio::awaitable<void> resolve_into(resolve_cache& c, std::string host, std::uint16_t port, call_context& cc,
                                   result& out) {
  auto [ec, eps] = co_await c.resolve(host, port, cc);
  out.eps = std::move(eps);
  out.ec = ec;
}

struct fixture {
  asio::io_context ioc;
  fake_resolver fake;
  std::shared_ptr<resolve_cache> cache =
      std::make_shared<resolve_cache>(ioc.get_executor(), fake.fn(), 30s, &manual_clock::now);

  void start(const std::string& host, call_context& cc, result& out, std::uint16_t port = 443) {
    asio::co_spawn(ioc, resolve_into(*cache, host, port, cc, out), asio::detached);
    poll();
  }
  /// Runs what is ready (restart: an io_context that ran out of work stays stopped otherwise).
  void poll() {
    ioc.restart();
    ioc.poll();
  }
};

} // namespace

TEST_CASE("resolver cache: concurrent resolutions of one host are one; its answer serves all, then the cache") {
  fixture f;
  call_context c1, c2, c3;
  result r1, r2, r3;
  f.start("api.example.test", c1, r1);
  f.start("api.example.test", c2, r2);
  CHECK(f.fake.asked.size() == 1);
  CHECK_FALSE(r1.ec);
  CHECK_FALSE(r2.ec);
  f.fake.answer();
  f.poll();
  REQUIRE(r1.ec);
  REQUIRE(r2.ec);
  CHECK_FALSE(*r1.ec);
  CHECK_FALSE(*r2.ec);
  CHECK(r1.eps.size() == 1);
  CHECK(r2.eps == r1.eps);
  f.start("api.example.test", c3, r3);  // fresh: no resolver call, no wait
  REQUIRE(r3.ec);
  CHECK_FALSE(*r3.ec);
  CHECK(r3.eps == r1.eps);
  CHECK(f.fake.asked.size() == 1);
  CHECK(f.cache->resolutions() == 1);
  // Another port is another entry.
  call_context c4;
  result r4;
  f.start("api.example.test", c4, r4, 8443);
  CHECK(f.fake.asked.size() == 2);
  CHECK(f.fake.asked.back() == "api.example.test:8443");
  f.fake.answer();
  f.poll();
  CHECK(r4.ec);
}

TEST_CASE("resolver cache: a stopped caller ends at once; the late answer fills the cache") {
  fixture f;
  call_context stopped, waiting;
  result rs, rw;
  f.start("api.example.test", stopped, rs);
  f.start("api.example.test", waiting, rw);
  stopped.timed_out = true;
  stopped.stop();
  f.poll();
  REQUIRE(rs.ec);
  CHECK(*rs.ec == asio::error::operation_aborted);
  CHECK_FALSE(rw.ec);  // the other caller still waits

  // An attempt deadline (attempt_expired) stops a caller too; so does being stopped already.
  call_context expired, already;
  result re, ra;
  f.start("api.example.test", expired, re);
  expired.attempt_expired = true;
  expired.stop();
  already.cancelled = true;
  f.start("api.example.test", already, ra);
  f.poll();
  REQUIRE(re.ec);
  CHECK(*re.ec == asio::error::operation_aborted);
  REQUIRE(ra.ec);
  CHECK(*ra.ec == asio::error::operation_aborted);
  CHECK(f.fake.asked.size() == 1);

  f.fake.answer();
  f.poll();
  REQUIRE(rw.ec);
  CHECK_FALSE(*rw.ec);
  // A stop emitted now reaches nothing (the waits completed, their slots were cleared).
  stopped.stop();
  expired.stop();

  call_context later;
  result rl;
  f.start("api.example.test", later, rl);
  REQUIRE(rl.ec);
  CHECK_FALSE(*rl.ec);
  CHECK(f.fake.asked.size() == 1);
}

TEST_CASE("resolver cache: the answer expires after the TTL and is resolved again") {
  fixture f;
  call_context c1, c2, c3;
  result r1, r2, r3;
  f.start("api.example.test", c1, r1);
  f.fake.answer(boost::system::error_code{}, 1111);
  f.poll();
  REQUIRE(r1.ec);

  manual_clock::advance(30s - 1ms);
  f.start("api.example.test", c2, r2);
  REQUIRE(r2.ec);  // still fresh
  CHECK(f.fake.asked.size() == 1);

  manual_clock::advance(1ms);
  f.start("api.example.test", c3, r3);
  CHECK(f.fake.asked.size() == 2);  // expired: resolved again
  CHECK_FALSE(r3.ec);
  f.fake.answer(boost::system::error_code{}, 2222);
  f.poll();
  REQUIRE(r3.ec);
  CHECK_FALSE(*r3.ec);
  REQUIRE(r3.eps.size() == 1);
  CHECK(r3.eps.front().port() == 2222);  // the new answer, not the expired one
}

TEST_CASE("resolver cache: errors reach every waiter and are not cached") {
  fixture f;
  call_context c1, c2, c3;
  result r1, r2, r3;
  f.start("nowhere.example.test", c1, r1);
  f.start("nowhere.example.test", c2, r2);
  f.fake.answer(asio::error::host_not_found);
  f.poll();
  REQUIRE(r1.ec);
  REQUIRE(r2.ec);
  CHECK(*r1.ec == asio::error::host_not_found);
  CHECK(*r2.ec == asio::error::host_not_found);
  f.start("nowhere.example.test", c3, r3);
  CHECK(f.fake.asked.size() == 2);
  f.fake.answer();
  f.poll();
  REQUIRE(r3.ec);
  CHECK_FALSE(*r3.ec);
}

TEST_CASE("resolver cache: an answer arriving after the cache is gone is dropped") {
  asio::io_context ioc;
  fake_resolver fake;
  {
    auto cache = std::make_shared<resolve_cache>(ioc.get_executor(), fake.fn(), 30s, &manual_clock::now);
    call_context cc;
    result r;
    asio::co_spawn(ioc, resolve_into(*cache, "api.example.test", 443, cc, r), asio::detached);
    ioc.poll();
    cc.stop();
    ioc.restart();
    ioc.poll();
    REQUIRE(r.ec);
  }
  fake.answer();
  ioc.restart();
  ioc.poll();  // posted, finds no cache: nothing happens
  CHECK(fake.pending.empty());
}
