// Egress through an HTTP proxy (issue 16), against a real tinyproxy: the quickstart flow over
// HTTPS and plain HTTP, a chaos mix, proxy authentication (a wrong password: a clear 407 that
// never quotes it), NO_PROXY (direct: no CONNECT in the proxy's log) and pooled tunnels.
#include "../io/test_support.hpp"
#include "proxy_support.hpp"
#include "protocol/proxy.hpp"
#include "protocol/url.hpp"
#include "transport/shared_state.hpp"

#include <cleanlist/proxy.hpp>
#include <cleanlist/transport.hpp>

#include <doctest/doctest.h>

#include <map>
#include <set>

using namespace cltest;
using namespace proxytest;
namespace cl = cleanlist;

namespace {

/// "127.0.0.1:port" of the simulator: the CONNECT target the proxy logs.
std::string authority_of(const cl::testing::simulator& sim) {
  const auto u = sim.base_url("");
  return u.substr(u.find("://") + 3);
}

struct flow_result {
  std::string org;
  std::int64_t credits = 0;
  std::string status;
  bool has_result = false;
};

// whoami, balance, enrich a person and wait for its end (examples/quickstart.cpp's first steps).
asio::awaitable<flow_result> quickstart_flow(cl::client& c) {
  flow_result r;
  auto who = co_await c.async_whoami();
  r.org = who.organization_id;
  auto balance = co_await c.async_credits_balance();
  r.credits = balance.credits;
  cl::enrich_person_request person;
  person.first_name = "Ada";
  person.last_name = "Lovelace";
  person.domain = "acme.com";
  person.enrichment_type = cl::enrichment_type::partial;
  auto started = co_await c.async_enrich_person(person);
  cl::poll_params poll;
  poll.initial = std::chrono::milliseconds(20);
  poll.max_interval = std::chrono::milliseconds(100);
  auto done = co_await c.async_wait_for_workflow(started.workflow_id, poll, nullptr);
  r.status = done.status;
  r.has_result = done.result.has_value();
  co_return r;
}

asio::awaitable<int> sequential_whoamis(cl::client& c, int n) {
  int ok = 0;
  for (int i = 0; i < n; ++i) {
    auto who = co_await c.async_whoami();
    if (!who.organization_id.empty()) ++ok;
  }
  co_return ok;
}

} // namespace

TEST_CASE("the quickstart flow through tinyproxy over HTTPS: one tunnel, TLS with the API's name") {
  cl::testing::simulator sim(fast_sim(true));
  tinyproxy_process proxy;
  asio::io_context ioc;
  auto p = client_for(sim);
  p.proxy.url = proxy.url();
  p.max_connections = 1;  // sequential calls: one pooled tunnel, reused
  cl::client c(ioc.get_executor(), p);
  const auto r = run(ioc, quickstart_flow(c));
  CHECK(r.org == sim.default_org_id());
  CHECK(r.credits > 0);
  CHECK(cl::is_terminal_status(r.status));
  CHECK(proxy.connects_to(authority_of(sim)) == 1);
  CHECK(c.stats().connections_created == 1);
  CHECK(sim.stats().requests >= 4);  // whoami, balance, enrich, polls: all through that tunnel
}

TEST_CASE("plain HTTP goes through the proxy too (a CONNECT tunnel)") {
  cl::testing::simulator sim(fast_sim(false));
  tinyproxy_process proxy;
  asio::io_context ioc;
  auto p = client_for(sim);
  p.proxy.url = proxy.url();
  cl::client c(ioc.get_executor(), p);
  const auto r = run(ioc, quickstart_flow(c));
  CHECK(cl::is_terminal_status(r.status));
  CHECK(proxy.connects_to(authority_of(sim)) >= 1);
  CHECK(proxy.log().find("GET /api/") == std::string::npos);  // a tunnel, not a forwarded request
}

TEST_CASE("pooled tunnels are reused: N sequential calls open one CONNECT") {
  cl::testing::simulator sim(fast_sim(true));
  tinyproxy_process proxy;
  asio::io_context ioc;
  auto p = client_for(sim);
  p.proxy.url = proxy.url();
  cl::client c(ioc.get_executor(), p);  // default pool size (4): sequential calls still need one
  constexpr int n = 25;
  CHECK(run(ioc, sequential_whoamis(c, n)) == n);
  CHECK(proxy.connects_to(authority_of(sim)) == 1);
  CHECK(c.stats().connections_created == 1);
  CHECK(sim.stats().requests == static_cast<std::uint64_t>(n));
}

TEST_CASE("proxy authentication: right credentials pass, a wrong password is a clear proxy_auth_required that never quotes it") {
  cl::testing::simulator sim(fast_sim(true));
  const std::string password = "Pr0xy.S3cret-x";  // tinyproxy's config takes [A-Za-z0-9._-] only
  tinyproxy_process proxy({"alice", password});
  asio::io_context ioc;

  SUBCASE("credentials in the URL, percent-encoded") {
    auto p = client_for(sim);
    // "%69" is 'i', "%2E" is '.': the userinfo is percent-decoded.
    p.proxy.url = "http://al%69ce:Pr0xy%2ES3cret-x@127.0.0.1:" + std::to_string(proxy.port());
    cl::client c(ioc.get_executor(), p);
    CHECK(run(ioc, sequential_whoamis(c, 2)) == 2);
  }
  SUBCASE("credentials as separate settings") {
    auto p = client_for(sim);
    p.proxy.url = proxy.url();
    p.proxy.username = "alice";
    p.proxy.password = password;
    cl::client c(ioc.get_executor(), p);
    CHECK(run(ioc, sequential_whoamis(c, 2)) == 2);
  }
  SUBCASE("no credentials, or a wrong password: proxy_auth_required, not retried, nothing sent to the API") {
    for (const std::string& wrong : {std::string(), std::string("Wr0ng-Passw0rd-xyz")}) {
      CAPTURE(wrong);
      const auto requests_before = sim.stats().requests;
      std::vector<std::string> logged;
      auto p = client_for(sim);
      p.proxy.url = proxy.url();
      if (!wrong.empty()) {
        p.proxy.username = "alice";
        p.proxy.password = wrong;
      }
      p.logger = [&logged](cl::log_level, std::string_view m) { logged.emplace_back(m); };
      cl::client c(ioc.get_executor(), p);
      const auto connects_before = proxy.connects_to(authority_of(sim));
      auto o = run_callback<cl::whoami_response>(ioc, [&](cl::diagnostics& d, auto h) { c.async_whoami(d, std::move(h)); });
      CHECK(o.ec == cl::error::proxy_auth_required);
      CHECK(o.diag.http_status == 0);  // not an answer of the API
      CHECK(o.diag.problem.find("proxy") != std::string::npos);
      // tinyproxy answers 407 without credentials, 401 to wrong ones: both are proxy_auth_required.
      const int expected_status = wrong.empty() ? 407 : 401;
      CHECK(o.diag.problem.find("the proxy answered " + std::to_string(expected_status)) != std::string::npos);
      CHECK(o.diag.detail_int("proxy_status") == expected_status);
      CHECK(proxy.connects_to(authority_of(sim)) == connects_before + 1);  // refused for config: not retried
      CHECK(sim.stats().requests == requests_before);                        // the API saw nothing

      // The exception path too.
      std::string what;
      try {
        (void)run(ioc, sequential_whoamis(c, 1));
      } catch (const cl::api_exception& e) {
        what = e.what();
        CHECK(e.code() == cl::error::proxy_auth_required);
      }
      CHECK(what.find("proxy") != std::string::npos);
      if (!wrong.empty()) {
        for (const std::string& text : {o.ec.message(), o.diag.problem, o.diag.to_string(), what}) {
          CHECK(text.find(wrong) == std::string::npos);
          CHECK(text.find(cl::protocol::base64_encode("alice:" + wrong)) == std::string::npos);
        }
        for (const auto& d : o.diag.details) CHECK(d.second.find(wrong) == std::string::npos);
        for (const auto& m : logged) CHECK(m.find(wrong) == std::string::npos);
      }
    }
  }
}

TEST_CASE("NO_PROXY matching the simulator's host: a direct connection (no CONNECT in the proxy's log)") {
  cl::testing::simulator sim(fast_sim(true));
  tinyproxy_process proxy;
  std::map<std::string, std::string> env{{"HTTPS_PROXY", proxy.url()}};
  const cl::env_lookup lookup = [&env](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  asio::io_context ioc;
  const std::string sim_authority = authority_of(sim);  // "127.0.0.1:port"
  for (const std::string& no_proxy : {std::string("127.0.0.1"), std::string("localhost, 127.0.0.0/8"), std::string("*"),
                                     "other.example," + sim_authority}) {
    CAPTURE(no_proxy);
    env["NO_PROXY"] = no_proxy;
    auto p = client_for(sim);
    p.proxy = cl::proxy_from_env(p.base_url, lookup);
    REQUIRE(p.proxy.url == proxy.url());
    cl::client c(ioc.get_executor(), p);
    CHECK(run(ioc, sequential_whoamis(c, 2)) == 2);
    CHECK(proxy.connects_to(authority_of(sim)) == 0);
  }
  // Control: a NO_PROXY that does not match (another port) goes through the proxy.
  env["NO_PROXY"] = "127.0.0.1:1";
  auto p = client_for(sim);
  p.proxy = cl::proxy_from_env(p.base_url, lookup);
  cl::client c(ioc.get_executor(), p);
  CHECK(run(ioc, sequential_whoamis(c, 1)) == 1);
  CHECK(proxy.connects_to(authority_of(sim)) == 1);
}

TEST_CASE("chaos through the proxy: concurrent enrichments with every fault, nothing lost, nothing posted twice") {
  auto sp = fast_sim(true);
  sp.seed = 11;
  all_faults(sp.faults);
  sp.faults.p_stall = 0.002;
  sp.faults.retry_after = std::chrono::milliseconds(100);
  cl::testing::simulator sim(sp);
  tinyproxy_process proxy;
  asio::io_context ioc;
  auto p = client_for(sim);
  p.proxy.url = proxy.url();
  p.max_connections = 32;
  p.request_timeout = std::chrono::milliseconds(500);  // stalled answers end here
  p.retry.max_attempts = 8;
  p.retry.budget_tokens = 1e9;
  p.overall_timeout = std::chrono::seconds(60);
  cl::client c(ioc.get_executor(), p);

  constexpr std::size_t n = 300;
  std::vector<cl::enrich_person_request> input(n);
  for (std::size_t i = 0; i < n; ++i) input[i].email = "proxy-chaos" + std::to_string(i) + "@acme.com";
  cl::enrich_many_options o;
  o.path = cl::enrich_path::person_by_person;
  o.max_concurrency = 200;
  o.poll.initial = std::chrono::milliseconds(50);
  o.poll.max_interval = std::chrono::milliseconds(200);
  o.poll.deadline = std::chrono::seconds(120);
  auto results = run(ioc, c.async_enrich_many(input, o), std::chrono::seconds(300));
  REQUIRE(results.size() == n);
  std::map<std::string, std::size_t> outcomes;
  std::size_t ended = 0;
  for (auto& r : results) {
    CHECK((r.ec || cl::is_terminal_status(r.status)));
    outcomes[r.ec ? r.ec.message() : "ok: " + r.status]++;
    ended += ended_on_server(r);
  }
  std::size_t duplicates = 0;
  for (auto& in : input) duplicates += sim.enrich_posts_for(identity_of(in)) > 1;
  CHECK(duplicates == 0);
  const auto st = c.stats();
  const auto ss = sim.stats();
  const auto tunnels = proxy.connects_to(authority_of(sim));
  MESSAGE("proxy chaos: items " << n << ", ended on the server " << ended << ", retries " << st.retries
                                << ", faults injected " << ss.faults_injected << ", tunnels " << tunnels
                                << ", connections created " << st.connections_created);
  for (auto& [what, count] : outcomes) MESSAGE("  " << count << " x " << what);
  CHECK(ss.faults_injected > n / 20);  // the faults really happened
  CHECK(st.retries > 0);
  CHECK(ended > n * 8 / 10);
  CHECK(tunnels == st.connections_created);  // every connection was a tunnel
  CHECK(tunnels > 0);
}

TEST_CASE("a bad proxy setting is refused by the constructor, without quoting the password") {
  cl::testing::simulator sim(fast_sim(true));
  asio::io_context ioc;
  for (const char* url : {"https://u:T0pSecret@127.0.0.1:3128", "socks5://u:T0pSecret@127.0.0.1:1080",
                          "http://u:T0pSecret@127.0.0.1:3128/path", "http://u:T0p%ZZSecret@127.0.0.1:3128"}) {
    CAPTURE(url);
    auto p = client_for(sim);
    p.proxy.url = url;
    std::string what;
    try {
      cl::client c(ioc.get_executor(), p);
    } catch (const std::invalid_argument& e) {
      what = e.what();
    }
    CHECK(what.find("proxy") != std::string::npos);
    CHECK(what.find("T0p") == std::string::npos);
  }
  // A transport shared by clients takes the same setting.
  cl::transport_params tp;
  tp.base_url = sim.base_url();
  tp.proxy.url = "http://127.0.0.1:3128";
  tp.proxy.username = "a:b";  // no ':' in a Basic user name
  CHECK_THROWS_AS(cl::http_transport(ioc.get_executor(), tp), std::invalid_argument);
}

TEST_CASE("a transport shared by clients carries the proxy: one tunnel for two clients") {
  cl::testing::simulator sim(fast_sim(true));
  tinyproxy_process proxy;
  asio::io_context ioc;
  cl::transport_params tp;
  tp.base_url = sim.base_url();
  tp.tls.ca_pem = sim.ca_pem();
  tp.tls.use_system_ca = false;
  tp.proxy.url = proxy.url();
  tp.max_connections = 1;
  auto shared = std::make_shared<cl::http_transport>(ioc.get_executor(), tp);
  auto p = client_for(sim);
  p.shared_transport = shared;
  cl::client a(ioc.get_executor(), p);
  cl::client b(ioc.get_executor(), p);
  CHECK(run(ioc, sequential_whoamis(a, 3)) == 3);
  CHECK(run(ioc, sequential_whoamis(b, 3)) == 3);
  CHECK(proxy.connects_to(authority_of(sim)) == 1);
}

TEST_CASE("a bulk batch's export download goes through the proxy too: its own tunnel, no credential") {
  cl::testing::simulator sim(fast_sim(true));
  tinyproxy_process proxy;
  asio::io_context ioc;
  auto p = client_for(sim);
  p.proxy.url = proxy.url();
  p.max_connections = 1;  // the API's requests share one pooled tunnel
  cl::client c(ioc.get_executor(), p);
  std::vector<cl::enrich_person_request> in(30);
  for (std::size_t i = 0; i < in.size(); ++i) in[i].email = "p" + std::to_string(i) + "@proxied.io";
  cl::enrich_many_options o;
  o.path = cl::enrich_path::bulk;
  o.poll.initial = 50ms;
  cl::diagnostics d;
  auto results = run(ioc, c.async_enrich_many(in, o, d));
  REQUIRE(results.size() == in.size());
  for (const auto& r : results) CHECK_MESSAGE((r.ok() || r.ec == cl::error::lead_not_enriched), r.problem);
  CHECK(d.problem.find("list_leads") == std::string::npos);  // read back by the export
  CHECK(sim.stats().export_downloads == 1);
  CHECK(sim.stats().export_downloads_with_authorization == 0);
  CHECK(c.stats().connections_created == 1);             // the pool's: the download is not pooled
  CHECK(proxy.connects_to(authority_of(sim)) == 2);      // the API's tunnel and the download's
}

TEST_CASE("TLS sessions are resumed through the tunnel, filed under the proxy's route") {
  cl::testing::simulator sim(fast_sim(true));
  tinyproxy_process proxy;
  asio::io_context ioc;
  cl::transport_params tp;
  tp.base_url = sim.base_url();
  tp.tls.ca_pem = sim.ca_pem();
  tp.tls.use_system_ca = false;
  tp.proxy.url = proxy.url();
  tp.max_requests_per_connection = 1;  // a new tunnel and handshake per call
  auto t = std::make_shared<cl::http_transport>(ioc.get_executor(), tp);
  auto p = client_for(sim);
  p.shared_transport = t;
  cl::client c(ioc.get_executor(), p);
  CHECK(run(ioc, sequential_whoamis(c, 4)) == 4);
  CHECK(proxy.connects_to(authority_of(sim)) == 4);
  CHECK(sim.stats().tls_full_handshakes == 1);
  CHECK(sim.stats().tls_resumed_handshakes == 3);
  const auto& sessions = *t->get_state()->sessions;
  CHECK(sessions.size() >= 1);
  // Not under the direct route's key: a session made through the proxy is only offered through it.
  CHECK(sessions.size(cl::transport::session_cache::key_for("127.0.0.1", sim.port(), false)) == 0);
}
