// Every documented end state through the public API (issue 10): a bulk run that completes with
// errors gives each contact its own result or error; a cancelled workflow ends a wait at the
// next poll; failed and cancelled runs are errors item by item, never ok().
#include "test_support.hpp"

#include <boost/asio/as_tuple.hpp>

#include <doctest/doctest.h>

using namespace cltest;
namespace cl = cleanlist;
namespace ct = cleanlist::testing;

namespace {

cl::enrich_person_request person(std::string email) {
  cl::enrich_person_request r;
  r.email = std::move(email);
  return r;
}

cl::enrich_many_options bulk_options() {
  cl::enrich_many_options o;
  o.path = cl::enrich_path::bulk;
  o.poll.initial = 20ms;
  o.poll.max_interval = 50ms;
  o.poll.deadline = 30s;
  return o;
}

/// Starts a person enrichment and waits for it; `on_started` runs once the workflow id is known.
asio::awaitable<cl::workflow_status_response> enrich_and_wait(cl::client* c, cl::enrich_person_request req,
                                                              std::function<void(const std::string&)> on_started) {
  auto wf = co_await c->async_enrich_person(req);
  on_started(wf.workflow_id);
  cl::poll_params pp;
  pp.initial = 20ms;
  pp.max_interval = 50ms;
  pp.deadline = 30s;
  co_return co_await c->async_wait_for_workflow(wf.workflow_id, pp, {});
}

} // namespace

TEST_CASE("a bulk run that completes with errors: each contact gets its own result or its own error") {
  auto sp = fast_sim(false);
  sp.running_for = 300ms;
  ct::simulator sim(sp);
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), client_for(sim));
  std::vector<cl::enrich_person_request> contacts{person("ada+all@acme.io"), person("bob+error@acme.io"),
                                                  person("cy+email@acme.io"), person("di+all@acme.io"),
                                                  person("ed+error@acme.io")};
  auto results = run(ioc, c.async_enrich_many(contacts, bulk_options()));
  REQUIRE(results.size() == contacts.size());
  for (std::size_t i : {0u, 2u, 3u}) {
    CAPTURE(i);
    CHECK(results[i].ok());
    CHECK(results[i].status == "completed");
    CHECK(results[i].email.has_value());
  }
  for (std::size_t i : {1u, 4u}) {
    CAPTURE(i);
    CHECK(results[i].ec == cl::error::lead_not_enriched);
    CHECK(results[i].status == "completed_with_errors");
    CHECK_FALSE(results[i].email_status.has_value());
  }
  // Ended by the status, not by the poll deadline (30 s), which gives its items error::timeout.
  for (const auto& r : results) CHECK(r.ec != cl::error::timeout);
  CHECK(c.stats().unknown_statuses == 0);
}

TEST_CASE("waiting ends on completed_with_errors and on cancelled") {
  auto sp = fast_sim(false);
  sp.pending_for = 200ms;
  sp.running_for = 60s;  // nothing ends by itself during this test
  ct::simulator sim(sp);
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), client_for(sim));

  SUBCASE("cancelled by the server: the wait ends at the next poll") {
    std::string id;
    auto st = run(ioc, enrich_and_wait(&c, person("gone@acme.io"), [&](const std::string& wf) {
      id = wf;
      CHECK(sim.cancel_workflow(wf));
    }));
    CHECK(st.status == "cancelled");
    CHECK(st.workflow_id == id);
    // At the next poll: the POST, then one status poll (cancelled before the wait began).
    CHECK(c.stats().requests == 2);
    CHECK(sim.stats().requests == 2);
    // Settled: cancelled before anything was found, nothing charged, the reservation refunded.
    CHECK(st.credits_charged.value_or(-1) == 0);
    CHECK(st.credits_refunded.value_or(0) > 0);
  }
  SUBCASE("enrich_many: a cancelled workflow is an error of its item, with its status") {
    cl::enrich_many_options o;
    o.path = cl::enrich_path::person_by_person;
    o.poll.initial = 20ms;
    o.poll.max_interval = 50ms;
    std::vector<cl::enrich_person_request> one{person("stop+cancel@acme.io")};
    auto results = run(ioc, c.async_enrich_many(one, o));
    REQUIRE(results.size() == 1);
    CHECK(results[0].ec == cl::error::workflow_cancelled);
    CHECK(results[0].status == "cancelled");
    CHECK_FALSE(results[0].workflow_id.empty());
  }
}

TEST_CASE("a bulk run that fails or is cancelled is reported item by item as errors, never ok()") {
  auto sp = fast_sim(false);
  sp.running_for = 300ms;
  ct::simulator sim(sp);
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), client_for(sim));
  SUBCASE("every lead fails: the run ends failed") {
    std::vector<cl::enrich_person_request> contacts{person("a+error@acme.io"), person("b+error@acme.io"),
                                                    person("c+error@acme.io")};
    auto results = run(ioc, c.async_enrich_many(contacts, bulk_options()));
    for (auto& r : results) {
      CHECK(r.ec == cl::error::workflow_failed);
      CHECK(r.status == "failed");
    }
  }
  SUBCASE("the run is cancelled when it reaches a lead") {
    std::vector<cl::enrich_person_request> contacts{person("a+all@acme.io"), person("b+all@acme.io"),
                                                    person("c+cancel@acme.io"), person("d+all@acme.io")};
    auto results = run(ioc, c.async_enrich_many(contacts, bulk_options()));
    std::size_t cancelled = 0, ok = 0;
    for (auto& r : results) {
      CHECK((r.ok() || r.ec == cl::error::workflow_cancelled));
      cancelled += r.ec == cl::error::workflow_cancelled;
      ok += r.ok();
      if (r.ok()) CHECK(r.email.has_value());  // processed before the cancellation: a real result
    }
    CHECK(cancelled >= 1);
    MESSAGE(ok << " leads enriched before the cancellation, " << cancelled << " cancelled");
  }
}

TEST_CASE("extra terminal statuses end a wait; statuses the library does not know are reported") {
  // The simulator only speaks documented statuses; a status it never sends can only be
  // declared terminal by the user. Here "running" stands in for a status the user declares.
  auto sp = fast_sim(false);
  sp.pending_for = 50ms;
  sp.running_for = 60s;
  ct::simulator sim(sp);
  asio::io_context ioc;
  auto p = client_for(sim);
  p.extra_terminal_statuses = {"running"};
  cl::client c(ioc.get_executor(), p);
  auto st = run(ioc, enrich_and_wait(&c, person("long@acme.io"), [](const std::string&) {}));
  CHECK(st.status == "running");
}
