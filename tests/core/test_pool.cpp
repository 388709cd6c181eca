// The pool's waiters: FIFO hand-off of released connections and freed slots, no lost
// wake-up when a waiter is stopped in the strand turn it is served, no new request taking a
// connection ahead of a parked waiter. Real loopback connections to a listener of the test
// (they are never written to); the io_context is single-threaded, so it is the strand, and
// "the same strand turn" is the test body between two polls. No sleeps, no timed assertions:
// loops are bounded by iteration counts only.
#include <doctest/doctest.h>

#include "protocol/url.hpp"
#include "transport/pool.hpp"

#include <cleanlist/error.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using cleanlist::transport::call_context;
using cleanlist::transport::connection;
using cleanlist::transport::pool;

namespace {

struct loopback {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::vector<std::unique_ptr<tcp::socket>> peers;  // accepted and held open, silent
  cleanlist::transport::endpoint ep;

  loopback() {
    ep.url = cleanlist::protocol::parse_base_url_or_throw("http://127.0.0.1:" +
                                                          std::to_string(acceptor.local_endpoint().port()) + "/api");
    accept();
  }
  void accept() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;
      peers.push_back(std::make_unique<tcp::socket>(std::move(s)));
      accept();
    });
  }
  /// Runs handlers until `done()` (bounded: a broken pool fails the check after, it does not hang).
  bool pump(const std::function<bool()>& done) {
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!done() && std::chrono::steady_clock::now() < limit) ioc.run_one_for(std::chrono::milliseconds(10));
    return done();
  }
};

struct outcome {
  std::optional<boost::system::error_code> ec;
  std::unique_ptr<connection> conn;
  int order = 0;  // completion order among the test's acquires
};

asio::awaitable<void> acquire_into(pool& p, const cleanlist::transport::endpoint& ep, call_context& cc, outcome& out,
                                   int& counter) {
  auto l = co_await p.acquire(ep, cc);
  out.conn = std::move(l.conn);
  out.order = ++counter;
  out.ec = l.ec;
}

} // namespace

TEST_CASE("pool: a waiter stopped in the turn it is served passes the connection on (no lost wake-up)") {
  loopback lb;
  pool p(lb.ioc.get_executor(), lb.ioc.get_executor(), 1);
  int counter = 0;
  call_context cca, ccb, ccc;
  outcome a, b, c;
  asio::co_spawn(lb.ioc, acquire_into(p, lb.ep, cca, a, counter), asio::detached);
  REQUIRE(lb.pump([&] { return a.ec.has_value(); }));
  REQUIRE_FALSE(*a.ec);
  asio::co_spawn(lb.ioc, acquire_into(p, lb.ep, ccb, b, counter), asio::detached);
  asio::co_spawn(lb.ioc, acquire_into(p, lb.ep, ccc, c, counter), asio::detached);
  REQUIRE(lb.pump([&] { return p.waiters() == 2; }));

  // One strand turn: the connection comes back, and the head waiter's call is cancelled.
  p.release(std::move(a.conn));
  ccb.cancelled = true;
  ccb.stop();

  const bool served = lb.pump([&] { return b.ec && c.ec; });
  CHECK(served);  // before the fix: c stayed parked beside the idle connection
  REQUIRE(b.ec.has_value());
  CHECK(*b.ec == asio::error::operation_aborted);
  REQUIRE(c.ec.has_value());
  CHECK_FALSE(*c.ec);
  CHECK(c.conn != nullptr);
  CHECK(p.connections_created() == 1);  // c got the released connection, not a new one
  CHECK(p.open_connections() == 1);
  if (!served) {  // leave nothing parked
    ccc.cancelled = true;
    ccc.stop();
    lb.pump([&] { return c.ec.has_value(); });
  }
}

TEST_CASE("pool: new requests do not take a released connection ahead of a parked waiter") {
  loopback lb;
  pool p(lb.ioc.get_executor(), lb.ioc.get_executor(), 1);
  int counter = 0;
  call_context cca, ccw, ccx, ccy;
  outcome a, w, x, y;
  asio::co_spawn(lb.ioc, acquire_into(p, lb.ep, cca, a, counter), asio::detached);
  REQUIRE(lb.pump([&] { return a.ec.has_value(); }));
  REQUIRE_FALSE(*a.ec);
  asio::co_spawn(lb.ioc, acquire_into(p, lb.ep, ccw, w, counter), asio::detached);
  REQUIRE(lb.pump([&] { return p.waiters() == 1; }));

  // One strand turn: a burst of new requests around the release. x was started before the
  // release (it runs after it); the fast path is tried right after it, as execute() does.
  asio::co_spawn(lb.ioc, acquire_into(p, lb.ep, ccx, x, counter), asio::detached);
  p.release(std::move(a.conn));
  auto stolen = p.try_take_idle();
  CHECK(stolen == nullptr);  // before the fix: the new request took it, the waiter starved
  if (stolen) p.release(std::move(stolen));
  asio::co_spawn(lb.ioc, acquire_into(p, lb.ep, ccy, y, counter), asio::detached);

  REQUIRE(lb.pump([&] { return w.ec.has_value() && p.waiters() == 2; }));
  CHECK_FALSE(*w.ec);
  CHECK(w.order == a.order + 1);  // the parked waiter was served first
  CHECK(w.conn != nullptr);
  CHECK_FALSE(x.ec.has_value());
  CHECK_FALSE(y.ec.has_value());

  // Then in arrival order, each on the one connection.
  p.release(std::move(w.conn));
  CHECK(p.try_take_idle() == nullptr);
  REQUIRE(lb.pump([&] { return x.ec.has_value(); }));
  CHECK_FALSE(*x.ec);
  CHECK(x.order == a.order + 2);
  CHECK_FALSE(y.ec.has_value());
  p.release(std::move(x.conn));
  REQUIRE(lb.pump([&] { return y.ec.has_value(); }));
  CHECK_FALSE(*y.ec);
  CHECK(y.order == a.order + 3);
  CHECK(p.connections_created() == 1);
  p.release(std::move(y.conn));
  CHECK(p.idle_connections() == 1);
  CHECK(p.try_take_idle() != nullptr);  // nobody waits: the fast path works again
}

TEST_CASE("pool: a freed slot goes to the head waiter; a stopped head passes it on; shutdown wakes the rest") {
  loopback lb;
  pool p(lb.ioc.get_executor(), lb.ioc.get_executor(), 1);
  int counter = 0;
  call_context cca, ccb, ccc, ccd;
  outcome a, b, c, d;
  asio::co_spawn(lb.ioc, acquire_into(p, lb.ep, cca, a, counter), asio::detached);
  REQUIRE(lb.pump([&] { return a.ec.has_value(); }));
  REQUIRE_FALSE(*a.ec);
  asio::co_spawn(lb.ioc, acquire_into(p, lb.ep, ccb, b, counter), asio::detached);
  asio::co_spawn(lb.ioc, acquire_into(p, lb.ep, ccc, c, counter), asio::detached);
  asio::co_spawn(lb.ioc, acquire_into(p, lb.ep, ccd, d, counter), asio::detached);
  REQUIRE(lb.pump([&] { return p.waiters() == 3; }));

  p.discard(std::move(a.conn));  // not reusable: its slot is handed over
  ccb.timed_out = true;
  ccb.stop();
  REQUIRE(lb.pump([&] { return b.ec && c.ec; }));
  CHECK(*b.ec == asio::error::operation_aborted);
  CHECK_FALSE(*c.ec);  // connected anew in the slot b passed on
  CHECK(p.connections_created() == 2);
  CHECK(p.open_connections() == 1);
  CHECK(p.waiters() == 1);

  p.shutdown();
  REQUIRE(lb.pump([&] { return d.ec.has_value(); }));
  CHECK(*d.ec == cleanlist::error::shutdown);
  p.release(std::move(c.conn));
  CHECK(p.open_connections() == 0);
}
