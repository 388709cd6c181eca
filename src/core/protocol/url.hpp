#pragma once
// URL parsing, the one parser of the tree: API base URLs, proxy URLs (protocol/proxy.hpp) and
// Redis URLs (redis/url.hpp) are all read by parse_url() and then checked for their own shape.
// Pure, no sockets.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cleanlist::protocol {

/// The parts of "scheme://[user[:password]@]host[:port][/path][?query][#fragment]".
/// Only the authority form ("://") is accepted; bytes <= 0x20, DEL and '\' are refused anywhere.
struct url_parts {
  std::string scheme;           ///< lower-cased
  bool has_userinfo = false;    ///< an '@' closed a userinfo (even an empty one)
  bool has_password = false;    ///< the userinfo had a ':'
  std::string user;             ///< percent-decoded
  std::string password;         ///< percent-decoded; never put it in a message
  std::string host;             ///< as written (IPv6 without brackets), never empty
  std::optional<std::uint16_t> port;  ///< when written (1..65535)
  std::string path;             ///< as written, "" or starting with '/'
  bool has_query = false;
  std::string query;            ///< without the '?'
  bool has_fragment = false;
  std::string fragment;         ///< without the '#'
};

/// Parses a URL; nullopt when malformed (bad scheme, empty host, bad port, bad percent-escape
/// in the userinfo, unclosed '[', control characters). Never echoes the input anywhere.
std::optional<url_parts> parse_url(std::string_view s);

/// Decodes %XX escapes; false on a truncated or non-hex escape.
bool percent_decode(std::string_view in, std::string& out);

struct base_url {
  bool tls = true;
  std::string host;      ///< without brackets for IPv6
  std::uint16_t port = 443;
  std::string path;      ///< no trailing slash, e.g. "/api/v1/public"

  /// "host" or "host:port" for the Host header (port omitted when default).
  std::string host_header() const;
  /// "host:port" always (IPv6 in brackets): a CONNECT request's target.
  std::string authority() const;
  /// Path prefix of the legacy v1-only endpoints for this base ("/api/v1/public").
  std::string legacy_path() const;
};

/// Parses "http(s)://host[:port][/path]"; nullopt on anything else (no userinfo, query or fragment).
std::optional<base_url> parse_base_url(std::string_view s);
/// Same, for configuration: throws std::invalid_argument with a message naming the expected form.
base_url parse_base_url_or_throw(std::string_view s);

/// Percent-encodes a query or path component (RFC 3986 unreserved kept).
std::string url_encode(std::string_view s);

} // namespace cleanlist::protocol
