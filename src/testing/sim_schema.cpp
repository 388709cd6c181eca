// The sans-io JSON-Schema validator of the simulator (see sim_schema.hpp).
#include "testing/sim_schema.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <stdexcept>

namespace cleanlist::testing::detail {

namespace {

const json::value* member(const json::object& o, std::string_view k) { return o.if_contains(k); }

std::string upper(std::string_view s) {
  std::string r(s);
  for (auto& ch : r)
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
  return r;
}

std::vector<std::string_view> split_path(std::string_view p) {
  std::vector<std::string_view> seg;
  while (!p.empty() && p.front() == '/') p.remove_prefix(1);
  while (true) {
    auto s = p.find('/');
    seg.push_back(p.substr(0, s));
    if (s == std::string_view::npos) break;
    p.remove_prefix(s + 1);
  }
  return seg;
}

// ---- numbers and messages

std::string fmt_num(double d) {
  if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9e15) return std::to_string(static_cast<std::int64_t>(d));
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}
json::value num_value(double d) {
  if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9e15) return static_cast<std::int64_t>(d);
  return d;
}
std::optional<double> as_double(const json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_int64()) return static_cast<double>(v->as_int64());
  if (v->is_uint64()) return static_cast<double>(v->as_uint64());
  if (v->is_double()) return v->as_double();
  return std::nullopt;
}
std::optional<std::int64_t> as_count(const json::value* v) {
  auto d = as_double(v);
  if (!d) return std::nullopt;
  return static_cast<std::int64_t>(*d);
}
std::string plural(std::int64_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

// pydantic's rendering of a Literal's choices: 'a', 'b' or 'c'
std::string expected_list(const json::array& choices) {
  std::string m;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (i) m += (i + 1 == choices.size()) ? " or " : ", ";
    if (choices[i].is_string()) {
      m += '\'';
      m += choices[i].as_string();
      m += '\'';
    } else {
      m += json::serialize(choices[i]);
    }
  }
  return m;
}

bool is_integer(const json::value& v) {
  if (v.is_int64() || v.is_uint64()) return true;
  if (v.is_double()) {
    double d = v.as_double();
    return std::isfinite(d) && std::floor(d) == d;
  }
  return false;
}

bool has_type(const json::value& v, std::string_view t) {
  if (t == "string") return v.is_string();
  if (t == "integer") return is_integer(v);
  if (t == "number") return v.is_number();
  if (t == "boolean") return v.is_bool();
  if (t == "array") return v.is_array();
  if (t == "object") return v.is_object();
  if (t == "null") return v.is_null();
  return true; // unknown type names accept anything
}

struct type_error {
  std::string_view type, msg;
};
type_error type_error_for(std::string_view t, const json::object& schema, const json::value& v) {
  if (t == "string") return {"string_type", "Input should be a valid string"};
  if (t == "integer") {
    if (v.is_double() && std::isfinite(v.as_double()))
      return {"int_from_float", "Input should be a valid integer, got a number with a fractional part"};
    return {"int_type", "Input should be a valid integer"};
  }
  if (t == "number") return {"float_type", "Input should be a valid number"};
  if (t == "boolean") return {"bool_type", "Input should be a valid boolean"};
  if (t == "array") return {"list_type", "Input should be a valid list"};
  if (t == "object") {
    if (schema.contains("properties"))
      return {"model_attributes_type", "Input should be a valid dictionary or object to extract fields from"};
    return {"dict_type", "Input should be a valid dictionary"};
  }
  if (t == "null") return {"none_required", "Input should be None"};
  return {"type_error", "Input has the wrong type"};
}

// pydantic's tag of a union member in `loc`
std::string union_tag(const json::value& branch) {
  if (!branch.is_object()) return "branch";
  const auto& o = branch.as_object();
  if (auto* r = member(o, "$ref"); r && r->is_string()) {
    std::string_view s = r->as_string();
    return std::string(s.substr(s.rfind('/') + 1));
  }
  if (auto* t = member(o, "type"); t && t->is_string()) {
    std::string_view n = t->as_string();
    if (n == "string") return "str";
    if (n == "integer") return "int";
    if (n == "number") return "float";
    if (n == "boolean") return "bool";
    if (n == "array") return "list";
    if (n == "object") return "dict";
    if (n == "null") return "none";
  }
  if (auto* t = member(o, "title"); t && t->is_string()) return std::string(t->as_string());
  return "branch";
}

bool is_null_schema(const json::value& s) {
  if (!s.is_object()) return false;
  auto* t = member(s.as_object(), "type");
  return t && t->is_string() && t->as_string() == "null";
}

void add(std::vector<schema_error>& out, const json::array& loc, std::string_view type, std::string msg,
         json::value input, json::object ctx = {}) {
  out.push_back({loc, std::string(type), std::move(msg), std::move(input), std::move(ctx)});
}

int hexval(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

// A query value parsed as the JSON type of `schema` (FastAPI's lax string parsing).
struct coerced {
  std::optional<json::value> value;
  std::string_view err_type, err_msg;
};
coerced coerce_query(const json::value& schema, const std::string& raw) {
  std::string_view t;
  if (schema.is_object())
    if (auto* ty = member(schema.as_object(), "type"); ty && ty->is_string()) t = ty->as_string();
  std::string_view s = raw;
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (t == "integer") {
    std::string_view d = s;
    if (!d.empty() && d.front() == '+') d.remove_prefix(1);
    std::int64_t v = 0;
    auto r = std::from_chars(d.data(), d.data() + d.size(), v);
    if (d.empty() || r.ec != std::errc() || r.ptr != d.data() + d.size())
      return {std::nullopt, "int_parsing", "Input should be a valid integer, unable to parse string as an integer"};
    return {json::value(v), {}, {}};
  }
  if (t == "number") {
    double v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size())
      return {std::nullopt, "float_parsing", "Input should be a valid number, unable to parse string as a number"};
    return {json::value(v), {}, {}};
  }
  if (t == "boolean") {
    std::string l(s);
    for (auto& ch : l) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (l == "true" || l == "1" || l == "yes" || l == "on" || l == "t" || l == "y") return {json::value(true), {}, {}};
    if (l == "false" || l == "0" || l == "no" || l == "off" || l == "f" || l == "n") return {json::value(false), {}, {}};
    return {std::nullopt, "bool_parsing", "Input should be a valid boolean, unable to interpret input"};
  }
  return {json::value(json::string(raw)), {}, {}};
}

// The non-null branch of a nullable anyOf (query parameters cannot be null).
const json::value& non_null(const openapi_validator& v, const json::value& s) {
  const json::value* cur = &s;
  for (int depth = 0; depth < 8 && cur->is_object(); ++depth) {
    const auto& o = cur->as_object();
    if (auto* r = member(o, "$ref"); r && r->is_string()) {
      auto* t = v.resolve(r->as_string());
      if (!t) break;
      cur = t;
      continue;
    }
    const json::value* alts = member(o, "anyOf");
    if (!alts) alts = member(o, "oneOf");
    if (!alts || !alts->is_array()) break;
    const json::value* pick = nullptr;
    for (auto& b : alts->as_array())
      if (!is_null_schema(b)) { pick = &b; break; }
    if (!pick) break;
    cur = pick;
  }
  return *cur;
}

} // namespace

// ---------------------------------------------------------------- schema_error

json::object schema_error::to_json() const {
  json::object o;
  o["type"] = type;
  o["loc"] = loc;
  o["msg"] = msg;
  o["input"] = input;
  if (!ctx.empty()) o["ctx"] = ctx;
  return o;
}

std::string schema_error::to_string() const {
  std::string s;
  for (std::size_t i = 0; i < loc.size(); ++i) {
    if (i) s += '.';
    if (loc[i].is_string()) s += loc[i].as_string();
    else s += json::serialize(loc[i]);
  }
  s += ": ";
  s += type;
  s += ": ";
  s += msg;
  return s;
}

// ---------------------------------------------------------------- free helpers

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char ch : s)
    if ((ch & 0xC0) != 0x80) ++n;
  return n;
}

query_params parse_query_string(std::string_view q) {
  query_params out;
  while (!q.empty()) {
    auto amp = q.find('&');
    auto part = q.substr(0, amp);
    if (!part.empty()) {
      auto eq = part.find('=');
      if (eq == std::string_view::npos) out.emplace_back(pct_decode(part), std::string());
      else out.emplace_back(pct_decode(part.substr(0, eq)), pct_decode(part.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

// ---------------------------------------------------------------- openapi_validator

openapi_validator::openapi_validator(json::value document) : doc_(std::move(document)) {
  const json::value* paths = doc_.is_object() ? doc_.as_object().if_contains("paths") : nullptr;
  if (!paths || !paths->is_object()) throw std::invalid_argument("not an OpenAPI document: no 'paths' object");
  for (const auto& [path, item] : paths->as_object()) {
    if (!item.is_object()) continue;
    for (const auto& [method, opv] : item.as_object()) {
      static const std::string_view methods[] = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};
      if (std::find(std::begin(methods), std::end(methods), std::string_view(method)) == std::end(methods)) continue;
      if (!opv.is_object()) continue;
      const auto& op = opv.as_object();
      operation_spec s;
      s.method = upper(method);
      s.path = path;
      if (auto* id = member(op, "operationId"); id && id->is_string()) s.operation_id = id->as_string();
      if (auto* params = member(op, "parameters"); params && params->is_array()) {
        for (const auto& pv : params->as_array()) {
          const json::value* p = &pv;
          if (p->is_object())
            if (auto* r = member(p->as_object(), "$ref"); r && r->is_string()) p = resolve(r->as_string());
          if (!p || !p->is_object()) continue;
          const auto& po = p->as_object();
          auto* in = member(po, "in");
          auto* name = member(po, "name");
          if (!in || !name || !in->is_string() || !name->is_string() || in->as_string() != "query") continue;
          auto* req = member(po, "required");
          s.query.push_back({std::string(name->as_string()), req && req->is_bool() && req->as_bool(), member(po, "schema")});
        }
      }
      if (auto* rb = member(op, "requestBody"); rb && rb->is_object()) {
        auto* req = member(rb->as_object(), "required");
        s.body_required = req && req->is_bool() && req->as_bool();
        if (auto* c = member(rb->as_object(), "content"); c && c->is_object())
          if (auto* j = member(c->as_object(), "application/json"); j && j->is_object())
            s.body = member(j->as_object(), "schema");
      }
      ops_.push_back(std::move(s));
    }
  }
}

const openapi_validator& openapi_validator::embedded() {
  static const openapi_validator v(json::parse(embedded_openapi_v2()));
  return v;
}

const json::value* openapi_validator::resolve(std::string_view ref) const {
  if (!ref.starts_with("#")) return nullptr;
  ref.remove_prefix(1);
  if (ref.empty()) return &doc_;
  boost::system::error_code ec;
  auto* p = doc_.find_pointer(ref, ec);
  return ec ? nullptr : p;
}

const operation_spec* openapi_validator::find(std::string_view method, std::string_view path) const {
  std::string m = upper(method);
  auto want = split_path(path);
  const operation_spec* best = nullptr;
  int best_literal = -1;
  for (const auto& op : ops_) {
    if (op.method != m) continue;
    auto tmpl = split_path(op.path);
    if (tmpl.size() != want.size()) continue;
    int literal = 0;
    bool ok = true;
    for (std::size_t i = 0; i < tmpl.size() && ok; ++i) {
      if (tmpl[i].starts_with('{') && tmpl[i].ends_with('}')) ok = !want[i].empty();
      else if (tmpl[i] == want[i]) ++literal;
      else ok = false;
    }
    if (ok && literal > best_literal) {
      best = &op;
      best_literal = literal;
    }
  }
  return best;
}

void openapi_validator::validate_query(const operation_spec& op, const query_params& q,
                                       std::vector<schema_error>& out) const {
  for (const auto& p : op.query) {
    json::array loc{"query", p.name};
    std::vector<const std::string*> vals;
    for (const auto& [k, v] : q)
      if (k == p.name) vals.push_back(&v);
    if (vals.empty()) {
      if (p.required) add(out, loc, "missing", "Field required", nullptr);
      continue;
    }
    if (!p.schema) continue;
    const json::value& eff = non_null(*this, *p.schema);
    bool is_array = false;
    if (eff.is_object())
      if (auto* t = member(eff.as_object(), "type"); t && t->is_string() && t->as_string() == "array") is_array = true;
    if (is_array) {
      const json::value* items = member(eff.as_object(), "items");
      json::array arr;
      for (std::size_t i = 0; i < vals.size(); ++i) {
        auto c = items ? coerce_query(non_null(*this, *items), *vals[i]) : coerced{json::value(json::string(*vals[i])), {}, {}};
        if (!c.value) {
          json::array l = loc;
          l.emplace_back(static_cast<std::int64_t>(i));
          add(out, l, c.err_type, std::string(c.err_msg), json::string(*vals[i]));
          continue;
        }
        arr.push_back(std::move(*c.value));
      }
      validate(eff, arr, loc, out);
      continue;
    }
    const std::string& raw = *vals.back();
    auto c = coerce_query(eff, raw);
    if (!c.value) {
      add(out, loc, c.err_type, std::string(c.err_msg), json::string(raw));
      continue;
    }
    std::size_t first = out.size();
    validate(eff, *c.value, loc, out);
    for (std::size_t i = first; i < out.size(); ++i) out[i].input = json::string(raw);
  }
}

void openapi_validator::validate_body(const operation_spec& op, const json::value* body,
                                      std::vector<schema_error>& out) const {
  if (!op.body) return;
  json::array loc{"body"};
  if (!body) {
    if (op.body_required) add(out, loc, "missing", "Field required", nullptr);
    return;
  }
  validate(*op.body, *body, loc, out);
}

void openapi_validator::validate(const json::value& schema, const json::value& v, json::array& loc,
                                 std::vector<schema_error>& out) const {
  if (schema.is_bool()) {
    if (!schema.as_bool()) add(out, loc, "value_error", "Value error, no value is allowed here", v);
    return;
  }
  if (!schema.is_object()) return;
  const auto& s = schema.as_object();

  if (auto* r = member(s, "$ref"); r && r->is_string()) {
    auto* target = resolve(r->as_string());
    if (!target) {
      add(out, loc, "schema_error", "Unresolvable $ref " + std::string(r->as_string()), v);
      return;
    }
    validate(*target, v, loc, out);
  }
  if (auto* all = member(s, "allOf"); all && all->is_array())
    for (const auto& b : all->as_array()) validate(b, v, loc, out);

  // ---- unions: a nullable anyOf is transparent (pydantic's Optional); others tag their errors
  for (std::string_view kw : {"anyOf", "oneOf"}) {
    auto* alts = member(s, kw);
    if (!alts || !alts->is_array() || alts->as_array().empty()) continue;
    const auto& a = alts->as_array();
    std::size_t non_nulls = 0;
    const json::value* only = nullptr;
    for (const auto& b : a)
      if (!is_null_schema(b)) { ++non_nulls; only = &b; }
    if (non_nulls < a.size() && v.is_null()) continue; // null is one of the alternatives
    if (non_nulls == 1 && kw == "anyOf") {
      validate(*only, v, loc, out);
      continue;
    }
    std::vector<std::vector<schema_error>> errs(a.size());
    std::size_t passes = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      validate(a[i], v, loc, errs[i]);
      if (errs[i].empty()) ++passes;
    }
    if (kw == "anyOf" ? passes >= 1 : passes == 1) continue;
    if (passes > 1) {
      add(out, loc, "value_error", "Value error, the input matches more than one alternative of oneOf", v);
      continue;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (is_null_schema(a[i])) continue;
      std::string tag = union_tag(a[i]);
      for (auto& e : errs[i]) {
        json::array l(loc.begin(), loc.end());
        l.emplace_back(tag);
        for (std::size_t j = loc.size(); j < e.loc.size(); ++j) l.push_back(e.loc[j]);
        e.loc = std::move(l);
        out.push_back(std::move(e));
      }
    }
  }

  // ---- literals
  if (auto* en = member(s, "enum"); en && en->is_array()) {
    const auto& choices = en->as_array();
    if (std::find(choices.begin(), choices.end(), v) == choices.end()) {
      std::string exp = expected_list(choices);
      add(out, loc, "literal_error", "Input should be " + exp, v, json::object{{"expected", exp}});
      return;
    }
  }
  if (auto* c = member(s, "const")) {
    if (*c != v) {
      json::array one{*c};
      std::string exp = expected_list(one);
      add(out, loc, "literal_error", "Input should be " + exp, v, json::object{{"expected", exp}});
      return;
    }
  }

  // ---- type
  if (auto* t = member(s, "type")) {
    std::string_view first;
    bool ok = false;
    if (t->is_string()) {
      first = t->as_string();
      ok = has_type(v, first);
    } else if (t->is_array()) {
      for (const auto& n : t->as_array())
        if (n.is_string()) {
          if (first.empty()) first = n.as_string();
          if (has_type(v, n.as_string())) ok = true;
        }
    } else {
      ok = true;
    }
    if (!ok) {
      auto te = type_error_for(first, s, v);
      add(out, loc, te.type, std::string(te.msg), v);
      return;
    }
  }

  // ---- strings
  if (v.is_string()) {
    auto n = static_cast<std::int64_t>(utf8_length(v.as_string()));
    if (auto lo = as_count(member(s, "minLength")); lo && n < *lo)
      add(out, loc, "string_too_short", "String should have at least " + plural(*lo, "character"), v,
          json::object{{"min_length", *lo}});
    if (auto hi = as_count(member(s, "maxLength")); hi && n > *hi)
      add(out, loc, "string_too_long", "String should have at most " + plural(*hi, "character"), v,
          json::object{{"max_length", *hi}});
  }

  // ---- numbers
  if (v.is_number()) {
    double d = *as_double(&v);
    if (auto b = as_double(member(s, "minimum")); b && d < *b)
      add(out, loc, "greater_than_equal", "Input should be greater than or equal to " + fmt_num(*b), v,
          json::object{{"ge", num_value(*b)}});
    if (auto b = as_double(member(s, "exclusiveMinimum")); b && d <= *b)
      add(out, loc, "greater_than", "Input should be greater than " + fmt_num(*b), v, json::object{{"gt", num_value(*b)}});
    if (auto b = as_double(member(s, "maximum")); b && d > *b)
      add(out, loc, "less_than_equal", "Input should be less than or equal to " + fmt_num(*b), v,
          json::object{{"le", num_value(*b)}});
    if (auto b = as_double(member(s, "exclusiveMaximum")); b && d >= *b)
      add(out, loc, "less_than", "Input should be less than " + fmt_num(*b), v, json::object{{"lt", num_value(*b)}});
  }

  // ---- arrays
  if (v.is_array()) {
    const auto& a = v.as_array();
    auto n = static_cast<std::int64_t>(a.size());
    if (auto hi = as_count(member(s, "maxItems")); hi && n > *hi) {
      add(out, loc, "too_long", "List should have at most " + plural(*hi, "item") + " after validation, not " + std::to_string(n),
          v, json::object{{"field_type", "List"}, {"max_length", *hi}, {"actual_length", n}});
      return;
    }
    if (auto* items = member(s, "items")) {
      for (std::size_t i = 0; i < a.size(); ++i) {
        loc.emplace_back(static_cast<std::int64_t>(i));
        validate(*items, a[i], loc, out);
        loc.pop_back();
      }
    }
    if (auto lo = as_count(member(s, "minItems")); lo && n < *lo)
      add(out, loc, "too_short", "List should have at least " + plural(*lo, "item") + " after validation, not " + std::to_string(n),
          v, json::object{{"field_type", "List"}, {"min_length", *lo}, {"actual_length", n}});
  }

  // ---- objects
  if (v.is_object()) {
    const auto& o = v.as_object();
    const json::object* props = nullptr;
    if (auto* p = member(s, "properties"); p && p->is_object()) props = &p->as_object();
    const json::array* req = nullptr;
    if (auto* r = member(s, "required"); r && r->is_array()) req = &r->as_array();
    auto required = [&](std::string_view k) {
      return req && std::any_of(req->begin(), req->end(), [&](const json::value& x) { return x.is_string() && x.as_string() == k; });
    };
    if (props) {
      for (const auto& [k, ps] : *props) {
        loc.emplace_back(k);
        if (auto* fv = o.if_contains(k)) validate(ps, *fv, loc, out);
        else if (required(k)) add(out, loc, "missing", "Field required", v);
        loc.pop_back();
      }
    }
    if (req) // required names without a property schema
      for (const auto& r : *req)
        if (r.is_string() && (!props || !props->contains(r.as_string())) && !o.contains(r.as_string())) {
          loc.emplace_back(r.as_string());
          add(out, loc, "missing", "Field required", v);
          loc.pop_back();
        }
    const json::value* addl = member(s, "additionalProperties");
    const json::value* names = member(s, "propertyNames");
    for (const auto& [k, fv] : o) {
      if (props && props->contains(k)) continue;
      loc.emplace_back(k);
      if (names) {
        loc.emplace_back("[key]");
        std::size_t first = out.size();
        validate(*names, json::string(k), loc, out);
        for (std::size_t i = first; i < out.size(); ++i) out[i].input = json::string(k);
        loc.pop_back();
      }
      if (addl && addl->is_bool() && !addl->as_bool()) add(out, loc, "extra_forbidden", "Extra inputs are not permitted", fv);
      else if (addl && addl->is_object()) validate(*addl, fv, loc, out);
      loc.pop_back();
    }
    auto n = static_cast<std::int64_t>(o.size());
    if (auto lo = as_count(member(s, "minProperties")); lo && n < *lo)
      add(out, loc, "too_short", "Dictionary should have at least " + plural(*lo, "item") + " after validation, not " + std::to_string(n),
          v, json::object{{"field_type", "Dictionary"}, {"min_length", *lo}, {"actual_length", n}});
    if (auto hi = as_count(member(s, "maxProperties")); hi && n > *hi)
      add(out, loc, "too_long", "Dictionary should have at most " + plural(*hi, "item") + " after validation, not " + std::to_string(n),
          v, json::object{{"field_type", "Dictionary"}, {"max_length", *hi}, {"actual_length", n}});
  }
}

std::string pct_decode(std::string_view s) {
  std::string r;
  r.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') r += ' ';
    else if (s[i] == '%' && i + 2 < s.size() && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      r += static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
    } else r += s[i];
  }
  return r;
}

} // namespace cleanlist::testing::detail
