#pragma once
// A connection pool, TLS context and strand that many clients (one per API key) can share:
// thousands of keys in one process then need a handful of connections, not thousands.
// Each client keeps its own rate limiter, retry budget and statistics.
#include <cleanlist/client_params.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <memory>

namespace cleanlist {

struct transport_params {
  std::string base_url = "https://api.cleanlist.ai/api/v1/public";  ///< scheme, host and port are what matter
  tls_params tls;
  std::size_t max_connections = 16;
  std::chrono::milliseconds idle_timeout{20000};  ///< see client_params::idle_timeout
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

  struct state;
  const std::shared_ptr<state>& get_state() const noexcept { return state_; }

private:
  std::shared_ptr<state> state_;
};

} // namespace cleanlist
