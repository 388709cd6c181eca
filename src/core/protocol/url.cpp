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

std::string base_url::legacy_path() const {
  // Legacy endpoints live only under /api/v1/public; a v2 base maps to the same host's v1 prefix.
  constexpr std::string_view v2 = "/api/v2";
  if (path.size() >= v2.size() && path.compare(path.size() - v2.size(), v2.size(), v2) == 0)
    return path.substr(0, path.size() - v2.size()) + "/api/v1/public";
  return path;
}

std::optional<base_url> parse_base_url(std::string_view s) {
  base_url u;
  if (s.starts_with("https://")) { u.tls = true; u.port = 443; s.remove_prefix(8); }
  else if (s.starts_with("http://")) { u.tls = false; u.port = 80; s.remove_prefix(7); }
  else return std::nullopt;
  for (char c : s)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '?' || c == '#' || c == '@' || c == '\\')
      return std::nullopt;
  auto slash = s.find('/');
  std::string_view authority = s.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : s.substr(slash);
  if (authority.empty()) return std::nullopt;
  std::string_view port_part;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    u.host = std::string(authority.substr(1, close - 1));
    auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port_part = rest.substr(1);
    }
  } else {
    auto colon = authority.find(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_part = authority.substr(colon + 1);
  }
  if (u.host.empty()) return std::nullopt;
  if (!port_part.empty() || authority.back() == ':') {
    unsigned p = 0;
    auto [ptr, ec] = std::from_chars(port_part.data(), port_part.data() + port_part.size(), p);
    if (ec != std::errc{} || ptr != port_part.data() + port_part.size() || p == 0 || p > 65535)
      return std::nullopt;
    u.port = static_cast<std::uint16_t>(p);
  }
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
