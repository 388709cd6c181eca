#pragma once
// One HTTP/1.1 keep-alive connection, plain TCP or TLS. Each phase (connect + handshake,
// write + read) has a deadline kept in the call_context and enforced by the transport's
// deadline_watch, which cancels the pending operation; the connection is then closed.
#include "protocol/proxy.hpp"
#include "protocol/url.hpp"
#include "transport/call_context.hpp"
#include "transport/resolver.hpp"
#include "transport/session_cache.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <memory>

namespace cleanlist::transport {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct endpoint {
  protocol::base_url url;
  asio::ssl::context* ssl = nullptr;  ///< required when url.tls
  /// Set: every connection is a CONNECT tunnel through this proxy (the transport's route).
  const protocol::proxy_route* proxy = nullptr;
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds request_timeout{30000};
  std::uint32_t max_header_bytes = 16 * 1024;
  std::uint64_t max_body_bytes = 16 * 1024 * 1024;
};

/// Where a failed exchange stopped: decides whether a retry could double-process a request.
enum class stage {
  not_sent,          ///< connect/TLS failed or the request was not fully written: nothing processed
  sent_no_response,  ///< the request was written but no complete response came back: outcome unknown
  response,          ///< a complete response was read
};

struct exchange_result {
  boost::system::error_code ec;  ///< transport error (empty when a response was read)
  stage where = stage::not_sent;
  http::response<http::string_body> response;
};

class connection {
public:
  /// `io_ex`: the executor sockets are bound to. Completions run on the awaiting coroutine's
  /// executor (the transport's strand) whatever this is; a plain io_context executor keeps
  /// each operation's work tracking free of allocations.
  explicit connection(asio::any_io_executor io_ex) : ex_(std::move(io_ex)) {}
  ~connection();

  /// Resolves (through the transport's cache, see resolver.hpp), connects and (for TLS)
  /// handshakes with SNI and host name verification. With ep.proxy: resolves and connects to
  /// the proxy, opens a CONNECT tunnel to the API's host:port, then handshakes through it
  /// with the API's host name; connect_timeout covers all of it.
  asio::awaitable<boost::system::error_code> connect(const endpoint& ep, resolve_cache& dns, call_context& cc);

  /// The TLS handshake resumed a cached session (see session_cache; installed on ep.ssl).
  bool tls_resumed() const noexcept { return resumed_; }
  /// Responses read on this connection.
  std::size_t exchanges() const noexcept { return exchanges_; }

  /// The status of the proxy's answer to CONNECT (0: no proxy, or no answer read).
  int proxy_status() const noexcept { return proxy_status_; }

  /// Writes the request (already serialized: request line, header fields, blank line, body;
  /// one buffer, so one send per request) and reads the response with the endpoint's limits
  /// and deadline.
  asio::awaitable<exchange_result> exchange(const endpoint& ep, const std::string& request, call_context& cc);

  /// True if the peer closed, or sent unsolicited bytes while idle (a fresh TLS connection
  /// may hold the server's session tickets: not unsolicited): the connection must not be reused.
  bool stale() const;
  bool reusable() const noexcept { return open_ && keep_alive_; }
  bool reused = false;
  std::chrono::steady_clock::time_point idle_since{};

  /// Bounded graceful close (TLS close_notify with a 1 s deadline); errors are ignored.
  static asio::awaitable<void> graceful_close(std::shared_ptr<connection> c);
  void close() noexcept;

private:
  asio::ip::tcp::socket& lowest();
  asio::awaitable<boost::system::error_code> open_tunnel(const protocol::proxy_route& route, call_context& cc);
  asio::any_io_executor ex_;
  std::unique_ptr<asio::ip::tcp::socket> plain_;
  // Where the SSL's new sessions go; declared before tls_ so it outlives the SSL.
  std::unique_ptr<session_cache::binding> sessions_;
  session_ptr offered_;  // the cached session offered in the handshake under way
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket>> tls_;
  beast::flat_buffer buffer_;
  bool open_ = false;
  bool keep_alive_ = true;
  bool exchanged_ = false;  // a response was read (TLS 1.3 session tickets are processed by then)
  int proxy_status_ = 0;
  bool resumed_ = false;
  std::size_t exchanges_ = 0;
};

} // namespace cleanlist::transport
