// Cost per API request of the limiter's budget backend: the in-process budget (try_acquire,
// the path client_impl takes first) vs the shared budget on Redis (make_redis_budget: one
// EVALSHA round trip per grant, async_acquire), one process, limits high enough that every
// acquisition is granted (the grant path: the cost added to each API request). Starts its own
// redis-server (127.0.0.1, ephemeral port, no persistence).
//
//   bench_limiter_backend [grants = 20000]
#include "redis_test_support.hpp"

#include <cleanlist/rate_limiter.hpp>
#include <cleanlist/redis.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

cleanlist::rate_limit_params high() {
  cleanlist::rate_limit_params p;
  p.per_key = 1000000;
  p.per_org = 1000000;
  p.window = std::chrono::milliseconds(60000);
  return p;
}

void report(const char* name, std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  double sum = 0;
  for (double v : us) sum += v;
  std::printf("%-34s %8zu %10.2f %10.2f %10.2f\n", name, us.size(), sum / us.size(), us[us.size() / 2],
              us[us.size() * 99 / 100]);
}

asio::awaitable<void> remote_run(std::string url, int n, std::vector<double>& us, bool* ok) {
  auto ex = co_await asio::this_coro::executor;
  auto shared = cleanlist::make_redis_budget(ex, url);
  {
    cleanlist::rate_limiter l(ex, high(), shared, "bench-key", "bench-org");
    co_await l.async_acquire(asio::use_awaitable);  // connect + SCRIPT LOAD outside the figures
    for (int i = 0; i < n; ++i) {
      const auto t0 = clock_type::now();
      co_await l.async_acquire(asio::use_awaitable);
      us.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
    }
    *ok = l.stats().fallback_grants == 0;
  }
}

} // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 20000;
  std::printf("%-34s %8s %10s %10s %10s\n", "backend", "grants", "mean us", "p50 us", "p99 us");
  {
    asio::io_context ioc;
    cleanlist::rate_limiter l(ioc.get_executor(), high());
    std::vector<double> us;
    for (int i = 0; i < n; ++i) {
      const auto t0 = clock_type::now();
      if (!l.try_acquire()) return 1;
      us.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
    }
    report("in-process (try_acquire)", us);
  }
  {
    cleanlist::redis::test::redis_server srv;
    std::vector<double> us;
    bool ok = false;
    cleanlist::redis::test::run(remote_run(srv.url(), n, us, &ok));
    report("Redis (async_acquire, 1 in flight)", us);
    if (!ok) std::printf("(some grants came from the fallback: figures not valid)\n");
  }
  return 0;
}
