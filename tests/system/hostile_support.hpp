#pragma once
// Raw hostile servers for the tests of tests/system (test_hostile_http, test_tls_and_secrets): plain TCP and TLS (OpenSSL directly on the
// accepted socket), each connection handled by its own thread running a test-written handler;
// certificates created at run time with the OpenSSL 3 API. Everything is bounded: sockets get
// receive/send timeouts, stalling handlers wait on the server's stop signal (with a cap), and
// the destructor shuts every connection down and joins every thread.
#include <cleanlist/client.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <cctype>
#include <csignal>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace hostile {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// A peer closing while a handler writes must give EPIPE, not kill the test (SSL_write uses write()).
inline const bool sigpipe_ignored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

// ---------------------------------------------------------------- certificates

struct pkey_deleter { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct x509_deleter { void operator()(X509* p) const { X509_free(p); } };
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_deleter>;
using x509_ptr = std::unique_ptr<X509, x509_deleter>;

inline void ossl_check(bool ok, const char* what) {
  if (!ok) {
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    throw std::runtime_error(std::string("openssl: ") + what + ": " + buf);
  }
}

inline pkey_ptr make_key() {
  pkey_ptr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  ossl_check(k != nullptr, "keygen");
  return k;
}

inline void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ossl_check(ext != nullptr, "extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

struct cert_spec {
  std::string cn;
  std::string san;            ///< e.g. "IP:127.0.0.1,DNS:localhost"; empty for a CA
  long not_before = -3600;    ///< seconds from now
  long not_after = 86400;     ///< seconds from now
  bool ca = false;
};

/// A certificate for `key`, signed by (issuer, issuer_key), or self-signed when issuer is null.
inline x509_ptr make_cert(const cert_spec& s, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  static std::atomic<long> serial{1000};
  x509_ptr c(X509_new());
  X509_set_version(c.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c.get()), ++serial);
  X509_gmtime_adj(X509_getm_notBefore(c.get()), s.not_before);
  X509_gmtime_adj(X509_getm_notAfter(c.get()), s.not_after);
  X509_set_pubkey(c.get(), key);
  X509_NAME* name = X509_get_subject_name(c.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("cleanlist hostile tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(s.cn.c_str()), -1, -1, 0);
  X509* iss = issuer ? issuer : c.get();
  X509_set_issuer_name(c.get(), X509_get_subject_name(iss));
  if (s.ca) {
    add_ext(c.get(), iss, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(c.get(), iss, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_ext(c.get(), iss, NID_subject_key_identifier, "hash");
  } else {
    add_ext(c.get(), iss, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(c.get(), iss, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    add_ext(c.get(), iss, NID_ext_key_usage, "serverAuth");
    add_ext(c.get(), iss, NID_subject_key_identifier, "hash");
    add_ext(c.get(), iss, NID_authority_key_identifier, "keyid:always");
    if (!s.san.empty()) add_ext(c.get(), iss, NID_subject_alt_name, s.san.c_str());
  }
  ossl_check(X509_sign(c.get(), issuer_key ? issuer_key : key, EVP_sha256()) > 0, "sign");
  return c;
}

inline std::string to_pem(X509* c) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, c);
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  std::string s(data, static_cast<std::size_t>(n));
  BIO_free(b);
  return s;
}

/// A certificate and its key.
struct identity {
  pkey_ptr key;
  x509_ptr cert;
};

/// A throw-away PKI: a trusted CA, an untrusted CA, and the server identities the tests need.
struct pki {
  identity ca, other_ca;
  identity good;         ///< 127.0.0.1 (IP SAN) and localhost, signed by ca
  identity expired;      ///< same names, signed by ca, validity ended yesterday
  identity wrong_host;   ///< wrong.example.invalid / 10.255.255.1, signed by ca
  identity untrusted;    ///< same names as good, signed by other_ca
  std::string ca_pem;

  pki() {
    ca.key = make_key();
    ca.cert = make_cert({"hostile test CA", "", -3600, 86400 * 10, true}, ca.key.get(), nullptr, nullptr);
    other_ca.key = make_key();
    other_ca.cert = make_cert({"unknown CA", "", -3600, 86400 * 10, true}, other_ca.key.get(), nullptr, nullptr);
    const std::string names = "IP:127.0.0.1,DNS:localhost";
    auto leaf = [&](identity& id, cert_spec s, identity& issuer) {
      id.key = make_key();
      id.cert = make_cert(s, id.key.get(), issuer.cert.get(), issuer.key.get());
    };
    leaf(good, {"localhost", names}, ca);
    leaf(expired, {"localhost", names, -2 * 86400, -86400}, ca);
    leaf(wrong_host, {"wrong.example.invalid", "DNS:wrong.example.invalid,IP:10.255.255.1"}, ca);
    leaf(untrusted, {"localhost", names}, other_ca);
    ca_pem = to_pem(ca.cert.get());
  }

  static const pki& get() {
    static const pki instance;
    return instance;
  }
};

// ---------------------------------------------------------------- raw server

/// One accepted connection as the handler sees it: read/write bytes, plain or TLS.
class conn {
public:
  conn(tcp::socket& s, SSL* ssl) : sock_(s), ssl_(ssl) {}

  /// Reads some bytes; 0 on EOF, error or timeout.
  std::size_t read_some(char* buf, std::size_t n) {
    if (ssl_) {
      int r = SSL_read(ssl_, buf, static_cast<int>(n));
      return r > 0 ? static_cast<std::size_t>(r) : 0;
    }
    boost::system::error_code ec;
    auto r = sock_.read_some(asio::buffer(buf, n), ec);
    return ec ? 0 : r;
  }
  bool write(std::string_view data) {
    if (ssl_) {
      while (!data.empty()) {
        int r = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
        if (r <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(r));
      }
      return true;
    }
    boost::system::error_code ec;
    asio::write(sock_, asio::buffer(data), ec);
    return !ec;
  }
  /// Reads one request (head + Content-Length body). Empty on EOF/timeout.
  std::string read_request() {
    std::string data;
    char buf[4096];
    std::size_t head_end;
    while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
      auto n = read_some(buf, sizeof buf);
      if (n == 0) return {};
      data.append(buf, n);
      if (data.size() > (1u << 20)) return {};
    }
    std::size_t want = 0;
    auto lower = data.substr(0, head_end);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (auto p = lower.find("\r\ncontent-length:"); p != std::string::npos) want = std::stoul(lower.substr(p + 17));
    while (data.size() < head_end + 4 + want) {
      auto n = read_some(buf, sizeof buf);
      if (n == 0) break;
      data.append(buf, n);
    }
    return data;
  }
  tcp::socket& socket() { return sock_; }
  SSL* ssl() { return ssl_; }

private:
  tcp::socket& sock_;
  SSL* ssl_;
};

/// Builds a "HTTP/1.1 <status>" response with a Content-Length body.
inline std::string http_response(int status, std::string_view body, std::string_view extra_headers = {}) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + std::string(extra_headers) + "\r\n" + std::string(body);
}

struct tls_config {
  const identity* id = nullptr;
  int max_version = 0;         ///< e.g. TLS1_1_VERSION; 0 = OpenSSL default
  int security_level = -1;     ///< -1 = OpenSSL default
};

class server {
public:
  using handler = std::function<void(conn&, server&)>;

  /// Plain TCP when tls.id is null. `h` runs once per connection (after a TLS handshake).
  explicit server(handler h, tls_config tls = {}) : h_(std::move(h)) {
    if (tls.id) {
      ctx_ = SSL_CTX_new(TLS_server_method());
      ossl_check(ctx_ != nullptr, "SSL_CTX_new");
      if (tls.security_level >= 0) SSL_CTX_set_security_level(ctx_, tls.security_level);
      if (tls.max_version) {
        SSL_CTX_set_min_proto_version(ctx_, 0);
        ossl_check(SSL_CTX_set_max_proto_version(ctx_, tls.max_version) == 1, "max version");
      }
      ossl_check(SSL_CTX_use_certificate(ctx_, tls.id->cert.get()) == 1, "use cert");
      ossl_check(SSL_CTX_use_PrivateKey(ctx_, tls.id->key.get()) == 1, "use key");
    }
    acceptor_th_ = std::thread([this] { accept_loop(); });
  }
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  ~server() {
    stop();
    boost::system::error_code ec;
    auto ep = acc_.local_endpoint(ec);
    acc_.close(ec);
    {
      tcp::socket s(ioc_);  // unblocks accept()
      s.connect(ep, ec);
    }
    acceptor_th_.join();
    {
      std::lock_guard lk(m_);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : workers_) t.join();
    if (ctx_) SSL_CTX_free(ctx_);
  }

  unsigned short port() const { return acc_.local_endpoint().port(); }

  /// Wakes stalling handlers.
  void stop() {
    {
      std::lock_guard lk(m_);
      stopping_ = true;
    }
    cv_.notify_all();
  }
  /// Blocks a handler until stop() (or `cap`, so that nothing can hang for ever).
  void stall(std::chrono::milliseconds cap = 10s) {
    std::unique_lock lk(m_);
    cv_.wait_for(lk, cap, [&] { return stopping_; });
  }

  /// The server thread records a failed handshake after the client has already seen it fail:
  /// waits (bounded, generously: a loaded machine may be slow) until it has.
  bool wait_handshakes_failed(int n, std::chrono::milliseconds cap = 60s) {
    std::unique_lock lk(m_);
    return cv_.wait_for(lk, cap, [&] { return handshakes_failed >= n; });
  }

  std::atomic<int> connections{0};     ///< TCP connections accepted
  std::atomic<int> handshakes_ok{0};   ///< TLS handshakes completed
  std::atomic<int> handshakes_failed{0};
  std::atomic<int> requests{0};        ///< incremented by handlers that count requests
  std::mutex m_;
  std::vector<std::string> servernames;  ///< SNI per completed handshake ("" = none); guarded by m_
  std::vector<std::string> heads;        ///< recorded by handlers; guarded by m_

  void record_head(std::string h) {
    std::lock_guard lk(m_);
    heads.push_back(std::move(h));
  }
  std::vector<std::string> snapshot_heads() {
    std::lock_guard lk(m_);
    return heads;
  }
  std::vector<std::string> snapshot_servernames() {
    std::lock_guard lk(m_);
    return servernames;
  }

private:
  void accept_loop() {
    for (;;) {
      auto s = std::make_shared<tcp::socket>(ioc_);
      boost::system::error_code ec;
      acc_.accept(*s, ec);
      if (ec || !acc_.is_open()) return;
      {
        std::lock_guard lk(m_);
        if (stopping_) return;
        fds_.push_back(s->native_handle());
      }
      ++connections;
      timeval tv{5, 0};  // no blocking call on a server socket lasts longer than this
      ::setsockopt(s->native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(s->native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      workers_.emplace_back([this, s] { serve(*s); });
    }
  }

  void serve(tcp::socket& s) {
    SSL* ssl = nullptr;
    if (ctx_) {
      ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, s.native_handle());
      if (SSL_accept(ssl) != 1) {
        {
          std::lock_guard lk(m_);  // under the lock: wait_handshakes_failed() cannot miss it
          ++handshakes_failed;
        }
        cv_.notify_all();
        SSL_free(ssl);
        ERR_clear_error();
        close(s);
        return;
      }
      ++handshakes_ok;
      const char* sn = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
      {
        std::lock_guard lk(m_);
        servernames.emplace_back(sn ? sn : "");
      }
    }
    {
      conn c(s, ssl);
      h_(c, *this);
    }
    if (ssl) {
      SSL_shutdown(ssl);
      SSL_free(ssl);
      ERR_clear_error();
    }
    close(s);
  }

  void close(tcp::socket& s) {
    std::lock_guard lk(m_);
    std::erase(fds_, s.native_handle());
    boost::system::error_code ec;
    s.shutdown(tcp::socket::shutdown_both, ec);
    s.close(ec);
  }

  handler h_;
  SSL_CTX* ctx_ = nullptr;
  asio::io_context ioc_;
  tcp::acceptor acc_{ioc_, {asio::ip::make_address("127.0.0.1"), 0}};
  std::thread acceptor_th_;
  std::vector<std::thread> workers_;  // touched by the acceptor thread only, joined after it
  std::vector<int> fds_;              // guarded by m_
  std::condition_variable cv_;
  bool stopping_ = false;             // guarded by m_
};

// ---------------------------------------------------------------- client side

inline constexpr const char* test_key = "clapi_hostile_SECRET_key_0123456789";

/// One attempt, no rate limiting, deadlines generous for a loaded machine: every operation of
/// a test is bounded, but a correct one never ends by a deadline. Tests of a deadline set a
/// short one themselves.
inline cleanlist::client_params params_for(const std::string& base_url) {
  cleanlist::client_params p;
  p.api_key = test_key;
  p.base_url = base_url;
  p.tls.use_system_ca = false;
  p.tls.ca_pem = pki::get().ca_pem;
  p.rate_limit.enabled = false;
  p.retry.max_attempts = 1;
  p.retry.base_delay = 1ms;
  p.retry.max_delay = 5ms;
  p.connect_timeout = 10s;
  p.request_timeout = 10s;
  p.overall_timeout = 30s;
  return p;
}

inline std::string http_url(const server& s, std::string_view host = "127.0.0.1") {
  return "http://" + std::string(host) + ":" + std::to_string(s.port()) + "/api/v1/public";
}
inline std::string https_url(const server& s, std::string_view host = "127.0.0.1") {
  return "https://" + std::string(host) + ":" + std::to_string(s.port()) + "/api/v1/public";
}

struct outcome {
  cleanlist::error_code ec;
  cleanlist::diagnostics diag;
  bool done = false;
  std::chrono::milliseconds elapsed{0};
};

/// Starts `start(diag, handler)` and runs `ioc` until the handler ran, at most `limit` (a guard
/// against hangs, above every deadline of params_for(): not a measure of speed).
template <class T, class Start>
outcome run_op(asio::io_context& ioc, Start start, std::chrono::milliseconds limit = 60s) {
  outcome o;
  auto t0 = std::chrono::steady_clock::now();
  start(o.diag, [&o](cleanlist::error_code ec, T) {
    o.ec = ec;
    o.done = true;
  });
  ioc.restart();
  while (!o.done && std::chrono::steady_clock::now() - t0 < limit) ioc.run_for(20ms);
  o.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  return o;
}

/// A timeout given by the attempt's own deadline (connect_timeout or request_timeout): the
/// connection reports it, as a transport error in the diagnostics. The overall deadline
/// stops the call instead, leaving no transport error there.
inline bool attempt_deadline_fired(const outcome& o) {
  return o.ec == cleanlist::error::timeout && o.diag.problem.find("transport error") != std::string::npos;
}

/// GET /credits/balance: the simplest idempotent operation ({"organization_id", "credits"}).
inline outcome balance(asio::io_context& ioc, cleanlist::client& c, std::chrono::milliseconds limit = 60s) {
  return run_op<cleanlist::credits_balance_response>(
      ioc, [&](cleanlist::diagnostics& d, auto h) { c.async_credits_balance(d, std::move(h)); }, limit);
}

} // namespace hostile
