#pragma once
// Sans-io RESP: hiredis's reply reader and command formatter, wrapped in value types.
// No sockets here: bytes in, replies out; arguments in, bytes out.
#include "redis/error.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cleanlist::redis {

/// One decoded reply (RESP2 as hiredis 0.14 reads it).
struct reply {
  enum class kind { string, array, integer, nil, status, error };
  kind type = kind::nil;
  std::string str;               ///< string, status and error text
  long long integer = 0;         ///< integer
  std::vector<reply> elements;   ///< array

  bool is_error() const noexcept { return type == kind::error; }
  /// Error reply whose text starts with `prefix` (e.g. "NOSCRIPT", "NOAUTH", "WRONGPASS").
  bool is_error(std::string_view prefix) const noexcept {
    return type == kind::error && std::string_view(str).starts_with(prefix);
  }
};

/// Formats one command (RESP array of bulk strings) with redisFormatCommandArgv.
std::string format_command(std::span<const std::string> args);
void append_command(std::string& out, std::span<const std::string> args);

/// Incremental reply parser (redisReader). Feed bytes as they arrive; take replies while
/// next() yields one. After a protocol error the reader is unusable: reset() it (a new
/// connection) before feeding again.
class reply_reader {
public:
  reply_reader();
  ~reply_reader();
  reply_reader(const reply_reader&) = delete;
  reply_reader& operator=(const reply_reader&) = delete;

  /// False on a protocol error (malformed input).
  bool feed(std::string_view bytes);
  /// A complete reply, nullopt if more bytes are needed; *ec = protocol_error if malformed.
  std::optional<reply> next(boost::system::error_code& ec);
  void reset();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace cleanlist::redis
