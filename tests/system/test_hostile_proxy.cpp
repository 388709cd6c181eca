// A hostile proxy (proxy_support.hpp) answering CONNECT with garbage, a huge header, nothing
// at all, a refusal, or a tunnel that closes or stalls after the 200 / mid-TLS: every call
// ends with a clear error within its deadlines, never a crash or a hang, and a POST that
// never reached the API is retried like any connection that failed before the request.
#include "../io/test_support.hpp"
#include "proxy_support.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <doctest/doctest.h>

using namespace cltest;
using namespace proxytest;
namespace cl = cleanlist;

namespace {

constexpr const char* proxy_password = "H0stile-Secret";

cl::client_params params_for(const cl::testing::simulator& sim, const hostile_proxy& proxy) {
  auto p = client_for(sim);
  p.proxy.url = proxy.url();
  p.proxy.username = "svc";
  p.proxy.password = proxy_password;
  p.connect_timeout = std::chrono::milliseconds(500);
  p.request_timeout = std::chrono::seconds(2);
  p.overall_timeout = std::chrono::seconds(10);
  p.retry.max_attempts = 3;
  return p;
}

cl::enrich_person_request a_person() {
  cl::enrich_person_request r;
  r.email = "hostile-proxy@acme.com";
  return r;
}

} // namespace

TEST_CASE("hostile proxy: every misbehaviour gives a clear error within the deadlines") {
  struct row {
    hostile_mode mode;
    cl::error_code expect;  // empty: any transport error (a broken connection)
    std::size_t attempts;   // connections the client opened (3 = retried like a failed connect)
    bool tunnel_opened;     // the proxy answered 2xx: what failed came after it
  };
  const row rows[] = {
      {hostile_mode::garbage, cl::error::proxy_protocol_error, 3, false},
      {hostile_mode::huge_header, cl::error::proxy_protocol_error, 3, false},
      {hostile_mode::stall, cl::error::timeout, 3, false},
      {hostile_mode::close_after_200, {}, 3, true},
      {hostile_mode::close_mid_tls, {}, 3, true},
      {hostile_mode::stall_mid_tls, cl::error::timeout, 3, true},
      {hostile_mode::status_403, cl::error::proxy_refused, 1, false},  // configuration: not retried
      {hostile_mode::status_502, cl::error::proxy_unavailable, 3, false},
      {hostile_mode::extra_after_200, cl::error::proxy_protocol_error, 3, true},
  };
  cl::testing::simulator sim(fast_sim(true));
  for (const auto& r : rows) {
    CAPTURE(static_cast<int>(r.mode));
    hostile_proxy proxy(r.mode);
    asio::io_context ioc;
    auto p = params_for(sim, proxy);
    std::vector<std::string> logged;
    p.logger = [&logged](cl::log_level, std::string_view m) { logged.emplace_back(m); };
    cl::client c(ioc.get_executor(), p);
    const auto requests_before = sim.stats().requests;
    // A POST that would be charged: never reached the API, so it may be (and is) retried,
    // and never ends as outcome_unknown.
    auto o = run_callback<cl::enrich_person_response>(
        ioc, [&](cl::diagnostics& d, auto h) { c.async_enrich_person(a_person(), d, std::move(h)); });
    REQUIRE(o.ec);
    if (r.expect) CHECK_MESSAGE(o.ec == r.expect, o.ec.message());
    CHECK(o.ec != cl::error::outcome_unknown);
    CHECK(o.diag.http_status == 0);
    CHECK(o.diag.problem.find(r.tunnel_opened ? "transport error through the proxy" : "proxy error (") == 0);
    CHECK(proxy.connections() == r.attempts);
    CHECK(sim.stats().requests == requests_before);
    // The proxy never saw the key: only CONNECT heads (with its own credentials) and TLS bytes.
    const auto seen = proxy.received();
    CHECK(seen.find("CONNECT 127.0.0.1:") == 0);
    CHECK(seen.find("Proxy-Authorization: Basic ") != std::string::npos);
    CHECK(seen.find(sim.default_api_key()) == std::string::npos);
    CHECK(seen.find("Authorization: Bearer") == std::string::npos);
    // Nor did the proxy's password reach an error, the diagnostics or the log (retries log).
    CHECK(o.ec.message().find(proxy_password) == std::string::npos);
    CHECK(o.diag.to_string().find(proxy_password) == std::string::npos);
    for (const auto& d : o.diag.details) CHECK(d.second.find(proxy_password) == std::string::npos);
    for (const auto& m : logged) CHECK(m.find(proxy_password) == std::string::npos);
    if (r.attempts > 1) CHECK(!logged.empty());  // the retries were logged, and checked above
    MESSAGE("mode " << static_cast<int>(r.mode) << ": " << o.diag.problem);
  }
}

TEST_CASE("hostile proxy: a huge CONNECT answer is cut at 16 KiB, not read to its end") {
  cl::testing::simulator sim(fast_sim(true));
  hostile_proxy proxy(hostile_mode::huge_header);
  asio::io_context ioc;
  auto p = params_for(sim, proxy);
  p.retry.max_attempts = 1;
  cl::client c(ioc.get_executor(), p);
  auto o = run_callback<cl::whoami_response>(ioc, [&](cl::diagnostics& d, auto h) { c.async_whoami(d, std::move(h)); });
  CHECK(o.ec == cl::error::proxy_protocol_error);
  // The proxy had 4 MiB to send; the client closed after 16 KiB (the proxy's writes then fail).
}

TEST_CASE("hostile proxy: the cancellation of a call stuck in CONNECT ends it at once") {
  cl::testing::simulator sim(fast_sim(true));
  hostile_proxy proxy(hostile_mode::stall);
  asio::io_context ioc;
  auto p = params_for(sim, proxy);
  p.connect_timeout = std::chrono::hours(1);  // only the cancellation can end it
  p.overall_timeout = std::chrono::hours(1);
  cl::client c(ioc.get_executor(), p);
  asio::cancellation_signal sig;
  cl::error_code got;
  bool done = false;
  c.async_whoami(asio::bind_cancellation_slot(sig.slot(), [&](cl::error_code ec, cl::whoami_response) {
    got = ec;
    done = true;
  }));
  // Guards against a hang only (generous for a loaded machine), not measures of speed.
  const auto guard = [] { return std::chrono::steady_clock::now() + std::chrono::seconds(60); };
  // Run until the proxy holds the CONNECT, then cancel.
  for (const auto until = guard(); proxy.received().empty() && std::chrono::steady_clock::now() < until;)
    ioc.run_for(std::chrono::milliseconds(10));
  REQUIRE_FALSE(proxy.received().empty());
  sig.emit(asio::cancellation_type::terminal);
  for (const auto until = guard(); !done && std::chrono::steady_clock::now() < until;)
    ioc.run_for(std::chrono::milliseconds(10));
  REQUIRE(done);  // with both deadlines an hour away, only the cancellation ended it
  CHECK(got == asio::error::operation_aborted);  // a deadline would give timeout
}
