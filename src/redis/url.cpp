#include "redis/url.hpp"

#include <charconv>

namespace cleanlist::redis {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
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

template <class Int>
bool parse_int(std::string_view s, Int& v) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc{} && p == s.data() + s.size();
}

} // namespace

std::string redis_url::redacted() const {
  std::string s = tls ? "rediss://" : "redis://";
  if (!user.empty() || !password.empty()) {
    s += user;
    if (!password.empty()) s += ":***";
    s += '@';
  }
  if (host.find(':') != std::string::npos) s += '[' + host + ']';
  else s += host;
  s += ':' + std::to_string(port) + '/' + std::to_string(db);
  return s;
}

std::optional<redis_url> parse_url(std::string_view url, boost::system::error_code* ec) {
  auto fail = [&]() -> std::optional<redis_url> {
    if (ec) *ec = errc::bad_url;
    return std::nullopt;
  };
  redis_url r;
  if (url.starts_with("redis://")) {
    url.remove_prefix(8);
  } else if (url.starts_with("rediss://")) {
    url.remove_prefix(9);
    r.tls = true;
  } else {
    return fail();
  }
  // authority ends at the first '/', '?' or '#'
  std::size_t end = url.find_first_of("/?#");
  std::string_view authority = url.substr(0, end);
  std::string_view rest = end == std::string_view::npos ? std::string_view{} : url.substr(end);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    const auto colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
      // "redis://secret@host": a lone userinfo is a password (as redis-cli and most clients read it)
      if (!percent_decode(userinfo, r.password)) return fail();
    } else {
      if (!percent_decode(userinfo.substr(0, colon), r.user)) return fail();
      if (!percent_decode(userinfo.substr(colon + 1), r.password)) return fail();
    }
  }
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return fail();
    r.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty()) {
      if (authority[0] != ':') return fail();
      port = authority.substr(1);
      if (port.empty()) return fail();
    }
  } else {
    const auto colon = authority.find(':');
    r.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return fail();
    }
  }
  if (r.host.empty()) return fail();
  if (!port.empty()) {
    unsigned p = 0;
    if (!parse_int(port, p) || p == 0 || p > 65535) return fail();
    r.port = static_cast<std::uint16_t>(p);
  }
  if (!rest.empty() && rest[0] == '/') {
    std::string_view db = rest.substr(1, rest.find_first_of("?#") == std::string_view::npos
                                             ? std::string_view::npos
                                             : rest.find_first_of("?#") - 1);
    if (!db.empty() && (!parse_int(db, r.db) || r.db < 0)) return fail();
  }
  if (ec) *ec = {};
  return r;
}

} // namespace cleanlist::redis
