// TLS refusals (untrusted CA, expired certificate, wrong host name, TLS 1.1), SNI, servers that
// break the handshake, and secrets: the API key (or Clerk JWT) never appears in diagnostics,
// exceptions, logs or stats, and CR/LF header injection is refused before anything is sent.
#include "hostile_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <doctest/doctest.h>

#include <future>
#include <sstream>

using namespace hostile;
namespace cl = cleanlist;

namespace {

const std::string ok_balance = R"({"organization_id":"org_1","credits":42})";

server::handler answer_ok() {
  return [](conn& c, server& s) {
    if (c.read_request().empty()) return;
    ++s.requests;
    c.write(http_response(200, ok_balance));
  };
}

} // namespace

TEST_CASE("TLS control: the good certificate is accepted by IP and by host name") {
  server srv(answer_ok(), {&pki::get().good});
  asio::io_context ioc;
  for (const char* host : {"127.0.0.1", "localhost"}) {
    CAPTURE(host);
    cl::client c(ioc.get_executor(), params_for(https_url(srv, host)));
    auto o = balance(ioc, c);
    REQUIRE(o.done);
    CHECK_FALSE(o.ec);
  }
  CHECK(srv.requests == 2);
}

TEST_CASE("SNI is sent with a host name and not with an IP literal") {
  server srv(answer_ok(), {&pki::get().good});
  asio::io_context ioc;
  {
    cl::client c(ioc.get_executor(), params_for(https_url(srv, "localhost")));
    REQUIRE_FALSE(balance(ioc, c).ec);
  }
  {
    cl::client c(ioc.get_executor(), params_for(https_url(srv, "127.0.0.1")));
    REQUIRE_FALSE(balance(ioc, c).ec);
  }
  auto names = srv.snapshot_servernames();
  REQUIRE(names.size() == 2);
  CHECK(names[0] == "localhost");
  CHECK(names[1] == "");  // RFC 6066: no IP address in SNI
}

TEST_CASE("TLS: certificates that must be refused") {
  const auto& k = pki::get();
  struct refusal {
    const char* name;
    const identity* id;
    const char* host;
  };
  const std::vector<refusal> cases{
      {"untrusted CA, by IP", &k.untrusted, "127.0.0.1"},
      {"untrusted CA, by name", &k.untrusted, "localhost"},
      {"expired, by IP", &k.expired, "127.0.0.1"},
      {"expired, by name", &k.expired, "localhost"},
      {"wrong host name, by IP", &k.wrong_host, "127.0.0.1"},
      {"wrong host name, by name", &k.wrong_host, "localhost"},
      {"CA certificate used as server certificate (wrong names)", &k.ca, "localhost"},
  };
  for (const auto& r : cases) {
    CAPTURE(r.name);
    server srv(answer_ok(), {r.id});
    asio::io_context ioc;
    auto p = params_for(https_url(srv, r.host));
    p.retry.max_attempts = 3;  // a verification failure is permanent: never retried
    cl::client c(ioc.get_executor(), p);
    auto o = balance(ioc, c);
    REQUIRE(o.done);
    CHECK(o.ec == cl::error::tls_verification_failed);
    CHECK(srv.requests == 0);  // no HTTP byte (and so no API key) reached the server
    CHECK(srv.handshakes_ok == 0);
    CHECK(c.stats().retries == 0);
  }
  SUBCASE("the system store does not make a private CA trusted") {
    server srv(answer_ok(), {&k.good});
    asio::io_context ioc;
    auto p = params_for(https_url(srv));
    p.tls.ca_pem.clear();
    p.tls.use_system_ca = true;
    cl::client c(ioc.get_executor(), p);
    auto o = balance(ioc, c);
    REQUIRE(o.done);
    CHECK(o.ec == cl::error::tls_verification_failed);
    CHECK(srv.requests == 0);
  }
}

namespace {

/// A raw OpenSSL client limited to TLS 1.1 (security level 0, no verification): proves that the
/// TLS 1.1 server really negotiates TLS 1.1, so the library's refusal is its own policy.
bool legacy_client_handshakes(unsigned short port) {
  asio::io_context ioc;
  tcp::socket s(ioc);
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  timeval tv{3, 0};
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_security_level(ctx, 0);
  SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, s.native_handle());
  bool ok = SSL_connect(ssl) == 1 && SSL_version(ssl) == TLS1_1_VERSION;
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ERR_clear_error();
  return ok;
}

} // namespace

TEST_CASE("TLS below 1.2 is refused") {
  server srv(answer_ok(), {&pki::get().good, TLS1_1_VERSION, 0});
  REQUIRE(legacy_client_handshakes(srv.port()));  // the server does speak TLS 1.1
  asio::io_context ioc;
  auto p = params_for(https_url(srv));
  cl::client c(ioc.get_executor(), p);
  auto o = balance(ioc, c);
  REQUIRE(o.done);
  CHECK(o.ec);
  CHECK(o.ec != cl::error::timeout);  // refused in the handshake, not ended by a deadline
  CHECK(srv.wait_handshakes_failed(1));
  CHECK(srv.handshakes_ok == 1);  // only the control client's
  CHECK(srv.requests == 0);
}

TEST_CASE("a server that breaks the TLS handshake gives an error, never a hang") {
  struct breaker {
    const char* name;
    std::function<void(conn&, server&)> h;
  };
  const std::vector<breaker> cases{
      {"closes after the ClientHello",
       [](conn& c, server&) {
         char buf[512];
         c.read_some(buf, sizeof buf);
       }},
      {"closes before the ClientHello", [](conn&, server&) {}},
      {"answers the ClientHello with HTTP",
       [](conn& c, server&) {
         char buf[512];
         c.read_some(buf, sizeof buf);
         c.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
       }},
      {"answers with a truncated TLS record",
       [](conn& c, server&) {
         char buf[512];
         c.read_some(buf, sizeof buf);
         c.write(std::string("\x16\x03\x03\x40\x00\x02\x00", 7));  // ServerHello header, then EOF
       }},
      {"never answers the ClientHello",
       [](conn& c, server& s) {
         char buf[512];
         c.read_some(buf, sizeof buf);
         s.stall();
       }},
  };
  for (const auto& b : cases) {
    CAPTURE(b.name);
    const bool stalls = std::string_view(b.name) == "never answers the ClientHello";
    server srv(b.h);  // plain TCP: the handler plays a broken TLS server
    asio::io_context ioc;
    auto p = params_for(https_url(srv));
    // Only the stalling server needs connect_timeout; the others must end by themselves.
    if (stalls) p.connect_timeout = 300ms;
    p.overall_timeout = 10s;
    cl::client c(ioc.get_executor(), p);
    auto o = balance(ioc, c);
    srv.stop();
    REQUIRE(o.done);
    CHECK(o.ec);
    if (stalls) {
      CHECK(o.ec == cl::error::timeout);
      CHECK_MESSAGE(attempt_deadline_fired(o), o.diag.problem);  // connect_timeout, not the overall 10 s
    } else {
      CHECK(o.ec != cl::error::timeout);  // the broken handshake is the error, not a deadline
    }
  }
  SUBCASE("a real TLS server closing mid-handshake (after its ServerHello)") {
    // The server's certificate is valid, but the connection dies right after the server's
    // first flight: the client sees EOF in the middle of the handshake.
    server srv([](conn& c, server&) {
      char buf[8192];
      auto n = c.read_some(buf, sizeof buf);
      // Run a real TLS server engine over memory BIOs and send only half of its first flight.
      SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
      SSL_CTX_use_certificate(ctx, pki::get().good.cert.get());
      SSL_CTX_use_PrivateKey(ctx, pki::get().good.key.get());
      SSL* ssl = SSL_new(ctx);
      BIO* in = BIO_new(BIO_s_mem());
      BIO* out = BIO_new(BIO_s_mem());
      SSL_set_bio(ssl, in, out);
      SSL_set_accept_state(ssl);
      BIO_write(in, buf, static_cast<int>(n));
      SSL_do_handshake(ssl);
      std::string flight(static_cast<std::size_t>(BIO_ctrl_pending(out)), '\0');
      if (!flight.empty()) BIO_read(out, flight.data(), static_cast<int>(flight.size()));
      SSL_free(ssl);
      SSL_CTX_free(ctx);
      ERR_clear_error();
      c.write(flight.substr(0, flight.size() / 2));
    });
    asio::io_context ioc;
    cl::client c(ioc.get_executor(), params_for(https_url(srv)));
    auto o = balance(ioc, c);
    REQUIRE(o.done);
    CHECK(o.ec);
    CHECK(o.ec != cl::error::timeout);  // the close mid-handshake is the error, not a deadline
  }
}

// ---------------------------------------------------------------- secrets

namespace {

/// Echoes the request head (Authorization header included) into the answer, at `offset` bytes
/// into the body, in several places: plain text, a JSON envelope's problem/cause/fix, a header.
server::handler echo(int status, std::size_t offset, bool json_envelope, std::string key = test_key) {
  return [=](conn& c, server& s) {
    auto head = c.read_request();
    if (head.empty()) return;
    ++s.requests;
    s.record_head(head);
    std::string body;
    if (json_envelope) {
      body = R"({"error":{"code":"echo_)" + key + R"(","problem":"your key )" + key + R"( is bad","cause":")" + key +
             R"(","fix":"Bearer )" + key + R"(","docs_url":"https://x/)" + key + R"(","request_id":")" + key +
             R"(","retryable":false},"pad":")" + std::string(offset, 'p') + R"(","echo":"Bearer )" + key + "\"}";
    } else {
      body = std::string(offset, 'p') + head;
    }
    c.write(http_response(status, body, "X-Request-Id: " + key + "\r\nX-Echo: Bearer " + key + "\r\n"));
  };
}

void check_no_key(std::string_view where, std::string_view text) {
  CAPTURE(where);
  CHECK_MESSAGE(text.find("SECRET") == std::string_view::npos, text);
}

void check_diag(const cl::diagnostics& d) {
  check_no_key("to_string", d.to_string());
  check_no_key("problem", d.problem);
  check_no_key("code", d.code);
  check_no_key("cause", d.cause);
  check_no_key("fix", d.fix);
  check_no_key("docs_url", d.docs_url);
  check_no_key("request_id", d.request_id);
  check_no_key("body_excerpt", d.body_excerpt);
}

std::string stats_text(const cl::client_stats& s) {
  std::ostringstream o;
  o << s.requests << ' ' << s.retries << ' ' << s.rate_limited_429 << ' ' << s.outcome_unknown << ' '
    << s.connections_created << ' ' << s.limiter_wait.count() << ' ' << s.in_flight << ' ' << s.waiting_workflows;
  return o.str();
}

} // namespace

TEST_CASE("the API key never appears in diagnostics, even when the server echoes it") {
  // The key sits at every offset around the excerpt's 512-byte cut.
  for (std::size_t offset : {0ul, 100ul, 480ul, 490ul, 500ul, 505ul, 511ul, 512ul, 600ul}) {
    for (int status : {200, 401, 500}) {
      for (bool envelope : {false, true}) {
        if (status == 200 && envelope) continue;  // a 200 JSON body is data, not diagnostics
        CAPTURE(offset);
        CAPTURE(status);
        CAPTURE(envelope);
        server srv(echo(status, offset, envelope));
        asio::io_context ioc;
        std::vector<std::string> logs;
        auto p = params_for(http_url(srv));
        p.retry.max_attempts = 2;  // 500 is retried once: the retry is logged with the diagnostics
        p.logger = [&logs](cl::log_level, std::string_view m) { logs.emplace_back(m); };
        cl::client c(ioc.get_executor(), p);
        auto o = balance(ioc, c);
        REQUIRE(o.done);
        REQUIRE(o.ec);
        REQUIRE(srv.requests >= 1);
        // The echo really carries the key: the test can fail.
        REQUIRE(srv.snapshot_heads().front().find(test_key) != std::string::npos);
        check_diag(o.diag);
        for (const auto& l : logs) check_no_key("log", l);
        check_no_key("stats", stats_text(c.stats()));
      }
    }
  }
}

namespace {

asio::awaitable<std::string> what_of_exception(cl::client& c) {
  try {
    co_await c.async_credits_balance();
  } catch (const cl::api_exception& e) {
    co_return std::string(e.what()) + "\n" + e.diag().to_string() + "\n" + e.diag().body_excerpt;
  } catch (const std::exception& e) {
    co_return std::string("unexpected exception type: ") + e.what();
  }
  co_return "no exception";
}

} // namespace

TEST_CASE("the API key never appears in exception messages") {
  for (bool envelope : {false, true}) {
    CAPTURE(envelope);
    server srv(echo(401, 0, envelope));
    asio::io_context ioc;
    cl::client c(ioc.get_executor(), params_for(http_url(srv)));
    auto fut = asio::co_spawn(ioc, what_of_exception(c), asio::use_future);
    for (int i = 0; i < 1200 && fut.wait_for(0s) != std::future_status::ready; ++i) ioc.run_for(50ms);
    REQUIRE(fut.wait_for(0s) == std::future_status::ready);
    auto text = fut.get();
    CHECK(text.find("unauthenticated") != std::string::npos);
    check_no_key("exception", text);
  }
}

namespace {

// A Clerk-JWT-shaped credential: "SECRET" in its signature segment (what check_no_key looks for).
const std::string test_jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyX2hvc3RpbGUifQ.SECRET_jwt_signature_0123456789-_abc";

cl::client_params jwt_params_for(const std::string& url) {
  auto p = params_for(url);
  p.api_key.clear();
  p.bearer_jwt = test_jwt;
  return p;
}

} // namespace

TEST_CASE("a Clerk JWT never appears in diagnostics, logs or stats, even when the server echoes it") {
  for (std::size_t offset : {0ul, 480ul, 500ul, 511ul, 512ul, 600ul}) {
    for (int status : {200, 401, 500}) {
      for (bool envelope : {false, true}) {
        for (bool create_key : {false, true}) {  // an idempotent GET, and the key-creating POST
          if (status == 200 && envelope) continue;
          CAPTURE(offset);
          CAPTURE(status);
          CAPTURE(envelope);
          CAPTURE(create_key);
          server srv(echo(status, offset, envelope, test_jwt));
          asio::io_context ioc;
          std::vector<std::string> logs;
          auto p = jwt_params_for(http_url(srv));
          p.retry.max_attempts = 2;  // a 500 GET is retried once: logged with the diagnostics
          p.logger = [&logs](cl::log_level, std::string_view m) { logs.emplace_back(m); };
          cl::client c(ioc.get_executor(), p);
          auto o = create_key ? run_op<cl::create_api_key_response>(ioc, [&](cl::diagnostics& d, auto h) {
                                  c.async_create_api_key(cl::create_api_key_request{}, d, std::move(h));
                                })
                              : balance(ioc, c);
          REQUIRE(o.done);
          REQUIRE(o.ec);
          REQUIRE(srv.requests >= 1);
          // The JWT was sent as the bearer token, and the echo really carries it: the test can fail.
          REQUIRE(srv.snapshot_heads().front().find("Authorization: Bearer " + test_jwt + "\r\n") != std::string::npos);
          if (create_key) CHECK(srv.snapshot_heads().front().starts_with("POST /api/v1/api-keys HTTP/1.1\r\n"));
          check_diag(o.diag);
          for (const auto& l : logs) check_no_key("log", l);
          check_no_key("stats", stats_text(c.stats()));
        }
      }
    }
  }
}

namespace {

asio::awaitable<std::string> what_of_create_exception(cl::client& c) {
  cl::create_api_key_request req;  // named: g++ 12 destroys a braced temporary in co_await twice
  try {
    co_await c.async_create_api_key(req);
  } catch (const cl::api_exception& e) {
    co_return std::string(e.what()) + "\n" + e.diag().to_string() + "\n" + e.diag().body_excerpt;
  } catch (const std::exception& e) {
    co_return std::string("unexpected exception type: ") + e.what();
  }
  co_return "no exception";
}

} // namespace

TEST_CASE("a Clerk JWT never appears in exception messages") {
  for (bool envelope : {false, true}) {
    CAPTURE(envelope);
    for (bool create_key : {false, true}) {
      CAPTURE(create_key);
      server srv(echo(401, 0, envelope, test_jwt));
      asio::io_context ioc;
      cl::client c(ioc.get_executor(), jwt_params_for(http_url(srv)));
      auto fut = asio::co_spawn(ioc, create_key ? what_of_create_exception(c) : what_of_exception(c), asio::use_future);
      for (int i = 0; i < 1200 && fut.wait_for(0s) != std::future_status::ready; ++i) ioc.run_for(50ms);
      REQUIRE(fut.wait_for(0s) == std::future_status::ready);
      auto text = fut.get();
      CHECK(text.find("unauthenticated") != std::string::npos);
      REQUIRE(srv.snapshot_heads().front().find(test_jwt) != std::string::npos);
      check_no_key("exception", text);
    }
  }
}

TEST_CASE("a malformed Clerk JWT is refused before anything is sent, never quoted") {
  server srv(answer_ok());
  asio::io_context ioc;
  for (std::string jwt : {test_jwt + "\r\nX-Injected: 1", test_jwt + "\n", std::string("a.b.SECRET\0c", 12),
                          test_jwt + "\x7f", "x" + test_jwt + ".d", std::string("SECRET.only_two"),
                          std::string("SECRET..c"), std::string("a.b.SECRET=")}) {
    auto p = jwt_params_for(http_url(srv));
    p.bearer_jwt = jwt;
    cl::client c(ioc.get_executor(), p);
    auto o = balance(ioc, c);
    REQUIRE(o.done);
    CHECK(o.ec == cl::error::invalid_api_key);
    check_no_key("problem", o.diag.problem);
  }
  CHECK(srv.connections == 0);
}

TEST_CASE("header injection: CR/LF and control characters are refused before sending") {
  int injected_seen = 0;
  server srv([&injected_seen](conn& c, server& s) {
    auto head = c.read_request();
    if (head.empty()) return;
    ++s.requests;
    s.record_head(head);
    c.write(http_response(200, ok_balance));
  });
  asio::io_context ioc;

  SUBCASE("in the API key: invalid_api_key, no connection made") {
    for (std::string key : {std::string(test_key) + "\r\nX-Injected: 1", std::string(test_key) + "\nX-Injected: 1",
                            std::string(test_key) + "\rX-Injected: 1", std::string("clapi_a\0b_0123456789", 20),
                            std::string(test_key) + "\x7f"}) {
      auto p = params_for(http_url(srv));
      p.api_key = key;
      cl::client c(ioc.get_executor(), p);
      auto o = balance(ioc, c);
      REQUIRE(o.done);
      CHECK(o.ec == cl::error::invalid_api_key);
      check_no_key("problem", o.diag.problem);
    }
    CHECK(srv.connections == 0);
  }
  SUBCASE("in the user agent: the client refuses to be constructed") {
    for (std::string ua : {std::string("agent\r\nX-Injected: 1"), std::string("agent\nX-Injected: 1"), std::string("agent\rX"),
                           std::string("a\0b", 3), std::string("agent\x7f"), std::string("agent\x1b[31m")}) {
      CAPTURE(ua);
      auto p = params_for(http_url(srv));
      p.user_agent = ua;
      CHECK_THROWS_AS(cl::client(ioc.get_executor(), p), std::invalid_argument);
    }
    CHECK(srv.connections == 0);
    // control: an ordinary user agent (with spaces, tabs and non-ASCII UTF-8) is sent verbatim
    auto p = params_for(http_url(srv));
    p.user_agent = "my-app/1.0 (linux)\tcleanlist-cpp \xc3\xa9";
    cl::client c(ioc.get_executor(), p);
    REQUIRE_FALSE(balance(ioc, c).ec);
    REQUIRE(srv.snapshot_heads().size() == 1);
    CHECK(srv.snapshot_heads()[0].find("User-Agent: my-app/1.0 (linux)\tcleanlist-cpp \xc3\xa9\r\n") != std::string::npos);
  }
  SUBCASE("in the base URL: the client refuses to be constructed") {
    for (std::string url : {"http://127.0.0.1\r\nX-Injected: 1/api", "http://127.0.0.1:1/api\r\nX-Injected: 1",
                            "http://127.0.0.1:1/a\nb"}) {
      auto p = params_for(http_url(srv));
      p.base_url = url;
      CHECK_THROWS_AS(cl::client(ioc.get_executor(), p), std::invalid_argument);
    }
  }
  SUBCASE("in path and query parameters: percent-encoded, never a header line") {
    cl::client c(ioc.get_executor(), params_for(http_url(srv)));
    auto o = run_op<cl::list_detail>(ioc, [&](cl::diagnostics& d, auto h) {
      c.async_get_list("abc\r\nX-Injected: 1", d, std::move(h));
    });
    REQUIRE(o.done);
    auto o2 = run_op<cl::workflow_status_response>(ioc, [&](cl::diagnostics& d, auto h) {
      c.async_workflow_status("wf\r\nX-Injected: 2", d, std::move(h));
    });
    REQUIRE(o2.done);
    cl::list_leads_request lr;
    lr.list_id = "l";
    lr.cursor = "c\r\nX-Injected: 3";
    auto o3 = run_op<cl::leads_page>(ioc, [&](cl::diagnostics& d, auto h) { c.async_list_leads(lr, d, std::move(h)); });
    REQUIRE(o3.done);
    for (const auto& h : srv.snapshot_heads()) {
      CAPTURE(h);
      CHECK(h.find("\r\nX-Injected") == std::string::npos);
      CHECK(h.find("\nX-Injected") == std::string::npos);
    }
  }
  CHECK(injected_seen == 0);
}
