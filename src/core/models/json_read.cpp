#include "json_read.hpp"

#include <boost/system/system_error.hpp>

#include <cmath>
#include <limits>

namespace cleanlist::models_detail {

namespace json = boost::json;

void fail(std::string_view ctx, std::string_view field, std::string_view what) {
  std::string msg;
  msg.reserve(ctx.size() + field.size() + what.size() + 3);
  msg.append(ctx);
  if (!field.empty()) {
    msg.push_back('.');
    msg.append(field);
  }
  msg.append(": ");
  msg.append(what);
  throw boost::system::system_error(make_error_code(error::bad_response), msg);
}

const json::object& expect_object(const json::value& jv, std::string_view ctx) {
  if (const auto* o = jv.if_object()) return *o;
  fail(ctx, {}, "expected a JSON object");
}

std::optional<std::int64_t> to_int(const json::value& v) noexcept {
  switch (v.kind()) {
  case json::kind::int64: return v.get_int64();
  case json::kind::uint64:
    if (v.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return std::nullopt;
    return static_cast<std::int64_t>(v.get_uint64());
  case json::kind::double_: {
    const double d = v.get_double();
    // 2^63 is exactly representable; anything >= it does not fit.
    if (!std::isfinite(d) || d != std::floor(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
      return std::nullopt;
    return static_cast<std::int64_t>(d);
  }
  default: return std::nullopt;
  }
}

std::optional<double> to_number(const json::value& v) noexcept {
  switch (v.kind()) {
  case json::kind::int64: return static_cast<double>(v.get_int64());
  case json::kind::uint64: return static_cast<double>(v.get_uint64());
  case json::kind::double_: return v.get_double();
  default: return std::nullopt;
  }
}

reader::reader(const json::value& jv, std::string_view ctx) : obj_(expect_object(jv, ctx)), ctx_(ctx) {}

// Models read members mostly in the order the server writes them: scanning on from the
// last hit finds most in one comparison, where object::find compares from the start (small
// objects are not indexed). Keys are unique after parsing, so scan order does not matter.
const json::value* reader::find(std::string_view field) const noexcept {
  const std::size_t n = obj_.size();
  if (n == 0) return nullptr;
  if (n > 32) return obj_.if_contains(field);  // large objects are hash-indexed by Boost.JSON
  const json::key_value_pair* kv = obj_.begin();
  std::size_t i = hint_ < n ? hint_ : 0;
  for (std::size_t k = 0; k < n; ++k) {
    if (kv[i].key() == field) {
      hint_ = i + 1;
      return &kv[i].value();
    }
    if (++i == n) i = 0;
  }
  return nullptr;
}

const json::value* reader::need(std::string_view f) const {
  const auto* v = find(f);
  if (!v) fail(ctx_, f, "required field is missing");
  return v;
}

namespace {
const char* kind_name(const json::value& v) noexcept {
  switch (v.kind()) {
  case json::kind::null: return "null";
  case json::kind::bool_: return "a boolean";
  case json::kind::int64:
  case json::kind::uint64:
  case json::kind::double_: return "a number";
  case json::kind::string: return "a string";
  case json::kind::array: return "an array";
  case json::kind::object: return "an object";
  }
  return "?";
}
std::string wrong(const char* expected, const json::value& v) {
  return std::string("expected ") + expected + ", got " + kind_name(v);
}
} // namespace

std::string reader::req_string(std::string_view f) const {
  const auto* v = need(f);
  if (const auto* s = v->if_string()) return std::string(s->data(), s->size());
  fail(ctx_, f, wrong("a string", *v));
}

std::optional<std::string> reader::opt_string(std::string_view f) const {
  const auto* v = find(f);
  if (!v || v->is_null()) return std::nullopt;
  if (const auto* s = v->if_string()) return std::string(s->data(), s->size());
  fail(ctx_, f, wrong("a string or null", *v));
}

std::optional<std::string> reader::req_nullable_string(std::string_view f) const {
  need(f);
  return opt_string(f);
}

std::int64_t reader::req_int(std::string_view f) const {
  const auto* v = need(f);
  if (auto i = to_int(*v)) return *i;
  fail(ctx_, f, v->is_number() ? std::string("expected an integer in range") : wrong("an integer", *v));
}

std::optional<std::int64_t> reader::opt_int(std::string_view f) const {
  const auto* v = find(f);
  if (!v || v->is_null()) return std::nullopt;
  if (auto i = to_int(*v)) return i;
  fail(ctx_, f, v->is_number() ? std::string("expected an integer in range") : wrong("an integer or null", *v));
}

std::int64_t reader::int_or(std::string_view f, std::int64_t dflt) const {
  auto i = opt_int(f);
  return i ? *i : dflt;
}

std::int64_t reader::req_int_floor(std::string_view f) const {
  const auto* v = need(f);
  if (auto i = to_int(*v)) return *i;
  if (v->is_double()) {
    const double d = std::floor(v->get_double());
    if (std::isfinite(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
      return static_cast<std::int64_t>(d);
    fail(ctx_, f, "number out of range");
  }
  fail(ctx_, f, wrong("a number", *v));
}

double reader::req_number(std::string_view f) const {
  const auto* v = need(f);
  if (auto d = to_number(*v)) return *d;
  fail(ctx_, f, wrong("a number", *v));
}

double reader::number_or(std::string_view f, double dflt) const {
  const auto* v = find(f);
  if (!v || v->is_null()) return dflt;
  if (auto d = to_number(*v)) return *d;
  fail(ctx_, f, wrong("a number", *v));
}

bool reader::req_bool(std::string_view f) const {
  const auto* v = need(f);
  if (const auto* b = v->if_bool()) return *b;
  fail(ctx_, f, wrong("a boolean", *v));
}

bool reader::bool_or(std::string_view f, bool dflt) const {
  const auto* v = find(f);
  if (!v || v->is_null()) return dflt;
  if (const auto* b = v->if_bool()) return *b;
  fail(ctx_, f, wrong("a boolean", *v));
}

namespace {
std::vector<std::string> strings_of(const json::array& arr, std::string_view ctx, std::string_view f) {
  std::vector<std::string> out;
  out.reserve(arr.size());
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const auto* s = arr[i].if_string();
    if (!s) fail(ctx, std::string(f) + "[" + std::to_string(i) + "]", wrong("a string", arr[i]));
    out.emplace_back(s->data(), s->size());
  }
  return out;
}
} // namespace

const json::array& reader::req_array(std::string_view f) const {
  const auto* v = need(f);
  if (const auto* a = v->if_array()) return *a;
  fail(ctx_, f, wrong("an array", *v));
}

const json::array* reader::opt_array(std::string_view f) const {
  const auto* v = find(f);
  if (!v || v->is_null()) return nullptr;
  if (const auto* a = v->if_array()) return a;
  fail(ctx_, f, wrong("an array or null", *v));
}

const json::object* reader::opt_object(std::string_view f) const {
  const auto* v = find(f);
  if (!v || v->is_null()) return nullptr;
  if (const auto* o = v->if_object()) return o;
  fail(ctx_, f, wrong("an object or null", *v));
}

const json::object& reader::req_object(std::string_view f) const {
  const auto* v = need(f);
  if (const auto* o = v->if_object()) return *o;
  fail(ctx_, f, wrong("an object", *v));
}

std::vector<std::string> reader::req_string_array(std::string_view f) const {
  return strings_of(req_array(f), ctx_, f);
}

std::optional<std::vector<std::string>> reader::opt_string_array(std::string_view f) const {
  const auto* a = opt_array(f);
  if (!a) return std::nullopt;
  return strings_of(*a, ctx_, f);
}

std::vector<std::int64_t> reader::int_array_or_empty(std::string_view f) const {
  std::vector<std::int64_t> out;
  const auto* a = opt_array(f);
  if (!a) return out;
  out.reserve(a->size());
  for (std::size_t i = 0; i < a->size(); ++i) {
    auto n = to_int((*a)[i]);
    if (!n) fail(ctx_, std::string(f) + "[" + std::to_string(i) + "]", wrong("an integer", (*a)[i]));
    out.push_back(*n);
  }
  return out;
}

std::map<std::string, std::string> reader::string_map_or_empty(std::string_view f) const {
  std::map<std::string, std::string> out;
  const auto* o = opt_object(f);
  if (!o) return out;
  for (const auto& kv : *o) {
    const auto* s = kv.value().if_string();
    if (!s) fail(ctx_, std::string(f) + "." + std::string(kv.key()), wrong("a string", kv.value()));
    out.emplace(std::string(kv.key()), std::string(s->data(), s->size()));
  }
  return out;
}

std::map<std::string, std::int64_t> reader::int_map_or_empty(std::string_view f) const {
  std::map<std::string, std::int64_t> out;
  const auto* o = opt_object(f);
  if (!o) return out;
  for (const auto& kv : *o) {
    auto n = to_int(kv.value());
    if (!n) fail(ctx_, std::string(f) + "." + std::string(kv.key()), wrong("an integer", kv.value()));
    out.emplace(std::string(kv.key()), *n);
  }
  return out;
}

namespace {
thread_local const json::object* raw_move_top = nullptr;
thread_local bool raw_move_skipped = false;
} // namespace

raw_move_guard::raw_move_guard(const json::object* top) noexcept
    : prev_top_(raw_move_top), prev_skipped_(raw_move_skipped) {
  raw_move_top = top;
  raw_move_skipped = false;
}

raw_move_guard::~raw_move_guard() {
  raw_move_top = prev_top_;
  raw_move_skipped = prev_skipped_;
}

bool raw_move_guard::skipped() const noexcept { return raw_move_skipped; }

void reader::envelope_into(envelope& e) const {
  e.task_id = opt_string("task_id");
  e.timestamp_ms = opt_int("timestamp_ms");
  e.agent_instructions = opt_string("agent_instructions");
  e.usage = opt_string("usage");
  e.message = opt_string("message");
  if (&obj_ == raw_move_top && !raw_move_skipped) {
    raw_move_skipped = true;  // the caller moves the object in (raw_move_guard)
    return;
  }
  e.raw = json::object(obj_, obj_.storage());  // a copy in the body's arena, held as is
}

json::array to_array(const std::vector<std::string>& v) {
  json::array a;
  a.reserve(v.size());
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

} // namespace cleanlist::models_detail
