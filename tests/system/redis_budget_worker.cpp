// Helper of test_redis_processes: one OS process acquiring `count` grants on one shared key
// through Redis, waiting what Redis says between attempts. Prints one grant time (µs, Redis
// clock) per line. Usage: redis_budget_worker PORT KEY ORG COUNT PER_KEY WINDOW_MS MARGIN_MS
#include "redis/connection.hpp"
#include "redis/redis_budget.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace cleanlist::redis;

static asio::awaitable<void> work(std::uint16_t port, std::string key, std::string org, int count, budget_limits l,
                                  std::vector<std::int64_t>& out) {
  auto ex = co_await asio::this_coro::executor;
  connection_config cfg;
  cfg.url = *parse_url("redis://127.0.0.1:" + std::to_string(port));
  auto c = std::make_shared<connection>(ex, cfg);
  redis_budget_params p;
  p.op_timeout = std::chrono::milliseconds(2000);  // a loaded test machine: be patient
  redis_budget b(c, p);
  asio::steady_timer t(ex);
  while (static_cast<int>(out.size()) < count) {
    acquire_result r = co_await b.async_acquire(key, org, l);
    if (r.granted) {
      out.push_back(r.grant.granted_at_us);
    } else {
      t.expires_after(r.wait);
      co_await t.async_wait(asio::use_awaitable);
    }
  }
}

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: %s PORT KEY ORG COUNT PER_KEY WINDOW_MS MARGIN_MS\n", argv[0]);
    return 2;
  }
  budget_limits l;
  l.per_key = std::atoi(argv[5]);
  l.per_org = 1000000;
  l.window = std::chrono::milliseconds(std::atoi(argv[6]));
  l.margin = std::chrono::milliseconds(std::atoi(argv[7]));
  std::vector<std::int64_t> out;
  asio::io_context ioc;
  std::exception_ptr ep;
  asio::co_spawn(ioc, work(static_cast<std::uint16_t>(std::atoi(argv[1])), argv[2], argv[3], std::atoi(argv[4]), l, out),
                 [&](std::exception_ptr e) { ep = e; });
  ioc.run();
  for (auto t : out) std::printf("%lld\n", static_cast<long long>(t));
  if (ep) {
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "worker failed: %s\n", e.what());
    }
    return 1;
  }
  return 0;
}
