// TLS session resumption on reconnect (issue 15): the simulator counts full and resumed
// handshakes (SSL_session_reused on its side), so every assertion here is the server's view of
// what the client offered, plus the transport's own counters and cache.
#include "test_support.hpp"

#include "transport/connection.hpp"
#include "transport/session_cache.hpp"
#include "transport/shared_state.hpp"

#include <cleanlist/transport.hpp>

#include <doctest/doctest.h>

#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <future>
#include <thread>
#include <string>
#include <vector>

namespace cl = cleanlist;
namespace clt = cleanlist::testing;
using namespace cltest;
using cl::transport::session_cache;
using cl::transport::session_ptr;

namespace {

asio::awaitable<int> whoami_n(cl::client& c, int n) {
  for (int i = 0; i < n; ++i) co_await c.async_whoami();
  co_return n;
}

std::shared_ptr<cl::http_transport> transport_for(asio::io_context& ioc, const clt::simulator& sim, std::string base_url,
                                                  bool resumption = true, std::size_t max_requests = 0) {
  cl::transport_params tp;
  tp.base_url = std::move(base_url);
  tp.tls.ca_pem = sim.ca_pem();
  tp.tls.use_system_ca = false;
  tp.tls.session_resumption = resumption;
  tp.max_requests_per_connection = max_requests;
  return std::make_shared<cl::http_transport>(ioc.get_executor(), std::move(tp));
}

std::string key_of(const clt::simulator& sim, std::string_view host) {
  return session_cache::key_for(host, sim.port(), host != "127.0.0.1");
}

// One TLS connection made by the library's connection class on the transport's TLS context
// (what another component of the library, e.g. a download, would do), to `url`.
struct side_connection {
  boost::system::error_code ec;
  bool resumed = false;
  unsigned status = 0;
};

asio::awaitable<int> connect_side(std::shared_ptr<cl::http_transport::state> st, std::string url, side_connection& out) {
  cl::transport::endpoint ep;
  ep.url = cl::protocol::parse_base_url_or_throw(url);
  ep.ssl = &st->ssl;
  cl::transport::call_context cc;
  cl::transport::connection c(st->strand);
  auto ec = co_await c.connect(ep, *st->dns, cc);
  out.ec = ec;
  out.resumed = c.tls_resumed();
  if (!ec) {
    // One exchange (an unauthenticated whoami: 401), so the server has counted the handshake
    // (it completes after the client's) and its tickets reached the client.
    const std::string req = "GET " + ep.url.path + "/whoami HTTP/1.1\r\nHost: " + ep.url.host_header() + "\r\n\r\n";
    auto r = co_await c.exchange(ep, req, cc);
    out.ec = r.ec;
    out.status = r.response.result_int();
  }
  c.close();
  co_return 0;
}

// A raw client handshake with OpenSSL offering `sess` to 127.0.0.1/localhost:port (SNI when
// `sni_host` is non-empty): whether the server resumed it. The library is not involved.
bool raw_handshake_resumes(asio::io_context& ioc, const clt::simulator& sim, SSL_SESSION* sess, const std::string& sni_host) {
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.add_certificate_authority(asio::buffer(sim.ca_pem()));
  ctx.set_verify_mode(asio::ssl::verify_peer);
  asio::ssl::stream<asio::ip::tcp::socket> s(ioc, ctx);
  if (!sni_host.empty()) SSL_set_tlsext_host_name(s.native_handle(), sni_host.c_str());
  REQUIRE(SSL_set_session(s.native_handle(), sess) == 1);
  s.next_layer().connect({asio::ip::make_address("127.0.0.1"), sim.port()});
  boost::system::error_code ec;
  s.handshake(asio::ssl::stream_base::client, ec);
  REQUIRE_FALSE(ec);
  const bool reused = SSL_session_reused(s.native_handle()) == 1;
  // A request and the first bytes of its answer: the server's side of the handshake is done
  // (and counted) by then.
  const std::string req = "GET /api/v1/public/whoami HTTP/1.1\r\nHost: " + sni_host + "\r\nConnection: close\r\n\r\n";
  asio::write(s, asio::buffer(req), ec);
  REQUIRE_FALSE(ec);
  char buf[512];
  const auto got = s.read_some(asio::buffer(buf), ec);
  CHECK(got > 0);
  s.next_layer().close(ec);
  return reused;
}

// The cached sessions of `key`, each re-encoded with its ticket's bytes scrambled: what a
// hostile or corrupted cache entry looks like to the server (the binder still matches the
// session's secret; the ticket no longer decrypts).
std::vector<session_ptr> scrambled_tickets(session_cache& cache, const std::string& key) {
  std::vector<session_ptr> out;
  while (auto s = cache.take(key, session_cache::clock::now())) {
    const unsigned char* tick = nullptr;
    std::size_t ticklen = 0;
    SSL_SESSION_get0_ticket(s.get(), &tick, &ticklen);
    REQUIRE(ticklen > 16);
    const std::vector<unsigned char> ticket(tick, tick + ticklen);
    const int n = i2d_SSL_SESSION(s.get(), nullptr);
    REQUIRE(n > 0);
    std::vector<unsigned char> der(static_cast<std::size_t>(n));
    unsigned char* w = der.data();
    i2d_SSL_SESSION(s.get(), &w);
    auto at = std::search(der.begin(), der.end(), ticket.begin(), ticket.end());
    REQUIRE(at != der.end());
    for (std::size_t i = 8; i < ticklen; ++i) at[static_cast<std::ptrdiff_t>(i)] ^= 0x5a;
    const unsigned char* r = der.data();
    session_ptr bad(d2i_SSL_SESSION(nullptr, &r, n));
    REQUIRE(bad);
    out.push_back(std::move(bad));
  }
  return out;
}

} // namespace

TEST_CASE("tls resumption: a connection reopened by churn resumes the session (simulator's view)") {
  clt::simulator sim(fast_sim());
  asio::io_context ioc;
  auto p = client_for(sim);
  p.max_requests_per_connection = 1;  // a new connection for every request
  cl::client c(ioc.get_executor(), p);
  run(ioc, whoami_n(c, 4));
  const auto st = sim.stats();
  CHECK(st.tls_full_handshakes == 1);
  CHECK(st.tls_resumed_handshakes == 3);
  CHECK(c.stats().connections_created == 4);
  CHECK(c.stats().tls_resumed_handshakes == 3);
}

TEST_CASE("max_requests_per_connection: a connection carries at most K requests (plain HTTP and TLS)") {
  for (const bool tls : {false, true}) {
    CAPTURE(tls);
    clt::simulator sim(fast_sim(tls));
    asio::io_context ioc;
    auto p = client_for(sim);
    p.max_requests_per_connection = 2;
    cl::client c(ioc.get_executor(), p);
    run(ioc, whoami_n(c, 5));
    CHECK(c.stats().requests == 5);
    CHECK(c.stats().connections_created == 3);  // 2 + 2 + 1
    p.max_requests_per_connection = 0;          // the default: one keep-alive connection
    cl::client d(ioc.get_executor(), p);
    run(ioc, whoami_n(d, 5));
    CHECK(d.stats().connections_created == 1);
  }
}

TEST_CASE("tls resumption: a connection closed by the server is reopened with a resumed handshake") {
  clt::simulator sim(fast_sim());
  asio::io_context ioc;
  auto p = client_for(sim);
  p.retry.max_attempts = 3;
  cl::client c(ioc.get_executor(), p);
  run(ioc, whoami_n(c, 1));  // the full handshake; the tickets arrive with the response
  REQUIRE(sim.stats().tls_full_handshakes == 1);
  clt::fault_params f;
  f.p_reset_before = 1;  // the server closes each connection on the next whoami
  f.only_path = "/whoami";
  sim.set_faults(f);
  auto o = run_callback<cl::whoami_response>(ioc, [&](cl::diagnostics& d, auto cb) { c.async_whoami(d, cb); });
  CHECK(o.ec);  // every attempt was cut off
  sim.set_faults({});
  run(ioc, whoami_n(c, 1));
  const auto st = sim.stats();
  CHECK(st.tls_full_handshakes == 1);      // never a second full handshake
  CHECK(st.tls_resumed_handshakes >= 2);   // the retries' and the last call's connections
  CHECK(c.stats().tls_resumed_handshakes == st.tls_resumed_handshakes);
}

TEST_CASE("tls resumption: off -> every connection makes a full handshake") {
  clt::simulator sim(fast_sim());
  asio::io_context ioc;
  auto p = client_for(sim);
  p.max_requests_per_connection = 1;
  p.tls.session_resumption = false;
  cl::client c(ioc.get_executor(), p);
  run(ioc, whoami_n(c, 3));
  CHECK(sim.stats().tls_full_handshakes == 3);
  CHECK(sim.stats().tls_resumed_handshakes == 0);
  CHECK(c.stats().tls_resumed_handshakes == 0);
}

TEST_CASE("tls resumption: a simulator without tickets or ids -> full handshakes, no error") {
  auto sp = fast_sim();
  sp.tls_resumption = false;
  clt::simulator sim(sp);
  asio::io_context ioc;
  auto p = client_for(sim);
  p.max_requests_per_connection = 1;
  cl::client c(ioc.get_executor(), p);
  run(ioc, whoami_n(c, 3));
  CHECK(sim.stats().tls_full_handshakes == 3);
  CHECK(sim.stats().tls_resumed_handshakes == 0);
}

TEST_CASE("tls resumption: TLS 1.2 session ids (no tickets) are resumed and reused") {
  auto sp = fast_sim();
  sp.tls12_only = true;
  clt::simulator sim(sp);
  asio::io_context ioc;
  auto t = transport_for(ioc, sim, sim.base_url(), true, 1);
  // No ticket: the server's session cache (the id) is what resumes.
  SSL_CTX_set_options(t->get_state()->ssl.native_handle(), SSL_OP_NO_TICKET);
  auto p = client_for(sim);
  p.shared_transport = t;
  cl::client c(ioc.get_executor(), p);
  run(ioc, whoami_n(c, 4));
  CHECK(sim.stats().tls_full_handshakes == 1);
  CHECK(sim.stats().tls_resumed_handshakes == 3);
  CHECK(t->tls_stats().resumed_handshakes == 3);
  CHECK(t->tls_stats().cached_sessions == 1);  // a TLS 1.2 session stays (copied per use)
}

TEST_CASE("tls resumption: a session from one host is never offered to another") {
  clt::simulator sim(fast_sim());
  asio::io_context ioc;
  // Host A: 127.0.0.1 (no SNI); host B: localhost (SNI). One server, one certificate for both:
  // only the client's cache keeps them apart.
  auto t = transport_for(ioc, sim, sim.base_url());
  auto st = t->get_state();
  auto p = client_for(sim);
  p.shared_transport = t;
  cl::client c(ioc.get_executor(), p);
  run(ioc, whoami_n(c, 1));
  const auto key_a = key_of(sim, "127.0.0.1");
  const auto key_b = key_of(sim, "localhost");
  REQUIRE(key_a != key_b);
  REQUIRE(st->sessions->size(key_a) >= 1);
  CHECK(st->sessions->size(key_b) == 0);
  REQUIRE(sim.stats().tls_full_handshakes == 1);

  const std::string url_b = "https://localhost:" + std::to_string(sim.port()) + "/api/v1/public";
  side_connection b;
  run(ioc, connect_side(st, url_b, b));
  REQUIRE_FALSE(b.ec);
  CHECK(b.status >= 400);  // no credential: an error answer, but an answer
  CHECK_FALSE(b.resumed);
  CHECK(sim.stats().tls_full_handshakes == 2);  // B: a full handshake
  CHECK(sim.stats().tls_resumed_handshakes == 0);
  CHECK(st->sessions->size(key_a) >= 1);  // A's sessions were not touched by B's connection
  CHECK(st->sessions->size(key_b) >= 1);  // B's own tickets are filed under B

  // Control: the server would resume A's session for B had the client offered it, so the
  // full handshake above is the cache's doing, not the server's.
  auto a_session = st->sessions->take(key_a, session_cache::clock::now());
  REQUIRE(a_session);
  CHECK(raw_handshake_resumes(ioc, sim, a_session.get(), "localhost"));
  CHECK(sim.stats().tls_resumed_handshakes == 1);
}

TEST_CASE("tls resumption: a garbage ticket is refused by the server and costs a full handshake, not an error") {
  clt::simulator sim(fast_sim());
  asio::io_context ioc;
  auto t = transport_for(ioc, sim, sim.base_url(), true, 1);
  auto st = t->get_state();
  auto p = client_for(sim);
  p.shared_transport = t;
  cl::client c(ioc.get_executor(), p);
  run(ioc, whoami_n(c, 1));
  const auto key = key_of(sim, "127.0.0.1");
  auto bad = scrambled_tickets(*st->sessions, key);
  REQUIRE_FALSE(bad.empty());
  CHECK(st->sessions->size(key) == 0);
  for (auto& s : bad) st->sessions->put(key, std::move(s), session_cache::clock::now());
  REQUIRE(st->sessions->size(key) >= 1);

  run(ioc, whoami_n(c, 1));  // offers a scrambled ticket
  CHECK(sim.stats().tls_full_handshakes == 2);
  CHECK(sim.stats().tls_resumed_handshakes == 0);
  run(ioc, whoami_n(c, 1));  // the fresh ticket of that full handshake is offered next
  CHECK(sim.stats().tls_full_handshakes == 2);
  CHECK(sim.stats().tls_resumed_handshakes == 1);
}

TEST_CASE("tls resumption: another simulator's session (other ticket keys) -> a full handshake") {
  clt::simulator a(fast_sim()), b(fast_sim());
  asio::io_context ioc;
  auto ta = transport_for(ioc, a, a.base_url());
  auto tb = transport_for(ioc, b, b.base_url(), true, 1);
  auto pa = client_for(a);
  pa.shared_transport = ta;
  cl::client ca(ioc.get_executor(), pa);
  run(ioc, whoami_n(ca, 1));
  auto pb = client_for(b);
  pb.shared_transport = tb;
  cl::client cb(ioc.get_executor(), pb);
  // A's session planted under B's key (what a confused or hostile cache would hold).
  auto s = ta->get_state()->sessions->take(key_of(a, "127.0.0.1"), session_cache::clock::now());
  REQUIRE(s);
  tb->get_state()->sessions->put(key_of(b, "127.0.0.1"), std::move(s), session_cache::clock::now());
  run(ioc, whoami_n(cb, 2));
  CHECK(b.stats().tls_full_handshakes == 1);
  CHECK(b.stats().tls_resumed_handshakes == 1);  // the second call, with B's own ticket
}

TEST_CASE("tls resumption: an io_context run by two threads, concurrent reconnects (the cache under TSan)") {
  clt::simulator sim(fast_sim());
  asio::io_context ioc(2);
  auto t = transport_for(ioc, sim, sim.base_url(), true, 1);
  auto p = client_for(sim);
  p.shared_transport = t;
  p.max_connections = 8;
  cl::client c(ioc.get_executor(), p);
  constexpr int workers = 8, calls = 6;
  std::vector<std::future<int>> done;
  for (int w = 0; w < workers; ++w) done.push_back(asio::co_spawn(ioc, whoami_n(c, calls), asio::use_future));
  std::thread other([&] { ioc.run(); });
  ioc.run();
  other.join();
  int total = 0;
  for (auto& f : done) total += f.get();
  CHECK(total == workers * calls);
  const auto st = sim.stats();
  CHECK(st.tls_full_handshakes + st.tls_resumed_handshakes == static_cast<std::uint64_t>(workers * calls));
  CHECK(st.tls_resumed_handshakes >= static_cast<std::uint64_t>(workers * calls - workers * 2));
  CHECK(t->tls_stats().resumed_handshakes == st.tls_resumed_handshakes);
}
