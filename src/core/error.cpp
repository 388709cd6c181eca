#include <cleanlist/error.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cmath>

namespace cleanlist {
namespace {

class category_impl final : public boost::system::error_category {
public:
  const char* name() const noexcept override { return "cleanlist"; }

  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
    case error::invalid_argument: return "invalid argument (request not sent)";
    case error::invalid_api_key: return "missing or malformed API key (request not sent)";
    case error::invalid_base_url: return "invalid base URL";
    case error::bad_response: return "malformed response from the API";
    case error::response_too_large: return "response exceeds the size limits";
    case error::timeout: return "operation timed out";
    case error::outcome_unknown: return "request sent but its outcome is unknown; not retried to avoid a double charge";
    case error::retry_budget_exhausted: return "client retry budget exhausted";
    case error::tls_verification_failed: return "TLS certificate verification failed";
    case error::shutdown: return "client shut down";
    case error::unauthenticated: return "unauthenticated (401)";
    case error::insufficient_scope: return "API key lacks the required scope (403)";
    case error::feature_gated: return "plan does not include this feature (403)";
    case error::forbidden: return "forbidden (403)";
    case error::not_found: return "not found (404)";
    case error::conflict: return "conflict (409)";
    case error::payload_too_large: return "payload too large (413)";
    case error::validation_failed: return "request rejected by API validation";
    case error::insufficient_credits: return "insufficient credits";
    case error::spend_cap_exceeded: return "cost exceeds the quote's spend cap";
    case error::quote_expired: return "quote expired";
    case error::quote_mismatch: return "quote does not match the request";
    case error::quote_already_used: return "quote already used";
    case error::quote_required: return "a quote is required";
    case error::approval_required: return "approval required";
    case error::rate_limited: return "rate limited (429)";
    case error::server_error: return "server error (5xx)";
    case error::bad_gateway: return "bad gateway (502)";
    case error::service_unavailable: return "service unavailable (503)";
    case error::gateway_timeout: return "gateway timeout (504)";
    case error::api_error: return "API error";
    case error::callback_failed: return "a callback of the caller threw";
    case error::internal_error: return "internal error";
    case error::proxy_auth_required: return "the HTTP proxy requires authentication (407): proxy credentials missing or wrong";
    case error::proxy_refused: return "the HTTP proxy refused the tunnel to the API";
    case error::proxy_unavailable: return "the HTTP proxy could not open a tunnel to the API (5xx from the proxy)";
    case error::proxy_protocol_error: return "malformed answer from the HTTP proxy to CONNECT";
    case error::workflow_failed: return "the workflow failed";
    case error::workflow_cancelled: return "the workflow was cancelled";
    case error::lead_not_enriched: return "lead not enriched (the run completed with errors)";
    }
    return "unknown cleanlist error";
  }
};

} // namespace

const boost::system::error_category& error_category() noexcept {
  static const category_impl instance;
  return instance;
}

bool is_transient(error_code ec) noexcept {
  if (ec.category() != error_category()) return false;
  switch (static_cast<error>(ec.value())) {
  case error::timeout:
  case error::rate_limited:
  case error::server_error:
  case error::bad_gateway:
  case error::service_unavailable:
  case error::gateway_timeout:
  case error::proxy_unavailable:
    return true;
  default:
    return false;
  }
}

const std::string* diagnostics::detail(std::string_view key) const noexcept {
  for (const auto& [k, v] : details)
    if (k == key) return &v;
  return nullptr;
}

std::optional<std::string> diagnostics::detail_string(std::string_view key) const {
  const std::string* text = detail(key);
  if (!text || text->empty() || text->front() != '"') return std::nullopt;
  boost::system::error_code ec;
  auto v = boost::json::parse(*text, ec);
  if (ec || !v.is_string()) return std::nullopt;
  return std::string(v.get_string());
}

std::optional<std::int64_t> diagnostics::detail_int(std::string_view key) const {
  const std::string* text = detail(key);
  if (!text || text->empty()) return std::nullopt;
  boost::system::error_code ec;
  auto v = boost::json::parse(*text, ec);
  if (ec) return std::nullopt;
  if (v.is_int64()) return v.get_int64();
  if (v.is_double()) {
    const double d = v.get_double();
    if (std::isfinite(d) && std::trunc(d) == d && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
      return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

std::string diagnostics::to_string() const {
  std::string s;
  if (http_status != 0) s += "HTTP " + std::to_string(http_status);
  if (!code.empty()) s += (s.empty() ? "" : " ") + code;
  if (!problem.empty()) s += (s.empty() ? "" : ": ") + problem;
  if (estimated_cost_credits || available_credits || shortfall_credits) {
    std::string c;
    auto add = [&c](const char* name, const std::optional<std::int64_t>& v) {
      if (!v) return;
      c += (c.empty() ? "" : ", ") + std::string(name) + ' ' + std::to_string(*v);
    };
    add("estimated", estimated_cost_credits);
    add("available", available_credits);
    add("shortfall", shortfall_credits);
    s += (s.empty() ? "[credits: " : " [credits: ") + c + ']';
  }
  if (!request_id.empty()) s += " (request_id=" + request_id + ")";
  return s;
}

} // namespace cleanlist
