// Many API keys in one process, on one io_context and one thread: one client per key, each
// with its own per-key budget, and one shared organisation budget for all the keys of the same
// organisation (client_params::shared_org_budget = make_org_budget(...)), so that together
// they never exceed the organisation's limit. Prints per-key request counts and 429s (0).
//
//   ./multi_tenant     # embedded simulator: 3 organisations, 6 keys, documented limits on a
//                      # 5 s window (instead of 60 s) so that the budgets bite within seconds
//   CLEANLIST_API_KEYS=org_a:clapi_...,org_a:clapi_...,org_b:clapi_... ./multi_tenant
//                      # real API: "organisation:key" pairs (the organisation groups the keys)
//   CLEANLIST_REDIS_URL=redis://127.0.0.1:6379 CLEANLIST_REDIS_PROCESSES=3 ./multi_tenant
//                      # (with either) the key and organisation budgets shared through Redis
//                      # with every other process (replica) running the same keys
#include "example_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <exception>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace cl = cleanlist;
namespace ct = cleanlist::testing;
using namespace std::chrono_literals;

namespace {

struct tenant {
  std::string org, key;
  std::unique_ptr<cl::client> client;
  std::size_t enriched = 0, failed = 0;
  std::string error;
};

ct::organisation_config make_org(std::string id, std::string name, int users, int keys_per_user) {
  ct::organisation_config o;
  o.org_id = id;
  o.name = std::move(name);
  for (int u = 0; u < users; ++u) {
    ct::user_config uc;
    uc.user_id = id + "_user" + std::to_string(u + 1);
    uc.email = "user" + std::to_string(u + 1) + "@" + id + ".example";
    uc.name = "User " + std::to_string(u + 1);
    for (int k = 0; k < keys_per_user; ++k)
      uc.keys.push_back({"clapi_" + id + "_u" + std::to_string(u + 1) + "_k" + std::to_string(k + 1), {}});
    o.users.push_back(std::move(uc));
  }
  return o;
}

std::vector<ct::organisation_config> simulated_orgs() {
  return {make_org("acme", "Acme", 2, 2) /* 4 keys share 60/window */, make_org("globex", "Globex", 1, 1),
          make_org("initech", "Initech", 1, 1)};
}

std::vector<cl::enrich_person_request> contacts_for(const std::string& org, int tenant_no, int n) {
  std::vector<cl::enrich_person_request> v;
  for (int i = 0; i < n; ++i) {
    cl::enrich_person_request r;
    r.email = "person" + std::to_string(i) + ".t" + std::to_string(tenant_no) + "@" + org + "-customer.example";
    v.push_back(std::move(r));
  }
  return v;
}

/// One tenant's work: who am I, then a few enrichments person by person (each: POST + polls).
asio::awaitable<void> tenant_job(tenant* t, int tenant_no, int contacts) {
  try {
    auto who = co_await t->client->async_whoami();
    cl::enrich_many_options mo;
    mo.path = cl::enrich_path::person_by_person;
    mo.poll.initial = 1s;
    mo.poll.max_interval = 3s;
    auto people = contacts_for(who.organization_id, tenant_no, contacts);  // named: no temporaries in co_await (g++ 12)
    auto results = co_await t->client->async_enrich_many(std::move(people), mo);
    for (auto& r : results) (r.ok() ? t->enriched : t->failed)++;
  } catch (const cl::api_exception& e) {
    t->error = std::string(e.code().message()) + " — " + e.diag().to_string();
  }
}

} // namespace

int main() {
  try {
    const bool real = std::getenv("CLEANLIST_API_KEYS") && *std::getenv("CLEANLIST_API_KEYS");
    ct::simulator_params sp;
    sp.pending_for = 200ms;
    sp.running_for = 800ms;
    sp.window = 5s;  // the documented 30/key and 60/org, per 5 s instead of per minute
    sp.orgs = simulated_orgs();
    std::unique_ptr<ct::simulator> sim;
    cl::client_params base = cl::client_params::from_env();
    asio::io_context ioc;  // one io_context, one thread, every tenant (declared before the clients: it outlives them)
    std::vector<tenant> tenants;
    if (real) {
      std::string all = std::getenv("CLEANLIST_API_KEYS");
      std::size_t pos = 0;
      while (pos <= all.size()) {
        auto end = all.find(',', pos);
        auto item = all.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        auto colon = item.find(':');
        if (colon == std::string::npos) {
          std::cerr << "CLEANLIST_API_KEYS: expected org:key pairs separated by commas\n";
          return 2;
        }
        tenants.emplace_back();
        tenants.back().org = item.substr(0, colon);
        tenants.back().key = item.substr(colon + 1);
        if (end == std::string::npos) break;
        pos = end + 1;
      }
      std::cout << "Using " << base.base_url << " with " << tenants.size() << " keys\n";
    } else {
      if (std::getenv("CLEANLIST_API_KEY") && *std::getenv("CLEANLIST_API_KEY"))
        std::cout << "(CLEANLIST_API_KEY is ignored here: set CLEANLIST_API_KEYS=org:key,... for several keys)\n";
      sim = std::make_unique<ct::simulator>(sp);
      base.base_url = sim->base_url();
      base.tls.ca_pem = sim->ca_pem();
      base.rate_limit.window = sp.window;  // the simulator's scaled window
      for (auto& o : sp.orgs)
        for (auto& u : o.users)
          for (auto& k : u.keys) {
            tenants.emplace_back();
            tenants.back().org = o.org_id;
            tenants.back().key = k.key;
          }
      std::cout << "embedded simulator at " << base.base_url << ": " << sp.orgs.size() << " organisations, "
                << tenants.size() << " keys, limits 30/key and 60/org per " << sp.window.count() << " ms\n";
    }

    base.proxy = cl::proxy_from_env(base.base_url);  // HTTPS_PROXY / NO_PROXY, as curl reads them
    // Several processes on the same keys: their budgets shared through Redis (one per process,
    // for every client), the organisation named so its keys share its 60/window across processes.
    auto redis = examples::shared_budget_from_env(ioc.get_executor());
    std::map<std::string, std::shared_ptr<cl::org_budget>> budgets;
    for (auto& t : tenants) {
      auto& b = budgets[t.org];
      if (!b) b = cl::make_org_budget(base.rate_limit);
      cl::client_params p = base;
      p.api_key = t.key;
      p.shared_org_budget = b;  // keys of one organisation share its 60/window
      if (redis) {
        p.shared_budget = redis;  // in Redis instead (shared_org_budget is then not used)
        p.organization_id = t.org;
      }
      t.client = std::make_unique<cl::client>(ioc.get_executor(), p);
    }
    const int contacts = 10;  // per key: 1 whoami + 10 POSTs + ~2 polls each ≈ 31 requests
    const auto t0 = std::chrono::steady_clock::now();
    std::size_t running = tenants.size();
    for (std::size_t i = 0; i < tenants.size(); ++i)
      asio::co_spawn(ioc, tenant_job(&tenants[i], static_cast<int>(i), contacts), [&running](std::exception_ptr) { --running; });
    // Until every tenant is done (not ioc.run(): a Redis connection keeps the io_context busy).
    while (running > 0 && ioc.run_one() > 0) {
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    std::cout << std::left << std::setw(10) << "org" << std::setw(26) << "key" << std::right << std::setw(9) << "requests"
              << std::setw(6) << "429s" << std::setw(12) << "waited (s)" << std::setw(10) << "enriched" << std::setw(8)
              << "failed" << "\n";
    std::uint64_t total = 0, total_429 = 0;
    bool errors = false;
    for (auto& t : tenants) {
      auto s = t.client->stats();
      total += s.requests;
      total_429 += s.rate_limited_429;
      std::string shown = t.key.substr(0, 10) + "..." + t.key.substr(t.key.size() - 4);
      std::cout << std::left << std::setw(10) << t.org << std::setw(26) << shown << std::right << std::setw(9)
                << s.requests << std::setw(6) << s.rate_limited_429 << std::setw(12) << std::fixed << std::setprecision(1)
                << std::chrono::duration<double>(s.limiter_wait).count() << std::setw(10) << t.enriched << std::setw(8)
                << t.failed << "\n";
      if (!t.error.empty()) {
        std::cout << "  error: " << t.error << "\n";
        errors = true;
      }
    }
    std::cout << "total: " << total << " requests, " << total_429 << " answered 429, in " << std::setprecision(1) << secs
              << " s on one thread";
    if (sim) std::cout << " (simulator: " << sim->stats().requests << " requests, " << sim->stats().rate_limited_429 << " 429s)";
    std::cout << "\n";
    std::cout << "multi_tenant: " << (errors || total_429 ? "done with problems" : "done") << "\n";
    return errors ? 1 : 0;
  } catch (const std::exception& e) {
    std::cerr << "multi_tenant failed: " << e.what() << "\n";
    return 1;
  }
}
