#include "transport/connection.hpp"

#include <cleanlist/error.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/http/parser.hpp>

#include <openssl/ssl.h>
#include <algorithm>
#include <array>
#include <stdexcept>
#include <openssl/x509v3.h>

#include <poll.h>

namespace cleanlist::transport {

namespace {

using boost::system::error_code;

constexpr std::size_t read_reserve = 16 * 1024;  // per connection

// Maps a transport error to the library's code, keeping operation_aborted for cancellation.
error_code map_transport_error(error_code ec) {
  if (ec == http::error::body_limit || ec == http::error::header_limit || ec == http::error::buffer_overflow)
    return error::response_too_large;
  if (ec.category() == asio::error::get_ssl_category()) {
    auto reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
    if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED) return error::tls_verification_failed;
  }
  return ec;
}

// Beast's fields store a name/value in at most 65535 bytes and throw std::length_error beyond
// that, from inside the read operation, out of io_context::run(). A field that large can arrive
// when max_header_bytes > 64 KiB, and in a chunked body's trailer at any limit (trailers are not
// counted by header_limit). Turn it into header_limit, and bound the trailer fields' total.
class bounded_response_parser final : public http::response_parser<http::string_body> {
public:
  explicit bounded_response_parser(std::uint32_t max_fields) : max_fields_(max_fields) {}

private:
  void on_field_impl(http::field name, beast::string_view name_string, beast::string_view value,
                     error_code& ec) override {
    fields_bytes_ += name_string.size() + value.size() + 4;
    if (fields_bytes_ > max_fields_) {
      ec = http::error::header_limit;
      return;
    }
    // Only the fields the client reads are stored (each stored field is a heap block):
    // Connection (keep_alive()), Retry-After and X-Request-Id. The parser itself handles
    // Content-Length and Transfer-Encoding.
    if (name != http::field::connection && name != http::field::retry_after &&
        !beast::iequals(name_string, "x-request-id"))
      return;
    try {
      get().insert(name, name_string, value);
    } catch (const std::length_error&) {
      ec = http::error::header_limit;
    }
  }

  std::uint64_t max_fields_;
  std::uint64_t fields_bytes_ = 0;  // header and trailer fields together
};

} // namespace

connection::~connection() { close(); }

asio::ip::tcp::socket& connection::lowest() { return tls_ ? tls_->next_layer() : *plain_; }

void connection::close() noexcept {
  error_code ignored;
  if (tls_) tls_->next_layer().close(ignored);
  if (plain_) plain_->close(ignored);
  open_ = false;
}

namespace {

// An error of a phase whose deadline the watch enforced is a timeout, not a cancellation.
error_code phase_error(error_code ec, const call_context& cc) {
  if (cc.attempt_expired && !cc.stopped()) return error::timeout;
  return map_transport_error(ec);
}

// Marks a connect or request phase: its deadline is set on entry and cleared on every exit.
class attempt_phase {
public:
  attempt_phase(call_context& cc, std::chrono::milliseconds limit) : cc_(cc) { cc.begin_attempt(limit); }
  ~attempt_phase() { cc_.end_attempt(); }
  attempt_phase(const attempt_phase&) = delete;
  attempt_phase& operator=(const attempt_phase&) = delete;

private:
  call_context& cc_;
};

} // namespace

asio::awaitable<error_code> connection::connect(const endpoint& ep, resolve_cache& dns, call_context& cc) {
  const auto& url = ep.url;
  attempt_phase phase(cc, ep.connect_timeout);
  // Through a proxy, TCP goes to the proxy (which resolves the API's name itself); TLS below
  // is still with the API's host name.
  const std::string& tcp_host = ep.proxy ? ep.proxy->host : url.host;
  const std::uint16_t tcp_port = ep.proxy ? ep.proxy->port : url.port;

  // An IP literal needs no resolver (no thread hop, no allocation of a results list).
  error_code aec;
  const auto literal = asio::ip::make_address(tcp_host, aec);
  const bool is_ip = !aec;
  resolve_cache::endpoints results;
  if (!is_ip) {
    // Not Asio's async_resolve directly: it cannot be cancelled per operation, so a slow
    // resolver would outlast this phase's deadline. The cache's wait ends at our stop.
    auto [rec, r] = co_await dns.resolve(tcp_host, tcp_port, cc);
    if (rec || cc.attempt_expired || cc.stopped())
      co_return phase_error(rec ? rec : asio::error::operation_aborted, cc);
    results = std::move(r);
  }

  if (url.tls) {
    tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket>>(ex_, *ep.ssl);
    SSL* ssl = tls_->native_handle();
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    error_code iec;
    asio::ip::make_address(url.host, iec);
    if (!iec) {
      // IP literal: verify against the certificate's IP SANs; SNI must not carry an IP (RFC 6066).
      if (X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str()) != 1) co_return error::tls_verification_failed;
    } else {
      if (SSL_set_tlsext_host_name(ssl, url.host.c_str()) != 1) co_return error::tls_verification_failed;
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      if (X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), url.host.size()) != 1)
        co_return error::tls_verification_failed;
    }
    tls_->set_verify_mode(asio::ssl::verify_peer);
    // Session resumption: offer a session made for this very host:port, SNI and proxy (the
    // key), and file the ones this connection receives under it.
    if (auto cache = session_cache::of(SSL_get_SSL_CTX(ssl)); cache && cache->enabled()) {
      auto key = session_cache::key_for(url.host, url.port, iec.failed(), ep.proxy ? ep.proxy->host : std::string_view{},
                                        ep.proxy ? ep.proxy->port : 0);
      offered_ = cache->take(key, std::chrono::steady_clock::now());
      if (offered_ && SSL_set_session(ssl, offered_.get()) != 1) offered_.reset();
      sessions_ = std::make_unique<session_cache::binding>(session_cache::binding{std::move(cache), std::move(key)});
      session_cache::bind(ssl, sessions_.get());
    }
  } else {
    plain_ = std::make_unique<asio::ip::tcp::socket>(ex_);
  }

  error_code cec;
  if (is_ip) {
    const asio::ip::tcp::endpoint target(literal, tcp_port);
    std::tie(cec) = co_await lowest().async_connect(target, cc.token());
  } else {
    std::tie(cec, std::ignore) = co_await asio::async_connect(lowest(), results, cc.token());
  }
  if (cec) {
    close();
    co_return phase_error(cec, cc);
  }
  lowest().set_option(asio::ip::tcp::no_delay(true), cec);
  if (cc.attempt_expired || cc.stopped()) {
    close();
    co_return phase_error(asio::error::operation_aborted, cc);
  }
  if (ep.proxy) {
    const error_code pec = co_await open_tunnel(*ep.proxy, cc);
    if (pec) {
      close();
      co_return pec;
    }
  }
  if (tls_) {
    auto [hec] = co_await tls_->async_handshake(asio::ssl::stream_base::client, cc.token());
    if (hec) {
      close();
      co_return phase_error(hec, cc);
    }
    resumed_ = SSL_session_reused(tls_->native_handle()) == 1;
    if (auto cache = session_cache::of(SSL_get_SSL_CTX(tls_->native_handle()))) cache->count_handshake(resumed_);
    // Refused (the server's ticket keys changed, its cache dropped the id, a garbage ticket):
    // a full handshake was made; do not offer that session again.
    if (offered_ && !resumed_ && sessions_) sessions_->cache->forget(sessions_->key, offered_.get());
    offered_.reset();
  }
  open_ = true;
  co_return error_code{};
}

// CONNECT host:port on the fresh TCP connection to the proxy, and its answer, read with the
// sans-io reader (strict, at most 16 KiB). Under the connect phase's deadline like the rest.
asio::awaitable<error_code> connection::open_tunnel(const protocol::proxy_route& route, call_context& cc) {
  auto& sock = lowest();
  const auto out = asio::buffer(route.connect_request);
  auto [wec, written] = co_await asio::async_write(sock, out, cc.token());
  if (wec) co_return phase_error(wec, cc);
  protocol::connect_response_reader reader;
  std::array<char, 2048> chunk;
  for (;;) {
    if (cc.attempt_expired || cc.stopped()) co_return phase_error(asio::error::operation_aborted, cc);
    // Never more than the reader accepts: a huge answer fails at the limit, not beyond it.
    const auto in = asio::buffer(chunk.data(), std::max<std::size_t>(1, std::min(chunk.size(), reader.room())));
    auto [rec, got] = co_await sock.async_read_some(in, cc.token());
    // Closed or reset before answering: a broken connection (nothing was sent to the API).
    if (rec) co_return phase_error(rec, cc);
    const auto r = reader.feed(std::string_view(chunk.data(), got));
    if (r == protocol::connect_response_reader::result::error) co_return error::proxy_protocol_error;
    if (r == protocol::connect_response_reader::result::done) break;
  }
  proxy_status_ = reader.status();
  if (const auto e = protocol::connect_status_error(reader.status())) co_return e;
  // TLS and HTTP both start with the client: bytes before our first one are not a tunnel's.
  if (!reader.leftover().empty()) co_return error::proxy_protocol_error;
  co_return error_code{};
}

asio::awaitable<exchange_result> connection::exchange(const endpoint& ep, const std::string& request,
                                                      call_context& cc) {
  exchange_result r;
  attempt_phase phase(cc, ep.request_timeout);
  error_code wec;
  const auto out = asio::buffer(request);
  if (tls_) std::tie(wec, std::ignore) = co_await asio::async_write(*tls_, out, cc.token());
  else std::tie(wec, std::ignore) = co_await asio::async_write(*plain_, out, cc.token());
  if (wec) {
    // The request was not fully handed to the kernel, so the server cannot have a complete request.
    close();
    r.ec = phase_error(wec, cc);
    r.where = stage::not_sent;
    co_return r;
  }
  r.where = stage::sent_no_response;
  if (cc.attempt_expired || cc.stopped()) {  // expired while the write's completion was queued
    close();
    r.ec = phase_error(asio::error::operation_aborted, cc);
    co_return r;
  }
  bounded_response_parser parser(ep.max_header_bytes);
  parser.header_limit(ep.max_header_bytes);
  parser.body_limit(ep.max_body_bytes);
  // Bytes the parser has not consumed yet: a header (<= header_limit), a chunk header or a
  // trailer. Without a cap an endless chunk extension or trailer would grow the buffer without
  // bound (Beast then reports buffer_overflow -> response_too_large).
  buffer_.max_size(static_cast<std::size_t>(ep.max_header_bytes) + 64 * 1024);
  // Beast reads max(512, free capacity) bytes at a time, and the parser consumes whole
  // reads, so a buffer left at 512 bytes never grows: every response > 512 B took 2+ recv
  // calls. A reserved capacity makes a typical response one recv (kept across exchanges).
  if (buffer_.capacity() < read_reserve) buffer_.reserve(std::min<std::size_t>(read_reserve, buffer_.max_size()));
  error_code rec;
  if (tls_) std::tie(rec, std::ignore) = co_await http::async_read(*tls_, buffer_, parser, cc.token());
  else std::tie(rec, std::ignore) = co_await http::async_read(*plain_, buffer_, parser, cc.token());
  if (rec) {
    close();
    r.ec = phase_error(rec, cc);
    co_return r;
  }
  r.where = stage::response;
  exchanged_ = true;
  ++exchanges_;
  r.response = parser.release();
  keep_alive_ = r.response.keep_alive();
  if (!keep_alive_) close();
  co_return r;
}

bool connection::stale() const {
  if (!open_) return true;
  auto& sock = tls_ ? tls_->next_layer() : *plain_;
  if (buffer_.size() != 0) return true;
  if (tls_ && SSL_pending(const_cast<SSL*>(tls_->native_handle())) > 0) return true;  // leftover bytes from the server: protocol state unknown
  pollfd p{const_cast<asio::ip::tcp::socket&>(sock).native_handle(), POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, 0) < 0) return true;
  // Closed by the server (FIN, seen even behind unread bytes), reset, or broken.
  if (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) return true;
  if (!(p.revents & POLLIN)) return false;  // nothing waiting: open and idle
  // Bytes are waiting. A TLS 1.3 server sends its session tickets (post-handshake records)
  // right after the handshake; the connection's first read processes them before the response,
  // so on a TLS connection that has not read a response yet they are expected (taking them for
  // a closed connection cost a reconnect, and a given-back grant, whenever a fresh connection
  // waited for the rate limiter). Anywhere else they are unsolicited (an HTTP server never
  // speaks first: e.g. a 408 before closing, a TLS alert): protocol state unknown.
  return !(tls_ && !exchanged_);
}

asio::awaitable<void> connection::graceful_close(std::shared_ptr<connection> c) {
  if (c->tls_ && c->open_) {
    // close_notify gets 1 s; then the socket is closed, which ends the shutdown. The timer's
    // handler shares ownership: it may run after this coroutine is done.
    // On this coroutine's executor (the pool's strand), not the socket's: the handler must
    // not run concurrently with the shutdown it cuts short.
    asio::steady_timer limit(co_await asio::this_coro::executor, std::chrono::seconds(1));
    limit.async_wait([c](error_code ec) {
      if (!ec) c->close();
    });
    // stream_truncated / timeouts on shutdown are benign: we are closing anyway.
    co_await c->tls_->async_shutdown(asio::as_tuple(asio::use_awaitable));
    limit.cancel();
  }
  c->close();
}

} // namespace cleanlist::transport
