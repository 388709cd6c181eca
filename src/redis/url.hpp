#pragma once
// Sans-io parsing of Redis URLs:  redis://[[user]:password@]host[:port][/db]  and rediss:// (TLS).
// user and password are percent-decoded. The password never appears in redacted() nor in
// any error: parse_url only reports errc::bad_url.
#include "redis/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cleanlist::redis {

struct redis_url {
  bool tls = false;          ///< rediss://
  std::string host;          ///< host name or IP literal (IPv6 without brackets)
  std::uint16_t port = 6379;
  std::string user;          ///< empty: AUTH <password> (the "default" user)
  std::string password;      ///< empty: no AUTH
  int db = 0;                ///< SELECT db (0: no SELECT sent)

  /// The URL for logs: scheme, user, host, port, db; the password replaced by "***".
  std::string redacted() const;
};

/// Parses a URL; nullopt (and *ec = errc::bad_url when ec is given) if malformed.
std::optional<redis_url> parse_url(std::string_view url, boost::system::error_code* ec = nullptr);

} // namespace cleanlist::redis
