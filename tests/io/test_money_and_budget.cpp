// The two promises about money and budget (issue 11), on the paths where they were broken:
// a POST stopped after it was written, a quote-protected POST whose answer is lost, a slot
// granted before a pool wait, an over-long Retry-After, and the smaller ones (idle
// connections, per-page deadlines, list reuse, poll parameters, failed/cancelled bulk runs).
#include "test_support.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/json.hpp>

#include <doctest/doctest.h>

using namespace cltest;
namespace cl = cleanlist;
namespace ct = cleanlist::testing;
using asio::experimental::awaitable_operators::operator&&;

namespace {

/// A simulator that answers POST /enrichment/person only after `processing` (the server
/// processes the request when it answers: a stop before then leaves it ambiguous to the client).
ct::simulator_params slow_person_sim(bool tls, std::chrono::milliseconds processing) {
  auto sp = fast_sim(tls);
  sp.faults.p_latency = 1.0;
  sp.faults.latency = processing;
  sp.faults.only_path = "/enrichment/person";
  return sp;
}

cl::enrich_person_request person(std::string email) {
  cl::enrich_person_request r;
  r.email = std::move(email);
  return r;
}

/// Waits (bounded) until the simulator has accepted `n` POSTs for `identity`.
bool server_accepted(ct::simulator& sim, const std::string& identity, std::uint64_t n) {
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < until) {
    if (sim.enrich_posts_for(identity) >= n) return true;
    std::this_thread::sleep_for(20ms);  // the simulator runs on its own thread: poll its state
  }
  return false;
}

struct cancel_probe {
  asio::cancellation_signal sig;
  cl::diagnostics d;
  cl::error_code ec;
};

asio::awaitable<void> enrich_cancellable(cl::client* c, cl::enrich_person_request req, cancel_probe* p) {
  auto [e, r] = co_await c->async_enrich_person(req, p->d,
                                                asio::bind_cancellation_slot(p->sig.slot(), asio::as_tuple(asio::use_awaitable)));
  p->ec = e;
}

asio::awaitable<void> cancel_after(cancel_probe* p, std::chrono::milliseconds after) {
  asio::steady_timer t(co_await asio::this_coro::executor, after);
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
  p->sig.emit(asio::cancellation_type::terminal);
}

asio::awaitable<void> enrich_with_cancel_after(cl::client* c, cl::enrich_person_request req,
                                               std::chrono::milliseconds after, cancel_probe* p) {
  co_await (enrich_cancellable(c, std::move(req), p) && cancel_after(p, after));
}

/// A list holding `emails` (CSV import, no enrichment); returns its id.
asio::awaitable<std::string> list_with(cl::client* c, std::string name, std::vector<std::string> emails) {
  cl::create_list_request cr;
  cr.name = std::move(name);
  auto l = co_await c->async_create_list(cr);
  cl::csv_import_request imp;
  imp.list_id = l.list_id;
  imp.csv_content = "email\n";
  for (auto& e : emails) imp.csv_content += e + "\n";
  imp.column_mapping = {{"email", "email"}};
  imp.dispatch_enrichment = false;
  co_await c->async_csv_import(imp);
  co_return l.list_id;
}

asio::awaitable<std::tuple<cl::error_code, cl::diagnostics>> quote_and_run(cl::client* c, std::string list) {
  cl::estimate_request est;
  est.tool = "enrich_list";
  est.list_id = list;
  est.scope = "partial";
  auto q = co_await c->async_estimate(est);
  cl::enrich_list_request er{list, cl::bulk_scope::partial, q.quote_id};
  cl::diagnostics diag;
  auto [e, r] = co_await c->async_enrich_list(er, diag, asio::as_tuple(asio::use_awaitable));
  co_return std::make_tuple(e, diag);
}

} // namespace

TEST_CASE("a non-idempotent POST stopped after it was written is outcome_unknown, never a retryable stop") {
  for (bool tls : {false, true}) {
    CAPTURE(tls);
    ct::simulator sim(slow_person_sim(tls, 1500ms));
    asio::io_context ioc;

    SUBCASE("overall deadline") {
      auto p = client_for(sim);
      p.overall_timeout = 500ms;
      cl::client c(ioc.get_executor(), p);
      const auto req = person("overall." + std::to_string(tls) + "@acme.io");
      cl::diagnostics d;
      auto [ec, r] = run(ioc, c.async_enrich_person(req, d, asio::as_tuple(asio::use_awaitable)));
      CHECK(ec == cl::error::outcome_unknown);
      CHECK_FALSE(cl::is_transient(ec));
      CHECK(d.problem.find("after the request was written") != std::string::npos);
      CHECK(c.stats().outcome_unknown == 1);
      CHECK(server_accepted(sim, identity_of(req), 1));
      CHECK(sim.enrich_posts_for(identity_of(req)) == 1);
    }
    SUBCASE("per-request deadline") {
      auto p = client_for(sim);
      p.request_timeout = 500ms;
      cl::client c(ioc.get_executor(), p);
      const auto req = person("attempt." + std::to_string(tls) + "@acme.io");
      auto [ec, r] = run(ioc, c.async_enrich_person(req, asio::as_tuple(asio::use_awaitable)));
      CHECK(ec == cl::error::outcome_unknown);
      CHECK(server_accepted(sim, identity_of(req), 1));
      CHECK(sim.enrich_posts_for(identity_of(req)) == 1);
    }
    SUBCASE("user cancellation") {
      cl::client c(ioc.get_executor(), client_for(sim));
      const auto req = person("cancel." + std::to_string(tls) + "@acme.io");
      cancel_probe probe;
      run(ioc, enrich_with_cancel_after(&c, req, 400ms, &probe));
      CHECK(probe.ec == cl::error::outcome_unknown);
      CHECK(probe.d.problem.find("after the request was written") != std::string::npos);
      CHECK(server_accepted(sim, identity_of(req), 1));
    }
    SUBCASE("batch cancellation") {
      cl::client c(ioc.get_executor(), client_for(sim));
      std::vector<cl::enrich_person_request> contacts{person("b1." + std::to_string(tls) + "@acme.io"),
                                                      person("b2." + std::to_string(tls) + "@acme.io")};
      cl::enrich_many_options o;
      o.path = cl::enrich_path::person_by_person;
      asio::cancellation_signal sig;
      std::vector<cl::enrich_item_result> results;
      bool done = false;
      c.async_enrich_many(contacts, o, asio::bind_cancellation_slot(sig.slot(), [&](cl::error_code, std::vector<cl::enrich_item_result> r) {
                            results = std::move(r);
                            done = true;
                          }));
      asio::steady_timer t(ioc, 400ms);
      t.async_wait([&](cl::error_code) { sig.emit(asio::cancellation_type::terminal); });
      for (int i = 0; i < 1200 && !done; ++i) ioc.run_for(50ms);  // 60 s only guards a hang
      REQUIRE(done);
      REQUIRE(results.size() == 2);
      for (std::size_t i = 0; i < 2; ++i) {
        CAPTURE(i);
        CHECK(results[i].ec == cl::error::outcome_unknown);  // not "batch cancelled"
        CHECK(server_accepted(sim, identity_of(contacts[i]), 1));
      }
    }
  }
}

TEST_CASE("a quote-protected bulk POST whose answer is lost is replayed once and reported processed, never paid twice") {
  auto sp = fast_sim(false);
  sp.faults.p_reset_after = 1.0;  // processes the run, then closes without answering
  sp.faults.only_path = "/enrichment/bulk";
  ct::simulator sim(sp);
  asio::io_context ioc;
  auto p = client_for(sim);
  // The first bulk POST is processed and its answer lost; the faults end before the replay
  // (the client logs the retry just before sending it).
  p.logger = [&sim](cl::log_level, std::string_view msg) {
    if (msg.starts_with("retrying POST")) sim.set_faults({});
  };
  cl::client c(ioc.get_executor(), p);
  const auto org = sim.default_org_id();
  const auto before = sim.credits(org);

  SUBCASE("async_enrich_list") {
    auto list = run(ioc, list_with(&c, "quote-lost", {"q1@acme.io", "q2@acme.io"}));
    auto [ec, d] = run(ioc, quote_and_run(&c, list));
    CHECK(ec == cl::error::outcome_unknown);
    CHECK(d.problem.find("processed") != std::string::npos);
    CHECK(d.code == "quote_already_used");
  }
  SUBCASE("async_enrich_many, bulk path") {
    std::vector<cl::enrich_person_request> contacts;
    for (int i = 0; i < 6; ++i) contacts.push_back(person("lost" + std::to_string(i) + "@acme.io"));
    cl::enrich_many_options o;
    o.path = cl::enrich_path::bulk;
    int started = 0;
    o.on_bulk_started = [&](const cl::bulk_run&) { ++started; };
    auto results = run(ioc, c.async_enrich_many(contacts, o));
    REQUIRE(results.size() == contacts.size());
    for (auto& r : results) {
      CHECK(r.ec == cl::error::outcome_unknown);
      CHECK(r.problem.find("processed") != std::string::npos);
      CHECK(r.problem.find("list ") != std::string::npos);  // names where the results will be
    }
    CHECK(started == 0);  // the run's id is unknown: nothing to hand out
  }
  // One run was dispatched and reserved, once: the replay was refused, nothing else paid.
  std::size_t runs = 0;
  const auto ledger = sim.ledger_json();
  for (auto& w : ledger.at("workflows").as_array())
    if (w.at("org_id").as_string() == org) ++runs;
  CHECK(runs == 1);
  CHECK(before - sim.credits(org) <= 6);  // at most the one run's reservation
}

TEST_CASE("the budget is counted when the request is written: a slow request on one connection, zero 429s") {
  // 5 requests per 2 s window on both sides; one connection; one slow answer (1.2 s) holds
  // the connection while 12 fast requests wait for it. A slot granted before the pool wait
  // would reach the server late and overrun its fixed window.
  const auto window = 2s;
  auto sp = fast_sim(false);
  sp.rate_limits = true;
  sp.per_key_limit = 5;
  sp.per_org_limit = 100;
  sp.window = window;
  sp.faults.p_latency = 1.0;
  sp.faults.latency = 1200ms;
  sp.faults.only_path = "/credits/balance";
  ct::simulator sim(sp);
  asio::io_context ioc;
  auto p = client_for(sim);
  p.max_connections = 1;
  p.rate_limit.enabled = true;
  p.rate_limit.per_key = 5;
  p.rate_limit.per_org = 100;
  p.rate_limit.window = window;
  p.overall_timeout = 30s;
  cl::client c(ioc.get_executor(), p);
  int done = 0, failed = 0;
  c.async_credits_balance([&](cl::error_code ec, cl::credits_balance_response) { ++done; failed += ec ? 1 : 0; });
  for (int i = 0; i < 12; ++i)
    c.async_whoami([&](cl::error_code ec, cl::whoami_response) { ++done; failed += ec ? 1 : 0; });
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (done < 13 && std::chrono::steady_clock::now() < until) ioc.run_for(50ms);
  CHECK(done == 13);
  CHECK(failed == 0);
  CHECK(sim.stats().rate_limited_429 == 0);
  CHECK(c.stats().rate_limited_429 == 0);
}

TEST_CASE("an over-long Retry-After fails that call fast and pauses the key only as long as callers accept") {
  using namespace std::chrono;
  auto sp = fast_sim(false);
  // Every request of this path is answered 429 with a Retry-After of 1 h: so long that waiting
  // for it could only end with the client's overall_timeout (20 s), never with an answer.
  sp.faults.p_429 = 1.0;
  sp.faults.retry_after = 1h;
  sp.faults.only_path = "/credits/balance";
  ct::simulator sim(sp);
  asio::io_context ioc;
  auto p = client_for(sim);
  p.rate_limit.enabled = true;
  p.retry.max_retry_after = 300ms;  // the server's 1 h is more than this client accepts
  cl::client c(ioc.get_executor(), p);
  cl::diagnostics d;
  auto [ec, b] = run(ioc, c.async_credits_balance(d, asio::as_tuple(asio::use_awaitable)));
  CHECK(ec == cl::error::rate_limited);  // waiting the 1 h would have ended in timeout
  REQUIRE(d.retry_after);
  CHECK(*d.retry_after >= 1s);
  // Not waited for: one request, no retry, no wait in the limiter.
  CHECK(c.stats().requests == 1);
  CHECK(c.stats().retries == 0);
  CHECK(c.stats().limiter_wait == 0ns);
  // Another call of the key waits for the capped pause (300 ms), not for the server's value:
  // held by a 1 h pause it would end with an error (overall_timeout), not an answer.
  const auto t1 = steady_clock::now();
  auto [wec, who] = run(ioc, c.async_whoami(asio::as_tuple(asio::use_awaitable)));
  const auto waited = steady_clock::now() - t1;
  CHECK_FALSE(wec);
  CHECK(waited >= 250ms);
  CHECK(c.stats().limiter_wait > 0ns);  // it waited in the limiter: the key's pause
  CHECK(c.stats().requests == 2);
}

TEST_CASE("idle connections older than idle_timeout are not reused") {
  ct::simulator sim(fast_sim(false));
  asio::io_context ioc;
  auto p = client_for(sim);
  p.idle_timeout = 0ms;  // every idle connection is too old
  cl::client c(ioc.get_executor(), p);
  for (int i = 0; i < 3; ++i) run(ioc, c.async_whoami());
  CHECK(c.stats().connections_created == 3);
  auto q = client_for(sim);
  cl::client reuse(ioc.get_executor(), q);
  for (int i = 0; i < 3; ++i) run(ioc, reuse.async_whoami());
  CHECK(reuse.stats().connections_created == 1);  // the default keeps them
}

TEST_CASE("walking pages: overall_timeout bounds each page, not the whole walk") {
  auto sp = fast_sim(false);
  sp.rate_limits = false;
  ct::simulator sim(sp);
  asio::io_context ioc;
  auto p = client_for(sim);
  cl::client setup(ioc.get_executor(), p);
  std::vector<std::string> emails;
  for (int i = 0; i < 6; ++i) emails.push_back("page" + std::to_string(i) + "@acme.io");
  const auto list = run(ioc, list_with(&setup, "pages", emails));
  // 2 requests per second: 6 pages take ~2.5 s, each page well within 1.5 s.
  p.rate_limit.enabled = true;
  p.rate_limit.per_key = 2;
  p.rate_limit.window = 1s;
  p.overall_timeout = 1500ms;
  cl::client c(ioc.get_executor(), p);
  cl::list_leads_request lr{list, 1, {}};
  auto [ec, leads] = run(ioc, c.async_list_all_leads(lr, asio::as_tuple(asio::use_awaitable)));
  CHECK_FALSE(ec);
  CHECK(leads.size() == 6);
}

TEST_CASE("enrich_many refuses to re-enrich an existing list named by list_name, before paying") {
  ct::simulator sim(fast_sim(false));
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), client_for(sim));
  std::vector<cl::enrich_person_request> contacts;
  for (int i = 0; i < 5; ++i) contacts.push_back(person("reuse" + std::to_string(i) + "@acme.io"));
  cl::enrich_many_options o;
  o.path = cl::enrich_path::bulk;
  o.list_name = "my-batch";
  auto first = run(ioc, c.async_enrich_many(contacts, o));
  for (auto& r : first) CHECK(ended_on_server(r));
  const auto org = sim.default_org_id();
  const auto after_first = sim.credits(org);
  std::vector<cl::enrich_person_request> more{person("later@acme.io")};
  o.path = cl::enrich_path::bulk;
  auto second = run(ioc, c.async_enrich_many(more, o));
  REQUIRE(second.size() == 1);
  CHECK(second[0].ec == cl::error::conflict);
  CHECK(second[0].problem.find("existing list") != std::string::npos);
  CHECK(sim.credits(org) == after_first);  // nothing quoted, nothing paid
}

TEST_CASE("poll parameters that would burn the budget are refused before any request") {
  ct::simulator sim(fast_sim(false));
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), client_for(sim));
  cl::poll_params pp;
  pp.initial = 0ms;
  cl::diagnostics d;
  auto [ec, st] = run(ioc, c.async_wait_for_workflow("enrich-1", pp, {}, d, asio::as_tuple(asio::use_awaitable)));
  CHECK(ec == cl::error::invalid_argument);
  CHECK(d.problem.find("initial") != std::string::npos);
  cl::enrich_many_options o;
  o.poll.initial = 0ms;
  std::vector<cl::enrich_person_request> one{person("x@acme.io")};
  auto [ec2, r2] = run(ioc, c.async_enrich_many(one, o, asio::as_tuple(asio::use_awaitable)));
  CHECK(ec2 == cl::error::invalid_argument);
  CHECK(c.stats().requests == 0);
}
