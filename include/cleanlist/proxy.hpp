#pragma once
// Egress through an HTTP proxy: the settings (client_params::proxy, transport_params::proxy)
// and the one function that reads them from the environment, as curl does.
//
// Every connection to the API then goes through an HTTP CONNECT tunnel, for https and for
// plain http base URLs alike: TLS runs end to end with the API host (SNI and certificate
// check against the API's host name, not the proxy's), so the proxy sees the API's host name
// and port, timing and sizes, never the key or the bodies. Over a plain-http base URL the
// proxy sees everything, as any hop would.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace cleanlist {

struct proxy_params {
  /// "http://[user[:password]@]host[:port]" (userinfo percent-decoded; port 1080 when
  /// omitted, as curl; "host:port" without a scheme means http://). Empty: direct
  /// connections. Only http:// proxies (the tunnel to the proxy itself is not TLS).
  /// Bad syntax: the client's (or transport's) constructor throws std::invalid_argument,
  /// whose message never quotes the URL (it may hold a password).
  std::string url;
  /// Proxy Basic authentication, used instead of the URL's userinfo when username is set
  /// (taken as is, not percent-decoded). Like the API key, the credentials never appear in
  /// logs, errors, exceptions or diagnostics.
  std::string username;
  std::string password;
  /// Hosts reached directly, NO_PROXY-style (curl's rules): comma-separated entries, each
  /// a host name that also matches its subdomains ("example.com" and ".example.com" match
  /// example.com and a.example.com, not notexample.com), an IP address or CIDR range
  /// ("10.0.0.0/8", "::1", "[::1]"), optionally with ":port" to bypass for that port only;
  /// "*" alone bypasses the proxy for every host. Case-insensitive, spaces ignored.
  std::string no_proxy;
};

/// Reads a variable of the environment: its value, or nullopt when unset.
using env_lookup = std::function<std::optional<std::string>(const char* name)>;

/// The proxy settings for `base_url` from the environment, with curl's conventions:
///   * https base URLs: https_proxy, else HTTPS_PROXY;
///   * http base URLs: http_proxy only (like curl, never HTTP_PROXY: a CGI program gets a
///     request's "Proxy:" header as HTTP_PROXY, "httpoxy");
///   * then all_proxy, else ALL_PROXY, for either scheme;
///   * no_proxy, else NO_PROXY.
/// The lower-case name wins; empty values count as unset. Pure apart from `lookup`; nothing
/// is validated here (the client does, when constructed).
proxy_params proxy_from_env(std::string_view base_url, const env_lookup& lookup);
/// Same with std::getenv.
proxy_params proxy_from_env(std::string_view base_url);

} // namespace cleanlist
