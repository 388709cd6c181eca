// rediss://: TLS with peer verification and host name check, against a redis-server with
// TLS on (a throw-away self-signed certificate for DNS:localhost made with the openssl CLI).
#include "redis_test_support.hpp"

#include <boost/asio/ssl/error.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace cleanlist::redis;
using namespace cleanlist::redis::test;
using namespace std::chrono_literals;
using boost::system::error_code;
namespace asio = boost::asio;

namespace {

constexpr auto tup = asio::as_tuple(asio::use_awaitable);

struct tls_files {
  std::string dir, cert, key, cert_pem;
  tls_files() {
    char tmpl[] = "/tmp/redis_tls_XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    cert = dir + "/cert.pem";
    key = dir + "/key.pem";
    const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
                            "-subj /CN=localhost -addext subjectAltName=DNS:localhost -keyout " +
                            key + " -out " + cert + " >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    std::ifstream in(cert);
    std::stringstream ss;
    ss << in.rdbuf();
    cert_pem = ss.str();
  }
  ~tls_files() {
    std::remove(cert.c_str());
    std::remove(key.c_str());
    ::rmdir(dir.c_str());
  }
};

std::shared_ptr<asio::ssl::context> trusting(const std::string& pem) {
  auto ctx = make_tls_context();
  ctx->add_certificate_authority(asio::buffer(pem));
  return ctx;
}

asio::awaitable<void> tls_ok(std::string url, std::shared_ptr<asio::ssl::context> ctx) {
  auto ex = co_await asio::this_coro::executor;
  connection_config cfg = config_for(url);
  cfg.ssl = ctx;
  auto c = std::make_shared<connection>(ex, cfg);
  reply r = co_await c->async_exec(cmd("SET", "tls", "yes"));
  CHECK(r.str == "OK");
  r = co_await c->async_exec(cmd("GET", "tls"));
  CHECK(r.str == "yes");
  redis_budget_params p;
  p.op_timeout = 5000ms;
  redis_budget b(c, p);
  const budget_limits limits;
  acquire_result a = co_await b.async_acquire("k", "o", limits);
  CHECK(a.granted);
}

asio::awaitable<void> tls_refused(std::string url, std::shared_ptr<asio::ssl::context> ctx) {
  auto ex = co_await asio::this_coro::executor;
  connection_config cfg = config_for(url);
  cfg.ssl = ctx;
  connection c(ex, cfg);
  auto [ec, r] = co_await c.async_exec(cmd("PING"), tup);
  CHECK(ec);
  MESSAGE(url << ": " << ec.message());
  CHECK(ec.category() == asio::error::get_ssl_category());
}

} // namespace

TEST_CASE("rediss://: verified TLS; untrusted certificate and host name mismatch refused") {
  tls_files f;
  const std::uint16_t tls_port = free_port();
  redis_server srv({"--tls-port", std::to_string(tls_port), "--tls-cert-file", f.cert, "--tls-key-file", f.key,
                    "--tls-ca-cert-file", f.cert, "--tls-auth-clients", "no"});
  const std::string port = std::to_string(tls_port);
  // trusted CA, host name in the certificate
  run(tls_ok("rediss://localhost:" + port, trusting(f.cert_pem)));
  // the system CAs (the default context) do not trust a throw-away certificate
  run(tls_refused("rediss://localhost:" + port, nullptr));
  // trusted, but the certificate names "localhost", not 127.0.0.1
  run(tls_refused("rediss://127.0.0.1:" + port, trusting(f.cert_pem)));
}
