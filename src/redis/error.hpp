#pragma once
// Error codes of the Redis connection and the shared budget (category "cleanlist.redis").
#include <boost/system/error_code.hpp>

#include <type_traits>

namespace cleanlist::redis {

enum class errc {
  timeout = 1,          ///< the command's deadline passed before its reply arrived
  not_connected,        ///< the connection is down (last connect failed; reconnecting in the background)
  connection_lost,      ///< the connection closed while the command was in flight (it may have run)
  protocol_error,       ///< the server sent bytes that are not RESP
  auth_failed,          ///< AUTH was refused (wrong password / user)
  select_failed,        ///< SELECT db was refused
  server_error,         ///< the server answered with an error reply
  unexpected_reply,     ///< a reply of an unexpected shape (e.g. from a foreign script)
  bad_url,              ///< the redis:// URL could not be parsed
  closed,               ///< the connection was closed by its owner
};

const boost::system::error_category& category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

} // namespace cleanlist::redis

template <>
struct boost::system::is_error_code_enum<cleanlist::redis::errc> : std::true_type {};
