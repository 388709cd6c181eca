// redis::connection against real redis-servers started by the test (and one fake server that
// accepts and never answers): pipelining order, deadlines, reconnect, AUTH, SELECT.
#include "redis_test_support.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <doctest/doctest.h>

using namespace cleanlist::redis;
using namespace cleanlist::redis::test;
using namespace std::chrono_literals;
using boost::system::error_code;
namespace asio = boost::asio;

namespace {

constexpr auto tup = asio::as_tuple(asio::use_awaitable);

asio::awaitable<void> pipelining(std::uint16_t port) {
  auto ex = co_await asio::this_coro::executor;
  connection c(ex, config_for("redis://127.0.0.1:" + std::to_string(port)));
  // 300 commands issued back to back (no await in between): they share the connection's
  // write buffer and the replies come back in issue order.
  constexpr int n = 300;
  std::vector<long long> order;
  int completed = 0;
  std::vector<error_code> errors;
  for (int i = 0; i < n; ++i) {
    c.async_exec(cmd("RPUSH", "pipe", std::to_string(i)), [&, i](error_code ec, reply r) {
      if (ec) errors.push_back(ec);
      // RPUSH returns the list length: i + 1 iff the commands ran in issue order
      order.push_back(r.integer - 1 == i ? i : -1);
      ++completed;
    });
  }
  reply all = co_await c.async_exec(cmd("LRANGE", "pipe", "0", "-1"));
  CHECK(completed == n);  // the LRANGE reply came after all earlier ones
  CHECK(errors.empty());
  REQUIRE(order.size() == n);
  for (int i = 0; i < n; ++i) CHECK(order[i] == i);
  REQUIRE(all.elements.size() == n);
  for (int i = 0; i < n; ++i) CHECK(all.elements[i].str == std::to_string(i));
  CHECK(c.stats().connects == 1);
  // an error reply is a reply, not a failure of the command
  auto [ec, r] = co_await c.async_exec(cmd("INCR", "pipe"), tup);
  CHECK_FALSE(ec);
  CHECK(r.is_error("WRONGTYPE"));
}

// A "server" that accepts and never answers.
asio::awaitable<void> stalled_server() {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::acceptor acc(ex, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = acc.local_endpoint().port();
  std::vector<asio::ip::tcp::socket> accepted;
  connection_config cfg = config_for("redis://127.0.0.1:" + std::to_string(port));
  cfg.command_timeout = 200ms;
  auto c = std::make_shared<connection>(ex, cfg);
  // accept whatever comes (the first connection and the reconnection after the timeout)
  acc.async_accept([&](error_code ec, asio::ip::tcp::socket s) {
    if (!ec) accepted.push_back(std::move(s));
  });
  auto [ec1, r1] = co_await c->async_exec(cmd("PING"), tup);
  CHECK(ec1 == errc::timeout);
  auto [ec2, r2] = co_await c->async_exec(cmd("PING"), 100ms, tup);
  CHECK(ec2 == errc::timeout);
  CHECK(c->stats().timeouts == 2);
  c->close();
  auto [ec3, r3] = co_await c->async_exec(cmd("PING"), tup);
  CHECK(ec3 == errc::closed);
  acc.close();
  CHECK(accepted.size() >= 1);
}

// A "server" that accepts and closes at once, counting connections.
asio::awaitable<void> accept_and_close(asio::ip::tcp::acceptor& acc, int& accepted) {
  for (;;) {
    auto [ec, sock] = co_await acc.async_accept(tup);
    if (ec) co_return;
    ++accepted;
    error_code ignored;
    sock.close(ignored);
  }
}

asio::awaitable<void> dropped_at_once() {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::acceptor acc(ex, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  int accepted = 0;
  asio::co_spawn(ex, accept_and_close(acc, accepted), asio::detached);
  connection_config cfg = config_for("redis://127.0.0.1:" + std::to_string(acc.local_endpoint().port()));
  cfg.backoff.initial = 50ms;
  cfg.backoff.max = 2000ms;
  {
    connection c(ex, cfg);
    c.start();
    co_await sleep_for(500ms);  // the observation window
  }
  acc.close();
  // With backoff after sessions that served nothing: 50, 100, 200 ms (-25 % jitter) ... so a
  // handful of connections in 500 ms; a reconnect loop at full speed would make thousands.
  MESSAGE("connections in 500 ms to a server that closes at once: " << accepted);
  CHECK(accepted >= 1);
  CHECK(accepted <= 10);
}

asio::awaitable<void> reconnect(redis_server& srv) {
  auto ex = co_await asio::this_coro::executor;
  connection_config cfg = config_for(srv.url());
  cfg.backoff.initial = 10ms;
  cfg.backoff.max = 100ms;
  connection c(ex, cfg);
  reply r = co_await c.async_exec(cmd("SET", "k", "before"));
  CHECK(r.str == "OK");
  srv.stop(SIGKILL);  // crash
  auto [ec, r2] = co_await c.async_exec(cmd("GET", "k"), tup);
  CHECK(ec);  // connection_lost, or not_connected / refused once the loss was seen
  MESSAGE("after the kill: " << ec.message());
  srv.start();  // same port, empty data set
  int failures = 0;
  for (;;) {
    auto [ec3, r3] = co_await c.async_exec(cmd("GET", "k"), tup);
    if (!ec3) {
      CHECK(r3.type == reply::kind::nil);  // a new server: the old data is gone
      break;
    }
    ++failures;
    REQUIRE(failures < 1000);
    co_await sleep_for(10ms);
  }
  CHECK(c.stats().connects >= 2);
  CHECK(c.stats().connected);
}

asio::awaitable<void> auth_ok(std::string url) {
  auto ex = co_await asio::this_coro::executor;
  connection c(ex, config_for(url));
  reply r = co_await c.async_exec(cmd("SET", "a", "1"));
  CHECK(r.str == "OK");
  r = co_await c.async_exec(cmd("ACL", "WHOAMI"));
  MESSAGE("whoami: " << r.str);
}

asio::awaitable<void> auth_refused(std::string url, std::string password) {
  auto ex = co_await asio::this_coro::executor;
  connection c(ex, config_for(url));
  auto [ec, r] = co_await c.async_exec(cmd("PING"), tup);
  CHECK(ec == errc::auth_failed);
  CHECK(ec.message().find(password) == std::string::npos);
  CHECK(c.url().redacted().find(password) == std::string::npos);
  // while down, commands fail at once (fail fast) instead of queueing
  auto [ec2, r2] = co_await c.async_exec(cmd("PING"), tup);
  CHECK((ec2 == errc::not_connected || ec2 == errc::auth_failed));
}

asio::awaitable<void> no_auth_given(std::string url) {
  auto ex = co_await asio::this_coro::executor;
  connection c(ex, config_for(url));
  auto [ec, r] = co_await c.async_exec(cmd("GET", "a"), tup);
  CHECK_FALSE(ec);
  CHECK(r.is_error("NOAUTH"));
}

asio::awaitable<void> select_db(std::string url) {
  auto ex = co_await asio::this_coro::executor;
  connection c3(ex, config_for(url + "/3"));
  connection c0(ex, config_for(url));
  co_await c3.async_exec(cmd("SET", "where", "three"));
  reply r0 = co_await c0.async_exec(cmd("GET", "where"));
  CHECK(r0.type == reply::kind::nil);
  reply r3 = co_await c3.async_exec(cmd("GET", "where"));
  CHECK(r3.str == "three");
  connection bad(ex, config_for(url + "/99"));
  auto [ec, r] = co_await bad.async_exec(cmd("PING"), tup);
  CHECK(ec == errc::select_failed);
}

asio::awaitable<void> refused(std::uint16_t port) {
  auto ex = co_await asio::this_coro::executor;
  connection c(ex, config_for("redis://127.0.0.1:" + std::to_string(port)));
  auto [ec, r] = co_await c.async_exec(cmd("PING"), tup);
  CHECK(ec == asio::error::connection_refused);
}

} // namespace

TEST_CASE("commands are pipelined on one connection and answered in FIFO order") {
  redis_server srv;
  run(pipelining(srv.port()));
}

TEST_CASE("deadline: a server that accepts and never answers fails each command with timeout") {
  run(stalled_server());
}

TEST_CASE("a server that closes every connection at once: reconnects back off") {
  run(dropped_at_once());
}

TEST_CASE("reconnect after redis-server is killed and restarted") {
  redis_server srv;
  run(reconnect(srv));
}

TEST_CASE("AUTH with a password; wrong or missing password") {
  redis_server srv({"--requirepass", "s3cret-pw"});
  run(auth_ok(srv.url(":s3cret-pw")));
  run(auth_refused(srv.url(":wrong-pw"), "wrong-pw"));
  run(no_auth_given(srv.url()));
}

TEST_CASE("AUTH with an ACL user and password") {
  redis_server srv({"--user", "budget", "on", ">user-pw", "~*", "&*", "+@all"});
  run(auth_ok(srv.url("budget:user-pw")));
  run(auth_refused(srv.url("budget:nope-pw"), "nope-pw"));
}

TEST_CASE("SELECT db from the URL") {
  redis_server srv;
  run(select_db(srv.url()));
}

TEST_CASE("connection refused is reported, not waited on") {
  run(refused(free_port()));
}
