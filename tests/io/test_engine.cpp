// The engine against the simulator: budgets, server back-pressure, faults, scale.
#include "test_support.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include <doctest/doctest.h>

#include <map>
#include <set>

using namespace cltest;
namespace cl = cleanlist;

namespace {

std::vector<cl::enrich_person_request> people(int n, std::string tag) {
  std::vector<cl::enrich_person_request> v;
  for (int i = 0; i < n; ++i) {
    cl::enrich_person_request r;
    if (i % 3 == 0) r.email = "p" + std::to_string(i) + "." + tag + "@acme.com";
    else if (i % 3 == 1) r.linkedin_url = "https://www.linkedin.com/in/p" + std::to_string(i) + "-" + tag;
    else {
      r.first_name = "First" + std::to_string(i);
      r.last_name = "Last" + tag;
      r.domain = "acme.com";
    }
    v.push_back(std::move(r));
  }
  return v;
}


// Simulator with the documented limits on a short window, and a client configured alike.
cleanlist::testing::simulator_params budget_sim(std::chrono::milliseconds window) {
  auto p = fast_sim();
  p.rate_limits = true;
  p.per_key_limit = 30;
  p.per_org_limit = 60;
  p.window = window;
  return p;
}

cl::client_params budget_client(const cleanlist::testing::simulator& sim, std::chrono::milliseconds window) {
  auto p = client_for(sim);
  p.rate_limit.enabled = true;
  p.rate_limit.window = window;
  p.rate_limit.margin = 30ms;
  p.overall_timeout = 120s;
  return p;
}

cl::enrich_many_options fast_options(cl::enrich_path path) {
  cl::enrich_many_options o;
  o.path = path;
  o.poll.initial = 50ms;
  o.poll.max_interval = 200ms;
  o.poll.deadline = 120s;
  return o;
}

} // namespace

TEST_CASE("under the documented budget both paths finish with zero 429s") {
  const auto window = 1000ms;
  for (auto path : {cl::enrich_path::person_by_person, cl::enrich_path::bulk}) {
    CAPTURE(static_cast<int>(path));
    cleanlist::testing::simulator sim(budget_sim(window));
    asio::io_context ioc;
    cl::client c(ioc.get_executor(), budget_client(sim, window));
    auto contacts = people(40, path == cl::enrich_path::bulk ? "b" : "p");
    auto results = run(ioc, c.async_enrich_many(contacts, fast_options(path)), std::chrono::seconds(120));
    REQUIRE(results.size() == contacts.size());
    for (std::size_t i = 0; i < results.size(); ++i) {
      CAPTURE(i);
      CHECK_MESSAGE(ended_on_server(results[i]), results[i].problem);
    }
    CHECK(sim.stats().rate_limited_429 == 0);
    CHECK(sim.stats().served_above_limit == 0);
    CHECK(c.stats().rate_limited_429 == 0);
    MESSAGE("path " << static_cast<int>(path) << ": " << c.stats().requests << " requests for " << contacts.size()
                    << " contacts");
    if (path == cl::enrich_path::bulk) CHECK(c.stats().requests < 20);  // a handful, not per contact
  }
}

TEST_CASE("a 429 pauses every task sharing the budget until Retry-After") {
  auto sp = fast_sim();
  sp.faults.p_429 = 1.0;
  sp.faults.only_path = "/credits/balance";
  cleanlist::testing::simulator sim(sp);
  asio::io_context ioc;
  auto p = client_for(sim);
  p.rate_limit.enabled = true;  // the pause lives in the limiter
  p.retry.max_attempts = 1;      // surface the 429 instead of retrying
  cl::client c(ioc.get_executor(), p);

  cl::diagnostics d;
  auto [ec, bal] = run(ioc, c.async_credits_balance(d, asio::as_tuple(asio::use_awaitable)));
  REQUIRE(ec == cl::error::rate_limited);
  REQUIRE(d.retry_after);
  const auto got_429 = std::chrono::steady_clock::now();
  // Another task, on another endpoint, must wait for the server's Retry-After.
  run(ioc, c.async_whoami());
  const auto waited = std::chrono::steady_clock::now() - got_429;
  CHECK(waited >= *d.retry_after - 50ms);  // lower bound only: timers never fire early
  CHECK(c.stats().limiter_wait >= *d.retry_after - 50ms);
}

TEST_CASE("faults never cause a duplicate enrichment nor lose an item") {
  auto sp = fast_sim();
  all_faults(sp.faults);
  cleanlist::testing::simulator sim(sp);
  asio::io_context ioc;
  auto p = client_for(sim);
  p.retry.max_attempts = 6;
  p.retry.max_retry_after = 2s;
  cl::client c(ioc.get_executor(), p);
  auto contacts = people(300, "f");
  auto results = run(ioc, c.async_enrich_many(contacts, fast_options(cl::enrich_path::person_by_person)), std::chrono::seconds(120));
  REQUIRE(results.size() == contacts.size());
  std::map<std::string, int> errors;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    CHECK((r.ec || !r.status.empty()));  // a result or a definite error
    if (r.ec) ++errors[r.ec.message()];
    CHECK(sim.enrich_posts_for(identity_of(contacts[i])) <= 1);  // never twice
  }
  for (auto& [what, n] : errors) MESSAGE(n << " x " << what);
  CHECK(sim.stats().faults_injected > 0);
  CHECK(c.stats().retries > 0);
}

TEST_CASE("10,000 workflows waited for concurrently on one thread") {
  auto sp = fast_sim(false);
  sp.pending_for = 200ms;
  sp.running_for = 300ms;
  cleanlist::testing::simulator sim(sp);
  asio::io_context ioc;
  auto p = client_for(sim);
  p.max_connections = 32;
  p.overall_timeout = 300s;
  cl::client c(ioc.get_executor(), p);
  auto o = fast_options(cl::enrich_path::person_by_person);
  o.max_concurrency = 10000;
  o.poll.initial = 500ms;
  o.poll.max_interval = 1s;
  std::size_t peak_waiting = 0;
  o.on_progress = [&](std::size_t, std::size_t) { peak_waiting = std::max<std::size_t>(peak_waiting, c.stats().waiting_workflows); };
  auto contacts = people(10000, "k");
  auto results = run(ioc, c.async_enrich_many(contacts, o), std::chrono::seconds(300));
  std::size_t ok = 0;
  for (auto& r : results) ok += ended_on_server(r);
  CHECK(ok == contacts.size());
  CHECK(peak_waiting > 5000);  // they really were waiting at the same time
  MESSAGE("peak waiting workflows " << peak_waiting << ", requests " << c.stats().requests);
}

namespace {

struct tenant {
  std::unique_ptr<cl::client> client;
  std::vector<cl::enrich_item_result> results;
  bool done = false;
};

asio::awaitable<void> enrich_tenant(tenant& t, std::vector<cl::enrich_person_request> contacts, cl::enrich_many_options o) {
  t.results = co_await t.client->async_enrich_many(std::move(contacts), std::move(o));
  t.done = true;
}

} // namespace

TEST_CASE("many keys in one process: one transport, each key and organisation within its own budget") {
  const auto window = 1000ms;
  auto sp = budget_sim(window);
  const int orgs = 4, keys_per_org = 6;
  for (int o = 0; o < orgs; ++o) {
    cleanlist::testing::organisation_config org;
    org.org_id = "org_mt_" + std::to_string(o);
    org.name = "tenant org " + std::to_string(o);
    cleanlist::testing::user_config user;
    user.user_id = "user_mt_" + std::to_string(o);
    user.email = "owner" + std::to_string(o) + "@tenant.example";
    for (int k = 0; k < keys_per_org; ++k)
      user.keys.push_back({"clapi_mt_" + std::to_string(o) + "_" + std::to_string(k) + "_0123456789abcdef", {}});
    org.users.push_back(user);
    sp.orgs.push_back(org);
  }
  cleanlist::testing::simulator sim(sp);
  asio::io_context ioc;

  cl::transport_params tp;
  tp.base_url = sim.base_url();
  tp.tls.ca_pem = sim.ca_pem();
  tp.tls.use_system_ca = false;
  tp.max_connections = 8;
  auto shared = std::make_shared<cl::http_transport>(ioc.get_executor(), tp);

  std::vector<tenant> tenants(orgs * keys_per_org);
  for (int o = 0; o < orgs; ++o) {
    auto p0 = budget_client(sim, window);
    auto org_budget = cl::make_org_budget(p0.rate_limit);  // the organisation's 60/window, shared by its keys
    for (int k = 0; k < keys_per_org; ++k) {
      auto p = p0;
      p.api_key = sp.orgs[o].users[0].keys[k].key;
      p.shared_org_budget = org_budget;
      p.shared_transport = shared;
      auto& t = tenants[o * keys_per_org + k];
      t.client = std::make_unique<cl::client>(ioc.get_executor(), p);
      asio::co_spawn(ioc, enrich_tenant(t, people(8, "mt" + std::to_string(o) + "k" + std::to_string(k)),
                                        fast_options(cl::enrich_path::person_by_person)),
                     asio::detached);
    }
  }
  auto deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < deadline &&
         !std::all_of(tenants.begin(), tenants.end(), [](const tenant& t) { return t.done; }))
    ioc.run_for(50ms);
  std::uint64_t total_requests = 0;
  for (auto& t : tenants) {
    REQUIRE(t.done);
    for (auto& r : t.results) CHECK_MESSAGE(ended_on_server(r), r.problem);
    CHECK(t.client->stats().rate_limited_429 == 0);
    total_requests += t.client->stats().requests;
  }
  CHECK(sim.stats().rate_limited_429 == 0);
  CHECK(shared->open_connections() <= tp.max_connections);
  MESSAGE(tenants.size() << " keys, " << total_requests << " requests, " << shared->open_connections()
                         << " shared connections");
}

namespace {

// Reservations the simulator recorded (one per paid dispatch).
std::size_t reservations(const cleanlist::testing::simulator& sim) {
  std::size_t n = 0;
  const auto ledger = sim.ledger_json();
  for (const auto& org : ledger.at("orgs").as_array())
    for (const auto& e : org.at("ledger").as_array())
      if (e.at("kind").as_string() == "reserve") ++n;
  return n;
}

} // namespace

TEST_CASE("an interrupted bulk batch is finished from its bulk_run without paying again") {
  cleanlist::testing::simulator sim(fast_sim());
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), client_for(sim));
  const auto contacts = people(12, "resume");

  // First batch: interrupted (cancelled) right after the run is dispatched and paid for.
  asio::cancellation_signal stop;
  std::optional<cl::bulk_run> started;
  auto o = fast_options(cl::enrich_path::bulk);
  o.poll.initial = 10s;  // still waiting when the cancellation lands
  o.on_bulk_started = [&](const cl::bulk_run& r) {
    started = r;
    asio::post(ioc, [&] { stop.emit(asio::cancellation_type::terminal); });
  };
  auto first = run(ioc, c.async_enrich_many(contacts, o, asio::bind_cancellation_slot(stop.slot(), asio::use_awaitable)));
  REQUIRE(started);
  CHECK_FALSE(started->list_id.empty());
  CHECK_FALSE(started->workflow_id.empty());
  REQUIRE(first.size() == contacts.size());
  for (const auto& r : first) CHECK(r.ec == asio::error::operation_aborted);
  const auto paid = reservations(sim);
  CHECK(paid >= 1);

  // Second batch: resumes the same run; nothing new is reserved, every contact gets its result.
  auto o2 = fast_options(cl::enrich_path::bulk);
  o2.resume_bulk = started;
  bool called = false;
  o2.on_bulk_started = [&](const cl::bulk_run&) { called = true; };
  auto second = run(ioc, c.async_enrich_many(contacts, o2));
  REQUIRE(second.size() == contacts.size());
  for (std::size_t i = 0; i < second.size(); ++i) {
    CAPTURE(i);
    CHECK_MESSAGE(second[i].ok(), second[i].problem);
    CHECK(second[i].workflow_id == started->workflow_id);
  }
  CHECK_FALSE(called);
  CHECK(reservations(sim) == paid);
}

TEST_CASE("resume_bulk is refused before any request unless the path is bulk and the ids are valid") {
  cleanlist::testing::simulator sim(fast_sim());
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), client_for(sim));
  const auto before = sim.stats().requests;
  auto o = fast_options(cl::enrich_path::automatic);
  o.resume_bulk = cl::bulk_run{"list-1", "bulk-enrich-1"};
  cl::diagnostics d;
  auto [ec, r] = run(ioc, c.async_enrich_many(people(3, "x"), o, d, asio::as_tuple(asio::use_awaitable)));
  CHECK(ec == cl::error::invalid_argument);
  CHECK(d.problem.find("resume_bulk") != std::string::npos);
  o.path = cl::enrich_path::bulk;
  o.resume_bulk = cl::bulk_run{"list/../x", "bulk-enrich-1"};
  auto [ec2, r2] = run(ioc, c.async_enrich_many(people(3, "x"), o, d, asio::as_tuple(asio::use_awaitable)));
  CHECK(ec2 == cl::error::invalid_argument);
  CHECK(sim.stats().requests == before);
}
