#pragma once
// Shared by the examples: client parameters from the environment, or the embedded simulator
// when CLEANLIST_API_KEY is unset (so every example runs out of the box, offline).
#include <cleanlist/client.hpp>
#include <cleanlist/testing/simulator.hpp>
#ifdef CLEANLIST_EXAMPLES_HAVE_REDIS
#include <cleanlist/redis.hpp>
#endif

#include <cstdlib>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

namespace examples {

struct setup {
  cleanlist::client_params params;
  std::unique_ptr<cleanlist::testing::simulator> sim;  // only when no key is configured
};

/// CLEANLIST_API_KEY / CLEANLIST_BASE_URL / CLEANLIST_CA_FILE (and the proxy variables:
/// HTTPS_PROXY, NO_PROXY, see cleanlist/proxy.hpp), else an in-process simulator
/// (HTTPS with its own CA, the documented rate limits, workflows lasting a few seconds), served
/// under CLEANLIST_API_PREFIX ("/api/v1/public" by default, or "/api/v2").
inline setup make_setup(cleanlist::testing::simulator_params sp = {}) {
  setup s;
  s.params = cleanlist::client_params::from_env();
  if (s.params.api_key.empty()) {
    s.sim = std::make_unique<cleanlist::testing::simulator>(sp);
    s.params.api_key = s.sim->default_api_key();
    const char* prefix = std::getenv("CLEANLIST_API_PREFIX");
    if (!std::getenv("CLEANLIST_BASE_URL"))
      s.params.base_url = s.sim->base_url(prefix && *prefix ? prefix : "/api/v1/public");
    s.params.tls.ca_pem = s.sim->ca_pem();
    std::cout << "CLEANLIST_API_KEY is not set: using the embedded simulator at " << s.params.base_url << "\n";
  } else {
    std::cout << "Using " << s.params.base_url << "\n";
  }
  // HTTPS_PROXY / http_proxy / NO_PROXY, as curl reads them (for the base URL's scheme).
  s.params.proxy = cleanlist::proxy_from_env(s.params.base_url);
  return s;
}

/// CLEANLIST_REDIS_URL (redis://host[:port][/db] or rediss://): the rate budget shared with
/// every process using that Redis (put it in client_params::shared_budget of every client),
/// each falling back to 1 / CLEANLIST_REDIS_PROCESSES (default 1) of it while Redis fails.
/// Null when the variable is unset. Throws std::runtime_error for a malformed URL, or when
/// the examples were built without the Redis library (CLEANLIST_WITH_REDIS=OFF).
inline std::shared_ptr<cleanlist::shared_budget> shared_budget_from_env(boost::asio::any_io_executor ex) {
  const char* url = std::getenv("CLEANLIST_REDIS_URL");
  if (!url || !*url) return nullptr;
#ifdef CLEANLIST_EXAMPLES_HAVE_REDIS
  cleanlist::shared_budget_options o;
  const char* procs = std::getenv("CLEANLIST_REDIS_PROCESSES");
  const int n = procs ? std::atoi(procs) : 1;
  o.fallback_share = 1.0 / (n > 0 ? n : 1);
  try {
    auto b = cleanlist::make_redis_budget(std::move(ex), url, o);
    std::cout << "Sharing the rate budget through Redis (CLEANLIST_REDIS_URL), fallback share " << o.fallback_share << "\n";
    return b;
  } catch (const std::invalid_argument&) {  // its message never holds the password
    throw std::runtime_error("CLEANLIST_REDIS_URL is not a redis:// or rediss:// URL");
  }
#else
  (void)ex;
  throw std::runtime_error("CLEANLIST_REDIS_URL is set but these examples were built without Redis (CLEANLIST_WITH_REDIS=OFF)");
#endif
}

} // namespace examples
