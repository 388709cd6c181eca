#pragma once
// Parsing of base URLs ("https://host[:port]/path"). Pure, no sockets.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cleanlist::protocol {

struct base_url {
  bool tls = true;
  std::string host;      ///< without brackets for IPv6
  std::uint16_t port = 443;
  std::string path;      ///< no trailing slash, e.g. "/api/v1/public"

  /// "host" or "host:port" for the Host header (port omitted when default).
  std::string host_header() const;
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
