// async_wait_for_workflow through the shared poll driver: progress, deadline, cancellation.
#include "test_support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>

#include <doctest/doctest.h>

using namespace cltest;
namespace cl = cleanlist;

namespace {

cl::enrich_person_request someone(std::string email) {
  cl::enrich_person_request r;
  r.email = std::move(email);
  return r;
}

cl::poll_params quick(std::chrono::milliseconds deadline) {
  cl::poll_params p;
  p.initial = 10ms;
  p.max_interval = 40ms;
  p.deadline = deadline;
  return p;
}

} // namespace

TEST_CASE("waiting reports monotonic progress and ends with the terminal status") {
  cleanlist::testing::simulator sim(fast_sim());
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), client_for(sim));
  auto started = run(ioc, c.async_enrich_person(someone("wait.progress@acme.com")));
  std::vector<std::string> seen;
  auto done = run(ioc, c.async_wait_for_workflow(started.workflow_id, quick(10s),
                                                 [&](const cl::workflow_status_response& s) { seen.push_back(s.status); }));
  CHECK(cl::is_terminal_status(done.status));
  REQUIRE(!seen.empty());
  CHECK(seen.back() == done.status);
  CHECK(c.stats().waiting_workflows == 0);
}

TEST_CASE("waiting gives up at the poll deadline, and can be cancelled, without disturbing other waiters") {
  auto sp = fast_sim();
  sp.running_for = 30s;  // never terminal during the test
  cleanlist::testing::simulator sim(sp);
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), client_for(sim));
  auto a = run(ioc, c.async_enrich_person(someone("wait.a@acme.com")));
  auto b = run(ioc, c.async_enrich_person(someone("wait.b@acme.com")));
  auto d = run(ioc, c.async_enrich_person(someone("wait.c@acme.com")));

  cl::error_code ec_a, ec_b, ec_d;
  int done = 0;
  asio::cancellation_signal sig;
  c.async_wait_for_workflow(a.workflow_id, quick(150ms), {}, [&](cl::error_code ec, cl::workflow_status_response) {
    ec_a = ec;
    ++done;
    sig.emit(asio::cancellation_type::terminal);  // cancel b once a has timed out
  });
  c.async_wait_for_workflow(b.workflow_id, quick(20s), {},
                            asio::bind_cancellation_slot(sig.slot(), [&](cl::error_code ec, cl::workflow_status_response) {
                              ec_b = ec;
                              ++done;
                            }));
  c.async_wait_for_workflow(d.workflow_id, quick(400ms), {}, [&](cl::error_code ec, cl::workflow_status_response) {
    ec_d = ec;
    ++done;
  });
  ioc.restart();
  for (int i = 0; i < 1200 && done < 3; ++i) ioc.run_for(50ms);
  REQUIRE(done == 3);
  CHECK(ec_a == cl::error::timeout);
  CHECK(ec_b == asio::error::operation_aborted);
  CHECK(ec_d == cl::error::timeout);  // unaffected by b's cancellation: ran to its own deadline
  CHECK(c.stats().waiting_workflows == 0);
}

TEST_CASE("invalid wait arguments are refused before any request") {
  cleanlist::testing::simulator sim(fast_sim());
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), client_for(sim));
  cl::poll_params bad = quick(1s);
  bad.multiplier = 0.5;
  auto [ec1, r1] = run(ioc, c.async_wait_for_workflow("enrich-1", bad, {}, asio::as_tuple(asio::use_awaitable)));
  CHECK(ec1 == cl::error::invalid_argument);
  auto [ec2, r2] = run(ioc, c.async_wait_for_workflow("a/b", quick(1s), {}, asio::as_tuple(asio::use_awaitable)));
  CHECK(ec2 == cl::error::invalid_argument);
  CHECK(c.stats().requests == 0);
}

TEST_CASE("a throwing progress callback ends its wait with callback_failed, never a hang") {
  cleanlist::testing::simulator sim(fast_sim(false));
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), client_for(sim));
  cl::enrich_person_request req;
  req.email = "thrower@acme.io";
  auto wf = run(ioc, c.async_enrich_person(req));
  cl::poll_params pp;
  pp.initial = 10ms;
  pp.max_interval = 20ms;
  pp.deadline = 60s;
  cl::diagnostics d;
  cl::progress_function boom = [](const cl::workflow_status_response&) { throw std::runtime_error("boom"); };
  auto [ec, st] = run(ioc, c.async_wait_for_workflow(wf.workflow_id, pp, boom, d, asio::as_tuple(asio::use_awaitable)));
  CHECK(ec == cl::error::callback_failed);  // not the 60 s poll deadline's timeout
  CHECK(d.problem.find("boom") != std::string::npos);
  CHECK(c.stats().requests == 2);  // the POST and the one poll whose callback threw: ended there
  CHECK(c.stats().waiting_workflows == 0);
}

TEST_CASE("throwing batch callbacks are recorded; every item still ends") {
  cleanlist::testing::simulator sim(fast_sim(false));
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), client_for(sim));
  std::vector<cl::enrich_person_request> contacts(6);
  for (std::size_t i = 0; i < contacts.size(); ++i) contacts[i].email = "cb" + std::to_string(i) + "@acme.io";
  for (auto path : {cl::enrich_path::person_by_person, cl::enrich_path::bulk}) {
    CAPTURE(static_cast<int>(path));
    cl::enrich_many_options o;
    o.path = path;
    o.poll.initial = 10ms;
    o.poll.max_interval = 20ms;
    o.on_progress = [](std::size_t, std::size_t) { throw std::runtime_error("progress boom"); };
    o.on_bulk_started = [](const cl::bulk_run&) { throw std::runtime_error("started boom"); };
    cl::diagnostics d;
    auto [ec, results] = run(ioc, c.async_enrich_many(contacts, o, d, asio::as_tuple(asio::use_awaitable)));
    CHECK_FALSE(ec);
    REQUIRE(results.size() == contacts.size());
    for (auto& r : results) CHECK(ended_on_server(r));
    CHECK(d.problem.find("boom") != std::string::npos);
  }
}

TEST_CASE("a lazy operation started after its client was destroyed fails with shutdown, no use after free") {
  cleanlist::testing::simulator sim(fast_sim(false));
  asio::io_context ioc;
  auto c = std::make_unique<cl::client>(ioc.get_executor(), client_for(sim));
  auto lazy = c->async_whoami();  // the default token: nothing starts until co_spawn runs it
  c.reset();
  std::exception_ptr failure;
  bool done = false;
  asio::co_spawn(ioc, std::move(lazy), [&](std::exception_ptr e, cl::whoami_response) {
    failure = e;
    done = true;
  });
  for (int i = 0; i < 1200 && !done; ++i) ioc.run_for(50ms);  // until done; 60 s only guards a hang
  REQUIRE(done);
  REQUIRE(failure);
  try {
    std::rethrow_exception(failure);
  } catch (const cl::api_exception& e) {
    CHECK(e.code() == cl::error::shutdown);
  }
}

// A bulk batch of five contacts against a fresh simulator, and what tells whether it paid.
struct bulk_batch {
  cleanlist::testing::simulator sim{fast_sim(false)};
  asio::io_context ioc;
  cl::client c{ioc.get_executor(), client_for(sim)};
  std::vector<cl::enrich_person_request> contacts;
  std::string org = sim.default_org_id();
  std::int64_t credits_before = sim.credits(org);
  std::size_t workflows_before = workflows();
  cl::enrich_many_options o;

  explicit bulk_batch(const std::string& tag) : contacts(5) {
    for (std::size_t i = 0; i < contacts.size(); ++i) contacts[i].email = tag + std::to_string(i) + "@acme.io";
    o.path = cl::enrich_path::bulk;
    o.poll.initial = 10ms;
  }
  std::size_t workflows() const { return sim.ledger_json().at("workflows").as_array().size(); }
};

TEST_CASE("on_bulk_dispatching runs before the paid POST with the list id; if it throws, nothing is dispatched or paid") {
  bulk_batch b("disp");
  auto& [sim, ioc, c, contacts, org, before, workflows_before, o] = b;
  auto workflows = [&] { return b.workflows(); };
  o.on_bulk_dispatching = [](const std::string&) { throw std::runtime_error("journal full"); };
  bool started = false;
  o.on_bulk_started = [&](const cl::bulk_run&) { started = true; };
  cl::diagnostics d;
  auto results = run(ioc, c.async_enrich_many(contacts, o, d));
  REQUIRE(results.size() == contacts.size());
  for (auto& r : results) {
    CHECK(r.ec == cl::error::callback_failed);
    CHECK(r.problem.find("journal full") != std::string::npos);
    CHECK(r.workflow_id.empty());
  }
  CHECK_FALSE(started);
  CHECK(sim.credits(org) == before);       // nothing reserved nor charged
  CHECK(workflows() == workflows_before);  // no run

  // Called once, with the batch's list, before the run it announces.
  std::vector<std::string> dispatching;
  std::string started_list;
  o.on_bulk_dispatching = [&](const std::string& list_id) {
    CHECK(started_list.empty());
    dispatching.push_back(list_id);
  };
  o.on_bulk_started = [&](const cl::bulk_run& r) { started_list = r.list_id; };
  auto ok = run(ioc, c.async_enrich_many(contacts, o, d));
  REQUIRE(ok.size() == contacts.size());
  for (auto& r : ok) CHECK(ended_on_server(r));
  REQUIRE(dispatching.size() == 1);
  CHECK(dispatching[0] == started_list);
}

// A cancellation emitted from inside on_bulk_dispatching, i.e. right before the paid POST: the
// batch either stops before the POST is written (nothing paid, every item operation_aborted)
// or keeps the run, and every item ends with its outcome — never a run paid while the items
// say "aborted". `total` is no longer honoured once the batch has written (its list exists),
// so it keeps the run; `partial` and `terminal` must stop it.
TEST_CASE("a cancellation right before the paid bulk POST: nothing paid and every item aborted, or the run kept whole") {
  for (auto type : {asio::cancellation_type::total, asio::cancellation_type::partial, asio::cancellation_type::terminal}) {
    CAPTURE(static_cast<int>(type));
    bulk_batch b("cut");
    auto& [sim, ioc, c, contacts, org, before, workflows_before, o] = b;
    auto workflows = [&] { return b.workflows(); };
    asio::cancellation_signal sig;
    o.on_bulk_dispatching = [&](const std::string&) { sig.emit(type); };
    int started = 0;
    o.on_bulk_started = [&](const cl::bulk_run&) { ++started; };
    std::optional<std::vector<cl::enrich_item_result>> results;
    c.async_enrich_many(contacts, o,
                        asio::bind_cancellation_slot(sig.slot(), [&](cl::error_code, std::vector<cl::enrich_item_result> v) {
                          results = std::move(v);
                        }));
    for (int i = 0; i < 3000 && !results; ++i) ioc.run_for(10ms);
    REQUIRE(results.has_value());
    REQUIRE(results->size() == contacts.size());
    const bool paid = workflows() != workflows_before;
    MESSAGE("cancellation type " << static_cast<int>(type) << ": "
                                 << (paid ? std::string("the run was kept (the POST was on the wire when the signal was handled)")
                                          : std::string("stopped before the POST: nothing paid")));
    // partial and terminal reach the batch before its POST is written (the hook runs on the
    // client's strand, where the signal is handled at once): nothing may be paid.
    if (type != asio::cancellation_type::total) CHECK_FALSE(paid);
    if (!paid) {
      CHECK(started == 0);
      CHECK(sim.credits(org) == before);
      for (auto& r : *results) CHECK(r.ec == asio::error::operation_aborted);
    } else {
      CHECK(started == 1);
      for (auto& r : *results) {
        CHECK_FALSE(r.workflow_id.empty());  // each item names the run it was paid in
        CHECK(r.ec != asio::error::operation_aborted);
      }
    }
  }
}
