#include "protocol/url.hpp"

#include <charconv>
#include <stdexcept>

namespace cleanlist::protocol {

std::string base_url::host_header() const {
  // Appends only (no "x" + std::string&&): g++ 12 -O3 reports a false -Wrestrict on that form.
  std::string h;
  const bool v6 = host.find(':') != std::string::npos;
  if (v6) h += '[';
  h += host;
  if (v6) h += ']';
  if ((tls && port != 443) || (!tls && port != 80)) {
    h += ':';
    h += std::to_string(port);
  }
  return h;
}

std::string base_url::authority() const {
  std::string h;
  const bool v6 = host.find(':') != std::string::npos;
  if (v6) h += '[';
  h += host;
  if (v6) h += ']';
  h += ':';
  h += std::to_string(port);
  return h;
}

std::string base_url::legacy_path() const {
  // Legacy endpoints live only under /api/v1/public; a v2 base maps to the same host's v1 prefix.
  constexpr std::string_view v2 = "/api/v2";
  if (path.size() >= v2.size() && path.compare(path.size() - v2.size(), v2.size(), v2) == 0)
    return path.substr(0, path.size() - v2.size()) + "/api/v1/public";
  return path;
}

namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool scheme_char(char c, bool first) noexcept {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (first) return alpha;
  return alpha || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

// An IPv6 literal's characters (the address itself is checked by whoever connects to it).
bool ipv6_chars(std::string_view h) noexcept {
  if (h.find(':') == std::string_view::npos) return false;
  for (char c : h)
    if (hex_value(c) < 0 && c != ':' && c != '.') return false;
  return true;
}

} // namespace

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int h = hex_value(in[i + 1]), l = hex_value(in[i + 2]);
    if (h < 0 || l < 0) return false;
    out.push_back(static_cast<char>(h * 16 + l));
    i += 2;
  }
  return true;
}

std::optional<url_parts> parse_url(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '\\') return std::nullopt;
  url_parts u;
  const auto sep = s.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  for (std::size_t i = 0; i < sep; ++i) {
    if (!scheme_char(s[i], i == 0)) return std::nullopt;
    u.scheme.push_back(static_cast<char>(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]));
  }
  s.remove_prefix(sep + 3);
  // The authority ends at the first '/', '?' or '#'; the userinfo at its last '@'.
  const auto auth_end = s.find_first_of("/?#");
  std::string_view authority = s.substr(0, auth_end);
  std::string_view rest = auth_end == std::string_view::npos ? std::string_view{} : s.substr(auth_end);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    u.has_userinfo = true;
    const auto colon = userinfo.find(':');
    if (!percent_decode(userinfo.substr(0, colon), u.user)) return std::nullopt;
    if (colon != std::string_view::npos) {
      u.has_password = true;
      if (!percent_decode(userinfo.substr(colon + 1), u.password)) return std::nullopt;
    }
  }
  std::string_view port_part;
  bool has_port = false;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view h = authority.substr(1, close - 1);
    if (!ipv6_chars(h)) return std::nullopt;
    u.host = std::string(h);
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port_part = after.substr(1);
      has_port = true;
    }
  } else {
    const auto colon = authority.find(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_part = authority.substr(colon + 1);
      has_port = true;
    }
    if (u.host.find_first_of("[]") != std::string::npos) return std::nullopt;
  }
  if (u.host.empty()) return std::nullopt;
  if (has_port) {
    unsigned p = 0;
    auto [ptr, ec] = std::from_chars(port_part.data(), port_part.data() + port_part.size(), p);
    if (port_part.empty() || ec != std::errc{} || ptr != port_part.data() + port_part.size() || p == 0 || p > 65535)
      return std::nullopt;
    u.port = static_cast<std::uint16_t>(p);
  }
  const auto hash = rest.find('#');
  if (hash != std::string_view::npos) {
    u.has_fragment = true;
    u.fragment = std::string(rest.substr(hash + 1));
    rest = rest.substr(0, hash);
  }
  const auto q = rest.find('?');
  if (q != std::string_view::npos) {
    u.has_query = true;
    u.query = std::string(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  u.path = std::string(rest);
  return u;
}

std::optional<base_url> parse_base_url(std::string_view s) {
  // '@' is refused anywhere (not only as a userinfo): a base URL carries no credentials.
  if (s.find('@') != std::string_view::npos) return std::nullopt;
  auto p = parse_url(s);
  if (!p || p->has_userinfo || p->has_query || p->has_fragment) return std::nullopt;
  base_url u;
  if (p->scheme == "https") u.tls = true;
  else if (p->scheme == "http") u.tls = false;
  else return std::nullopt;
  // Only the exact lower-case schemes, as before (a base URL is configuration, not user input).
  if (!s.starts_with(u.tls ? "https://" : "http://")) return std::nullopt;
  u.host = std::move(p->host);
  u.port = p->port.value_or(u.tls ? 443 : 80);
  std::string_view path = p->path;
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  u.path = std::string(path);
  return u;
}

base_url parse_base_url_or_throw(std::string_view s) {
  auto u = parse_base_url(s);
  if (!u) throw std::invalid_argument("cleanlist: invalid base_url (expected http(s)://host[:port]/path)");
  return *u;
}

namespace {
constexpr bool unreserved(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}
} // namespace

std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  // Runs of unreserved characters (all of an id, usually) are copied at once.
  for (std::size_t i = 0; i < s.size();) {
    std::size_t j = i;
    while (j < s.size() && unreserved(static_cast<unsigned char>(s[j]))) ++j;
    out.append(s.data() + i, j - i);
    if (j == s.size()) break;
    const auto c = static_cast<unsigned char>(s[j]);
    const char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
    out.append(esc, 3);
    i = j + 1;
  }
  return out;
}

} // namespace cleanlist::protocol
