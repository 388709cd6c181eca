// Uses the installed cleanlist::redis component: make_redis_budget against a Redis that is not
// there (127.0.0.1:1, connection refused). Documented behaviour checked: a malformed URL throws
// std::invalid_argument; with Redis unreachable a grant comes at once from the local fallback
// budget (rate_limit.hpp, shared_budget), counted in the limiter's stats.
#include <cleanlist/rate_limiter.hpp>
#include <cleanlist/redis.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <iostream>
#include <stdexcept>

int main() {
  boost::asio::io_context ioc;
  try {
    cleanlist::make_redis_budget(ioc.get_executor(), "http://127.0.0.1:6379");
    std::cerr << "consumer_redis: a malformed URL was accepted\n";
    return 1;
  } catch (const std::invalid_argument&) {
  }
  cleanlist::shared_budget_options o;
  o.fallback_share = 0.5;
  auto budget = cleanlist::make_redis_budget(ioc.get_executor(), "redis://127.0.0.1:1", o);
  cleanlist::rate_limit_params p;
  {
    cleanlist::rate_limiter lim(ioc.get_executor(), p, budget, "consumer-key", "consumer-org");
    auto f = lim.async_acquire(boost::asio::use_future);
    while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready && ioc.run_one() > 0) {}
    f.get();  // throws if the acquisition failed
    const auto s = lim.stats();
    std::cout << "consumer_redis: Redis unreachable -> fallback grants " << s.fallback_grants << ", shared errors "
              << s.shared_errors << "\n";
    if (s.fallback_grants != 1 || s.shared_errors < 1) return 1;
  }
  budget.reset();  // ends its connection's background work
  ioc.run();
  return 0;
}
