#include "protocol/response.hpp"
#include "protocol/json_adopt.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>

#include <charconv>

namespace cleanlist::protocol {
namespace json = boost::json;

json::value parse_json(std::string_view body, error_code& ec) {
  json::parse_options opts;
  opts.max_depth = max_json_depth;
  // The parser's temporary stack lives in this buffer (no heap block per parse for bodies
  // of ordinary depth/width; it falls back to the heap beyond). The document lives in one
  // monotonic arena sized from the body (a heap block per string/object/array otherwise),
  // shared by reference count with whatever keeps a part of it (a model's `raw`).
  unsigned char temp[4096];
  json::parser p(json::storage_ptr(), opts, temp);
  p.reset(json::make_shared_resource<json::monotonic_resource>(body.size() * 2 + 256));
  ec.clear();
  p.write(body.data(), body.size(), ec);
  if (ec) return nullptr;
  return p.release();
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  double secs = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), secs);
  if (ec != std::errc{} || ptr != v.data() + v.size() || !(secs >= 0) || secs > 86400.0 * 365) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(secs * 1000.0 + 0.5));
}

error map_api_error(int status, std::string_view code) {
  if (code == "insufficient_scope") return error::insufficient_scope;
  if (code == "feature_gated") return error::feature_gated;
  if (code == "insufficient_credits") return error::insufficient_credits;
  if (code == "spend_cap_exceeded") return error::spend_cap_exceeded;
  if (code == "quote_expired") return error::quote_expired;
  if (code == "quote_mismatch") return error::quote_mismatch;
  if (code == "quote_already_used") return error::quote_already_used;
  if (code == "quote_required") return error::quote_required;
  if (code == "approval_required") return error::approval_required;
  if (code == "validation_error" || code == "missing_column") return error::validation_failed;
  if (code == "rate_limited") return error::rate_limited;
  switch (status) {
  case 400: return error::validation_failed;
  case 401: return error::unauthenticated;
  case 402: return error::insufficient_credits;
  case 403: return error::forbidden;
  case 404: return error::not_found;
  case 409: return error::conflict;
  case 413: return error::payload_too_large;
  case 422: return error::validation_failed;
  case 429: return error::rate_limited;
  case 502: return error::bad_gateway;
  case 503: return error::service_unavailable;
  case 504: return error::gateway_timeout;
  default: return status >= 500 ? error::server_error : error::api_error;
  }
}

namespace {

std::string string_field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return {};
  return std::string(it->value().get_string());
}

// The first max_excerpt bytes of the body; `secret` is redacted before the cut so that no
// prefix of it can survive at the boundary.
std::string excerpt(std::string_view body, std::string_view secret) {
  std::string e(body.substr(0, diagnostics::max_excerpt + secret.size()));
  redact(e, secret);
  if (e.size() > diagnostics::max_excerpt) e.resize(diagnostics::max_excerpt);
  for (char& c : e)
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') c = '?';
  return e;
}

// Fills diagnostics from one of the three error shapes of the API.
void read_error_body(const json::value& v, diagnostics& d) {
  if (!v.is_object()) return;
  const auto& o = v.get_object();
  if (auto it = o.find("error"); it != o.end() && it->value().is_object()) {
    const auto& e = it->value().get_object();  // modern envelope
    d.code = string_field(e, "code");
    d.problem = string_field(e, "problem");
    d.cause = string_field(e, "cause");
    d.fix = string_field(e, "fix");
    d.docs_url = string_field(e, "docs_url");
    if (auto rid = string_field(e, "request_id"); !rid.empty()) d.request_id = std::move(rid);
    if (auto r = e.find("retryable"); r != e.end() && r->value().is_bool()) d.retryable = r->value().get_bool();
    // retry_after_ms is the precise value; the Retry-After header is it rounded up to seconds.
    if (auto r = e.find("retry_after_ms"); r != e.end()) {
      // Values outside [0, 1 year] are ignored (a uint64 above INT64_MAX once wrapped negative).
      constexpr double max_ms = 365.0 * 24 * 3600 * 1000;
      const auto& v = r->value();
      double ms = -1;
      if (v.is_int64()) ms = static_cast<double>(v.get_int64());
      else if (v.is_uint64()) ms = static_cast<double>(v.get_uint64());
      else if (v.is_double()) ms = v.get_double();
      if (ms >= 0 && ms <= max_ms) d.retry_after = std::chrono::milliseconds(static_cast<std::int64_t>(ms));
    }
    return;
  }
  if (auto it = o.find("detail"); it != o.end()) {
    if (it->value().is_string()) {  // legacy FastAPI error
      d.problem = std::string(it->value().get_string());
    } else if (it->value().is_array()) {  // FastAPI 422 validation error list
      d.code = "validation_error";
      std::string msg;
      for (const auto& item : it->value().get_array()) {
        if (!item.is_object()) continue;
        const auto& io = item.get_object();
        std::string loc;
        if (auto l = io.find("loc"); l != io.end() && l->value().is_array())
          for (const auto& part : l->value().get_array()) {
            if (!loc.empty()) loc += '.';
            if (part.is_string()) loc += part.get_string();
            else if (part.is_int64()) loc += std::to_string(part.get_int64());
          }
        if (!msg.empty()) msg += "; ";
        msg += loc + ": " + string_field(io, "msg");
        if (msg.size() > diagnostics::max_excerpt) break;
      }
      d.problem = std::move(msg);
    }
  }
}

} // namespace

void redact(std::string& s, std::string_view secret) {
  if (secret.empty()) return;
  constexpr std::string_view mark = "[REDACTED]";
  for (auto pos = s.find(secret); pos != std::string::npos; pos = s.find(secret, pos + mark.size()))
    s.replace(pos, secret.size(), mark);
}

classified classify(const raw_response& r) { return classify(r, {}); }

classified classify(const raw_response& r, std::string_view secret) {
  classified out;
  auto& d = out.diag;
  d.http_status = r.status;
  d.request_id = std::string(r.request_id_header.substr(0, 128 + secret.size()));
  redact(d.request_id, secret);  // before the cut: no prefix of the secret survives
  if (d.request_id.size() > 128) d.request_id.resize(128);
  if (r.status >= 200 && r.status < 300) {
    error_code pec;
    adopt(out.json, parse_json(r.body, pec));
    if (pec || !out.json.is_object()) {
      out.ec = error::bad_response;
      d.problem = pec ? "response body is not valid JSON: " + pec.message() : "response body is not a JSON object";
      d.body_excerpt = excerpt(r.body, secret);
      out.json = nullptr;
    }
    return out;
  }
  d.retry_after = parse_retry_after(r.retry_after_header);
  d.body_excerpt = excerpt(r.body, secret);
  error_code pec;
  auto v = parse_json(r.body, pec);
  if (!pec) read_error_body(v, d);
  if (d.problem.empty()) d.problem = "HTTP " + std::to_string(r.status);
  out.ec = map_api_error(r.status, d.code);
  for (std::string* f : {&d.code, &d.problem, &d.cause, &d.fix, &d.docs_url, &d.request_id}) redact(*f, secret);
  return out;
}

} // namespace cleanlist::protocol
