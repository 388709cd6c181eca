#pragma once
// Errors of the cleanlist library: one error_code category for client-side and API errors,
// a diagnostics object carrying what the server said (kept apart from the code), and an
// exception type carrying both for coroutine users.
//
// Branch on the error code (or diagnostics::http_status / code / retryable), never on text.

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace cleanlist {

using boost::system::error_code;

enum class error {
  // ---- client-side (no request sent, or the response could not be used) ----
  invalid_argument = 1,   ///< a request failed client-side validation; nothing was sent
  invalid_api_key,        ///< missing key, wrong prefix or control characters; nothing was sent
  invalid_base_url,       ///< base_url could not be parsed (scheme://host[:port]/path)
  bad_response,           ///< body is not JSON, too deep, or lacks a required field / has a wrong type
  response_too_large,     ///< header or body above the configured limits
  timeout,                ///< a deadline (connect, request or overall) expired
  outcome_unknown,        ///< a non-idempotent request was sent but its outcome is unknown; not retried
  retry_budget_exhausted, ///< the client-wide retry budget stopped a retry
  tls_verification_failed,///< certificate or host name verification failed
  shutdown,               ///< the client was shut down while the operation was pending
  callback_failed,        ///< a callback of the caller (on_progress) threw: the operation ended
  internal_error,         ///< the library failed unexpectedly (e.g. out of memory): the operation ended

  // ---- the HTTP proxy (client_params::proxy) refused or broke the tunnel: the API saw nothing ----
  proxy_auth_required,    ///< the proxy answered 407 (or 401): proxy credentials missing or wrong; not retried
  proxy_refused,          ///< the proxy refused the tunnel (403 or another non-2xx, non-5xx answer); not retried
  proxy_unavailable,      ///< the proxy answered 5xx (it could not reach the API); retried like a failed connect
  proxy_protocol_error,   ///< the proxy's answer to CONNECT is malformed or above 16 KiB; retried like a failed connect

  // ---- the API answered with an error (see diagnostics for server detail) ----
  unauthenticated = 100,  ///< 401: missing, unknown, expired or revoked key
  insufficient_scope,     ///< 403 insufficient_scope
  feature_gated,          ///< 403 feature_gated (or legacy 403: plan without API access)
  forbidden,              ///< other 403 (list_protected, list_cap_reached, ...)
  not_found,              ///< 404 (also: resource of another organisation)
  conflict,               ///< 409 other than a reused quote
  payload_too_large,      ///< 413
  validation_failed,      ///< 400 validation_error, 422 schema violation, missing_column
  insufficient_credits,   ///< 400 insufficient_credits (modern) or 402 (legacy)
  spend_cap_exceeded,     ///< 400 spend_cap_exceeded: real cost above the quote
  quote_expired,          ///< quote older than its TTL: ask for a new one
  quote_mismatch,         ///< quote signed for another request
  quote_already_used,     ///< quote already redeemed (single-use)
  quote_required,         ///< operation needs a quote_id
  approval_required,      ///< 400 approval_required (smart agent scope)
  rate_limited,           ///< 429; diagnostics::retry_after says when
  server_error,           ///< 500 and other 5xx not listed below
  bad_gateway,            ///< 502
  service_unavailable,    ///< 503
  gateway_timeout,        ///< 504
  api_error,              ///< any other non-2xx answer

  // ---- a workflow's outcome (async_enrich_many items) ----
  workflow_failed = 200,  ///< the workflow ended `failed` (credits refunded, see the status)
  workflow_cancelled,     ///< the workflow ended `cancelled` before this contact was enriched
  lead_not_enriched,      ///< the run ended `completed_with_errors` and this lead was not enriched
                          ///< (failed, or nothing found: the API does not say which per lead)
};

const boost::system::error_category& error_category() noexcept;

inline error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

/// One entry of a FastAPI 422 body `{"detail":[{"loc":[...],"msg":"...","type":"..."}]}`
/// (OpenAPI `ValidationError`). Bounded: see diagnostics::max_loc_parts / max_item_text.
struct field_error {
  std::vector<std::string> loc;  ///< where, e.g. {"body","contacts","0","email"}: string items as
                                 ///< sent, integer items (array indices) as decimal; items of
                                 ///< other JSON types are left out
  std::string type;              ///< machine error type, e.g. "missing", "value_error"
  std::string msg;               ///< human message (wording may change; do not branch on it)
};

/// What the server (or the client-side check) said about a failure. Never holds the API key:
/// classify() redacts it from every string kept here, the fields below included.
///
/// Everything parsed from a body is bounded (hostile servers): strings are cut at a UTF-8
/// boundary, lists are capped (the max_* constants); JSON of a wrong type is ignored.
/// Default construction and clear() allocate nothing.
struct diagnostics {
  int http_status = 0;                 ///< 0 when no HTTP answer was received
  std::string code;                    ///< API `code` (open set), empty when absent
  std::string problem;                 ///< API `problem`, legacy `detail`, a one-line summary of a
                                       ///< 422 `detail[]` list, or the client-side message
  std::string cause;
  std::string fix;
  std::string docs_url;
  std::string request_id;              ///< API `request_id` or the X-Request-Id header
  std::optional<bool> retryable;       ///< API `retryable` when present
  std::optional<std::chrono::milliseconds> retry_after; ///< Retry-After header / retry_after_ms
  std::string body_excerpt;            ///< first bytes of the body (bounded, see max_excerpt)

  // ---- credit errors (400 insufficient_credits; spend_cap_exceeded carries the estimate) ----
  // Set only when the envelope has the field as an integer (or an integral number such as
  // 110.0 within the int64 range); absent or of another type: nullopt.
  std::optional<std::int64_t> estimated_cost_credits; ///< what the call would cost
  std::optional<std::int64_t> available_credits;      ///< the organisation's balance
  std::optional<std::int64_t> shortfall_credits;      ///< how many are missing

  /// Envelope `suggested_actions` (follow-ups an agent may offer): its string items, at most
  /// max_suggested_actions, each cut to max_item_text bytes; items of other types are ignored.
  std::vector<std::string> suggested_actions;

  /// Structured context as (key, compact JSON text of the value) pairs, in body order:
  ///  1. the members of the envelope's `details` object (a `details` that is not an object is
  ///     kept as one pair with key "details"), e.g. insufficient_scope's scopes or, for
  ///     `missing_column`, the CSV header at fault;
  ///  2. then the envelope members this struct has no typed field for (the reference does not
  ///     document them, e.g. a 429's `limit_scope` / `limit` / `window_ms`), unless the key is
  ///     already present.
  /// Values are JSON text, so a string is quoted: use detail_string() / detail_int() to read
  /// one. At most max_details pairs; keys cut to max_detail_key bytes; a string value is
  /// shortened to fit max_detail_value bytes, any other value longer than that is left out.
  std::vector<std::pair<std::string, std::string>> details;

  /// The FastAPI 422 `detail[]` list (object items only, at most max_field_errors).
  std::vector<field_error> field_errors;

  static constexpr std::size_t max_excerpt = 512;
  static constexpr std::size_t max_details = 32;
  static constexpr std::size_t max_detail_key = 64;
  static constexpr std::size_t max_detail_value = 1024;
  static constexpr std::size_t max_suggested_actions = 16;
  static constexpr std::size_t max_field_errors = 50;
  static constexpr std::size_t max_loc_parts = 16;
  static constexpr std::size_t max_item_text = 512;  ///< a suggested action, a field_error's msg,
                                                     ///< type or loc item

  /// The JSON text of details[key], or nullptr when absent.
  const std::string* detail(std::string_view key) const noexcept;
  /// details[key] when it is a JSON string (decoded), else nullopt.
  std::optional<std::string> detail_string(std::string_view key) const;
  /// details[key] when it is an integer (or an integral number in the int64 range), else nullopt.
  std::optional<std::int64_t> detail_int(std::string_view key) const;

  void clear() { *this = diagnostics{}; }
  /// One line for logs: "HTTP 429 rate_limited: <problem> (request_id=...)"; credit errors add
  /// " [credits: estimated 110, available 40, shortfall 70]" (the fields present).
  std::string to_string() const;
};

/// Thrown by the coroutine interface (default token) on failure; carries code and diagnostics.
class api_exception : public boost::system::system_error {
public:
  api_exception(error_code ec, diagnostics diag)
      : boost::system::system_error(ec, diag.problem), diag_(std::move(diag)) {}
  const diagnostics& diag() const noexcept { return diag_; }

private:
  diagnostics diag_;
};

/// True for the error codes the API marks as transient (429, 5xx, timeouts).
bool is_transient(error_code ec) noexcept;

} // namespace cleanlist

namespace boost::system {
template <> struct is_error_code_enum<cleanlist::error> : std::true_type {};
} // namespace boost::system
