#include "protocol/proxy.hpp"


#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace cleanlist {

namespace {

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

std::optional<std::string> first_set(const env_lookup& lookup, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (auto v = lookup(n); v && !v->empty()) return v;
  return std::nullopt;
}

} // namespace

proxy_params proxy_from_env(std::string_view base_url, const env_lookup& lookup) {
  proxy_params p;
  std::optional<std::string> url;
  if (starts_with_nocase(base_url, "https://")) url = first_set(lookup, {"https_proxy", "HTTPS_PROXY"});
  else if (starts_with_nocase(base_url, "http://")) url = first_set(lookup, {"http_proxy"});
  if (!url) url = first_set(lookup, {"all_proxy", "ALL_PROXY"});
  if (url) p.url = std::move(*url);
  if (auto np = first_set(lookup, {"no_proxy", "NO_PROXY"})) p.no_proxy = std::move(*np);
  return p;
}

proxy_params proxy_from_env(std::string_view base_url) {
  return proxy_from_env(base_url, [](const char* name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name)) return std::string(v);
    return std::nullopt;
  });
}

} // namespace cleanlist

namespace cleanlist::protocol {

namespace {

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

struct ip_bytes {
  int family = 0;  // 4 or 6; 0: not an IP
  std::array<unsigned char, 16> b{};
};

// Dotted quad, each part 0..255 in decimal without leading zeros (as inet_pton accepts).
bool parse_ipv4(std::string_view s, unsigned char* out) {
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (s.empty() || s.front() != '.') return false;
      s.remove_prefix(1);
    }
    std::size_t n = 0;
    unsigned v = 0;
    while (n < s.size() && n < 4 && s[n] >= '0' && s[n] <= '9') v = v * 10 + static_cast<unsigned>(s[n++] - '0');
    if (n == 0 || n > 3 || v > 255 || (n > 1 && s[0] == '0')) return false;
    out[part] = static_cast<unsigned char>(v);
    s.remove_prefix(n);
  }
  return s.empty();
}

// RFC 4291 text form: eight groups of 1-4 hex digits, one "::" for a run of zero groups, and
// optionally a dotted quad as the last 32 bits (what inet_pton accepts).
bool parse_ipv6(std::string_view s, unsigned char* out) {
  std::array<unsigned char, 16> head{}, tail{};
  std::size_t nh = 0, nt = 0;  // bytes before and after "::"
  bool gap = false;
  if (s.starts_with("::")) {
    gap = true;
    s.remove_prefix(2);
  } else if (s.starts_with(":")) {
    return false;
  }
  while (!s.empty()) {
    auto& buf = gap ? tail : head;
    auto& n = gap ? nt : nh;
    const auto colon = s.find(':');
    const std::string_view field = s.substr(0, colon);
    if (colon == std::string_view::npos && field.find('.') != std::string_view::npos) {
      if (nh + nt + 4 > 16 || !parse_ipv4(field, buf.data() + n)) return false;  // the last 32 bits
      n += 4;
      break;
    }
    if (field.empty() || field.size() > 4 || nh + nt + 2 > 16) return false;
    unsigned v = 0;
    for (char ch : field) {
      const auto c = static_cast<unsigned char>(ch);
      if (!std::isxdigit(c)) return false;
      v = v * 16 + static_cast<unsigned>(std::isdigit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    buf[n++] = static_cast<unsigned char>(v >> 8);
    buf[n++] = static_cast<unsigned char>(v & 0xff);
    if (colon == std::string_view::npos) break;
    s.remove_prefix(colon + 1);
    if (s.starts_with(":")) {
      if (gap) return false;  // a second "::"
      gap = true;
      s.remove_prefix(1);
    } else if (s.empty()) {
      return false;  // a trailing single ':'
    }
  }
  if (gap ? nh + nt > 14 : nh != 16) return false;
  std::memset(out, 0, 16);
  std::memcpy(out, head.data(), nh);
  std::memcpy(out + 16 - nt, tail.data(), nt);
  return true;
}

// An IP address literal (IPv6 optionally in brackets); pure text parsing, no socket API.
ip_bytes parse_ip(std::string_view s) {
  ip_bytes r;
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  if (s.empty() || s.size() > 64) return r;
  if (parse_ipv4(s, r.b.data())) r.family = 4;
  else if (parse_ipv6(s, r.b.data())) r.family = 6;
  return r;
}

bool prefix_equal(const ip_bytes& a, const ip_bytes& b, unsigned bits) {
  const unsigned bytes = bits / 8, rest = bits % 8;
  if (std::memcmp(a.b.data(), b.b.data(), bytes) != 0) return false;
  if (rest == 0) return true;
  const unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a.b[bytes] & mask) == (b.b[bytes] & mask);
}

bool parse_port(std::string_view s, std::uint16_t& port) {
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), p);
  if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size() || p == 0 || p > 65535) return false;
  port = static_cast<std::uint16_t>(p);
  return true;
}

// One NO_PROXY entry against a host (lower-cased, no trailing dot) and port.
bool entry_matches(std::string_view e, std::string_view host, const ip_bytes& host_ip, std::uint16_t port) {
  if (e == "*") return true;
  // Split off an optional ":port": "[v6]:port", "name:port", "v4:port"; a bare IPv6 address
  // (two colons or more) has none.
  std::optional<std::uint16_t> want_port;
  std::string_view pattern = e;
  if (e.front() == '[') {
    const auto close = e.find(']');
    if (close == std::string_view::npos) return false;
    pattern = e.substr(1, close - 1);
    const auto after = e.substr(close + 1);
    if (!after.empty()) {
      std::uint16_t p = 0;
      if (after.front() != ':' || !parse_port(after.substr(1), p)) return false;
      want_port = p;
    }
  } else if (std::count(e.begin(), e.end(), ':') == 1) {
    const auto colon = e.find(':');
    std::uint16_t p = 0;
    if (!parse_port(e.substr(colon + 1), p)) return false;
    want_port = p;
    pattern = e.substr(0, colon);
  }
  if (want_port && *want_port != port) return false;
  if (pattern.empty()) return false;

  // CIDR range or IP address: compared as addresses, only with an IP host.
  if (const auto slash = pattern.find('/'); slash != std::string_view::npos) {
    const ip_bytes net = parse_ip(pattern.substr(0, slash));
    unsigned bits = 0;
    const auto len = pattern.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), bits);
    if (net.family == 0 || ec != std::errc{} || ptr != len.data() + len.size() || len.empty()) return false;
    if (bits > (net.family == 4 ? 32u : 128u)) return false;
    return host_ip.family == net.family && prefix_equal(host_ip, net, bits);
  }
  const ip_bytes pat_ip = parse_ip(pattern);
  if (pat_ip.family != 0)
    return host_ip.family == pat_ip.family && std::memcmp(host_ip.b.data(), pat_ip.b.data(), 16) == 0;
  if (host_ip.family != 0) return false;

  // Host name: the name itself or any subdomain; a leading dot changes nothing (curl).
  while (!pattern.empty() && pattern.front() == '.') pattern.remove_prefix(1);
  while (!pattern.empty() && pattern.back() == '.') pattern.remove_suffix(1);
  if (pattern.empty()) return false;
  if (host.size() == pattern.size()) return iequals(host, pattern);
  if (host.size() > pattern.size())
    return host[host.size() - pattern.size() - 1] == '.' && iequals(host.substr(host.size() - pattern.size()), pattern);
  return false;
}

bool has_ctl(std::string_view s) noexcept {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

} // namespace

std::string proxy_url::redacted() const {
  // No user name either: it is half of the credentials.
  std::string s = "http://";
  if (has_credentials) s += "***@";
  if (host.find(':') != std::string::npos) {
    s += '[';
    s += host;
    s += ']';
  } else {
    s += host;
  }
  s += ':';
  s += std::to_string(port);
  return s;
}

std::optional<proxy_url> parse_proxy_url(std::string_view s, std::string* why) {
  auto fail = [why](const char* reason) -> std::optional<proxy_url> {
    if (why) *why = reason;
    return std::nullopt;
  };
  std::optional<url_parts> p;
  if (s.find("://") == std::string_view::npos) {
    std::string with_scheme = "http://";  // "host:port", as curl reads it
    with_scheme += s;
    p = parse_url(with_scheme);
  } else {
    p = parse_url(s);
  }
  if (!p) return fail("not a URL of the form http://[user:password@]host[:port]");
  if (p->scheme == "https") return fail("https:// proxies (TLS to the proxy) are not supported: use http://");
  if (p->scheme.starts_with("socks")) return fail("SOCKS proxies are not supported: use an http:// proxy");
  if (p->scheme != "http") return fail("unsupported proxy scheme: use http://");
  if ((!p->path.empty() && p->path != "/") || p->has_query || p->has_fragment)
    return fail("a proxy URL has no path, query or fragment");
  proxy_url u;
  u.host = std::move(p->host);
  if (p->port) u.port = *p->port;
  u.has_credentials = p->has_userinfo;
  u.user = std::move(p->user);
  u.password = std::move(p->password);
  return u;
}

bool no_proxy_matches(std::string_view no_proxy, std::string_view host, std::uint16_t port) {
  std::string h;
  h.reserve(host.size());
  for (char c : host) h.push_back(lower(c));
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  while (!h.empty() && h.back() == '.') h.pop_back();
  const ip_bytes host_ip = parse_ip(h);
  std::size_t i = 0;
  while (i < no_proxy.size()) {
    // Entries are separated by commas; spaces and tabs around them are ignored.
    std::size_t j = no_proxy.find(',', i);
    if (j == std::string_view::npos) j = no_proxy.size();
    std::string_view e = no_proxy.substr(i, j - i);
    while (!e.empty() && (e.front() == ' ' || e.front() == '\t')) e.remove_prefix(1);
    while (!e.empty() && (e.back() == ' ' || e.back() == '\t')) e.remove_suffix(1);
    if (!e.empty() && entry_matches(e, h, host_ip, port)) return true;
    i = j + 1;
  }
  return false;
}

std::string base64_encode(std::string_view in) {
  static constexpr char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += tab[(v >> 18) & 63];
    out += tab[(v >> 12) & 63];
    out += tab[(v >> 6) & 63];
    out += tab[v & 63];
  }
  if (const auto rest = in.size() - i; rest > 0) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += tab[(v >> 18) & 63];
    out += tab[(v >> 12) & 63];
    out += rest == 2 ? tab[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string build_connect_request(const base_url& target, const std::string& user, const std::string& password,
                                  bool with_credentials) {
  const std::string authority = target.authority();
  std::string r;
  r.reserve(128);
  r.append("CONNECT ").append(authority).append(" HTTP/1.1\r\nHost: ").append(authority).append("\r\n");
  if (with_credentials) {
    std::string pair = user;
    pair += ':';
    pair += password;
    r.append("Proxy-Authorization: Basic ").append(base64_encode(pair)).append("\r\n");
  }
  r.append("\r\n");
  return r;
}

std::optional<proxy_route> make_proxy_route(const proxy_params& p, const base_url& target) {
  if (p.url.empty()) return std::nullopt;
  std::string why;
  auto u = parse_proxy_url(p.url, &why);
  if (!u) throw std::invalid_argument("cleanlist: invalid proxy URL (" + why + ")");
  if (!p.username.empty()) {
    u->has_credentials = true;
    u->user = p.username;
    u->password = p.password;
  }
  if (u->has_credentials) {
    // RFC 7617: the user-id of Basic has no ':'; control characters would break the header.
    if (u->user.find(':') != std::string::npos || has_ctl(u->user))
      throw std::invalid_argument("cleanlist: invalid proxy user name (':' or control characters)");
    if (has_ctl(u->password)) throw std::invalid_argument("cleanlist: invalid proxy password (control characters)");
  }
  if (no_proxy_matches(p.no_proxy, target.host, target.port)) return std::nullopt;
  proxy_route r;
  r.host = u->host;
  r.port = u->port;
  r.connect_request = build_connect_request(target, u->user, u->password, u->has_credentials);
  r.redacted = u->redacted();
  return r;
}

// ---- the answer to CONNECT ----

namespace {

bool token_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool text_ok(std::string_view s) noexcept {
  return std::none_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7f;
  });
}

// "HTTP/1.x NNN[ reason]" -> NNN, or 0.
int status_of(std::string_view line) {
  if (line.size() < 12 || !line.starts_with("HTTP/1.") || line[7] < '0' || line[7] > '9' || line[8] != ' ')
    return 0;
  int st = 0;
  for (int k = 9; k < 12; ++k) {
    if (line[k] < '0' || line[k] > '9') return 0;
    st = st * 10 + (line[k] - '0');
  }
  if (line.size() > 12 && line[12] != ' ') return 0;
  if (!text_ok(line.substr(12))) return 0;
  return st >= 100 && st <= 599 ? st : 0;
}

bool header_line_ok(std::string_view line) {
  const auto colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;  // also refuses obs-fold (leading space)
  for (std::size_t i = 0; i < colon; ++i)
    if (!token_char(line[i])) return false;
  return text_ok(line.substr(colon + 1));
}

} // namespace

connect_response_reader::result connect_response_reader::feed(std::string_view data) {
  if (failed_) return result::error;
  if (done_) {
    buf_.append(data);  // leftover: the caller decides
    return result::done;
  }
  buf_.append(data);
  return parse_heads();
}

connect_response_reader::result connect_response_reader::parse_heads() {
  for (;;) {
    const std::string_view rest = std::string_view(buf_).substr(pos_);
    // Refuse garbage as soon as it shows, not only once the limit is reached.
    constexpr std::string_view proto = "HTTP/1.";
    if (rest.substr(0, std::min(rest.size(), proto.size())) != proto.substr(0, std::min(rest.size(), proto.size()))) {
      failed_ = true;
      return result::error;
    }
    const auto head_end = rest.find("\r\n\r\n");
    if (head_end == std::string_view::npos || pos_ + head_end + 4 > max_) {
      if (buf_.size() >= max_) {
        failed_ = true;
        return result::error;
      }
      return result::need_more;
    }
    const std::string_view head = rest.substr(0, head_end);
    std::size_t line_end = head.find("\r\n");
    const int st = status_of(head.substr(0, line_end));
    if (st == 0 || st == 101) {
      failed_ = true;
      return result::error;
    }
    while (line_end != std::string_view::npos) {
      const std::size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      if (!header_line_ok(head.substr(start, line_end == std::string_view::npos ? std::string_view::npos : line_end - start))) {
        failed_ = true;
        return result::error;
      }
    }
    pos_ += head_end + 4;
    if (st >= 100 && st < 200) continue;  // interim answer: the final one follows
    status_ = st;
    end_ = pos_;
    done_ = true;
    return result::done;
  }
}

std::string_view connect_response_reader::leftover() const noexcept {
  if (!done_) return {};
  return std::string_view(buf_).substr(end_);
}

error_code connect_status_error(int status) noexcept {
  if (status >= 200 && status < 300) return {};
  // 401 is not the standard answer, but tinyproxy (1.11) gives it for wrong credentials, and
  // a 401 to CONNECT can only be about the proxy's credentials: the API never saw anything.
  if (status == 407 || status == 401) return error::proxy_auth_required;
  if (status >= 500 && status < 600) return error::proxy_unavailable;
  return error::proxy_refused;
}

} // namespace cleanlist::protocol
