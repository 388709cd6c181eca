// enrich_many's bulk path at scale (issue 15 item 6): CSV imports cut by bytes (adapting to a
// row cap the server reveals), one quote, one run, polls placed by progress, and the results
// read back by one CSV export and a plain download, or by list_leads pages when the export is
// unavailable. The simulator counts API requests and downloads apart.
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <set>

using namespace cltest;
namespace cl = cleanlist;
namespace ct = cleanlist::testing;

namespace {

std::vector<cl::enrich_person_request> contacts(std::size_t n, const std::string& tag) {
  std::vector<cl::enrich_person_request> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto& r = v[i];
    if (i % 3 == 0) r.email = "p" + std::to_string(i) + "." + tag + "@acme.com";
    else if (i % 3 == 1) r.linkedin_url = "https://www.linkedin.com/in/p" + std::to_string(i) + "-" + tag;
    else {
      r.first_name = "First" + std::to_string(i);
      r.last_name = "Last" + tag;
      r.company_name = "Acme " + std::to_string(i % 50);
    }
  }
  return v;
}

// The documented limits on a scaled-down window (30/key, 60/org per 2 s instead of per minute),
// and a client whose limiter follows them: nothing may rely on rate limits being off.
ct::simulator_params scaled_sim(std::chrono::milliseconds running_for = 1500ms) {
  auto p = fast_sim();
  p.rate_limits = true;
  p.window = 2000ms;
  p.running_for = running_for;
  return p;
}

cl::client_params scaled_client(const ct::simulator& sim, std::string api_key = {}) {
  auto p = client_for(sim);
  if (!api_key.empty()) p.api_key = std::move(api_key);
  p.rate_limit.enabled = true;
  p.rate_limit.window = 2000ms;
  p.rate_limit.margin = 50ms;
  p.overall_timeout = 60s;
  return p;
}

cl::enrich_many_options bulk_options() {
  cl::enrich_many_options o;
  o.path = cl::enrich_path::bulk;
  o.poll.initial = 200ms;
  o.poll.max_interval = 500ms;  // without progress placement a 1.5 s run would cost ~5 polls
  o.poll.deadline = 120s;
  return o;
}

// An organisation whose only key lacks export:read (everything else the bulk path needs).
const std::string no_export_key = "clapi_noexport_0123456789abcdef0123456789";
ct::simulator_params no_export_sim(ct::simulator_params sp) {
  ct::organisation_config org;
  org.org_id = "org_noexport";
  org.name = "No export";
  ct::user_config u;
  u.user_id = "user_noexport";
  u.email = "u@noexport.io";
  u.name = "U";
  u.keys.push_back({no_export_key, {"lists:read", "lists:write", "credits:read", "enrich:read", "enrich:write"}});
  org.users.push_back(u);
  sp.orgs.push_back(org);
  return sp;
}

struct outcome {
  std::vector<cl::enrich_item_result> results;
  cl::diagnostics diag;
  std::uint64_t api_requests = 0, downloads = 0, downloads_with_auth = 0;
};

outcome enrich(ct::simulator& sim, const cl::client_params& cp, const std::vector<cl::enrich_person_request>& in) {
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), cp);
  outcome o;
  o.results = run(ioc, c.async_enrich_many(in, bulk_options(), o.diag), std::chrono::seconds(240));
  const auto st = sim.stats();
  o.api_requests = st.requests;
  o.downloads = st.export_downloads;
  o.downloads_with_auth = st.export_downloads_with_authorization;
  CHECK(c.stats().requests == st.requests);  // every attempt of the client reached the server, nothing else
  return o;
}

// Every item ends, each with its own lead, and none lost: ok, or (a lead the run did not enrich)
// lead_not_enriched, never "not found in the list".
void check_all_ended(const outcome& o, std::size_t n) {
  REQUIRE(o.results.size() == n);
  std::set<std::string> leads;
  std::size_t enriched = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = o.results[i];
    CAPTURE(i);
    REQUIRE_MESSAGE((r.ok() || r.ec == cl::error::lead_not_enriched), r.problem);
    CHECK_FALSE(r.lead_id.empty());
    CHECK(leads.insert(r.lead_id).second);  // one lead per contact: each imported once
    enriched += r.ok() && r.status == "completed";
  }
  CHECK(enriched > n / 2);
}

} // namespace

TEST_CASE("bulk enrich_many: 20,000 contacts in at most 20 API requests, read back by one export download") {
  ct::simulator sim(scaled_sim());
  const auto in = contacts(20000, "floor");
  auto o = enrich(sim, scaled_client(sim), in);
  check_all_ended(o, in.size());
  MESSAGE("20,000 contacts, export read-back: " << o.api_requests << " API requests + " << o.downloads
                                                << " download; batch: " << o.diag.problem);
  CHECK(o.api_requests <= 20);
  CHECK(o.downloads == 1);
  CHECK(o.downloads_with_auth == 0);  // the credential never goes to the download host
  CHECK(o.diag.problem.find("list_leads") == std::string::npos);
}

TEST_CASE("bulk enrich_many: a low row cap on the server still imports every contact once") {
  auto sp = scaled_sim(300ms);
  sp.csv_max_rows = 300;
  ct::simulator sim(sp);
  const auto in = contacts(2000, "cap");
  auto o = enrich(sim, scaled_client(sim), in);
  check_all_ended(o, in.size());
  MESSAGE("2,000 contacts with a 300-row cap: " << o.api_requests << " API requests");
  // 1 list, ceil(2000 / 300) + 1 imports (the first one reveals the cap), 1 quote, 1 run, polls, 1 export.
  CHECK(o.api_requests >= 1 + 8 + 3);
  CHECK(o.api_requests <= 1 + 8 + 3 + 6);
  CHECK(o.downloads == 1);
}

TEST_CASE("bulk enrich_many: without the export the results come from list_leads, every item ends") {
  SUBCASE("a key without export:read") {
    ct::simulator sim(no_export_sim(scaled_sim(300ms)));
    const auto in = contacts(1200, "scope");
    auto o = enrich(sim, scaled_client(sim, no_export_key), in);
    check_all_ended(o, in.size());
    CHECK(o.downloads == 0);
    CHECK(o.diag.problem.find("list_leads") != std::string::npos);
    CHECK(o.diag.problem.find("no result is lost") != std::string::npos);
    CHECK(o.diag.problem.find("clapi_") == std::string::npos);
    MESSAGE(o.diag.problem);
  }
  SUBCASE("a download answering 500, a torn CSV or an oversized body") {
    for (auto fault : {ct::export_fault::status_500, ct::export_fault::garbage, ct::export_fault::oversized}) {
      CAPTURE(static_cast<int>(fault));
      auto sp = scaled_sim(300ms);
      sp.export_download = fault;
      ct::simulator sim(sp);
      const auto in = contacts(1200, "dl");
      auto o = enrich(sim, scaled_client(sim), in);
      check_all_ended(o, in.size());
      CHECK(o.downloads == 1);  // tried once, never retried
      CHECK(o.downloads_with_auth == 0);
      CHECK(o.diag.problem.find("list_leads") != std::string::npos);
      MESSAGE(o.diag.problem);
    }
  }
}

TEST_CASE("bulk enrich_many: 20,000 contacts read back by list_leads pages (the export unavailable) still all end") {
  ct::simulator sim(no_export_sim(scaled_sim()));
  const auto in = contacts(20000, "pages");
  auto o = enrich(sim, scaled_client(sim, no_export_key), in);
  check_all_ended(o, in.size());
  MESSAGE("20,000 contacts, list_leads read-back: " << o.api_requests << " API requests");
  CHECK(o.api_requests > 40);  // 40 pages of 500: the figure the export saves
  CHECK(o.downloads == 0);
}

TEST_CASE("bulk enrich_many over plain HTTP downloads over plain HTTP too (the simulator's own origin)") {
  auto sp = scaled_sim(300ms);
  sp.tls = false;
  ct::simulator sim(sp);
  const auto in = contacts(600, "http");
  auto cp = scaled_client(sim);
  auto o = enrich(sim, cp, in);
  check_all_ended(o, in.size());
  CHECK(o.downloads == 1);
  CHECK(o.downloads_with_auth == 0);
  CHECK(o.diag.problem.find("list_leads") == std::string::npos);
}

TEST_CASE("the download host may differ from the API's: TLS with its own name (SNI and host-name check)") {
  SUBCASE("a name the certificate holds (localhost, while the API is 127.0.0.1): downloaded") {
    auto sp = scaled_sim(300ms);
    sp.export_host = "localhost";
    ct::simulator sim(sp);
    const auto in = contacts(600, "host");
    auto o = enrich(sim, scaled_client(sim), in);
    check_all_ended(o, in.size());
    CHECK(o.downloads == 1);
    CHECK(o.downloads_with_auth == 0);
    CHECK(o.diag.problem.find("list_leads") == std::string::npos);
  }
  SUBCASE("a name the certificate lacks, resolved to the simulator: refused by TLS, read back by list_leads") {
    auto sp = scaled_sim(300ms);
    sp.export_host = "downloads.sim.test";
    ct::simulator sim(sp);
    asio::io_context ioc;
    cl::transport_params tp;
    tp.base_url = sim.base_url();
    tp.tls.ca_pem = sim.ca_pem();
    tp.tls.use_system_ca = false;
    std::vector<std::string> resolved;
    tp.resolver = [&resolved](const std::string& host, std::uint16_t port, cl::resolve_handler done) {
      resolved.push_back(host);  // the API's host is an IP literal: only the download host comes here
      done({}, {asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port)});
    };
    auto cp = scaled_client(sim);
    cp.shared_transport = std::make_shared<cl::http_transport>(ioc.get_executor(), tp);
    cl::client c(ioc.get_executor(), cp);
    const auto in = contacts(600, "badhost");
    cl::diagnostics d;
    auto results = run(ioc, c.async_enrich_many(in, bulk_options(), d), std::chrono::seconds(120));
    outcome o;
    o.results = std::move(results);
    check_all_ended(o, in.size());
    CHECK(resolved == std::vector<std::string>{"downloads.sim.test"});
    CHECK(sim.stats().export_downloads == 0);  // the handshake failed: no request was sent
    CHECK(d.problem.find("list_leads") != std::string::npos);
    MESSAGE(d.problem);
  }
}

TEST_CASE("bulk enrich_many: a person given twice (in different chunks) is imported once, both items get its lead") {
  ct::simulator sim(scaled_sim(300ms));
  auto in = contacts(12000, "dup");  // ~4 chunks of 150 KB
  const std::size_t distinct = in.size();
  for (std::size_t i = 0; i < 300; ++i) {
    auto again = in[i * 3];  // an email contact from the first chunk...
    again.email = "  " + *again.email;  // (spelt differently)
    in.push_back(again);      // ...given again at the end: another chunk
  }
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), scaled_client(sim));
  auto o = bulk_options();
  std::string list_id;
  o.on_bulk_started = [&](const cl::bulk_run& r) { list_id = r.list_id; };
  auto results = run(ioc, c.async_enrich_many(in, o), std::chrono::seconds(240));
  REQUIRE(results.size() == in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    CAPTURE(i);
    REQUIRE_MESSAGE((results[i].ok() || results[i].ec == cl::error::lead_not_enriched), results[i].problem);
  }
  for (std::size_t i = 0; i < 300; ++i) CHECK(results[distinct + i].lead_id == results[i * 3].lead_id);
  auto list = run(ioc, c.async_get_list(list_id));
  CHECK(static_cast<std::size_t>(list.lead_count) == distinct);  // one lead (and one charge) per person
}

// The read-back's download is a plain GET to another host that may never answer: it has the
// client's request_timeout as its deadline, and a cancellation reaches it like any read.
TEST_CASE("bulk enrich_many: an export download that never answers") {
  auto sp = scaled_sim(300ms);
  sp.export_download = ct::export_fault::stall;
  const auto in = contacts(1200, "stall");

  SUBCASE("ends by its deadline: the results come from list_leads, every item ends") {
    ct::simulator sim(sp);
    auto cp = scaled_client(sim);
    cp.request_timeout = 1500ms;
    auto o = enrich(sim, cp, in);
    check_all_ended(o, in.size());
    CHECK(o.downloads == 1);  // tried once, never retried
    CHECK(o.diag.problem.find("list_leads") != std::string::npos);
    MESSAGE(o.diag.problem);
  }
  SUBCASE("a cancellation (partial, terminal) while it is in flight: every item ends at once, naming the paid run") {
    for (auto type : {asio::cancellation_type::partial, asio::cancellation_type::terminal}) {
      CAPTURE(static_cast<int>(type));
      ct::simulator sim(sp);
      asio::io_context ioc;
      cl::client c(ioc.get_executor(), scaled_client(sim));
      auto opts = bulk_options();
      int runs = 0;
      std::string workflow_id;
      opts.on_bulk_started = [&](const cl::bulk_run& r) {
        ++runs;
        workflow_id = r.workflow_id;
      };
      asio::cancellation_signal sig;
      std::optional<std::vector<cl::enrich_item_result>> results;
      c.async_enrich_many(in, opts,
                          asio::bind_cancellation_slot(sig.slot(), [&](cl::error_code, std::vector<cl::enrich_item_result> v) {
                            results = std::move(v);
                          }));
      for (int i = 0; i < 12000 && sim.stats().export_downloads == 0 && !results; ++i) ioc.run_for(10ms);
      REQUIRE_FALSE(results.has_value());  // still waiting for the file
      REQUIRE(sim.stats().export_downloads == 1);
      const auto requests_at_cancel = sim.stats().requests;
      sig.emit(type);
      ioc.restart();
      // Bounded at 10 s (it ends in milliseconds): a loaded machine must not fail it, and it
      // still tells "at once" from the download's own 30 s request_timeout.
      for (int i = 0; i < 1000 && !results; ++i) ioc.run_for(10ms);
      REQUIRE(results.has_value());
      REQUIRE(results->size() == in.size());
      CHECK(runs == 1);
      for (const auto& r : *results) {
        CHECK(r.ec == asio::error::operation_aborted);
        CHECK(r.workflow_id == workflow_id);  // paid: the caller can read the run's list later
      }
      CHECK(sim.stats().requests == requests_at_cancel);  // no list_leads fallback after a cancellation
      CHECK(sim.stats().export_downloads == 1);
    }
  }
}
