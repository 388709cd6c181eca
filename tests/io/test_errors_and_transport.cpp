// Error shapes, validation, timeouts, cancellation, TLS, keep-alive and completion tokens.
#include "test_support.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <doctest/doctest.h>

#include <thread>

using namespace cltest;
namespace cl = cleanlist;

namespace {

cl::csv_import_request one_email_import(std::string list_id) {
  cl::csv_import_request imp;
  imp.list_id = std::move(list_id);
  imp.csv_content = "email\na@x.io\n";
  imp.column_mapping = {{"email", "email"}};
  imp.dispatch_enrichment = false;
  return imp;
}

// Named coroutines (not lambdas): g++ 12 miscompiles capturing coroutine lambdas.
asio::awaitable<cl::error_code> reuse_quote(cl::client& c) {
  cl::create_list_request cr;
  cr.name = std::string("quote reuse");
  auto list = co_await c.async_create_list(cr);
  co_await c.async_csv_import(one_email_import(list.list_id));
  cl::estimate_request est;
  est.tool = "enrich_list";
  est.list_id = list.list_id;
  auto q = co_await c.async_estimate(est);
  cl::enrich_list_request enrich_list_request_1{list.list_id, {}, q.quote_id};
  co_await c.async_enrich_list(enrich_list_request_1);
  cl::enrich_list_request enrich_list_request_2{list.list_id, {}, q.quote_id};
  auto [ec, r] = co_await c.async_enrich_list(enrich_list_request_2,
                                              asio::as_tuple(asio::use_awaitable));
  co_return ec;
}

asio::awaitable<int> status_of_exception(cl::client& bad) {
  try {
    co_await bad.async_whoami();
  } catch (const cl::api_exception& e) {
    CHECK(e.code() == cl::error::unauthenticated);
    CHECK(std::string(e.what()).find("clapi_not_a_known_key_42") == std::string::npos);
    co_return e.diag().http_status;
  }
  co_return 0;
}

} // namespace

TEST_CASE("API error envelopes are parsed into error codes and diagnostics") {
  cleanlist::testing::simulator sim(fast_sim());
  asio::io_context ioc;

  SUBCASE("unknown key -> 401 unauthenticated, key never echoed") {
    auto p = client_for(sim);
    p.api_key = "clapi_unknown_key_0123456789";
    cl::client c(ioc.get_executor(), p);
    auto o = run_callback<cl::whoami_response>(ioc, [&](cl::diagnostics& d, auto cb) { c.async_whoami(d, cb); });
    CHECK(o.ec == cl::error::unauthenticated);
    CHECK(o.diag.http_status == 401);
    CHECK(o.diag.to_string().find("clapi_unknown_key_0123456789") == std::string::npos);
    CHECK(o.diag.body_excerpt.find("clapi_unknown_key_0123456789") == std::string::npos);
  }
  SUBCASE("insufficient credits -> envelope with code") {
    sim.set_credits(sim.default_org_id(), 0);
    cl::client c(ioc.get_executor(), client_for(sim));
    cl::enrich_person_request r;
    r.email = "nobody@acme.com";
    r.enrichment_type = cl::enrichment_type::full;
    auto o = run_callback<cl::enrich_person_response>(ioc, [&](cl::diagnostics& d, auto cb) { c.async_enrich_person(r, d, cb); });
    CHECK(o.ec == cl::error::insufficient_credits);
    CHECK(o.diag.code == "insufficient_credits");
    CHECK(o.diag.retryable == std::optional<bool>(false));
    CHECK(!o.diag.request_id.empty());
    CHECK(sim.enrich_posts_for("nobody@acme.com") == 0);
  }
  SUBCASE("legacy {detail: string} shape on a legacy endpoint") {
    cl::client c(ioc.get_executor(), client_for(sim));
    cl::legacy_status_request r;
    r.workflow_id = "public_bulk_does-not-exist";
    auto o = run_callback<cl::legacy_status_response>(ioc, [&](cl::diagnostics& d, auto cb) { c.async_legacy_status(r, d, cb); });
    CHECK(o.ec == cl::error::not_found);
    CHECK(o.diag.code.empty());
    CHECK(!o.diag.problem.empty());
  }
  SUBCASE("quote reuse is refused with its own code") {
    cl::client c(ioc.get_executor(), client_for(sim));
    CHECK(run(ioc, reuse_quote(c)) == cl::error::quote_already_used);
  }
}

TEST_CASE("invalid arguments are refused before any request is sent") {
  cleanlist::testing::simulator sim(fast_sim());
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), client_for(sim));
  auto before = sim.stats().requests;

  cl::enrich_person_request no_identity;
  no_identity.first_name = "Ada";  // a name alone is not an identity
  auto o = run_callback<cl::enrich_person_response>(ioc, [&](cl::diagnostics& d, auto cb) { c.async_enrich_person(no_identity, d, cb); });
  CHECK(o.ec == cl::error::invalid_argument);
  CHECK(!o.diag.problem.empty());

  auto o2 = run_callback<cl::list_detail>(ioc, [&](cl::diagnostics& d, auto cb) { c.async_create_list(cl::create_list_request{std::string(201, 'x'), {}, {}}, d, cb); });
  CHECK(o2.ec == cl::error::invalid_argument);
  auto o3 = run_callback<cl::list_detail>(ioc, [&](cl::diagnostics& d, auto cb) { c.async_get_list("../whoami", d, cb); });
  CHECK(o3.ec == cl::error::invalid_argument);
  auto o4 = run_callback<cl::leads_page>(ioc, [&](cl::diagnostics& d, auto cb) { c.async_list_leads(cl::list_leads_request{"abc", 501, {}}, d, cb); });
  CHECK(o4.ec == cl::error::invalid_argument);

  SUBCASE("malformed keys") {
    for (std::string key : {"", "sk_live_abc0123456", "clapi_abc\r\nX-Injected: 1", "clapi_with space_123"}) {
      auto p = client_for(sim);
      p.api_key = key;
      cl::client bad(ioc.get_executor(), p);
      auto ok = run_callback<cl::whoami_response>(ioc, [&](cl::diagnostics& d, auto cb) { bad.async_whoami(d, cb); });
      CHECK(ok.ec == cl::error::invalid_api_key);
      if (!key.empty()) CHECK(ok.diag.problem.find(key) == std::string::npos);
    }
  }
  CHECK(sim.stats().requests == before);
  CHECK(c.stats().requests == 0);
}

TEST_CASE("a stalled response times out; the deadline is per request") {
  auto sp = fast_sim();
  sp.faults.p_stall = 1.0;
  sp.faults.only_path = "/whoami";
  cleanlist::testing::simulator sim(sp);
  asio::io_context ioc;
  auto p = client_for(sim);
  p.request_timeout = 200ms;
  p.retry.max_attempts = 2;
  std::vector<std::string> logged;
  p.logger = [&](cl::log_level, std::string_view m) { logged.emplace_back(m); };
  cl::client c(ioc.get_executor(), p);
  auto o = run_callback<cl::whoami_response>(ioc, [&](cl::diagnostics& d, auto cb) { c.async_whoami(d, cb); });
  CHECK(o.ec == cl::error::timeout);
  CHECK(c.stats().retries == 1);  // GET is idempotent: retried once, then gave up
  REQUIRE(!logged.empty());        // the retry was logged...
  for (auto& m : logged) CHECK(m.find(p.api_key) == std::string::npos);  // ...without the key

  // Other operations are unaffected by the stalled ones.
  auto bal = run(ioc, c.async_credits_balance());
  CHECK(bal.credits > 0);

  SUBCASE("overall deadline bounds retries") {
    auto p2 = p;
    p2.request_timeout = 5s;
    p2.overall_timeout = 150ms;
    cl::client c2(ioc.get_executor(), p2);
    auto o2 = run_callback<cl::whoami_response>(ioc, [&](cl::diagnostics& d, auto cb) { c2.async_whoami(d, cb); });
    CHECK(o2.ec == cl::error::timeout);
  }
}

TEST_CASE("cancelling one operation leaves the others running") {
  auto sp = fast_sim();
  sp.faults.p_stall = 1.0;
  sp.faults.only_path = "/whoami";
  cleanlist::testing::simulator sim(sp);
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), client_for(sim));

  asio::cancellation_signal sig;
  cl::error_code stalled_ec;
  bool stalled_done = false, balance_done = false;
  c.async_whoami(asio::bind_cancellation_slot(sig.slot(), [&](cl::error_code ec, cl::whoami_response) {
    stalled_ec = ec;
    stalled_done = true;
  }));
  c.async_credits_balance([&](cl::error_code ec, cl::credits_balance_response r) {
    CHECK_FALSE(ec);
    CHECK(r.credits > 0);
    balance_done = true;
    sig.emit(asio::cancellation_type::terminal);  // from the io_context thread, as documented
  });
  ioc.restart();
  for (int i = 0; i < 1200 && !(stalled_done && balance_done); ++i) ioc.run_for(50ms);
  CHECK(balance_done);
  REQUIRE(stalled_done);
  CHECK(stalled_ec == asio::error::operation_aborted);
}

TEST_CASE("completion tokens: callback, future, deferred, coroutine") {
  cleanlist::testing::simulator sim(fast_sim());
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), client_for(sim, "/api/v2"));

  std::thread runner;
  SUBCASE("future") {
    auto work = asio::make_work_guard(ioc);
    runner = std::thread([&] { ioc.run(); });
    auto f = c.async_whoami(asio::use_future);
    CHECK(f.get().organization_id == sim.default_org_id());
    work.reset();
    runner.join();
  }
  SUBCASE("deferred") {
    auto op = c.async_credits_balance(asio::deferred);
    std::int64_t credits = -1;
    std::move(op)([&](cl::error_code ec, cl::credits_balance_response r) {
      CHECK_FALSE(ec);
      credits = r.credits;
    });
    ioc.run();
    CHECK(credits > 0);
  }
  SUBCASE("coroutine throws api_exception with diagnostics") {
    auto p = client_for(sim);
    p.api_key = "clapi_not_a_known_key_42";
    cl::client bad(ioc.get_executor(), p);
    CHECK(run(ioc, status_of_exception(bad)) == 401);
  }
}

TEST_CASE("TLS: a server certificate from an untrusted CA is refused") {
  cleanlist::testing::simulator sim(fast_sim());
  asio::io_context ioc;
  auto p = client_for(sim);
  p.tls.ca_pem.clear();  // only the (empty) system store: the simulator's CA is unknown
  p.retry.max_attempts = 1;
  cl::client c(ioc.get_executor(), p);
  auto o = run_callback<cl::whoami_response>(ioc, [&](cl::diagnostics& d, auto cb) { c.async_whoami(d, cb); });
  CHECK(o.ec == cl::error::tls_verification_failed);
  CHECK(sim.stats().requests == 0);
}

TEST_CASE("a non-idempotent POST whose answer is lost is not retried") {
  auto sp = fast_sim();
  sp.faults.p_reset_after = 1.0;
  sp.faults.only_path = "/enrichment/person";
  cleanlist::testing::simulator sim(sp);
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), client_for(sim));
  cl::enrich_person_request r;
  r.email = "once@acme.com";
  auto o = run_callback<cl::enrich_person_response>(ioc, [&](cl::diagnostics& d, auto cb) { c.async_enrich_person(r, d, cb); });
  CHECK(o.ec == cl::error::outcome_unknown);
  CHECK(sim.enrich_posts_for("once@acme.com") == 1);  // processed exactly once
  CHECK(c.stats().outcome_unknown == 1);

  SUBCASE("an idempotent GET in the same situation is retried") {
    auto sp2 = fast_sim();
    sp2.faults.p_reset_before = 0.5;
    cleanlist::testing::simulator sim2(sp2);
    auto p = client_for(sim2);
    p.retry.max_attempts = 10;
    cl::client c2(ioc.get_executor(), p);
    for (int i = 0; i < 5; ++i) CHECK(run(ioc, c2.async_whoami()).organization_id == sim2.default_org_id());
    CHECK(c2.stats().retries > 0);
  }
}

namespace {

// A minimal HTTP server that answers each connection's first request, then closes the
// connection a moment later (an idle keep-alive timeout), counting requests per connection.
struct closing_server {
  std::string status_line = "HTTP/1.1 200 OK";
  std::string body = R"({"workflow_id":"enrich-1","status":"pending","credits_reserved":1,"lead_list_id":"l","poll_url":"u"})";
  asio::io_context ioc;
  asio::ip::tcp::acceptor acc{ioc, {asio::ip::make_address("127.0.0.1"), 0}};
  std::atomic<int> connections{0}, requests{0}, closed{0};
  std::atomic<bool> stopping{false};
  std::thread th;

  closing_server() = default;
  closing_server(std::string status, std::string b) : status_line(std::move(status)), body(std::move(b)) {}
  void start() {
    th = std::thread([this] {
      for (;;) {
        asio::ip::tcp::socket s(ioc);
        boost::system::error_code ec;
        acc.accept(s, ec);
        if (ec || stopping) return;
        ++connections;
        asio::streambuf buf;
        asio::read_until(s, buf, "\r\n\r\n", ec);
        if (ec) continue;
        std::string head{asio::buffers_begin(buf.data()), asio::buffers_end(buf.data())};
        auto cl_pos = head.find("Content-Length: ");
        std::size_t want = cl_pos == std::string::npos ? 0 : std::stoul(head.substr(cl_pos + 16));
        auto have = buf.size() - (head.find("\r\n\r\n") + 4);
        if (want > have) asio::read(s, buf, asio::transfer_exactly(want - have), ec);
        ++requests;
        std::string resp = status_line + "\r\nContent-Type: application/json\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\nConnection: keep-alive\r\n\r\n" + body;
        asio::write(s, asio::buffer(resp), ec);
        s.shutdown(asio::ip::tcp::socket::shutdown_both, ec);  // the server's idle close
        s.close(ec);
        ++closed;
      }
    });
  }
  ~closing_server() {
    stopping = true;
    boost::system::error_code ec;
    asio::ip::tcp::socket s(ioc);  // wakes the blocking accept(), which then sees `stopping`
    s.connect(acc.local_endpoint(ec), ec);
    th.join();
    acc.close(ec);
  }
};

} // namespace

TEST_CASE("a FastAPI 422 validation error over the wire is parsed into diagnostics") {
  closing_server srv("HTTP/1.1 422 Unprocessable Entity",
                     R"({"detail":[{"type":"missing","loc":["body","lead_list_id"],"msg":"Field required","input":{}}]})");
  srv.start();
  asio::io_context ioc;
  cl::client_params p;
  p.api_key = "clapi_test_key_0123456789";
  p.base_url = "http://127.0.0.1:" + std::to_string(srv.acc.local_endpoint().port()) + "/api/v2";
  p.rate_limit.enabled = false;
  cl::client c(ioc.get_executor(), p);
  cl::enrich_person_request r;
  r.email = "a@b.io";
  r.lead_list_id = "ll_1";  // (the client itself refuses a v2 person without one)
  auto o = run_callback<cl::enrich_person_response>(ioc, [&](cl::diagnostics& d, auto cb) { c.async_enrich_person(r, d, cb); });
  CHECK(o.ec == cl::error::validation_failed);
  CHECK(o.diag.http_status == 422);
  CHECK(o.diag.code == "validation_error");
  CHECK(o.diag.problem == "body.lead_list_id: Field required");
  CHECK(srv.requests == 1);  // a 4xx is never retried
}

TEST_CASE("shutdown closes connections promptly and fails later operations") {
  cleanlist::testing::simulator sim(fast_sim());
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), client_for(sim));
  for (int i = 0; i < 3; ++i) run(ioc, c.async_whoami());
  c.shutdown();
  // The bounded TLS close_notify exchange (1 s at most) runs; the io_context then runs out of
  // work. run_for returns as soon as it does: the limit only guards against a hang.
  ioc.restart();
  ioc.run_for(60s);
  CHECK(ioc.stopped());  // nothing left pending: idle connections are closed
  auto o = run_callback<cl::whoami_response>(ioc, [&](cl::diagnostics& d, auto cb) { c.async_whoami(d, cb); });
  CHECK(o.ec == cl::error::shutdown);
}

TEST_CASE("a keep-alive connection closed by the server is replaced before sending") {
  closing_server srv;
  srv.start();
  auto port = srv.acc.local_endpoint().port();
  asio::io_context ioc;
  cl::client_params p;
  p.api_key = "clapi_test_key_0123456789";
  p.base_url = "http://127.0.0.1:" + std::to_string(port) + "/api/v1/public";
  p.rate_limit.enabled = false;
  p.max_connections = 1;
  cl::client c(ioc.get_executor(), p);
  cl::enrich_person_request r;
  r.email = "a@b.io";
  for (int i = 0; i < 3; ++i) {
    auto res = run(ioc, c.async_enrich_person(r));
    CHECK(res.workflow_id == "enrich-1");
    // The scenario: the server has closed the idle connection before the next request starts.
    for (int spin = 0; srv.closed < i + 1 && spin < 1000000; ++spin) std::this_thread::yield();
  }
  CHECK(srv.requests == 3);       // each POST reached the server exactly once
  CHECK(srv.connections == 3);    // each on a fresh connection
  CHECK(c.stats().retries == 0);  // no blind resend
}

TEST_CASE("a fresh TLS connection that waited for the rate limiter is used, not taken for closed") {
  // A TLS 1.3 server (the simulator: OpenSSL's default of two session tickets) sends its
  // tickets right after the handshake; a connection that waits for its grant holds them unread.
  // They are not a closed connection: each of 4 concurrent calls uses the connection it opened.
  cleanlist::testing::simulator sim(fast_sim());
  asio::io_context ioc;
  auto p = client_for(sim);
  p.rate_limit.enabled = true;
  p.rate_limit.per_key = 1;  // one grant per 300 ms: three calls wait with a fresh connection each
  p.rate_limit.per_org = 0;
  p.rate_limit.window = 300ms;
  p.rate_limit.margin = 0ms;
  p.max_connections = 4;
  cl::client c(ioc.get_executor(), p);
  std::vector<std::future<cl::whoami_response>> fs;
  for (int i = 0; i < 4; ++i) fs.push_back(c.async_whoami(asio::use_future));
  auto all_ready = [&] {
    return std::all_of(fs.begin(), fs.end(), [](auto& f) { return f.wait_for(0s) == std::future_status::ready; });
  };
  for (int i = 0; i < 1200 && !all_ready(); ++i) ioc.run_for(50ms);  // 60 s only guards a hang
  for (auto& f : fs) {
    REQUIRE(f.wait_for(0s) == std::future_status::ready);
    CHECK(f.get().organization_id == sim.default_org_id());
  }
  CHECK(c.stats().requests == 4);
  CHECK(c.stats().connections_created == 4);  // was 7: every waiting one was replaced
  CHECK(sim.stats().requests == 4);
}
