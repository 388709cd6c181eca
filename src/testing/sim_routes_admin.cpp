// The simulator's credential side: Clerk JWTs (shape, the default JWT) and the API-key
// management endpoints /api/v1/api-keys (reference §13; Clerk JWT only, not under /public);
// the export downloads (signed URLs) and the test-only admin endpoints (/_sim/...).
#include "testing/sim_internal.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

namespace cleanlist::testing::detail {

namespace {

using ctx = sim_state::ctx;

constexpr std::size_t max_active_keys = 10; ///< per organisation (the stricter of §2.2's two readings)

std::string hex8(std::uint64_t v) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string s(8, '0');
  for (int i = 7; i >= 0; --i) { s[static_cast<std::size_t>(i)] = hex[v & 15]; v >>= 4; }
  return s;
}

int digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// ISO-8601 date-time -> epoch seconds: YYYY-MM-DD, or YYYY-MM-DD[T ]HH:MM[:SS[.fff]] followed by
// Z, ±HH:MM or nothing (UTC). nullopt when malformed.
std::optional<std::int64_t> parse_iso8601(std::string_view s) {
  int y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int h = 0, mi = 0, se = 0;
  std::size_t i = 10;
  if (i < s.size()) {
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return std::nullopt;
    h = digits(s, i + 1, 2);
    mi = digits(s, i + 4, 2);
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || s[i + 3] != ':') return std::nullopt;
    i += 6;
    if (i < s.size() && s[i] == ':') {
      se = digits(s, i + 1, 2);
      if (se < 0 || se > 60) return std::nullopt;
      i += 3;
      if (i < s.size() && s[i] == '.') {
        ++i;
        std::size_t f = i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
        if (i == f) return std::nullopt;
      }
    }
  }
  std::int64_t offset = 0;
  if (i < s.size()) {
    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == s.size()) {
      ++i;
    } else if ((s[i] == '+' || s[i] == '-') && i + 6 == s.size() && s[i + 3] == ':') {
      int oh = digits(s, i + 1, 2), om = digits(s, i + 4, 2);
      if (oh < 0 || oh > 23 || om < 0 || om > 59) return std::nullopt;
      offset = (s[i] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
      i = s.size();
    } else {
      return std::nullopt;
    }
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  return static_cast<std::int64_t>(timegm(&tm)) - offset;
}

} // namespace

std::string make_jwt(std::uint64_t seed, std::string_view user_id, std::string_view org_id) {
  std::string header = base64_encode(R"({"alg":"RS256","kid":"ins_sim","typ":"JWT"})", true);
  json::object claims;
  claims["iss"] = "https://clerk.cleanlist-sim.local";
  claims["sub"] = user_id;
  claims["org_id"] = org_id;
  claims["sid"] = "sess_" + hex8(hash_str(seed, user_id)) + hex8(hash_str(seed ^ 1, org_id));
  std::string payload = base64_encode(json::serialize(claims), true);
  std::string sig = base64_encode(hmac_sha256_hex("sim-clerk-" + std::to_string(seed), header + "." + payload), true);
  return header + "." + payload + "." + sig;
}

json::object handlers::key_json(sim_state& s, const key_rec& k) {
  json::object o;
  o["key_id"] = k.key_id;
  o["key_prefix"] = "clapi_";
  o["key_last4"] = k.key.size() >= 4 ? k.key.substr(k.key.size() - 4) : k.key;
  o["name"] = k.name;
  json::array sc;
  for (auto& x : k.scopes) sc.emplace_back(x);
  o["scopes"] = std::move(sc);
  o["created_at"] = k.created_at;
  o["last_used_at"] = k.last_used_s ? json::value(iso_utc(std::chrono::system_clock::time_point(std::chrono::seconds(k.last_used_s)))) : json::value(nullptr);
  o["is_active"] = k.active(epoch_ms() / 1000);
  (void)s;
  return o;
}

// ---------------------------------------------------------------- /api/v1/api-keys

void sim_state::handle_key_mgmt(const sim_request& rq, std::string_view path, sim_response& rs) {
  auto now = sim_clock::now();
  ctx c{rq, rs, now};
  c.prefix = "/api/v1";
  std::string_view key_id;
  constexpr std::string_view base = "/api/v1/api-keys";
  if (path.size() > base.size() + 1) key_id = path.substr(base.size() + 1);
  else if (path.size() == base.size() + 1) { // trailing slash
    rs.status = 404;
    rs.body = R"({"detail":"Not Found"})";
    return;
  }
  if (key_id.find('/') != std::string_view::npos) {
    rs.status = 404;
    rs.body = R"({"detail":"Not Found"})";
    return;
  }
  const bool collection = key_id.empty();
  const bool method_ok = collection ? (rq.method == "GET" || rq.method == "POST") : rq.method == "DELETE";
  if (!method_ok) {
    rs.status = 405;
    rs.body = R"({"detail":"Method Not Allowed"})";
    return;
  }
  std::lock_guard lk(mtx_);
  std::string_view auth = rq.authorization;
  int user = -1;
  if (auth.starts_with("Bearer ")) {
    auto token = auth.substr(7);
    if (jwt_shaped(token))
      if (auto it = jwt_index_.find(token); it != jwt_index_.end()) user = it->second;
    if (user < 0 && token.starts_with("clapi_"))
      return handlers::error(*this, c, 401, "unauthenticated",
                             "API keys cannot manage API keys: this endpoint accepts only a Clerk session JWT.",
                             "Call it with the portal session token (Authorization: Bearer <Clerk JWT>), or manage keys in the portal.");
  }
  if (user < 0)
    return handlers::error(*this, c, 401, "unauthenticated",
                           auth.empty() ? "No session token was sent." : "The session token is missing, malformed, expired or unknown.",
                           "Send 'Authorization: Bearer <Clerk JWT>'.");
  c.jwt = true;
  c.user = user;
  c.org = users_[static_cast<std::size_t>(user)].org;
  if (!collection) {
    c.path_param = key_id;
    return handlers::mgmt_revoke_key(*this, c);
  }
  if (rq.method == "GET") return handlers::mgmt_list_keys(*this, c);
  handlers::mgmt_create_key(*this, c);
}

void handlers::mgmt_list_keys(sim_state& s, ctx& c) {
  json::array keys;
  for (int ki : s.users_[static_cast<std::size_t>(c.user)].keys) keys.emplace_back(key_json(s, s.keys_[static_cast<std::size_t>(ki)]));
  json::object r;
  r["keys"] = std::move(keys);
  ok(c, std::move(r), 200, false);
}

void handlers::mgmt_create_key(sim_state& s, ctx& c) {
  if (!parse_body(s, c)) return;
  static const std::vector<fspec> spec{{.name = "name", .type = ty::str, .hi = 200}, {.name = "expires_at", .type = ty::str}};
  verrs e;
  // an absent body is an empty request (both fields are optional)
  json::value empty = json::object{};
  validate_body(c.body.is_null() ? &empty : &c.body, spec, true, e);
  std::optional<std::int64_t> expires;
  if (e.empty()) {
    if (auto* x = field(c.body, "expires_at")) {
      expires = parse_iso8601(x->as_string());
      if (!expires) {
        json::array loc;
        loc.emplace_back("body");
        loc.emplace_back("expires_at");
        e.add(std::move(loc), "datetime_from_date_parsing", "Input should be a valid datetime or date", *x);
      }
    }
  }
  if (!e.empty()) return write_422(c.rs, e);
  const auto& o = s.orgs_[static_cast<std::size_t>(c.org)];
  if (!o.api_access) {
    json::object extra;
    extra["feature"] = "API_ACCESS";
    extra["tier"] = o.tier;
    return error(s, c, 403, "feature_gated", "Your plan does not include API access, so API keys cannot be created.",
                 "Upgrade to Pro or higher at app.cleanlist.ai/billing.", std::move(extra));
  }
  const std::int64_t now_s = epoch_ms() / 1000;
  if (expires && *expires <= now_s)
    return error(s, c, 400, "validation_error", "expires_at is in the past.", "Pass a future ISO-8601 timestamp, or omit it.");
  std::size_t active = 0;
  for (auto& k : s.keys_) active += (k.org == c.org && k.active(now_s)) ? 1 : 0;
  if (active >= max_active_keys) {
    json::object extra;
    extra["limit"] = static_cast<std::int64_t>(max_active_keys);
    extra["active_keys"] = static_cast<std::int64_t>(active);
    return error(s, c, 403, "api_key_limit_reached",
                 "The organization already has " + std::to_string(active) + " active API keys (limit " + std::to_string(max_active_keys) + ").",
                 "Revoke an unused key (DELETE /api/v1/api-keys/{key_id}) first.", std::move(extra));
  }
  std::string bytes;
  while (bytes.size() < 48) {
    std::uint64_t v = splitmix64(s.rng_state_++);
    for (int i = 0; i < 8 && bytes.size() < 48; ++i, v >>= 8) bytes += static_cast<char>(v & 0xff);
  }
  key_rec k;
  k.key = "clapi_" + base64_encode(bytes, true); // 48 bytes -> 64 URL-safe characters
  k.key_id = "ak_" + hex8(hash_str(s.params_.seed, k.key));
  auto& u = s.users_[static_cast<std::size_t>(c.user)];
  std::string_view name = str_or(c.body, "name");
  k.name = name.empty() ? "API key " + std::to_string(u.keys.size() + 1) : std::string(name);
  k.created_at = iso_utc(std::chrono::system_clock::now());
  k.all_scopes = true;
  k.scopes = all_scope_names();
  k.user = c.user;
  k.org = c.org;
  if (expires) {
    k.expires_s = *expires;
    k.expires_at = iso_utc(std::chrono::system_clock::time_point(std::chrono::seconds(*expires)));
  }
  const int idx = static_cast<int>(s.keys_.size());
  s.key_index_.emplace(k.key, idx);
  u.keys.push_back(idx);
  json::object r;
  r["api_key"] = k.key;
  r["key_id"] = k.key_id;
  r["name"] = k.name;
  r["created_at"] = k.created_at;
  r["expires_at"] = k.expires_at.empty() ? json::value(nullptr) : json::value(k.expires_at);
  s.keys_.push_back(std::move(k));
  ok(c, std::move(r), 201, false);
}

void handlers::mgmt_revoke_key(sim_state& s, ctx& c) {
  for (int ki : s.users_[static_cast<std::size_t>(c.user)].keys) {
    auto& k = s.keys_[static_cast<std::size_t>(ki)];
    if (k.key_id != c.path_param) continue;
    if (k.revoked) break;
    k.revoked = true;
    json::object r;
    r["key_id"] = k.key_id;
    r["revoked"] = true;
    return ok(c, std::move(r), 200, false);
  }
  error(s, c, 404, "not_found", "API key not found (unknown, revoked, or owned by another user).",
        "List your keys with GET /api/v1/api-keys.");
}

// ---------------------------------------------------------------- admin & exports

void sim_state::handle_export_download(const sim_request& rq, sim_response& rs) {
  rs.reset();
  rs.request_id = new_request_id();
  count_download(!rq.authorization.empty());
  // /__exports/<token>.csv?exp=<epoch s>&sig=<hmac>: the signature gates access, not a credential.
  std::string_view t = rq.target.substr(std::string_view("/__exports/").size());
  std::string_view query;
  if (auto q = t.find('?'); q != std::string_view::npos) {
    query = t.substr(q + 1);
    t = t.substr(0, q);
  }
  auto param = [&](std::string_view name) -> std::string_view {
    std::string_view rest = query;
    while (!rest.empty()) {
      auto amp = rest.find('&');
      auto kv = rest.substr(0, amp);
      if (kv.starts_with(name) && kv.size() > name.size() && kv[name.size()] == '=') return kv.substr(name.size() + 1);
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
    return {};
  };
  std::lock_guard lk(mtx_);
  auto token = t.ends_with(".csv") ? t.substr(0, t.size() - 4) : std::string_view{};
  auto it = token.empty() ? exports_.end() : exports_.find(token);
  const std::string exp(param("exp"));
  const bool signed_ok = it != exports_.end() && exp == std::to_string(it->second.expires_epoch_s) &&
                         param("sig") == hmac_sha256_hex(hmac_key_, std::string(token) + exp).substr(0, 32);
  if (!signed_ok || epoch_ms() / 1000 > it->second.expires_epoch_s) {
    rs.status = signed_ok || it == exports_.end() ? 404 : 403;
    rs.body = rs.status == 404 ? R"({"detail":"Not Found"})" : R"({"detail":"Signature mismatch"})";
    return;
  }
  switch (params_.export_download) {
  case export_fault::status_500:
    rs.status = 500;
    rs.body = R"({"detail":"Internal Server Error"})";
    return;
  case export_fault::garbage:
    rs.status = 200;
    rs.content_type = "text/csv; charset=utf-8";
    rs.body = it->second.csv.substr(0, it->second.csv.size() / 2) + "\"torn";
    return;
  case export_fault::oversized:
    rs.status = 200;
    rs.content_type = "text/csv; charset=utf-8";
    rs.body = it->second.csv;
    rs.body.append(3 * it->second.csv.size() + 1024 * 1024, 'x');
    return;
  case export_fault::stall:
    rs.stall = true;
    return;
  case export_fault::none: break;
  }
  rs.status = 200;
  rs.content_type = "text/csv; charset=utf-8";
  rs.body = it->second.csv;
}

void sim_state::handle_admin(const sim_request& rq, sim_response& rs) {
  rs.reset();
  rs.request_id = new_request_id();
  std::string_view path = rq.target, query;
  if (auto q = path.find('?'); q != std::string_view::npos) { query = path.substr(q + 1); path = path.substr(0, q); }
  auto bad = [&](int st, std::string_view d) {
    rs.status = st;
    rs.body = json::serialize(json::object{{"detail", d}});
  };
  if (!params_.admin_endpoint) return bad(404, "Not Found");
  json::value body;
  if (!rq.body.empty()) {
    boost::system::error_code ec;
    body = json::parse(rq.body, ec);
    if (ec) return bad(400, "invalid JSON");
  }
  if (path == "/__admin/stats" && rq.method == "GET") {
    auto st = stats();
    rs.body = json::serialize(json::object{{"requests", st.requests}, {"served_above_limit", st.served_above_limit},
                                           {"rate_limited_429", st.rate_limited_429}, {"faults_injected", st.faults_injected},
                                           {"accepted_enrich_posts", st.accepted_enrich_posts},
                                           {"export_downloads", st.export_downloads},
                                           {"export_downloads_with_authorization", st.export_downloads_with_authorization},
                                           {"tls_full_handshakes", st.tls_full_handshakes},
                                           {"tls_resumed_handshakes", st.tls_resumed_handshakes}});
    return;
  }
  if (path == "/__admin/ledger" && rq.method == "GET") { rs.body = json::serialize(ledger_json()); return; }
  if (path == "/__admin/enrich-posts" && rq.method == "GET") {
    std::string identity;
    std::string_view q = query;
    if (q.starts_with("identity=")) identity = std::string(q.substr(9));
    // minimal decoding of %40 and +
    std::string dec;
    auto hexv = [](char ch) { return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1; };
    for (std::size_t i = 0; i < identity.size(); ++i) {
      if (identity[i] == '%' && i + 2 < identity.size() && hexv(identity[i + 1]) >= 0 && hexv(identity[i + 2]) >= 0) {
        dec += static_cast<char>(hexv(identity[i + 1]) * 16 + hexv(identity[i + 2]));
        i += 2;
      }
      else if (identity[i] == '+') dec += ' ';
      else dec += identity[i];
    }
    rs.body = json::serialize(json::object{{"identity", dec}, {"count", enrich_posts_for(dec)}});
    return;
  }
  if (path == "/__admin/faults" && rq.method == "POST") {
    if (!body.is_object()) return bad(400, "expected an object");
    fault_params f;
    auto d = [&](std::string_view k, double& out) {
      if (auto* p = field(body, k); p && p->is_number()) out = p->to_number<double>();
    };
    d("p_429", f.p_429); d("p_500", f.p_500); d("p_502", f.p_502); d("p_503", f.p_503); d("p_504", f.p_504);
    d("p_reset_before", f.p_reset_before); d("p_reset_after", f.p_reset_after); d("p_truncate", f.p_truncate);
    d("p_malformed", f.p_malformed); d("p_stall", f.p_stall); d("p_latency", f.p_latency);
    f.latency = std::chrono::milliseconds(int_or(body, "latency_ms", 0));
    f.only_path = str_or(body, "only_path");
    set_faults(std::move(f));
    rs.body = R"({"ok":true})";
    return;
  }
  if (path == "/__admin/cohort" && rq.method == "POST") {
    std::string org(str_or(body, "org_id", default_org_id()));
    auto id = create_cohort(org, str_or(body, "kind", "person"), static_cast<int>(int_or(body, "n", 10)));
    if (id.empty()) return bad(404, "unknown org");
    rs.body = json::serialize(json::object{{"task_id", id}});
    return;
  }
  if (path == "/__admin/cancel" && rq.method == "POST") {
    std::string id(str_or(body, "workflow_id"));
    if (id.empty()) return bad(400, "workflow_id is required");
    if (cancel_workflow(id)) {
      rs.body = json::serialize(json::object{{"workflow_id", id}, {"cancelled", true}});
      return;
    }
    std::lock_guard lk(mtx_);
    if (workflows_.find(id) == workflows_.end()) return bad(404, "unknown workflow");
    return bad(409, "workflow already terminal");
  }
  if (path == "/__admin/credits" && rq.method == "POST") {
    std::string org(str_or(body, "org_id", default_org_id()));
    set_credits(org, int_or(body, "credits", 0));
    rs.body = json::serialize(json::object{{"org_id", org}, {"credits", credits(org)}});
    return;
  }
  bad(404, "Not Found");
}

} // namespace cleanlist::testing::detail
