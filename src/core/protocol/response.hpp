#pragma once
// Response classification: HTTP status + headers + body -> (error_code, diagnostics, JSON).
// Pure, no sockets: every branch is unit-tested with literal bodies.
#include <cleanlist/error.hpp>

#include <boost/json/value.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace cleanlist::protocol {

struct raw_response {
  int status = 0;
  std::string_view retry_after_header;  ///< "Retry-After" value, may be empty
  std::string_view request_id_header;   ///< "X-Request-Id" value, may be empty
  std::string_view body;
};

struct classified {
  error_code ec;            ///< empty on 2xx with a JSON body
  diagnostics diag;         ///< filled on error
  boost::json::value json;  ///< parsed body on success (object expected)
};

/// Maximum JSON nesting accepted from the server (hostile bodies are refused, not recursed).
inline constexpr std::size_t max_json_depth = 64;

/// Parses JSON with the depth limit; returns an error instead of throwing.
boost::json::value parse_json(std::string_view body, error_code& ec);

/// Parses a Retry-After header: integer seconds, or an HTTP date is ignored (nullopt).
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view v);

/// Maps an API error `code` (open set) and the HTTP status to our error enum.
error map_api_error(int status, std::string_view code);

classified classify(const raw_response& r);

/// Same, and `secret` (the API key; ignored when empty) is replaced by "[REDACTED]" in every
/// diagnostics field, body_excerpt included, even when the server echoes it back.
classified classify(const raw_response& r, std::string_view secret);

/// Replaces every occurrence of `secret` in `s` by "[REDACTED]" (no-op when secret is empty).
void redact(std::string& s, std::string_view secret);

} // namespace cleanlist::protocol
