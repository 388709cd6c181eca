// async_wait_for_workflow through the shared poll driver: progress, deadline, cancellation.
#include "test_support.hpp"

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
  for (int i = 0; i < 200 && done < 3; ++i) ioc.run_for(50ms);
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
