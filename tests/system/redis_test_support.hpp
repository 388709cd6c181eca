#pragma once
// Test support for the Redis tests: a redis-server of the test's own (RAII) on 127.0.0.1
// and an ephemeral port, a coroutine runner, and an acquire-until-granted loop.
#include "redis/connection.hpp"
#include "redis/redis_budget.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace cleanlist::redis::test {

namespace asio = boost::asio;

/// A free TCP port on 127.0.0.1: bind port 0, read the port, close.
inline std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

/// True once something on 127.0.0.1:port answers a PING with any RESP reply (+PONG, or
/// -NOAUTH when a password is required). Blocking: called outside any io_context.
inline bool answers_ping(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  bool ok = false;
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const char ping[] = "PING\r\n";
    char buf[64];
    if (::write(fd, ping, sizeof ping - 1) == static_cast<ssize_t>(sizeof ping - 1)) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      ok = n > 0 && (buf[0] == '+' || buf[0] == '-');
    }
  }
  ::close(fd);
  return ok;
}

/// A redis-server child process: --port N --bind 127.0.0.1 --save '' --appendonly no plus
/// `extra` arguments. Started in the constructor (waits until it answers PING), killed in
/// the destructor.
class redis_server {
public:
  explicit redis_server(std::vector<std::string> extra = {}) : port_(free_port()), extra_(std::move(extra)) { start(); }
  ~redis_server() { stop(SIGKILL); }
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::string url(const std::string& userinfo = "") const {
    return "redis://" + (userinfo.empty() ? "" : userinfo + "@") + "127.0.0.1:" + std::to_string(port_);
  }

  /// Starts (again) on the same port.
  void start() {
    std::vector<std::string> args{"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                  "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
                                  "--dir", "/tmp"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    // Built before fork(): only async-signal-safe calls in the child before exec.
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
      const int devnull = ::open("/dev/null", O_WRONLY);
      if (devnull >= 0) {
        ::dup2(devnull, 1);
        ::dup2(devnull, 2);
      }
      ::execvp("redis-server", argv.data());
      ::_exit(127);
    }
    // Readiness poll of a child process (not a race being papered over): up to 10 s.
    for (int i = 0; i < 1000; ++i) {
      if (answers_ping(port_)) return;
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("redis-server exited at start");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop(SIGKILL);
    throw std::runtime_error("redis-server did not answer PING");
  }

  /// Kills the server (SIGKILL by default: a crash) and reaps it.
  void stop(int sig = SIGKILL) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
  }

private:
  std::uint16_t port_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
};

/// A command's arguments (g++ 12: no braced lists inside co_await expressions).
template <class... A>
std::vector<std::string> cmd(A&&... a) {
  std::vector<std::string> v;
  (v.emplace_back(std::forward<A>(a)), ...);
  return v;
}

/// Runs a coroutine on a fresh io_context until everything on it has finished; rethrows.
inline void run(asio::awaitable<void> a) {
  asio::io_context ioc;
  std::exception_ptr ep;
  bool done = false;
  asio::co_spawn(ioc, std::move(a), [&](std::exception_ptr e) {
    ep = e;
    done = true;
  });
  ioc.run();
  if (ep) std::rethrow_exception(ep);
  if (!done) throw std::runtime_error("coroutine did not finish");
}

/// A configuration for `url` with deadlines generous enough for a loaded machine or a
/// sanitizer build (tests of the deadlines set their own).
inline connection_config config_for(const std::string& url) {
  connection_config c;
  c.url = *parse_url(url);
  c.connect_timeout = std::chrono::milliseconds(5000);
  c.command_timeout = std::chrono::milliseconds(5000);
  return c;
}

inline asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

/// Acquires until granted, waiting the wait Redis reports between attempts. Returns the
/// grant; throws on a Redis error.
inline asio::awaitable<budget_grant> acquire_granted(redis_budget& b, std::string key, std::string org,
                                                     budget_limits l) {
  for (;;) {
    acquire_result r = co_await b.async_acquire(key, org, l);
    if (r.granted) co_return r.grant;
    co_await sleep_for(r.wait);
  }
}

/// The sliding-log property: every N+1 consecutive grants span at least `span_us`.
/// Returns the smallest t[i+N] - t[i] (INT64_MAX when fewer than N+1 grants).
inline std::int64_t min_gap_of_n(std::vector<std::int64_t> times, int n) {
  std::sort(times.begin(), times.end());
  std::int64_t m = INT64_MAX;
  for (std::size_t i = 0; i + n < times.size(); ++i) m = std::min(m, times[i + n] - times[i]);
  return m;
}

} // namespace cleanlist::redis::test
