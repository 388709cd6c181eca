// Many API keys in one process (issue 15): one client per key over one shared transport and
// shared organisation budgets. Memory is measured with a counting allocator (this executable
// replaces the global operator new/delete, ../live_heap.cpp): an idle client holds at most 2 KiB, and the
// state a key does not use yet (the limiter's window log, the poll loop) appears at its
// first use. Then 10,000 keys each complete a request against the simulator with zero 429s.
#include "client/poll_driver.hpp"

#include <cleanlist/client.hpp>
#include <cleanlist/testing/simulator.hpp>
#include <cleanlist/transport.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <doctest/doctest.h>

#include "../live_heap.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>


namespace {

namespace asio = boost::asio;
namespace cl = cleanlist;
namespace ct = cleanlist::testing;
using namespace std::chrono_literals;

std::string key_of(std::size_t i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "clapi_mk%032zu", i);  // 40 characters, like real keys
  return buf;
}

// Accounts: `keys` keys, two per organisation.
std::vector<ct::organisation_config> orgs_for(std::size_t keys) {
  std::vector<ct::organisation_config> orgs;
  for (std::size_t k = 0; k < keys; k += 2) {
    ct::organisation_config o;
    o.org_id = "org_mk_" + std::to_string(k / 2);
    o.name = o.org_id;
    o.tier = "enterprise";
    ct::user_config u;
    u.user_id = "u_" + o.org_id;
    u.email = o.org_id + "@many-keys.example";
    u.name = "Many keys";
    for (std::size_t j = k; j < std::min(keys, k + 2); ++j) u.keys.push_back({key_of(j), {}});
    o.users.push_back(std::move(u));
    orgs.push_back(std::move(o));
  }
  return orgs;
}

struct fleet {
  std::shared_ptr<cl::http_transport> transport;
  std::vector<std::shared_ptr<cl::org_budget>> orgs;
  std::vector<std::unique_ptr<cl::client>> clients;
  std::string url;

  fleet(asio::io_context& ioc, std::string base_url, std::size_t reserve) : url(std::move(base_url)) {
    cl::transport_params tp;
    tp.base_url = url;
    tp.max_connections = 16;
    transport = std::make_shared<cl::http_transport>(ioc.get_executor(), tp);
    clients.reserve(reserve);
    orgs.reserve(reserve / 2 + 1);
  }

  // Clients for keys [from, to): the organisation's budget shared by its two keys.
  void add(asio::io_context& ioc, std::size_t from, std::size_t to) {
    for (std::size_t k = from; k < to; ++k) {
      if (k / 2 >= orgs.size()) orgs.push_back(cl::make_org_budget({}));
      cl::client_params p;
      p.base_url = url;
      p.api_key = key_of(k);
      p.shared_transport = transport;
      p.shared_org_budget = orgs[k / 2];
      clients.push_back(std::make_unique<cl::client>(ioc.get_executor(), std::move(p)));
    }
  }
};

ct::simulator_params sim_params(std::size_t keys) {
  ct::simulator_params sp;
  sp.tls = false;
  sp.orgs = orgs_for(keys);
  sp.pending_for = 0ms;
  sp.running_for = 0ms;
  return sp;  // rate limits on: 30/min per key, 60/min per organisation
}

} // namespace

TEST_CASE("an idle client on a shared transport holds at most 2 KiB; its limiter log and poll loop come at first use") {
  constexpr std::size_t n = 1000;
  ct::simulator sim(sim_params(n + 4));
  asio::io_context ioc;
  fleet f(ioc, sim.base_url(), n + 4);
  f.add(ioc, 0, 2);  // first allocations of every kind (shared services, the first org budget)

  // What a key's first use creates: its window log (30 grant times), its organisation's (60),
  // the poll loop. Counted by allocation size.
  constexpr std::size_t key_log = 30 * sizeof(std::chrono::steady_clock::time_point);
  constexpr std::size_t org_log = 60 * sizeof(std::chrono::steady_clock::time_point);
  constexpr std::size_t driver = sizeof(cl::poll_driver);
  const long logs0 = test_heap::live_of_size(key_log), org_logs0 = test_heap::live_of_size(org_log),
             drivers0 = test_heap::live_of_size(driver);

  const long long before = test_heap::live_bytes();
  f.add(ioc, 2, 2 + n);
  const double per_client = static_cast<double>(test_heap::live_bytes() - before) / static_cast<double>(n);
  MESSAGE("heap per idle client (client + half an organisation budget, bytes requested): " << per_client);
  CHECK(per_client <= 2048.0);
  CHECK(test_heap::live_of_size(key_log) == logs0);      // no window log for 1,000 idle keys
  CHECK(test_heap::live_of_size(org_log) == org_logs0);  // nor for their 500 organisations
  CHECK(test_heap::live_of_size(driver) == drivers0);    // no poll loop

  auto& first = *f.clients[2];  // organisation org_mk_1
  auto& warm = *f.clients[0];   // org_mk_0
  auto warmed = warm.async_whoami(asio::use_future);
  ioc.run();
  ioc.restart();
  REQUIRE(warmed.get().organization_id == "org_mk_0");
  // After the warm-up: the transport's connection exists (it may be of any size).
  const long logs1 = test_heap::live_of_size(key_log), org_logs1 = test_heap::live_of_size(org_log),
             drivers1 = test_heap::live_of_size(driver);
  CHECK(logs1 == logs0 + 1);  // the warm key's log and its organisation's, and nothing else
  CHECK(org_logs1 == org_logs0 + 1);

  // First request of another key: its log and its organisation's log appear, and stay.
  auto who = first.async_whoami(asio::use_future);
  ioc.run();
  ioc.restart();
  REQUIRE(who.get().organization_id == "org_mk_1");
  CHECK(test_heap::live_of_size(key_log) == logs1 + 1);
  CHECK(test_heap::live_of_size(org_log) == org_logs1 + 1);
  CHECK(test_heap::live_of_size(driver) == drivers1);  // a request is not a wait

  // First wait for a workflow: the poll loop (timers, scheduler) is created then, once.
  cl::enrich_person_request req;
  req.email = "first.wait@many-keys.example";
  auto started = first.async_enrich_person(req, asio::use_future);
  ioc.run();
  ioc.restart();
  const auto wf = started.get().workflow_id;
  cl::poll_params pp;
  pp.initial = 1ms;
  for (int i = 0; i < 2; ++i) {
    auto done = first.async_wait_for_workflow(wf, pp, {}, asio::use_future);
    ioc.run();
    ioc.restart();
    CHECK(done.get().is_terminal());
    CHECK(test_heap::live_of_size(driver) == drivers1 + 1);
  }
  CHECK(test_heap::live_of_size(key_log) == logs1 + 1);  // the same key: no second log
}

TEST_CASE("10,000 keys on one transport each complete a request: zero 429s, one request each") {
  constexpr std::size_t n = 10000;
  ct::simulator sim(sim_params(n));
  asio::io_context ioc;
  fleet f(ioc, sim.base_url(), n);
  f.add(ioc, 0, n);
  std::size_t ok = 0, failed = 0;
  for (auto& c : f.clients)
    c->async_whoami([&](cl::error_code ec, cl::whoami_response) { ++(ec ? failed : ok); });
  ioc.run();
  CHECK(ok == n);
  CHECK(failed == 0);
  std::uint64_t requests = 0, r429 = 0;
  bool one_each = true;
  for (auto& c : f.clients) {
    const auto s = c->stats();
    requests += s.requests;
    r429 += s.rate_limited_429;
    one_each = one_each && s.requests == 1;
  }
  CHECK(one_each);
  CHECK(requests == n);
  CHECK(r429 == 0);
  CHECK(sim.stats().rate_limited_429 == 0);
  CHECK(sim.stats().requests == n);
  CHECK(f.transport->open_connections() <= 16);
}
