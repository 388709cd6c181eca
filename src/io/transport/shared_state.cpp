#include "transport/shared_state.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <openssl/ssl.h>

#include <algorithm>


namespace cleanlist {

namespace {

// A strand over the concrete io_context executor when that is what the user gave: it fits in
// any_io_executor's small buffer, so copying it (every handler, timer and coroutine holds one)
// and asking it for outstanding work allocate nothing. A strand over an any_io_executor does
// not fit and allocates on each of those.
boost::asio::any_io_executor make_serial_executor(const boost::asio::any_io_executor& ex) {
  if (const auto* io = ex.target<boost::asio::io_context::executor_type>())
    return boost::asio::make_strand(*io);
  return boost::asio::make_strand(ex);
}

} // namespace

http_transport::state::state(boost::asio::any_io_executor ex, const std::string& base_url, const tls_params& tls,
                        const proxy_params& proxy_settings, std::size_t max_connections, std::chrono::milliseconds idle_timeout,
                        resolver_function resolver, std::chrono::milliseconds resolve_ttl,
                        std::size_t max_requests_per_connection)
    : strand(make_serial_executor(ex)),
      url(protocol::parse_base_url_or_throw(base_url)),
      proxy(protocol::make_proxy_route(proxy_settings, url)),
      proxy_config(proxy_settings),
      ssl(boost::asio::ssl::context::tls_client),
      // Two TLS 1.3 tickets per connection of the pool: a burst of reconnects (every connection
      // reaching max_requests_per_connection at once) still finds one ticket each.
      sessions(std::make_shared<transport::session_cache>(
          tls.session_resumption, 16, std::clamp<std::size_t>(2 * max_connections, 4, 256))),
      dns(std::make_shared<transport::resolve_cache>(
          strand, resolver ? std::move(resolver) : transport::system_resolver(ex), resolve_ttl)),
      pool(strand, ex, max_connections, idle_timeout, dns),
      watch(std::make_shared<transport::deadline_watch>(strand)) {
  // TLS >= 1.2, peer verification always on (host name checks are set per connection).
  SSL_CTX_set_min_proto_version(ssl.native_handle(), TLS1_2_VERSION);
  ssl.set_verify_mode(boost::asio::ssl::verify_peer);
  transport::session_cache::install(ssl.native_handle(), sessions);
  pool.set_max_requests_per_connection(max_requests_per_connection);
  // The system store costs ~20 ms and a few hundred KiB per transport: only load it for https.
  if (tls.use_system_ca && url.tls) ssl.set_default_verify_paths();
  if (!tls.ca_file.empty()) {
    boost::system::error_code ec;
    ssl.load_verify_file(tls.ca_file, ec);
    if (ec) throw std::invalid_argument("cleanlist: cannot load CA file " + tls.ca_file + ": " + ec.message());
  }
  if (!tls.ca_pem.empty()) {
    boost::system::error_code ec;
    ssl.add_certificate_authority(boost::asio::buffer(tls.ca_pem), ec);
    if (ec) throw std::invalid_argument("cleanlist: invalid tls.ca_pem: " + ec.message());
  }
}

http_transport::http_transport(boost::asio::any_io_executor ex, transport_params p)
    : state_(std::make_shared<state>(std::move(ex), p.base_url, p.tls, p.proxy, p.max_connections, p.idle_timeout,
                                     std::move(p.resolver), p.resolve_ttl, p.max_requests_per_connection)) {}

http_transport::~http_transport() { shutdown(); }

void http_transport::shutdown() {
  boost::asio::dispatch(state_->strand, [s = state_] { s->pool.shutdown(); });
}

std::size_t http_transport::open_connections() const { return state_->pool.open_connections(); }

http_transport::tls_counters http_transport::tls_stats() const {
  const auto& c = *state_->sessions;
  return {c.full_handshakes(), c.resumed_handshakes(), c.size()};
}

} // namespace cleanlist
