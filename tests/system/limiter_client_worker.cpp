// Helper of test_redis_limiter_processes: one OS process with one cleanlist::client on the
// given key, `count` whoami calls issued at once (the limiter queues them), with or without
// the shared budget on Redis, after a warm-up call and a start barrier (fd 3: "ready"; EOF on
// stdin: "go"). Prints "OK ERR 429 T0 T1 REDIS_FAILURES ATTEMPTS RETRIES" (T0/T1: steady_clock ns of
// the first and the last completion; CLOCK_MONOTONIC is system-wide on Linux).
// Env (diagnostics): LIMITER_WORKER_TRACE=1 prints "done <ms>" per completion on stderr;
// LIMITER_WORKER_CONNECTIONS=n sets client_params::max_connections.
// Usage: limiter_client_worker BASE_URL CA_FILE KEY ORG REDIS_URL|- COUNT PER_KEY PER_ORG WINDOW_MS MARGIN_MS SHARE
#include <cleanlist/client.hpp>
#include <cleanlist/redis.hpp>

#include "engine/shared_budget.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 12) {
    std::fprintf(stderr, "usage: %s BASE_URL CA_FILE KEY ORG REDIS_URL|- COUNT PER_KEY PER_ORG WINDOW_MS MARGIN_MS SHARE\n",
                 argv[0]);
    return 2;
  }
  boost::asio::io_context ioc;
  cleanlist::client_params p;
  p.base_url = argv[1];
  if (std::string(argv[1]).rfind("https://", 0) == 0) p.tls.ca_file = argv[2];  // http: no TLS
  p.api_key = argv[3];
  p.organization_id = argv[4];
  const std::string redis_url = argv[5];
  const int count = std::atoi(argv[6]);
  p.rate_limit.per_key = std::atoi(argv[7]);
  p.rate_limit.per_org = std::atoi(argv[8]);
  p.rate_limit.window = std::chrono::milliseconds(std::atoi(argv[9]));
  p.rate_limit.margin = std::chrono::milliseconds(std::atoi(argv[10]));
  p.retry.max_attempts = 6;
  if (const char* conns = std::getenv("LIMITER_WORKER_CONNECTIONS")) p.max_connections = std::atoi(conns);
  p.overall_timeout = std::chrono::minutes(5);
  if (redis_url != "-") {
    cleanlist::shared_budget_options o;
    o.fallback_share = std::atof(argv[11]);
    o.op_timeout = std::chrono::milliseconds(250);
    p.shared_budget = cleanlist::make_redis_budget(ioc.get_executor(), redis_url, o);
  }
  int ok = 0, err = 0;
  auto c = std::make_unique<cleanlist::client>(ioc.get_executor(), p);
  {
    // Warm-up call (TLS to the simulator, Redis connect + SCRIPT LOAD), then a barrier: one
    // byte on fd 3 says "ready", EOF on stdin says "go" (all workers start together).
    bool warm = false;
    c->async_whoami([&](cleanlist::error_code ec, cleanlist::whoami_response) {
      warm = true;
      if (ec) std::fprintf(stderr, "warm-up call failed: %s\n", ec.message().c_str());
    });
    while (!warm && ioc.run_one() > 0) {
    }
    if (::write(3, "r", 1) != 1) return 3;
    char b = 0;
    while (::read(0, &b, 1) > 0) {
    }
  }
  std::int64_t t0 = 0;  // first completion: process start-up, TLS and Redis connects excluded
  int left = count;
  for (int i = 0; i < count; ++i)
    c->async_whoami([&](cleanlist::error_code ec, cleanlist::whoami_response) {
      if (t0 == 0) t0 = std::chrono::steady_clock::now().time_since_epoch().count();
      if (std::getenv("LIMITER_WORKER_TRACE"))
        std::fprintf(stderr, "done %lld\n", static_cast<long long>(std::chrono::steady_clock::now().time_since_epoch().count() / 1000000));
      (ec ? err : ok)++;
      if (ec) std::fprintf(stderr, "call failed: %s\n", ec.message().c_str());
      --left;
    });
  while (left > 0 && ioc.run_one() > 0) {
  }
  const std::int64_t t1 = std::chrono::steady_clock::now().time_since_epoch().count();
  const std::uint64_t rl429 = c->stats().rate_limited_429, attempts = c->stats().requests,
                      retries = c->stats().retries;
  const std::uint64_t failures = p.shared_budget ? p.shared_budget->failures() : 0;
  c.reset();
  p.shared_budget.reset();  // closes the Redis connection
  ioc.poll();
  std::printf("%d %d %llu %lld %lld %llu %llu %llu\n", ok, err, static_cast<unsigned long long>(rl429), static_cast<long long>(t0),
              static_cast<long long>(t1), static_cast<unsigned long long>(failures), static_cast<unsigned long long>(attempts),
              static_cast<unsigned long long>(retries));
  return 0;
}
