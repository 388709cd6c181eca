#include "protocol/response.hpp"
#include "protocol/json_adopt.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/serializer.hpp>

#include <charconv>
#include <cmath>
#include <initializer_list>

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

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
void cut_utf8(std::string& s, std::size_t max) {
  if (s.size() <= max) return;
  std::size_t n = max;
  // At most 3 continuation bytes to step back over (binary garbage is cut where it is).
  while (n > 0 && max - n < 3 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
}

// At most `max` bytes of `v` with every occurrence of `secret` replaced by "[REDACTED]".
// Occurrences are found in the original text, so no prefix of the secret can survive at the
// cut (redacting a cut copy would shift a later, partly copied occurrence under the limit).
std::string bounded_text(std::string_view v, std::size_t max, std::string_view secret) {
  constexpr std::string_view mark = "[REDACTED]";
  std::string out;
  std::size_t pos = 0;
  while (pos < v.size() && out.size() < max) {
    const std::size_t hit = secret.empty() ? std::string_view::npos : v.find(secret, pos);
    const std::size_t plain = (hit == std::string_view::npos ? v.size() : hit) - pos;
    out.append(v.substr(pos, std::min(plain, max - out.size() + 4)));  // +4: room for cut_utf8
    if (hit == std::string_view::npos || out.size() >= max) break;
    out += mark;
    pos = hit + secret.size();
  }
  cut_utf8(out, max);
  return out;
}

// The first max_excerpt bytes of the body, `secret` redacted (bounded_text: no prefix of it
// survives at the boundary), control characters other than LF and TAB replaced by '?'.
std::string excerpt(std::string_view body, std::string_view secret) {
  std::string e = bounded_text(body, diagnostics::max_excerpt, secret);
  for (char& c : e)
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') c = '?';
  return e;
}

// Integers, and integral numbers within the int64 range (110.0); anything else: nullopt.
std::optional<std::int64_t> integral(const json::value& v) noexcept {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    if (v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(v.get_uint64());
    return std::nullopt;
  }
  if (v.is_double()) {
    const double d = v.get_double();
    if (std::isfinite(d) && std::trunc(d) == d && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
      return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

std::optional<std::int64_t> integral_field(const json::object& o, std::string_view key) noexcept {
  auto it = o.find(key);
  return it == o.end() ? std::nullopt : integral(it->value());
}

// Compact JSON text of `v` when it fits in `max` bytes (serialised into a fixed buffer: a huge
// value is never written out in full), secret redacted; nullopt when it does not fit.
std::optional<std::string> compact_json(const json::value& v, std::size_t max, std::string_view secret) {
  char buf[diagnostics::max_detail_value + 1];
  const std::size_t cap = std::min(max + 1, sizeof buf);
  json::serializer sr;
  sr.reset(&v);
  std::size_t n = 0;
  while (!sr.done() && n < cap) n += sr.read(buf + n, cap - n).size();
  if (!sr.done() || n > max) return std::nullopt;
  std::string text(buf, n);
  redact(text, secret);
  if (text.size() > max) return std::nullopt;
  return text;
}

// A `details` value: strings are shortened to fit (as JSON text), other values fit or are
// left out.
std::optional<std::string> detail_value(const json::value& v, std::string_view secret) {
  constexpr std::size_t max = diagnostics::max_detail_value;
  if (!v.is_string()) return compact_json(v, max, secret);
  const std::string_view str = v.get_string();
  // Escapes can make the text up to six times longer than the content: retry shorter once.
  for (std::size_t content : {max - 2, (max - 2) / 6}) {
    json::value s(bounded_text(str, content, secret));
    if (auto text = compact_json(s, max, {})) return text;
  }
  return std::nullopt;
}

void add_detail(diagnostics& d, std::string_view key, const json::value& v, std::string_view secret) {
  if (d.details.size() >= diagnostics::max_details) return;
  std::string k = bounded_text(key, diagnostics::max_detail_key, secret);
  if (d.detail(k)) return;  // first one wins (the `details` object before envelope extras)
  if (auto text = detail_value(v, secret)) d.details.emplace_back(std::move(k), std::move(*text));
}

// Envelope members with a typed field in diagnostics; the others go to diagnostics::details.
bool typed_envelope_member(std::string_view key) noexcept {
  for (std::string_view k : {"code", "problem", "cause", "fix", "retryable", "retry_after_ms", "docs_url", "request_id",
                             "estimated_cost_credits", "available_credits", "shortfall_credits", "suggested_actions",
                             "details"})
    if (k == key) return true;
  return false;
}

void read_envelope_extras(const json::object& e, diagnostics& d, std::string_view secret) {
  d.estimated_cost_credits = integral_field(e, "estimated_cost_credits");
  d.available_credits = integral_field(e, "available_credits");
  d.shortfall_credits = integral_field(e, "shortfall_credits");
  if (auto it = e.find("suggested_actions"); it != e.end() && it->value().is_array())
    for (const auto& a : it->value().get_array()) {
      if (d.suggested_actions.size() >= diagnostics::max_suggested_actions) break;
      if (a.is_string()) d.suggested_actions.push_back(bounded_text(a.get_string(), diagnostics::max_item_text, secret));
    }
  if (auto it = e.find("details"); it != e.end() && !it->value().is_null()) {
    if (it->value().is_object()) {
      for (const auto& m : it->value().get_object()) {
        if (d.details.size() >= diagnostics::max_details) break;
        add_detail(d, m.key(), m.value(), secret);
      }
    } else {
      add_detail(d, "details", it->value(), secret);
    }
  }
  for (const auto& m : e) {
    if (d.details.size() >= diagnostics::max_details) break;
    if (!typed_envelope_member(m.key()) && !m.value().is_null()) add_detail(d, m.key(), m.value(), secret);
  }
}

// One FastAPI ValidationError item; nullopt when it has none of loc, type and msg.
std::optional<field_error> read_field_error(const json::object& io, std::string_view secret) {
  constexpr std::size_t max_text = diagnostics::max_item_text;
  field_error fe;
  if (auto l = io.find("loc"); l != io.end() && l->value().is_array())
    for (const auto& part : l->value().get_array()) {
      if (fe.loc.size() >= diagnostics::max_loc_parts) break;
      if (part.is_string()) fe.loc.push_back(bounded_text(part.get_string(), max_text, secret));
      else if (part.is_int64()) fe.loc.push_back(std::to_string(part.get_int64()));
      else if (part.is_uint64()) fe.loc.push_back(std::to_string(part.get_uint64()));
    }
  if (auto t = io.find("type"); t != io.end() && t->value().is_string())
    fe.type = bounded_text(t->value().get_string(), max_text, secret);
  if (auto m = io.find("msg"); m != io.end() && m->value().is_string())
    fe.msg = bounded_text(m->value().get_string(), max_text, secret);
  if (fe.loc.empty() && fe.type.empty() && fe.msg.empty()) return std::nullopt;
  return fe;
}

// Fills diagnostics from one of the three error shapes of the API; new strings are bounded and
// have `secret` redacted here (the older fields are redacted by the caller).
void read_error_body(const json::value& v, diagnostics& d, std::string_view secret) {
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
    read_envelope_extras(e, d, secret);
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
        if (d.field_errors.size() < diagnostics::max_field_errors)
          if (auto fe = read_field_error(io, secret)) d.field_errors.push_back(std::move(*fe));
        if (msg.size() > diagnostics::max_excerpt) {
          if (d.field_errors.size() >= diagnostics::max_field_errors) break;
          continue;
        }
        std::string loc;
        if (auto l = io.find("loc"); l != io.end() && l->value().is_array())
          for (const auto& part : l->value().get_array()) {
            if (!loc.empty()) loc += '.';
            if (part.is_string()) loc += part.get_string();
            else if (part.is_int64()) loc += std::to_string(part.get_int64());
          }
        if (!msg.empty()) msg += "; ";
        msg += loc + ": " + string_field(io, "msg");
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
  d.request_id = bounded_text(r.request_id_header, 128, secret);  // no prefix of the secret survives
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
  if (!pec) read_error_body(v, d, secret);
  if (d.problem.empty()) d.problem = "HTTP " + std::to_string(r.status);
  out.ec = map_api_error(r.status, d.code);
  for (std::string* f : {&d.code, &d.problem, &d.cause, &d.fix, &d.docs_url, &d.request_id}) redact(*f, secret);
  return out;
}

} // namespace cleanlist::protocol
