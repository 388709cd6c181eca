#include "redis/url.hpp"

#include "protocol/url.hpp"

#include <charconv>

namespace cleanlist::redis {

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

// The tree's one URL parser (protocol::parse_url) reads the URL; this only checks the Redis shape.
std::optional<redis_url> parse_url(std::string_view url, boost::system::error_code* ec) {
  auto fail = [&]() -> std::optional<redis_url> {
    if (ec) *ec = errc::bad_url;
    return std::nullopt;
  };
  auto p = protocol::parse_url(url);
  if (!p) return fail();
  redis_url r;
  if (p->scheme == "rediss") r.tls = true;
  else if (p->scheme != "redis") return fail();
  if (p->has_userinfo) {
    // "redis://secret@host": a lone userinfo is a password (as redis-cli and most clients read it)
    if (p->has_password) {
      r.user = std::move(p->user);
      r.password = std::move(p->password);
    } else {
      r.password = std::move(p->user);
    }
  }
  r.host = std::move(p->host);
  if (p->port) r.port = *p->port;
  // The path is "/db" (or empty, or "/"); a query or fragment is ignored.
  if (p->path.size() > 1) {
    const std::string_view db = std::string_view(p->path).substr(1);
    auto [ptr, e] = std::from_chars(db.data(), db.data() + db.size(), r.db);
    if (e != std::errc{} || ptr != db.data() + db.size() || r.db < 0) return fail();
  } else if (!p->path.empty() && p->path != "/") {
    return fail();
  }
  if (ec) *ec = {};
  return r;
}

} // namespace cleanlist::redis
