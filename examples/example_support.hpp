#pragma once
// Shared by the examples: client parameters from the environment, or the embedded simulator
// when CLEANLIST_API_KEY is unset (so every example runs out of the box, offline).
#include <cleanlist/client.hpp>
#include <cleanlist/testing/simulator.hpp>

#include <iostream>
#include <memory>

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

} // namespace examples
