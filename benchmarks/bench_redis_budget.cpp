// Shared budget on Redis: acquisitions per second and p50/p99 round-trip latency of one
// acquire, from one process and from four, against a baseline single-key GCRA script in the
// style of go-redis/redis_rate (one GET + SET of a "theoretical arrival time"), same run,
// same redis-server (started here: 127.0.0.1, ephemeral port, no persistence).
//
//   bench_redis_budget [seconds per row = 2] [in flight per process = 32]
//
// "server us" is Redis's own cost of one EVALSHA (INFO commandstats usec_per_call): the part
// of the difference that is the script, the rest being client CPU on a shared machine.
//
// Rows: "grant path" limits are so high that every acquire is granted (the sliding log then
// holds one window of grants: the cost of ZREMRANGEBYSCORE/ZADD at that size is included);
// "at budget" uses the real limits (30/key, 60/org per 60 s): after 30 grants every call is a
// refusal with the wait (the steady state of a busy client). "key only" rows turn the
// organisation budget off (one ZSET + the pause keys), the closest to GCRA's single key.
#include "redis/budget_logic.hpp"
#include "redis/connection.hpp"
#include "redis/redis_budget.hpp"
#include "redis_test_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace asio = boost::asio;
using namespace cleanlist::redis;
using clock_type = std::chrono::steady_clock;

namespace {

// go-redis/redis_rate's allowN (GCRA, after rwz/redis-gcra), re-written: one key, TIME from
// Redis, TTL on the key.
const std::string gcra_script = R"lua(
local key = KEYS[1]
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local emission_interval = period / rate
local increment = emission_interval * cost
local burst_offset = emission_interval * burst
local jan_1_2017 = 1483228800
local now = redis.call("TIME")
now = (now[1] - jan_1_2017) + (now[2] / 1000000)
local tat = redis.call("GET", key)
if not tat then tat = now else tat = tonumber(tat) end
tat = math.max(tat, now)
local new_tat = tat + increment
local allow_at = new_tat - burst_offset
local diff = now - allow_at
local remaining = diff / emission_interval
if remaining < 0 then
  return {0, 0, tostring(diff * -1), tostring(tat - now)}
end
local reset_after = new_tat - now
if reset_after > 0 then
  redis.call("SET", key, new_tat, "EX", math.ceil(reset_after))
end
return {cost, remaining, "-1", tostring(reset_after)}
)lua";

enum class algo { sliding_log, gcra };

struct sample {
  std::uint64_t calls = 0, grants = 0, errors = 0;
  std::vector<std::uint32_t> lat_us;
};

struct load {
  std::uint16_t port;
  algo a;
  budget_limits limits;
  clock_type::time_point end;
};

asio::awaitable<void> worker_sliding(redis_budget& b, load l, sample& s) {
  while (clock_type::now() < l.end) {
    const auto t0 = clock_type::now();
    auto [ec, r] = co_await b.async_acquire("cl_live_bench_key", "bench_org", l.limits,
                                            asio::as_tuple(asio::use_awaitable));
    const auto t1 = clock_type::now();
    ++s.calls;
    if (ec) ++s.errors;
    else if (r.granted) ++s.grants;
    s.lat_us.push_back(static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()));
  }
}

asio::awaitable<void> worker_gcra(connection& c, std::string sha, load l, sample& s) {
  // redis_rate's Limit{Rate, Burst, Period}: the same per-key rate as the sliding log
  const std::string burst = std::to_string(l.limits.per_key), rate = std::to_string(l.limits.per_key),
                    period = std::to_string(std::chrono::duration<double>(l.limits.window).count());
  while (clock_type::now() < l.end) {
    const auto t0 = clock_type::now();
    auto args = cleanlist::redis::test::cmd("EVALSHA", sha, "1", "bench:gcra:key", burst, rate, period, "1");
    auto [ec, r] = co_await c.async_exec(std::move(args), asio::as_tuple(asio::use_awaitable));
    const auto t1 = clock_type::now();
    ++s.calls;
    if (ec || r.is_error() || r.elements.empty()) ++s.errors;
    else if (r.elements[0].integer > 0) ++s.grants;
    s.lat_us.push_back(static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()));
  }
}

asio::awaitable<void> drive(load l, int in_flight, sample& s) {
  auto ex = co_await asio::this_coro::executor;
  connection_config cfg;
  cfg.url = *parse_url("redis://127.0.0.1:" + std::to_string(l.port));
  cfg.command_timeout = std::chrono::milliseconds(5000);
  auto c = std::make_shared<connection>(ex, cfg);
  redis_budget_params p;
  p.op_timeout = std::chrono::milliseconds(5000);
  redis_budget b(c, p);
  std::string sha;
  if (l.a == algo::gcra) {
    auto load_cmd = cleanlist::redis::test::cmd("SCRIPT", "LOAD", gcra_script);
    sha = (co_await c->async_exec(std::move(load_cmd))).str;
  } else {
    auto r = co_await b.async_acquire("warm-up", "warm-up", l.limits);  // loads the script
    (void)r;
  }
  int left = in_flight;
  for (int i = 0; i < in_flight; ++i) {
    auto done = [&left](std::exception_ptr) { --left; };
    if (l.a == algo::gcra) asio::co_spawn(ex, worker_gcra(*c, sha, l, s), done);
    else asio::co_spawn(ex, worker_sliding(b, l, s), done);
  }
  while (left > 0) co_await cleanlist::redis::test::sleep_for(std::chrono::milliseconds(10));
  c->close();
}

asio::awaitable<void> flush_all(std::uint16_t port) {
  auto ex = co_await asio::this_coro::executor;
  connection_config cfg;
  cfg.url = *parse_url("redis://127.0.0.1:" + std::to_string(port));
  connection c(ex, cfg);
  auto args = cleanlist::redis::test::cmd("FLUSHALL");
  co_await c.async_exec(std::move(args));
  auto reset = cleanlist::redis::test::cmd("CONFIG", "RESETSTAT");
  co_await c.async_exec(std::move(reset));
}

// Server-side cost of one EVALSHA (µs, Redis's INFO commandstats) since the last RESETSTAT.
asio::awaitable<void> server_usec_per_call(std::uint16_t port, double& out) {
  auto ex = co_await asio::this_coro::executor;
  connection_config cfg;
  cfg.url = *parse_url("redis://127.0.0.1:" + std::to_string(port));
  connection c(ex, cfg);
  auto args = cleanlist::redis::test::cmd("INFO", "commandstats");
  const reply r = co_await c.async_exec(std::move(args));
  const auto at = r.str.find("cmdstat_evalsha:");
  if (at == std::string::npos) co_return;
  const auto u = r.str.find("usec_per_call=", at);
  if (u != std::string::npos) out = std::atof(r.str.c_str() + u + 14);
}

sample run_one(const load& l, int in_flight) {
  sample s;
  asio::io_context ioc;
  asio::co_spawn(ioc, drive(l, in_flight, s), asio::detached);
  ioc.run();
  return s;
}

// Runs `procs` processes (fork) with `in_flight` acquirers each; merges their samples.
sample run_procs(load l, int procs, int in_flight) {
  if (procs == 1) return run_one(l, in_flight);
  std::vector<std::pair<pid_t, int>> kids;
  for (int i = 0; i < procs; ++i) {
    int fds[2];
    if (::pipe(fds) != 0) std::abort();
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      sample s = run_one(l, in_flight);
      std::uint64_t head[3] = {s.calls, s.grants, s.errors};
      std::uint64_t n = s.lat_us.size();
      auto write_all = [&](const void* p, std::size_t len) {
        const char* c = static_cast<const char*>(p);
        while (len > 0) {
          const ssize_t w = ::write(fds[1], c, len);
          if (w <= 0) ::_exit(3);
          c += w;
          len -= static_cast<std::size_t>(w);
        }
      };
      write_all(head, sizeof head);
      write_all(&n, sizeof n);
      write_all(s.lat_us.data(), n * sizeof(std::uint32_t));
      ::_exit(0);
    }
    ::close(fds[1]);
    kids.emplace_back(pid, fds[0]);
  }
  sample total;
  for (auto [pid, fd] : kids) {
    auto read_all = [fd = fd](void* p, std::size_t len) {
      char* c = static_cast<char*>(p);
      while (len > 0) {
        const ssize_t r = ::read(fd, c, len);
        if (r <= 0) return false;
        c += r;
        len -= static_cast<std::size_t>(r);
      }
      return true;
    };
    std::uint64_t head[3] = {}, n = 0;
    if (read_all(head, sizeof head) && read_all(&n, sizeof n)) {
      const std::size_t at = total.lat_us.size();
      total.lat_us.resize(at + n);
      if (!read_all(total.lat_us.data() + at, n * sizeof(std::uint32_t))) total.lat_us.resize(at);
      total.calls += head[0];
      total.grants += head[1];
      total.errors += head[2];
    }
    ::close(fd);
    int st = 0;
    ::waitpid(pid, &st, 0);
  }
  return total;
}

double pct(std::vector<std::uint32_t>& v, double p) {
  if (v.empty()) return 0;
  const std::size_t k = std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k] / 1000.0;
}

} // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  const int in_flight = argc > 2 ? std::atoi(argv[2]) : 32;
  cleanlist::redis::test::redis_server srv;
  std::printf("redis-server 127.0.0.1:%u, %.1f s per row\n", srv.port(), seconds);
  std::printf("%-34s %5s %9s %10s %10s %9s %9s %10s %6s\n", "script / limits", "procs", "in flight", "calls/s",
              "grants/s", "p50 ms", "p99 ms", "server us", "errors");

  budget_limits open;  // every call granted: 10^9 per 1 s window
  open.per_key = 1000000000;
  open.per_org = 1000000000;
  open.window = std::chrono::milliseconds(1000);
  open.margin = std::chrono::milliseconds(0);
  const budget_limits real{};  // 30 / key, 60 / org per 60 s (+100 ms)
  budget_limits open_key_only = open, real_key_only = real;  // no organisation budget: one ZSET, like GCRA's one key
  open_key_only.per_org = 0;
  real_key_only.per_org = 0;

  struct row {
    const char* name;
    algo a;
    budget_limits limits;
    int procs, in_flight;
  };
  const std::vector<row> rows{
      {"sliding log (ours), grant path", algo::sliding_log, open, 1, 1},
      {"GCRA (redis_rate), grant path", algo::gcra, open, 1, 1},
      {"sliding log (ours), grant path", algo::sliding_log, open, 1, in_flight},
      {"GCRA (redis_rate), grant path", algo::gcra, open, 1, in_flight},
      {"sliding log, key only, grant path", algo::sliding_log, open_key_only, 1, in_flight},
      {"sliding log (ours), grant path", algo::sliding_log, open, 4, in_flight},
      {"GCRA (redis_rate), grant path", algo::gcra, open, 4, in_flight},
      {"sliding log (ours), at budget", algo::sliding_log, real, 1, in_flight},
      {"GCRA (redis_rate), at budget", algo::gcra, real, 1, in_flight},
      {"sliding log, key only, at budget", algo::sliding_log, real_key_only, 1, in_flight},
      {"sliding log (ours), at budget", algo::sliding_log, real, 4, in_flight},
      {"GCRA (redis_rate), at budget", algo::gcra, real, 4, in_flight},
  };
  for (const auto& r : rows) {
    {
      // a fresh data set per row
      asio::io_context ioc;
      asio::co_spawn(ioc, flush_all(srv.port()), asio::detached);
      ioc.run();
    }
    const auto start = clock_type::now();
    load l{srv.port(), r.a, r.limits,
           start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(seconds))};
    sample s = run_procs(l, r.procs, r.in_flight);
    const double el = std::chrono::duration<double>(clock_type::now() - start).count();
    double server_us = 0;
    {
      asio::io_context ioc;
      asio::co_spawn(ioc, server_usec_per_call(srv.port(), server_us), asio::detached);
      ioc.run();
    }
    std::printf("%-34s %5d %9d %10.0f %10.0f %9.3f %9.3f %10.2f %6llu\n", r.name, r.procs, r.in_flight,
                static_cast<double>(s.calls) / el, static_cast<double>(s.grants) / el, pct(s.lat_us, 0.50),
                pct(s.lat_us, 0.99), server_us, static_cast<unsigned long long>(s.errors));
    std::fflush(stdout);
  }
  return 0;
}
