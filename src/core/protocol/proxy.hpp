#pragma once
// Sans-io pieces of the HTTP proxy support (no sockets, no Asio): proxy URL parsing,
// NO_PROXY matching, the CONNECT request and a strict, bounded reader of its answer.
// The I/O lives in transport/connection.cpp.
#include "protocol/url.hpp"

#include <cleanlist/error.hpp>
#include <cleanlist/proxy.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cleanlist::protocol {

struct proxy_url {
  std::string host;             ///< name or IP literal (IPv6 without brackets)
  std::uint16_t port = 1080;    ///< curl's default proxy port
  bool has_credentials = false;
  std::string user;             ///< percent-decoded
  std::string password;         ///< percent-decoded; never in a message

  /// "http://host:port", with "***@" when there are credentials (no user name): for logs.
  std::string redacted() const;
};

/// Parses "http://[user[:password]@]host[:port][/]" or "host[:port]" (http:// assumed).
/// nullopt on anything else, with the reason in *why (never quoting the input, which may
/// hold a password).
std::optional<proxy_url> parse_proxy_url(std::string_view s, std::string* why = nullptr);

/// True when `host`:`port` must be reached directly according to a NO_PROXY list (curl's
/// rules, see cleanlist::proxy_params::no_proxy). `host` without brackets for IPv6.
bool no_proxy_matches(std::string_view no_proxy, std::string_view host, std::uint16_t port);

/// Where a transport's connections go through a proxy: the proxy's address and the CONNECT
/// request to send (which carries the Proxy-Authorization: never log it).
struct proxy_route {
  std::string host;
  std::uint16_t port = 0;
  std::string connect_request;
  std::string redacted;         ///< proxy_url::redacted()
};

/// The route for connections to `target` with these settings: nullopt when no proxy is set or
/// `target` is in no_proxy. Throws std::invalid_argument on a bad URL or credentials (a
/// message that never quotes them).
std::optional<proxy_route> make_proxy_route(const proxy_params& p, const base_url& target);

/// "CONNECT host:port HTTP/1.1", Host, and Proxy-Authorization: Basic when user is set.
/// user and password must hold no control characters and user no ':' (checked by make_proxy_route).
std::string build_connect_request(const base_url& target, const std::string& user, const std::string& password,
                                  bool with_credentials);

std::string base64_encode(std::string_view in);

/// Reads the proxy's answer to CONNECT, fed as it arrives. Strict: "HTTP/1.x NNN reason"
/// then header lines "name: value" and an empty line, CRLF line ends, all within `max_bytes`
/// (interim 1xx answers included); anything else is a protocol error. The body of a refusal
/// is not read (the connection is closed).
class connect_response_reader {
public:
  enum class result { need_more, done, error };
  static constexpr std::size_t default_max_bytes = 16 * 1024;

  explicit connect_response_reader(std::size_t max_bytes = default_max_bytes) : max_(max_bytes) {}

  /// Feeds bytes. After done, leftover() holds the bytes that followed the answer's head.
  result feed(std::string_view data);
  int status() const noexcept { return status_; }
  /// Bytes received after the final answer's empty line.
  std::string_view leftover() const noexcept;
  /// How many more bytes may be fed before the limit (for sizing reads).
  std::size_t room() const noexcept { return buf_.size() >= max_ ? 0 : max_ - buf_.size(); }

private:
  result parse_heads();
  std::size_t max_;
  std::string buf_;
  std::size_t pos_ = 0;     ///< start of the head being read
  std::size_t end_ = 0;     ///< after the final head (when done)
  int status_ = 0;
  bool done_ = false;
  bool failed_ = false;
};

/// The error for a CONNECT answer's status: none for 2xx, proxy_auth_required for 407 (and
/// 401, tinyproxy's answer to wrong credentials),
/// proxy_unavailable for 5xx, proxy_refused for anything else.
error_code connect_status_error(int status) noexcept;

} // namespace cleanlist::protocol
