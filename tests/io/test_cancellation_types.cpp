// Honest cancellation types (client.hpp, "Cancel:" beside each operation): a read honours
// every type at any time; a write honours `partial` and `total` only until its request is
// written (its effect on the server is unknown from then on), `terminal` always; a batch keeps
// `partial` after its first paid request. Signals are emitted once the simulator has received
// the request (its latency fault holds the answer back meanwhile).
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>

namespace cl = cleanlist;
using namespace cltest;

namespace {

cl::enrich_person_request person(std::string email) {
  cl::enrich_person_request r;
  r.email = std::move(email);
  return r;
}

/// A simulator whose answers on `path` come `latency` after the request arrived.
cl::testing::simulator_params slow_on(std::string path, std::chrono::milliseconds latency = 400ms) {
  auto sp = fast_sim();
  sp.faults.p_latency = 1.0;
  sp.faults.latency = latency;
  sp.faults.only_path = std::move(path);
  return sp;
}

/// Runs `ioc` until the simulator has received `n` requests (bounded: throws after 30 s).
void until_received(asio::io_context& ioc, const cl::testing::simulator& sim, std::uint64_t n) {
  ioc.restart();
  for (int i = 0; i < 3000 && sim.stats().requests < n; ++i) ioc.run_for(10ms);
  if (sim.stats().requests < n) throw std::runtime_error("the simulator did not receive the request");
}

template <class T>
struct outcome {
  bool done = false;
  cl::error_code ec;
  T value{};
};

template <class T>
auto record(outcome<T>& o) {
  return [&o](cl::error_code ec, T v) {
    o.ec = ec;
    o.value = std::move(v);
    o.done = true;
  };
}

template <class T>
void until_done(asio::io_context& ioc, const outcome<T>& o) {
  ioc.restart();
  for (int i = 0; i < 600 && !o.done; ++i) ioc.run_for(50ms);
  if (!o.done) throw std::runtime_error("operation did not complete in time");
}

} // namespace

TEST_CASE("a written POST ignores total and partial cancellation and completes with its answer") {
  for (auto type : {asio::cancellation_type::total, asio::cancellation_type::partial}) {
    CAPTURE(static_cast<int>(type));
    cl::testing::simulator sim(slow_on("/enrichment/person"));
    asio::io_context ioc;
    cl::client c(ioc.get_executor(), client_for(sim));
    asio::cancellation_signal sig;
    outcome<cl::enrich_person_response> o;
    c.async_enrich_person(person("ada@acme.io"), asio::bind_cancellation_slot(sig.slot(), record(o)));
    until_received(ioc, sim, 1);
    sig.emit(type);  // the request is written: its effect is unknown, so this type is not honoured
    until_done(ioc, o);
    CHECK_FALSE(o.ec);  // the answer arrived: the caller knows the workflow it paid for
    CHECK_FALSE(o.value.workflow_id.empty());
    CHECK(sim.stats().accepted_enrich_posts == 1);
    CHECK(c.stats().outcome_unknown == 0);
  }
}

TEST_CASE("a written POST still honours terminal cancellation: outcome_unknown, never sent again") {
  cl::testing::simulator sim(slow_on("/enrichment/person"));
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), client_for(sim));
  asio::cancellation_signal sig;
  outcome<cl::enrich_person_response> o;
  c.async_enrich_person(person("ada@acme.io"), asio::bind_cancellation_slot(sig.slot(), record(o)));
  until_received(ioc, sim, 1);
  sig.emit(asio::cancellation_type::total);     // ignored ...
  sig.emit(asio::cancellation_type::terminal);  // ... but a later terminal signal is acted upon
  until_done(ioc, o);
  CHECK(o.ec == cl::error::outcome_unknown);
  CHECK(sim.stats().requests == 1);
}

TEST_CASE("a POST cancelled with total before it is written completes with operation_aborted; nothing sent") {
  cl::testing::simulator sim(fast_sim());
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), client_for(sim));
  asio::cancellation_signal sig;
  outcome<cl::enrich_person_response> o;
  c.async_enrich_person(person("ada@acme.io"), asio::bind_cancellation_slot(sig.slot(), record(o)));
  sig.emit(asio::cancellation_type::total);  // before the operation has run at all
  until_done(ioc, o);
  CHECK(o.ec == asio::error::operation_aborted);
  CHECK(sim.stats().requests == 0);
}

TEST_CASE("a read honours total cancellation after its request is written") {
  cl::testing::simulator sim(slow_on("/whoami", 5s));
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), client_for(sim));
  asio::cancellation_signal sig;
  outcome<cl::whoami_response> o;
  c.async_whoami(asio::bind_cancellation_slot(sig.slot(), record(o)));
  until_received(ioc, sim, 1);
  sig.emit(asio::cancellation_type::total);
  until_done(ioc, o);
  CHECK(o.ec == asio::error::operation_aborted);
}

TEST_CASE("a batch ignores total once a contact may be charged, and honours partial") {
  const std::vector<cl::enrich_person_request> contacts{person("a@acme.io"), person("b@acme.io"), person("c@acme.io")};
  cl::enrich_many_options opts;
  opts.path = cl::enrich_path::person_by_person;
  opts.max_concurrency = 1;  // one contact at a time: the others are not started when the signal comes

  SUBCASE("total: ignored, every contact is enriched") {
    cl::testing::simulator sim(slow_on("/enrichment/person", 200ms));
    asio::io_context ioc;
    cl::client c(ioc.get_executor(), client_for(sim));
    asio::cancellation_signal sig;
    outcome<std::vector<cl::enrich_item_result>> o;
    c.async_enrich_many(contacts, opts, asio::bind_cancellation_slot(sig.slot(), record(o)));
    until_received(ioc, sim, 1);
    sig.emit(asio::cancellation_type::total);
    until_done(ioc, o);
    REQUIRE_FALSE(o.ec);
    REQUIRE(o.value.size() == 3);
    for (const auto& r : o.value) CHECK(ended_on_server(r));
  }
  SUBCASE("partial: the batch stops, each contact ends with a well-defined outcome") {
    cl::testing::simulator sim(slow_on("/enrichment/person", 200ms));
    asio::io_context ioc;
    cl::client c(ioc.get_executor(), client_for(sim));
    asio::cancellation_signal sig;
    outcome<std::vector<cl::enrich_item_result>> o;
    c.async_enrich_many(contacts, opts, asio::bind_cancellation_slot(sig.slot(), record(o)));
    until_received(ioc, sim, 1);
    sig.emit(asio::cancellation_type::partial);
    until_done(ioc, o);
    REQUIRE_FALSE(o.ec);
    REQUIRE(o.value.size() == 3);
    // The first contact's POST was written: it may have been charged.
    CHECK(o.value[0].ec == cl::error::outcome_unknown);
    // The others were never sent.
    CHECK(o.value[1].ec == asio::error::operation_aborted);
    CHECK(o.value[2].ec == asio::error::operation_aborted);
    CHECK(sim.stats().requests == 1);
  }
  SUBCASE("total before anything was sent: the batch ends at once, nothing sent") {
    cl::testing::simulator sim(fast_sim());
    asio::io_context ioc;
    cl::client c(ioc.get_executor(), client_for(sim));
    asio::cancellation_signal sig;
    outcome<std::vector<cl::enrich_item_result>> o;
    c.async_enrich_many(contacts, opts, asio::bind_cancellation_slot(sig.slot(), record(o)));
    sig.emit(asio::cancellation_type::total);
    until_done(ioc, o);
    REQUIRE(o.value.size() == 3);
    for (const auto& r : o.value) CHECK(r.ec == asio::error::operation_aborted);
    CHECK(sim.stats().requests == 0);
  }
}

TEST_CASE("enrich_many: poll.deadline bounds each workflow, not the batch") {
  cl::testing::simulator sim(fast_sim());
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), client_for(sim));
  std::vector<cl::enrich_person_request> contacts;
  for (int i = 0; i < 6; ++i) contacts.push_back(person("p" + std::to_string(i) + "@acme.io"));
  cl::enrich_many_options opts;
  opts.path = cl::enrich_path::person_by_person;
  opts.max_concurrency = 1;  // sequential: the batch lasts several times one workflow's wait
  opts.poll.initial = 10ms;
  opts.poll.max_interval = 20ms;
  outcome<std::vector<cl::enrich_item_result>> o;
  // Each workflow ends ~80 ms after its POST on this simulator; the POSTs are slowed so the
  // batch as a whole outlasts one poll.deadline, which used to end it with error::timeout for
  // the contacts not yet done.
  sim.set_faults([] {
    cl::testing::fault_params f;
    f.p_latency = 1.0;
    f.latency = 150ms;
    f.only_path = "/enrichment/person";
    return f;
  }());
  opts.poll.deadline = 500ms;  // > one contact's ~150 ms POST + ~80 ms run; < the batch's 6 x 230 ms
  c.async_enrich_many(contacts, opts, record(o));
  until_done(ioc, o);
  REQUIRE_FALSE(o.ec);
  REQUIRE(o.value.size() == 6);
  for (const auto& r : o.value) CHECK(ended_on_server(r));
}

TEST_CASE("enrich_many_options::deadline bounds the batch; a non-positive one is refused before sending") {
  cl::testing::simulator sim(fast_sim());
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), client_for(sim));
  cl::enrich_many_options opts;
  opts.deadline = 0ms;
  outcome<std::vector<cl::enrich_item_result>> o;
  c.async_enrich_many({person("a@acme.io")}, opts, record(o));
  until_done(ioc, o);
  CHECK(o.ec == cl::error::invalid_argument);
  CHECK(sim.stats().requests == 0);
}
