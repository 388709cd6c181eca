#pragma once
// What clients share through cleanlist::transport (or own privately when they don't share):
// the strand every operation runs on, the TLS context, the name resolution cache and the keep-alive pool.
#include "protocol/proxy.hpp"
#include "protocol/url.hpp"
#include "transport/deadline_watch.hpp"
#include "transport/pool.hpp"
#include "transport/resolver.hpp"
#include "transport/session_cache.hpp"

#include <cleanlist/transport.hpp>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>

namespace cleanlist {

struct http_transport::state {
  /// `resolver`: null for the system resolver; `resolve_ttl`: see transport_params.
  /// `proxy`: see proxy_params; throws std::invalid_argument on a bad proxy URL.
  state(boost::asio::any_io_executor ex, const std::string& base_url, const tls_params& tls, const proxy_params& proxy,
        std::size_t max_connections, std::chrono::milliseconds idle_timeout, resolver_function resolver = {},
        std::chrono::milliseconds resolve_ttl = std::chrono::seconds(30), std::size_t max_requests_per_connection = 0);

  /// A strand over the user's executor: every client and pool operation runs on it. Held as
  /// an any_io_executor (see make_serial_executor).
  boost::asio::any_io_executor strand;
  protocol::base_url url;
  /// Set when connections go through an HTTP proxy (not when no_proxy matches the base URL).
  std::optional<protocol::proxy_route> proxy;
  /// The proxy settings themselves: a download from another host (an export's signed URL)
  /// takes its own route from them (see client/download.cpp).
  proxy_params proxy_config;
  boost::asio::ssl::context ssl;
  /// TLS sessions to resume (installed on `ssl`; disabled by tls_params::session_resumption) and handshake counts.
  std::shared_ptr<transport::session_cache> sessions;
  std::shared_ptr<transport::resolve_cache> dns;  ///< host:port -> endpoints, shared by every connect (before pool)
  transport::pool pool;
  std::shared_ptr<transport::deadline_watch> watch;  ///< deadlines of every call on this transport

  /// True if a client with this base URL can use this transport (same scheme, host and port).
  bool same_origin(const protocol::base_url& u) const {
    return u.tls == url.tls && u.host == url.host && u.port == url.port;
  }
};

} // namespace cleanlist
