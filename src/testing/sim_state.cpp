// The simulator's state: accounts, request validation, faults, accessors (routing: sim_routing.cpp).
#include "testing/sim_internal.hpp"
#include "testing/sim_schema.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace cleanlist::testing::detail {

// ---------------------------------------------------------------- helpers

std::string iso_utc(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::int64_t epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t unit_cost(std::string_view type) {
  if (type == "phone_only" || type == "phone-only") return 10;
  if (type == "full") return 11;
  if (type == "none") return 0;
  return 1; // partial, prospecting_only
}

bool lead_ok(std::string_view type, const person_outcome& o) {
  if (o.workflow_fails) return false;
  if (type == "phone_only" || type == "phone-only") return o.phone_found;
  if (type == "full") return o.email_found || o.phone_found;
  if (type == "none") return true;
  return o.email_found;
}

std::int64_t lead_charge(std::string_view type, const person_outcome& o) {
  if (o.workflow_fails) return 0;
  if (type == "phone_only" || type == "phone-only") return o.phone_found ? 10 : 0;
  if (type == "full") return (o.email_found ? 1 : 0) + (o.phone_found ? 10 : 0);
  if (type == "none") return 0;
  return o.email_found ? 1 : 0;
}

std::string cursor_encode(std::int64_t offset) { return base64_encode(std::to_string(offset), true); }

std::optional<std::int64_t> cursor_decode(std::string_view c) {
  auto d = base64_decode(c);
  if (!d || d->empty() || d->size() > 12) return std::nullopt;
  std::int64_t v = 0;
  for (char ch : *d) {
    if (ch < '0' || ch > '9') return std::nullopt;
    v = v * 10 + (ch - '0');
  }
  return v;
}

void verrs::add(json::array loc, std::string_view type, std::string msg, json::value input) {
  json::object o;
  o["type"] = type;
  o["loc"] = std::move(loc);
  o["msg"] = std::move(msg);
  o["input"] = std::move(input);
  a.emplace_back(std::move(o));
}

void write_422(sim_response& rs, verrs& e) {
  json::object o;
  o["detail"] = std::move(e.a);
  rs.status = 422;
  rs.body = json::serialize(o);
}

namespace {

const char* type_msg(ty t) {
  switch (t) {
  case ty::str: return "Input should be a valid string";
  case ty::integer: return "Input should be a valid integer";
  case ty::number: return "Input should be a valid number";
  case ty::boolean: return "Input should be a valid boolean";
  case ty::arr_str: return "Input should be a valid list";
  case ty::object: case ty::map_str: return "Input should be a valid dictionary";
  case ty::any: return "";
  }
  return "";
}
const char* type_code(ty t) {
  switch (t) {
  case ty::str: return "string_type";
  case ty::integer: return "int_type";
  case ty::number: return "float_type";
  case ty::boolean: return "bool_type";
  case ty::arr_str: return "list_type";
  case ty::object: case ty::map_str: return "dict_type";
  case ty::any: return "";
  }
  return "";
}

bool is_integral(const json::value& v) {
  if (v.is_int64() || v.is_uint64()) return true;
  if (v.is_double()) {
    double d = v.as_double();
    return std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9e15;
  }
  return false;
}
std::int64_t as_i64(const json::value& v) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64()) return v.as_uint64() > static_cast<std::uint64_t>(LLONG_MAX) ? LLONG_MAX : static_cast<std::int64_t>(v.as_uint64());
  return static_cast<std::int64_t>(v.as_double());
}

json::array loc2(std::string_view a, std::string_view b) {
  json::array l;
  l.emplace_back(a);
  l.emplace_back(b);
  return l;
}

std::string enum_msg(const std::vector<std::string_view>& en) {
  std::string m = "Input should be ";
  for (std::size_t i = 0; i < en.size(); ++i) {
    if (i) m += (i + 1 == en.size()) ? " or " : ", ";
    m += '\'';
    m += en[i];
    m += '\'';
  }
  return m;
}

void check_size(const fspec& f, std::int64_t n, bool is_str, const json::value& v, json::array loc, verrs& e) {
  if (n < f.lo) {
    if (is_str)
      e.add(std::move(loc), "string_too_short", "String should have at least " + std::to_string(f.lo) + (f.lo == 1 ? " character" : " characters"), v);
    else
      e.add(std::move(loc), "too_short", "List should have at least " + std::to_string(f.lo) + (f.lo == 1 ? " item" : " items") + " after validation, not " + std::to_string(n), v);
  } else if (n > f.hi) {
    if (is_str)
      e.add(std::move(loc), "string_too_long", "String should have at most " + std::to_string(f.hi) + " characters", v);
    else
      e.add(std::move(loc), "too_long", "List should have at most " + std::to_string(f.hi) + " items after validation, not " + std::to_string(n), v);
  }
}

} // namespace

void validate_body(const json::value* v, const std::vector<fspec>& spec, bool forbid_extra, verrs& e) {
  if (!v) {
    json::array l;
    l.emplace_back("body");
    e.add(std::move(l), "missing", "Field required", nullptr);
    return;
  }
  if (!v->is_object()) {
    json::array l;
    l.emplace_back("body");
    e.add(std::move(l), "model_attributes_type", "Input should be a valid dictionary or object to extract fields from", *v);
    return;
  }
  const auto& o = v->as_object();
  for (const auto& f : spec) {
    auto* p = o.if_contains(f.name);
    if (!p) {
      if (f.required) e.add(loc2("body", f.name), "missing", "Field required", json::object(o));
      continue;
    }
    if (p->is_null()) {
      if (!f.nullable) e.add(loc2("body", f.name), type_code(f.type), type_msg(f.type), nullptr);
      continue;
    }
    switch (f.type) {
    case ty::any: break;
    case ty::str:
      if (!p->is_string()) { e.add(loc2("body", f.name), "string_type", type_msg(f.type), *p); break; }
      if (!f.enums.empty()) {
        std::string_view s = p->as_string();
        if (std::find(f.enums.begin(), f.enums.end(), s) == f.enums.end())
          e.add(loc2("body", f.name), "enum", enum_msg(f.enums), *p);
      } else {
        check_size(f, static_cast<std::int64_t>(utf8_length(p->as_string())), true, *p, loc2("body", f.name), e);
      }
      break;
    case ty::integer:
      if (!is_integral(*p)) { e.add(loc2("body", f.name), "int_type", type_msg(f.type), *p); break; }
      if (as_i64(*p) < f.lo)
        e.add(loc2("body", f.name), "greater_than_equal", "Input should be greater than or equal to " + std::to_string(f.lo), *p);
      else if (as_i64(*p) > f.hi)
        e.add(loc2("body", f.name), "less_than_equal", "Input should be less than or equal to " + std::to_string(f.hi), *p);
      break;
    case ty::number:
      if (!p->is_number()) e.add(loc2("body", f.name), "float_type", type_msg(f.type), *p);
      break;
    case ty::boolean:
      if (!p->is_bool()) e.add(loc2("body", f.name), "bool_type", type_msg(f.type), *p);
      break;
    case ty::arr_str: {
      if (!p->is_array()) { e.add(loc2("body", f.name), "list_type", type_msg(f.type), *p); break; }
      const auto& a = p->as_array();
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!a[i].is_string()) {
          json::array l = loc2("body", f.name);
          l.emplace_back(static_cast<std::int64_t>(i));
          e.add(std::move(l), "string_type", "Input should be a valid string", a[i]);
        }
      }
      check_size(f, static_cast<std::int64_t>(a.size()), false, *p, loc2("body", f.name), e);
      break;
    }
    case ty::object:
      if (!p->is_object()) e.add(loc2("body", f.name), "dict_type", type_msg(f.type), *p);
      break;
    case ty::map_str: {
      if (!p->is_object()) { e.add(loc2("body", f.name), "dict_type", type_msg(f.type), *p); break; }
      const auto& m = p->as_object();
      for (const auto& kv : m) {
        json::array l = loc2("body", f.name);
        l.emplace_back(kv.key());
        if (!f.enums.empty() && std::find(f.enums.begin(), f.enums.end(), kv.key()) == f.enums.end())
          e.add(l, "enum", enum_msg(f.enums), json::string(kv.key()));
        if (!kv.value().is_string()) e.add(std::move(l), "string_type", "Input should be a valid string", kv.value());
      }
      if (static_cast<std::int64_t>(m.size()) < f.lo)
        e.add(loc2("body", f.name), "too_short", "Dictionary should have at least " + std::to_string(f.lo) + " item after validation, not " + std::to_string(m.size()), *p);
      break;
    }
    }
  }
  if (forbid_extra) {
    for (const auto& kv : o) {
      bool known = std::any_of(spec.begin(), spec.end(), [&](const fspec& f) { return f.name == kv.key(); });
      if (!known) e.add(loc2("body", kv.key()), "extra_forbidden", "Extra inputs are not permitted", kv.value());
    }
  }
}

// ---------------------------------------------------------------- construction

const std::vector<std::string>& all_scope_names() {
  static const std::vector<std::string> s{
      "people:read", "companies:read", "lists:read", "lists:write", "enrich:read", "enrich:write",
      "credits:read", "export:read", "sync:write", "smart_agents:read", "smart_agents:write",
      "admin:api_keys"};
  return s;
}
namespace {
std::string hex_of(std::uint64_t v, int digits) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string s(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i) {
    s[static_cast<std::size_t>(i)] = hex[v & 15];
    v >>= 4;
  }
  return s;
}
} // namespace

sim_state::sim_state(const simulator_params& p)
    : params_(p), started_(sim_clock::now()), rng_state_(splitmix64(p.seed ^ 0x5151)),
      faults_params_(p.faults) {
  hmac_key_ = "sim-quote-key-" + hex_of(splitmix64(p.seed ^ 0xabcdef), 16);
  std::vector<organisation_config> orgs = p.orgs;
  if (orgs.empty()) {
    organisation_config o;
    o.org_id = "org_sim_default";
    o.name = "Simulator Org";
    user_config u;
    u.user_id = "user_sim_default";
    u.email = "dev@example.com";
    u.name = "Sim Developer";
    u.keys.push_back({"clapi_sim_" + hex_of(splitmix64(p.seed), 16) + hex_of(splitmix64(p.seed + 1), 16), {}});
    u.jwts.push_back(make_jwt(p.seed, u.user_id, o.org_id));
    o.users.push_back(std::move(u));
    orgs.push_back(std::move(o));
  }
  std::string now_iso = iso_utc(std::chrono::system_clock::now());
  for (auto& oc : orgs) {
    org_rec o;
    o.id = oc.org_id.empty() ? "org_" + hex_of(splitmix64(p.seed + orgs_.size() + 7), 12) : oc.org_id;
    o.name = oc.name;
    o.tier = oc.tier;
    o.features = oc.features;
    std::sort(o.features.begin(), o.features.end());
    o.api_access = std::find(o.features.begin(), o.features.end(), "API_ACCESS") != o.features.end();
    o.credits = oc.credits;
    int org_idx = static_cast<int>(orgs_.size());
    for (auto& uc : oc.users) {
      user_rec u;
      u.id = uc.user_id.empty() ? "user_" + hex_of(splitmix64(p.seed + users_.size() + 99), 12) : uc.user_id;
      u.email = uc.email;
      u.name = uc.name;
      u.org = org_idx;
      int user_idx = static_cast<int>(users_.size());
      for (auto& j : uc.jwts) {
        u.jwts.push_back(j);
        jwt_index_.emplace(j, user_idx);
      }
      for (auto& kc : uc.keys) {
        key_rec k;
        k.key = kc.key;
        k.key_id = "ak_" + hex_of(hash_str(p.seed, kc.key), 8);
        k.name = "Simulator key " + std::to_string(keys_.size() + 1);
        k.created_at = now_iso;
        k.all_scopes = kc.scopes.empty();
        k.scopes = kc.scopes.empty() ? all_scope_names() : kc.scopes;
        k.user = user_idx;
        k.org = org_idx;
        key_index_.emplace(k.key, static_cast<int>(keys_.size()));
        u.keys.push_back(static_cast<int>(keys_.size()));
        keys_.push_back(std::move(k));
      }
      o.users.push_back(user_idx);
      users_.push_back(std::move(u));
    }
    orgs_.push_back(std::move(o));
  }
  // Seeded demo cohorts, one person and one company cohort per organisation (see README).
  for (std::size_t i = 0; i < orgs_.size(); ++i) {
    create_cohort_unlocked(static_cast<int>(i), "person", 10);
    create_cohort_unlocked(static_cast<int>(i), "company", 10);
  }
  // rename the seeded ones to their documented handles
  str_map<cohort_rec> renamed;
  for (auto& [id, ch] : cohorts_) {
    ch.id = "cl-task_demo-" + std::string(ch.kind == "person" ? "people" : "companies") + "-" + orgs_[static_cast<std::size_t>(ch.org)].id;
    renamed.emplace(ch.id, std::move(ch));
  }
  cohorts_ = std::move(renamed);
}

std::string sim_state::new_uuid() {
  std::uint64_t a = splitmix64(rng_state_++), b = splitmix64(rng_state_++);
  std::string h = hex_of(a, 16) + hex_of(b, 16);
  h[12] = '4';
  h[16] = "89ab"[b >> 62];
  return h.substr(0, 8) + '-' + h.substr(8, 4) + '-' + h.substr(12, 4) + '-' + h.substr(16, 4) + '-' + h.substr(20, 12);
}

std::string sim_state::new_id(std::string_view prefix) {
  std::string s(prefix);
  s += hex_of(splitmix64(rng_state_++), 12);
  return s;
}

std::string sim_state::new_request_id() {
  std::uint64_t n = request_ids_.fetch_add(1, std::memory_order_relaxed);
  return "req_" + hex_of(splitmix64(params_.seed * 31 + n * 0x9e37 + 17), 16);
}

std::int64_t sim_state::now_ms_since_start(sim_clock::time_point t) const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t - started_).count();
}

void sim_state::ledger(org_rec& o, std::string_view kind, std::int64_t amount, std::string_view ref) {
  o.credits += amount;
  o.ledger.push_back({std::string(kind), amount, std::string(ref), o.credits, epoch_ms()});
}

int sim_state::find_org(std::string_view org_id) const {
  for (std::size_t i = 0; i < orgs_.size(); ++i)
    if (orgs_[i].id == org_id) return static_cast<int>(i);
  return -1;
}

// ---------------------------------------------------------------- faults

fault_decision sim_state::decide_fault(std::string_view target) {
  std::lock_guard lk(fault_mtx_);
  const auto& f = faults_params_;
  fault_decision d;
  if (!f.only_path.empty() && target.find(f.only_path) == std::string_view::npos) return d;
  double total = f.p_429 + f.p_500 + f.p_502 + f.p_503 + f.p_504 + f.p_reset_before + f.p_reset_after +
                 f.p_truncate + f.p_malformed + f.p_stall;
  if (total <= 0 && f.p_latency <= 0) return d;
  std::uint64_t n = fault_counter_++;
  std::uint64_t h = splitmix64(params_.seed ^ (n * 0x9e3779b97f4a7c15ULL) ^ 0xfa017);
  double r = static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
  double r2 = static_cast<double>(splitmix64(h) >> 11) * (1.0 / 9007199254740992.0);
  const std::pair<double, fault_kind> table[] = {
      {f.p_429, fault_kind::s429}, {f.p_500, fault_kind::s500}, {f.p_502, fault_kind::s502},
      {f.p_503, fault_kind::s503}, {f.p_504, fault_kind::s504}, {f.p_reset_before, fault_kind::reset_before},
      {f.p_reset_after, fault_kind::reset_after}, {f.p_truncate, fault_kind::truncate},
      {f.p_malformed, fault_kind::malformed}, {f.p_stall, fault_kind::stall}};
  double acc = 0;
  for (auto& [p, k] : table) {
    acc += p;
    if (p > 0 && r < acc) { d.kind = k; break; }
  }
  if (f.p_latency > 0 && r2 < f.p_latency) d.latency = f.latency;
  d.retry_after = f.retry_after;
  return d;
}

void sim_state::set_faults(fault_params f) {
  std::lock_guard lk(fault_mtx_);
  faults_params_ = std::move(f);
}

void sim_state::injected_error(const sim_request& rq, int status, sim_response& rs, std::chrono::milliseconds retry_after) {
  rs.reset();
  rs.status = status;
  rs.request_id = new_request_id();
  std::string_view target = rq.target;
  bool legacy = target.starts_with("/api/v1/public/enrich/") || target.starts_with("/api/v1/public/auth/") ||
                target.starts_with("/api/v1/public/webhooks/");
  std::string_view code, problem;
  bool retryable = true;
  switch (status) {
  case 429: code = "rate_limited"; problem = "Too many requests (injected)."; break;
  case 500: code = "internal_error"; problem = "Unexpected server error (injected)."; retryable = false; break;
  case 502: code = "bad_gateway"; problem = "Upstream returned an invalid response (injected)."; break;
  case 503: code = "service_unavailable"; problem = "Service temporarily unavailable (injected)."; break;
  default: code = "gateway_timeout"; problem = "Upstream timed out (injected)."; break;
  }
  const auto retry_after_ms = std::max<std::int64_t>(0, retry_after.count());
  if (status == 429) rs.retry_after_s = static_cast<int>((retry_after_ms + 999) / 1000);
  json::object o;
  if (legacy) {
    o["detail"] = problem;
  } else {
    json::object e;
    e["code"] = code;
    e["problem"] = problem;
    e["cause"] = "fault injection";
    e["fix"] = retryable ? "Retry with back-off." : "Retry later or contact support.";
    e["retryable"] = retryable;
    e["retry_after_ms"] = status == 429 ? json::value(retry_after_ms) : json::value(nullptr);
    std::string docs = "https://docs.cleanlist.ai/errors/" + std::string(code);
    std::replace(docs.begin() + 30, docs.end(), '_', '-');
    e["docs_url"] = docs;
    e["request_id"] = rs.request_id;
    o["error"] = std::move(e);
  }
  rs.body = json::serialize(o);
}

// ---------------------------------------------------------------- accessors

sim_stats sim_state::stats() const {
  sim_stats st;
  st.requests = requests_.load();
  st.served_above_limit = above_limit_.load();
  st.rate_limited_429 = limited_.load();
  st.faults_injected = faults_.load();
  st.accepted_enrich_posts = enrich_ok_.load();
  st.export_downloads = downloads_.load();
  st.export_downloads_with_authorization = downloads_auth_.load();
  st.tls_full_handshakes = tls_full_.load();
  st.tls_resumed_handshakes = tls_resumed_.load();
  return st;
}

std::int64_t sim_state::credits(std::string_view org_id) {
  std::lock_guard lk(mtx_);
  settle_all(sim_clock::now());
  int i = find_org(org_id);
  return i < 0 ? -1 : orgs_[static_cast<std::size_t>(i)].credits;
}

void sim_state::set_credits(std::string_view org_id, std::int64_t c) {
  std::lock_guard lk(mtx_);
  int i = find_org(org_id);
  if (i < 0) return;
  auto& o = orgs_[static_cast<std::size_t>(i)];
  ledger(o, "set", c - o.credits, "set_credits");
}

std::uint64_t sim_state::enrich_posts_for(std::string_view identity) const {
  std::lock_guard lk(mtx_);
  auto it = enrich_posts_.find(identity);
  return it == enrich_posts_.end() ? 0 : it->second;
}

std::string sim_state::default_api_key() const {
  for (auto& k : keys_) return k.key;
  return {};
}
std::string sim_state::default_org_id() const { return orgs_.empty() ? std::string() : orgs_[0].id; }
std::string sim_state::default_jwt() const {
  if (orgs_.empty() || orgs_[0].users.empty()) return {};
  const auto& u = users_[static_cast<std::size_t>(orgs_[0].users[0])];
  return u.jwts.empty() ? std::string() : u.jwts[0];
}

boost::json::value sim_state::ledger_json() {
  std::lock_guard lk(mtx_);
  auto now = sim_clock::now();
  settle_all(now);
  json::object root;
  json::array orgs;
  for (auto& o : orgs_) {
    json::object jo;
    jo["org_id"] = o.id;
    jo["credits"] = o.credits;
    json::array led;
    for (auto& e : o.ledger) {
      json::object je;
      je["kind"] = e.kind;
      je["amount"] = e.amount;
      je["ref"] = e.ref;
      je["balance_after"] = e.balance_after;
      je["ts_ms"] = e.ts_ms;
      led.emplace_back(std::move(je));
    }
    jo["ledger"] = std::move(led);
    orgs.emplace_back(std::move(jo));
  }
  root["orgs"] = std::move(orgs);
  json::array wfs;
  for (auto& [id, w] : workflows_) {
    json::object jw;
    jw["workflow_id"] = id;
    jw["org_id"] = orgs_[static_cast<std::size_t>(w.org)].id;
    jw["enrichment_type"] = w.type;
    jw["total"] = static_cast<std::int64_t>(w.leads.size());
    jw["credits_reserved"] = w.reserved;
    jw["settled"] = w.settled;
    jw["credits_charged"] = w.charged;
    jw["credits_refunded"] = w.refunded;
    jw["failed"] = w.failed_whole;
    const bool cancelled = w.settled && w.cancel_at && *w.cancel_at <= now;
    jw["cancelled"] = cancelled;
    jw["status"] = !w.settled ? "active" : cancelled ? "cancelled" : final_status(w);
    jw["errored_leads"] = w.errored;
    wfs.emplace_back(std::move(jw));
  }
  root["workflows"] = std::move(wfs);
  json::array runs;
  for (auto& [id, r] : agent_runs_) {
    json::object jr;
    jr["smart_agent_task_id"] = id;
    jr["org_id"] = orgs_[static_cast<std::size_t>(r.org)].id;
    jr["credits_reserved"] = r.reserved;
    jr["credits_charged"] = r.charged;
    jr["settled"] = r.settled;
    runs.emplace_back(std::move(jr));
  }
  root["smart_agent_runs"] = std::move(runs);
  json::array cohorts;
  for (auto& [id, ch] : cohorts_) {
    if (ch.from_list) continue;
    json::object jc;
    jc["task_id"] = id;
    jc["kind"] = ch.kind;
    jc["org_id"] = orgs_[static_cast<std::size_t>(ch.org)].id;
    jc["size"] = static_cast<std::int64_t>(ch.entity_ids.size());
    cohorts.emplace_back(std::move(jc));
  }
  root["cohorts"] = std::move(cohorts);
  auto st = stats();
  json::object js;
  js["requests"] = st.requests;
  js["served_above_limit"] = st.served_above_limit;
  js["rate_limited_429"] = st.rate_limited_429;
  js["faults_injected"] = st.faults_injected;
  js["accepted_enrich_posts"] = st.accepted_enrich_posts;
  js["export_downloads"] = st.export_downloads;
  js["export_downloads_with_authorization"] = st.export_downloads_with_authorization;
  js["tls_full_handshakes"] = st.tls_full_handshakes;
  js["tls_resumed_handshakes"] = st.tls_resumed_handshakes;
  root["stats"] = std::move(js);
  json::object posts;
  for (auto& [id, n] : enrich_posts_) posts[id] = n;
  root["enrich_posts"] = std::move(posts);
  return root;
}

std::string sim_state::create_cohort(std::string_view org_id, std::string_view kind, int n) {
  std::lock_guard lk(mtx_);
  int org = find_org(org_id);
  if (org < 0 || n < 0) return {};
  return create_cohort_unlocked(org, kind, n);
}

std::string sim_state::create_cohort_unlocked(int org, std::string_view kind, int n) {
  static const char* firsts[] = {"Jane", "John", "Maria", "Wei", "Aisha", "Lucas", "Priya", "Omar", "Sofia", "Kenji"};
  static const char* lasts[] = {"Doe", "Smith", "Garcia", "Chen", "Khan", "Martin", "Patel", "Haddad", "Rossi", "Sato"};
  static const char* comps[] = {"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Wonka", "Tyrell"};
  cohort_rec ch;
  ch.id = new_id("cl-task_");
  ch.kind = kind == "company" ? "company" : "person";
  ch.org = org;
  for (int i = 0; i < n; ++i) {
    std::uint64_t h = splitmix64(rng_state_++);
    std::string eid = std::to_string(4482910 + (h % 9000000));
    ch.entity_ids.push_back(eid);
    const char* comp = comps[(h >> 8) % 10];
    std::string domain = std::string(comp) + ".io";
    std::transform(domain.begin(), domain.end(), domain.begin(), [](unsigned char x) { return static_cast<char>(std::tolower(x)); });
    if (ch.kind == "person") {
      lead_rec l;
      l.id = eid;
      l.first_name = firsts[(h >> 16) % 10];
      l.last_name = lasts[(h >> 24) % 10];
      l.full_name = l.first_name + " " + l.last_name;
      l.company = comp;
      l.domain = domain;
      l.title = "VP of Sales";
      l.linkedin_url = "https://linkedin.com/in/" + l.first_name + "-" + l.last_name + "-" + hex_of(h >> 32, 4);
      std::transform(l.linkedin_url.begin(), l.linkedin_url.end(), l.linkedin_url.begin(), [](unsigned char x) { return static_cast<char>(std::tolower(x)); });
      ch.people.push_back(std::move(l));
    } else {
      ch.companies.push_back({eid, comp, domain});
    }
  }
  std::string id = ch.id;
  cohorts_.emplace(id, std::move(ch));
  return id;
}

// ---------------------------------------------------------------- settlement

void sim_state::settle_all(sim_clock::time_point now) {
  std::size_t keep = 0;
  for (std::size_t i = 0; i < unsettled_.size(); ++i) {
    auto it = workflows_.find(unsettled_[i]);
    if (it == workflows_.end()) continue;
    settle_if_due(it->second, now);
    if (!it->second.settled) unsettled_[keep++] = unsettled_[i];
  }
  unsettled_.resize(keep);
  for (auto& [id, r] : agent_runs_) settle_agent_if_due(r, now);
}

} // namespace cleanlist::testing::detail
