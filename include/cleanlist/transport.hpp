#pragma once
// A connection pool, TLS context and strand that many clients (one per API key) can share:
// thousands of keys in one process then need a handful of connections, not thousands.
// Each client keeps its own rate limiter, retry budget and statistics.
#include <cleanlist/client_params.hpp>

#include <cleanlist/asio_config.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cleanlist {

/// The answer to a host name resolution: the addresses to try in order, or an error.
using resolve_handler = std::function<void(boost::system::error_code, std::vector<boost::asio::ip::tcp::endpoint>)>;

/// Host name resolution, a customization point: service discovery (a name resolved by
/// something other than DNS), a fixed address list, or a test's resolver that answers late.
///
/// Called on the transport's strand with the base URL's host and port (the proxy's, when
/// connections go through an HTTP proxy: the proxy resolves the API's name itself), or a file
/// download's host (an export's download_url, fetched by enrich_many's bulk path). It must not block:
/// start the resolution and return; call `done` exactly once, from any thread, while the
/// io_context still exists (the answer is posted to the strand). An IP-literal host is never
/// passed to it.
///
/// A call does not wait for the resolver beyond its own deadlines: a call stopped while its
/// resolution runs (connect_timeout, overall_timeout, cancellation) ends at once, and the late
/// answer still fills the transport's cache. Resolutions of the same host:port are coalesced:
/// while one runs, other calls wait for it instead of starting another.
using resolver_function =
    std::function<void(const std::string& host, std::uint16_t port, resolve_handler done)>;

struct transport_params {
  std::string base_url = "https://api.cleanlist.ai/api/v1/public";  ///< scheme, host and port are what matter
  tls_params tls;
  proxy_params proxy;  ///< see client_params::proxy
  std::size_t max_connections = 16;
  std::chrono::milliseconds idle_timeout{20000};  ///< see client_params::idle_timeout
  std::size_t max_requests_per_connection = 0;    ///< see client_params::max_requests_per_connection
  /// Null: the system resolver (getaddrinfo, run on Asio's resolver thread, never on the
  /// threads running the io_context).
  resolver_function resolver;
  /// How long a successful resolution is reused (per host:port, one cache per transport).
  /// getaddrinfo reports no TTL, so this is a fixed time: 30 s follows DNS changes (a
  /// failover) within half a minute while sparing a lookup per new connection. Zero: every
  /// new connection resolves (concurrent ones still share one resolution). Errors are not
  /// cached. Connections already open are not affected.
  std::chrono::milliseconds resolve_ttl{30000};
};

class http_transport {
public:
  /// Throws std::invalid_argument on a bad base_url or CA.
  http_transport(boost::asio::any_io_executor ex, transport_params p);
  ~http_transport();
  http_transport(const http_transport&) = delete;
  http_transport& operator=(const http_transport&) = delete;

  /// Closes idle connections (bounded TLS shutdown). Clients using it fail with error::shutdown.
  void shutdown();
  std::size_t open_connections() const;

  /// TLS handshakes of this transport's connections (every client using it), and the cache of
  /// sessions they resume (see tls_params::session_resumption).
  struct tls_counters {
    std::uint64_t full_handshakes = 0;
    std::uint64_t resumed_handshakes = 0;
    std::uint64_t cached_sessions = 0;  ///< sessions held now, over every host
  };
  tls_counters tls_stats() const;

  struct state;
  const std::shared_ptr<state>& get_state() const noexcept { return state_; }

private:
  std::shared_ptr<state> state_;
};

} // namespace cleanlist
