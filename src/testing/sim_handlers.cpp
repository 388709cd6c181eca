// The simulator's operation handlers (called with sim_state::mtx_ held).
#include "testing/sim_internal.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace cleanlist::testing::detail {

namespace {

using ctx = sim_state::ctx;

std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& ch : r) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return r;
}

std::string hex16(std::uint64_t v) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i) { s[static_cast<std::size_t>(i)] = hex[v & 15]; v >>= 4; }
  return s;
}

lead_rec stub_lead(std::string id) {
  lead_rec l;
  l.id = std::move(id);
  return l;
}

json::value str_or_null(std::string_view s) { return s.empty() ? json::value(nullptr) : json::value(s); }
json::value opt_or_null(const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); }

const std::string* query_param(const ctx& c, std::string_view name) {
  for (auto& [k, v] : c.query)
    if (k == name) return &v;
  return nullptr;
}

// Integer query parameter with FastAPI-style 422 errors.
std::int64_t query_int(const ctx& c, verrs& e, std::string_view name, std::int64_t def, std::int64_t lo, std::int64_t hi) {
  const std::string* v = query_param(c, name);
  if (!v) return def;
  std::int64_t r = 0;
  bool okv = !v->empty() && v->size() < 18;
  std::size_t i = 0;
  bool neg = okv && (*v)[0] == '-';
  if (neg) i = 1;
  if (i >= v->size()) okv = false;
  for (; okv && i < v->size(); ++i) {
    if ((*v)[i] < '0' || (*v)[i] > '9') okv = false;
    else r = r * 10 + ((*v)[i] - '0');
  }
  json::array loc;
  loc.emplace_back("query");
  loc.emplace_back(name);
  if (!okv) {
    e.add(std::move(loc), "int_parsing", "Input should be a valid integer, unable to parse string as an integer", json::string(*v));
    return def;
  }
  if (neg) r = -r;
  if (r < lo) e.add(std::move(loc), "greater_than_equal", "Input should be greater than or equal to " + std::to_string(lo), json::string(*v));
  else if (r > hi) e.add(std::move(loc), "less_than_equal", "Input should be less than or equal to " + std::to_string(hi), json::string(*v));
  return r;
}

json::object lead_row(const lead_rec& l) {
  json::object o;
  o["lead_id"] = l.id;
  auto put = [&](std::string_view k, const std::string& v) { if (!v.empty()) o[k] = v; };
  put("first_name", l.first_name);
  put("last_name", l.last_name);
  put("full_name", l.full_name);
  put("email", l.email);
  put("phone", l.phone);
  put("title", l.title);
  put("company", l.company);
  put("location", l.location);
  put("linkedin_url", l.linkedin_url);
  put("provider", l.provider);
  return o;
}

std::string lead_field(const lead_rec& l, std::string_view col) {
  if (col == "lead_id") return l.id;
  if (col == "first_name") return l.first_name;
  if (col == "last_name") return l.last_name;
  if (col == "full_name") return l.full_name;
  if (col == "email") return l.email;
  if (col == "email_status") return l.email_status;
  if (col == "phone") return l.phone;
  if (col == "title" || col == "job_title") return l.title;
  if (col == "company" || col == "company_name") return l.company;
  if (col == "company_domain" || col == "domain") return l.domain;
  if (col == "location") return l.location;
  if (col == "linkedin_url") return l.linkedin_url;
  if (col == "provider") return l.provider;
  return {};
}

const std::vector<std::string>& default_columns() {
  // ExportCsvRequest.columns: "When omitted, the default set is used: lead_id, first_name,
  // last_name, email, title, company, domain, linkedin_url, phone, location."
  static const std::vector<std::string> c{"lead_id", "first_name", "last_name", "email", "title",
                                          "company", "domain", "linkedin_url", "phone", "location"};
  return c;
}

std::string found_email(const lead_rec& in) {
  if (!in.email.empty()) return lower(in.email);
  std::string domain = in.domain.empty() ? (in.company.empty() ? "example.com" : lower(in.company) + ".com") : lower(in.domain);
  domain.erase(std::remove(domain.begin(), domain.end(), ' '), domain.end());
  if (in.first_name.empty() && in.last_name.empty()) return "contact@" + domain;
  return lower(in.first_name) + "." + lower(in.last_name) + "@" + domain;
}

std::string found_phone(std::uint64_t seed, std::string_view identity) {
  auto h = hash_str(seed ^ 0x9001, identity);
  std::string digits = std::to_string(1000 + h % 9000);
  return "+1415555" + digits;
}

bool is_person_type(std::string_view t) { return t == "partial" || t == "phone_only" || t == "full"; }

std::string dp_type(const std::vector<std::string>& dps) {
  bool email = std::find(dps.begin(), dps.end(), "Email") != dps.end();
  bool phone = std::find(dps.begin(), dps.end(), "Phone") != dps.end();
  if (email && phone) return "full";
  if (phone) return "phone_only";
  return "partial";
}

std::vector<std::string> str_array(const json::value& body, std::string_view k) {
  std::vector<std::string> r;
  if (auto* p = field(body, k); p && p->is_array())
    for (auto& x : p->as_array())
      if (x.is_string()) r.emplace_back(x.as_string());
  return r;
}

std::int64_t agent_unit(std::string_view agent) { return agent == "cold_intro_email" ? 3 : 1; }

json::object company_record(std::uint64_t seed, std::string_view key, std::string_view name_in, std::string_view domain_in) {
  auto h = hash_str(seed ^ 0xc0, key);
  static const char* inds[] = {"Computer Software", "Financial Services", "Marketing & Advertising", "Hospital & Health Care", "Retail"};
  static const char* stages[] = {"Seed", "Series A", "Series B", "Series C", "Public"};
  std::string domain = domain_in.empty() ? lower(name_in) + ".com" : lower(domain_in);
  domain.erase(std::remove(domain.begin(), domain.end(), ' '), domain.end());
  std::string name(name_in);
  if (name.empty()) {
    name = domain.substr(0, domain.find('.'));
    if (!name.empty()) name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
  }
  json::object c;
  c["company_id"] = "company_" + hex16(h).substr(0, 8);
  c["name"] = name;
  c["domain"] = domain;
  const char* ind = inds[h % 5];
  c["industry"] = ind;
  json::array is;
  is.emplace_back(ind);
  is.emplace_back("SaaS");
  c["industries"] = std::move(is);
  std::int64_t emp = static_cast<std::int64_t>(10 + (h >> 8) % 5000);
  c["employee_count"] = emp;
  c["employee_count_range"] = emp <= 50 ? "11-50" : emp <= 200 ? "51-200" : emp <= 500 ? "201-500" : emp <= 1000 ? "501-1000" : "1001-5000";
  c["revenue_range"] = emp <= 200 ? "$1M-$10M" : "$25M-$50M";
  c["hq_location"] = "San Francisco, CA, US";
  c["funding_stage"] = stages[(h >> 20) % 5];
  c["total_funding_usd"] = static_cast<std::int64_t>(((h >> 24) % 100) * 1000000);
  json::array ts;
  ts.emplace_back("React");
  ts.emplace_back("Python");
  ts.emplace_back("AWS");
  c["tech_stack"] = std::move(ts);
  c["linkedin_url"] = "https://www.linkedin.com/company/" + lower(name);
  return c;
}

// Minimal RFC 4180 CSV parser (quotes, "" escapes, CRLF/LF).
std::vector<std::vector<std::string>> parse_csv(std::string_view s) {
  std::vector<std::vector<std::string>> rows;
  if (s.starts_with("\xEF\xBB\xBF")) s.remove_prefix(3);
  std::vector<std::string> row;
  std::string cell;
  bool inq = false, any = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    if (inq) {
      if (ch == '"') {
        if (i + 1 < s.size() && s[i + 1] == '"') { cell += '"'; ++i; }
        else inq = false;
      } else cell += ch;
      continue;
    }
    if (ch == '"') { inq = true; any = true; }
    else if (ch == ',') { row.push_back(std::move(cell)); cell.clear(); any = true; }
    else if (ch == '\n' || ch == '\r') {
      if (ch == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      if (any || !cell.empty()) { row.push_back(std::move(cell)); rows.push_back(std::move(row)); }
      row.clear(); cell.clear(); any = false;
    } else { cell += ch; any = true; }
  }
  if (any || !cell.empty()) { row.push_back(std::move(cell)); rows.push_back(std::move(row)); }
  for (auto& r : rows)
    for (auto& x : r) {
      while (!x.empty() && (x.back() == ' ' || x.back() == '\t')) x.pop_back();
      std::size_t b = 0;
      while (b < x.size() && (x[b] == ' ' || x[b] == '\t')) ++b;
      x.erase(0, b);
    }
  return rows;
}

std::string csv_escape(const std::string& v) {
  if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
  std::string r = "\"";
  for (char ch : v) { if (ch == '"') r += '"'; r += ch; }
  r += '"';
  return r;
}

constexpr std::size_t csv_max_raw = 150000; // "150 KB", the safe (decimal) reading
constexpr std::size_t csv_max_rows = 1000;
constexpr std::size_t lists_cap = 1000;
constexpr std::int64_t approval_threshold = 500;
const auto idem_ttl = std::chrono::hours(24);

} // namespace

// ---------------------------------------------------------------- response helpers

void handlers::error(sim_state& s, ctx& c, int status, std::string_view code, std::string problem,
                     std::string_view fix, json::object extra, bool retryable) {
  (void)s;
  c.rs.status = status;
  if (c.legacy) return legacy_error(c, status, problem);
  json::object e;
  e.reserve(10 + extra.size());
  e["code"] = code;
  e["problem"] = std::move(problem);
  e["cause"] = nullptr;
  e["fix"] = str_or_null(fix);
  e["retryable"] = retryable;
  if (auto* ra = extra.if_contains("retry_after_ms")) e["retry_after_ms"] = *ra;
  else e["retry_after_ms"] = nullptr;
  std::string docs = "https://docs.cleanlist.ai/errors/";
  for (char ch : code) docs += ch == '_' ? '-' : ch;
  e["docs_url"] = std::move(docs);
  e["request_id"] = c.rs.request_id;
  for (auto& kv : extra)
    if (kv.key() != "retry_after_ms") e[kv.key()] = kv.value();
  json::object o;
  o["error"] = std::move(e);
  c.rs.body = json::serialize(o);
}

void handlers::legacy_error(ctx& c, int status, std::string_view detail) {
  c.rs.status = status;
  json::object o;
  o["detail"] = detail;
  c.rs.body = json::serialize(o);
}

void handlers::ok(ctx& c, json::object&& o, int status, bool envelope) {
  c.rs.status = status;
  if (envelope && !o.contains("timestamp_ms")) o["timestamp_ms"] = epoch_ms();
  c.rs.body = json::serialize(o);
}

bool handlers::parse_body(sim_state&, ctx& c) {
  std::string_view b = c.rq.body;
  std::size_t i = 0;
  while (i < b.size() && std::isspace(static_cast<unsigned char>(b[i]))) ++i;
  if (i == b.size()) { c.body = nullptr; return true; }
  boost::system::error_code ec;
  json::parse_options opt;
  opt.max_depth = 32;
  c.body = json::parse(b, ec, {}, opt);
  if (ec) {
    verrs e;
    json::array loc;
    loc.emplace_back("body");
    loc.emplace_back(0);
    json::object input;
    e.add(std::move(loc), "json_invalid", "JSON decode error", std::move(input));
    e.a.back().as_object()["ctx"] = json::object{{"error", ec.message()}};
    write_422(c.rs, e);
    return false;
  }
  return true;
}


// ---------------------------------------------------------------- private-state helpers

list_rec* handlers::access_list(sim_state& s, ctx& c, std::string_view id, bool owner_only) {
  auto it = s.lists_.find(id);
  if (it == s.lists_.end()) return nullptr;
  list_rec& l = it->second;
  if (l.deleted || l.org != c.org) return nullptr;
  if ((owner_only || l.visibility == "private") && l.owner != c.user) return nullptr;
  return &l;
}

list_rec& handlers::user_list(sim_state& s, ctx& c, bool default_list) {
  user_rec& u = s.users_[static_cast<std::size_t>(c.user)];
  std::string& id = default_list ? u.default_list : u.mcp_list;
  if (!id.empty()) {
    auto it = s.lists_.find(id);
    if (it != s.lists_.end() && !it->second.deleted) return it->second;
  }
  list_rec l;
  l.id = s.new_uuid();
  l.name = default_list ? "DEFAULT" : "MCP Results";
  l.created_at = iso_utc(std::chrono::system_clock::now());
  l.org = c.org;
  l.owner = c.user;
  l.is_protected = default_list;
  l.hidden = !default_list;
  l.origin = default_list ? "public_api" : "mcp";
  id = l.id;
  s.list_order_.push_back(l.id);
  return s.lists_.emplace(l.id, std::move(l)).first->second;
}

handlers::quote_check handlers::check_quote(sim_state& s, ctx& c, std::string_view qid,
                                            std::initializer_list<std::string_view> tools,
                                            std::string_view target, std::string_view variant) {
  quote_check r;
  auto mismatch = [&](std::string why) {
    r.failed = true;
    error(s, c, 400, "quote_mismatch", std::move(why),
          "Request a new quote with POST /credits/estimate for exactly this request.");
    return r;
  };
  auto it = s.quotes_.find(qid);
  if (it == s.quotes_.end()) return mismatch("The quote_id was not issued by this server or its signature does not verify.");
  quote_rec& q = it->second;
  // signature: qte_v1_<issued_s>_<sig>
  auto us = q.id.rfind('_');
  if (us == std::string::npos || hmac_sha256_hex(s.hmac_key_, q.canonical).substr(0, 32) != q.id.substr(us + 1))
    return mismatch("The quote signature does not verify.");
  if (q.org != c.org) return mismatch("The quote was issued to another organization.");
  if (std::find(tools.begin(), tools.end(), q.tool) == tools.end())
    return mismatch("The quote was issued for tool '" + q.tool + "', not for this operation.");
  if (q.target != target) return mismatch("The quote was issued for another list or cohort.");
  if (q.variant != variant)
    return mismatch("The quote was issued for scope '" + q.variant + "', this request uses '" + std::string(variant) + "'.");
  if (q.used) {
    r.failed = true;
    error(s, c, 409, "quote_already_used", "This quote has already been redeemed (quotes are single-use).",
          "Request a new quote with POST /credits/estimate.");
    return r;
  }
  if (c.now - q.issued > s.params_.quote_ttl) {
    r.failed = true;
    error(s, c, 400, "quote_expired", "The quote has expired.",
          "Request a new quote with POST /credits/estimate and use it within its TTL.");
    return r;
  }
  r.q = &q;
  return r;
}

bool handlers::check_credits(sim_state& s, ctx& c, std::int64_t cost) {
  org_rec& o = s.orgs_[static_cast<std::size_t>(c.org)];
  if (o.credits >= cost) return true;
  if (c.legacy) {
    legacy_error(c, 402, "Insufficient credits");
    return false;
  }
  json::object extra;
  extra["estimated_cost_credits"] = cost;
  extra["available_credits"] = o.credits;
  extra["shortfall_credits"] = cost - o.credits;
  error(s, c, 400, "insufficient_credits",
        "This call requires " + std::to_string(cost) + " credits; organization has " + std::to_string(o.credits) + ".",
        "Top up at app.cleanlist.ai/billing, or reduce the scope of the call.", std::move(extra));
  return false;
}

std::string handlers::bind_cohort(sim_state& s, ctx& c, const std::string& workflow_id) {
  cohort_rec ch;
  ch.id = s.new_id("cl-task_");
  ch.kind = "person";
  ch.org = c.org;
  ch.workflow_id = workflow_id;
  std::string id = ch.id;
  s.cohorts_.emplace(id, std::move(ch));
  return id;
}

workflow_rec& handlers::new_workflow(sim_state& s, ctx& c, wf_kind kind, std::string id, std::string type,
                                     std::string list_id, std::vector<wf_lead> leads, std::int64_t reserved) {
  workflow_rec w;
  w.id = std::move(id);
  w.kind = kind;
  w.type = std::move(type);
  w.list_id = std::move(list_id);
  w.org = c.org;
  w.user = c.user;
  w.start = c.now;
  w.leads = std::move(leads);
  w.reserved = reserved;
  w.failed_whole = kind == wf_kind::person && !w.leads.empty() && w.leads[0].out.workflow_fails;
  w.ok_prefix.resize(w.leads.size() + 1);
  w.ok_prefix[0] = 0;
  for (std::size_t i = 0; i < w.leads.size(); ++i) {
    w.ok_prefix[i + 1] = w.ok_prefix[i] + (lead_ok(w.type, w.leads[i].out) ? 1u : 0u);
    w.errored += w.leads[i].out.workflow_fails ? 1 : 0;
  }
  plan_cancel(w, s.params_.seed, s.params_.p_cancel, s.params_.pending_for, s.params_.running_for);
  s.ledger(s.orgs_[static_cast<std::size_t>(c.org)], "reserve", -reserved, w.id);
  if (kind != wf_kind::legacy) w.task_id = bind_cohort(s, c, w.id);
  s.unsettled_.push_back(w.id);
  std::string key = w.id;
  return s.workflows_.emplace(std::move(key), std::move(w)).first->second;
}

json::object handlers::list_detail(const list_rec& l, bool reused) {
  json::object o;
  o.reserve(10);
  o["list_id"] = l.id;
  o["name"] = l.name;
  o["description"] = opt_or_null(l.description);
  o["lead_count"] = static_cast<std::int64_t>(l.leads.size());
  o["enriched_count"] = l.enriched_count;
  o["folder_id"] = opt_or_null(l.folder_id);
  o["created_at"] = l.created_at;
  o["reused"] = reused;
  return o;
}

const lead_rec* handlers::lead(sim_state& s, const std::string& id) {
  auto it = s.leads_.find(id);
  return it == s.leads_.end() ? nullptr : &it->second;
}

// ---------------------------------------------------------------- workflow progress & settlement

namespace {
struct wf_view {
  const char* status;
  std::int64_t total, processed, completed, failed;
  bool terminal;
};

wf_view view_of(const workflow_rec& w, sim_clock::time_point now, std::chrono::milliseconds pending,
                std::chrono::milliseconds running) {
  auto e = now - w.start;
  wf_view v{};
  v.total = static_cast<std::int64_t>(w.leads.size());
  if (w.cancel_at && now >= *w.cancel_at) {
    v.status = "cancelled";
    v.terminal = true;
    v.processed = std::min(v.total, w.cancel_processed);
  } else if (e < pending) {
    v.status = "pending";
  } else if (e < pending + running) {
    v.status = "running";
    if (w.kind != wf_kind::person && running.count() > 0) {
      auto in = std::chrono::duration_cast<std::chrono::microseconds>(e - pending).count();
      auto all = std::chrono::duration_cast<std::chrono::microseconds>(running).count();
      v.processed = std::min<std::int64_t>(v.total, static_cast<std::int64_t>((static_cast<__int128>(v.total) * in) / all));
    }
  } else {
    v.terminal = true;
    v.processed = v.total;
    v.status = final_status(w);
  }
  if (w.failed_whole) {
    v.completed = 0;
  } else {
    v.completed = w.ok_prefix[static_cast<std::size_t>(v.processed)];
  }
  v.failed = v.processed - v.completed;
  return v;
}
} // namespace

const char* final_status(const workflow_rec& w) {
  if (w.kind == wf_kind::person) return w.failed_whole ? "failed" : "completed";
  if (!w.leads.empty() && w.errored == static_cast<std::int64_t>(w.leads.size())) return "failed";
  return w.errored > 0 ? "completed_with_errors" : "completed";
}

void plan_cancel(workflow_rec& w, std::uint64_t seed, double p_cancel, std::chrono::milliseconds pending,
                 std::chrono::milliseconds running) {
  const auto total = static_cast<std::int64_t>(w.leads.size());
  std::int64_t k = -1;
  for (std::int64_t i = 0; i < total; ++i)
    if (w.leads[static_cast<std::size_t>(i)].out.cancels) { k = i; break; }
  if (k < 0 && p_cancel > 0) {
    std::uint64_t h = hash_str(seed ^ 0xca9ce1ULL, w.id);
    double r = static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
    if (r >= p_cancel) return;
    k = total > 0 ? static_cast<std::int64_t>(splitmix64(h) % static_cast<std::uint64_t>(total)) : 0;
  }
  if (k < 0) return;
  if (w.kind == wf_kind::person) k = 0; // cancelled at the end of its pending phase
  const auto all = std::chrono::duration_cast<std::chrono::microseconds>(running).count();
  const auto at_us = total > 0 ? (all * k + total - 1) / total : 0; // processed(t) < k before it
  w.cancel_processed = k;
  w.cancel_at = w.start + pending + std::chrono::microseconds(at_us);
}

sim_clock::time_point sim_state::end_of(const workflow_rec& w) const {
  auto end = w.start + params_.pending_for + params_.running_for;
  return w.cancel_at && *w.cancel_at < end ? *w.cancel_at : end;
}

bool sim_state::cancel_workflow(std::string_view workflow_id) {
  std::lock_guard lk(mtx_);
  auto it = workflows_.find(workflow_id);
  if (it == workflows_.end()) return false;
  auto& w = it->second;
  auto now = sim_clock::now();
  if (w.settled || now >= end_of(w)) {
    settle_if_due(w, now);
    return false;
  }
  auto v = view_of(w, now, params_.pending_for, params_.running_for);
  w.cancel_processed = v.processed;
  w.cancel_at = now;
  settle_if_due(w, now);
  return true;
}

void sim_state::settle_if_due(workflow_rec& w, sim_clock::time_point now) {
  if (w.settled) return;
  if (now < end_of(w)) return;
  const bool cancelled = w.cancel_at && *w.cancel_at <= now;
  const std::size_t n = cancelled ? static_cast<std::size_t>(std::min<std::int64_t>(w.cancel_processed, static_cast<std::int64_t>(w.leads.size())))
                                  : w.leads.size();
  std::int64_t charged = 0;
  if (!w.failed_whole)
    for (std::size_t i = 0; i < n; ++i) charged += lead_charge(w.type, w.leads[i].out);
  if (charged > w.reserved) charged = w.reserved; // capped at the reservation (= quote cap)
  w.charged = charged;
  w.refunded = w.reserved - charged;
  org_rec& o = orgs_[static_cast<std::size_t>(w.org)];
  ledger(o, "refund", w.refunded, w.id);
  w.settled = true;
  w.completed_at = iso_utc(std::chrono::system_clock::now());
  // materialise results
  auto lit = lists_.find(w.list_id);
  list_rec* list = (lit != lists_.end() && !lit->second.deleted) ? &lit->second : nullptr;
  if (w.failed_whole) return;
  for (std::size_t i = 0; i < n; ++i) {
    auto& wl = w.leads[i];
    if (!lead_ok(w.type, wl.out)) continue;
    bool want_email = w.type != "phone_only" && w.type != "phone-only" && w.type != "none";
    bool want_phone = w.type == "phone_only" || w.type == "phone-only" || w.type == "full";
    lead_rec* target = nullptr;
    if (!wl.lead_id.empty()) {
      auto it = leads_.find(wl.lead_id);
      if (it != leads_.end()) target = &it->second;
    }
    if (!target) {
      lead_rec l = wl.input;
      l.id = new_uuid();
      l.org = w.org;
      wl.lead_id = l.id;
      target = &leads_.emplace(l.id, std::move(l)).first->second;
      if (list && !list->lead_set.count(target->id)) {
        list->leads.push_back(target->id);
        list->lead_set.insert(target->id);
        ++list->version;
      }
    }
    if (want_email && wl.out.email_found) {
      target->email = found_email(wl.input);
      target->email_status = "valid";
    }
    if (want_phone && wl.out.phone_found) target->phone = found_phone(params_.seed, wl.identity);
    target->provider = "cleanlist-sim";
    if (w.kind == wf_kind::person) w.result_lead_id = target->id;
    if (list) ++list->enriched_count;
  }
}

void sim_state::settle_agent_if_due(agent_run_rec& r, sim_clock::time_point now) {
  if (r.settled || now - r.start < params_.pending_for + params_.running_for) return;
  std::int64_t ok = 0;
  for (bool f : r.fails) ok += f ? 0 : 1;
  r.charged = std::min(r.reserved, ok * agent_unit(r.agent_type));
  ledger(orgs_[static_cast<std::size_t>(r.org)], "refund", r.reserved - r.charged, r.id);
  r.settled = true;
}

// ---------------------------------------------------------------- workspace

void handlers::whoami(sim_state& s, ctx& c) {
  s.settle_all(c.now);
  const auto& u = s.users_[static_cast<std::size_t>(c.user)];
  const auto& o = s.orgs_[static_cast<std::size_t>(c.org)];
  json::object r;
  r.reserve(14);
  r["timestamp_ms"] = epoch_ms();
  r["agent_instructions"] = "You have " + std::to_string(o.credits) + " credits remaining.";
  std::string masked;
  if (auto at = u.email.find('@'); at != std::string::npos && at > 0) masked = u.email.substr(0, 1) + "***" + u.email.substr(at);
  r["user_email"] = masked.empty() ? json::value(nullptr) : json::value(masked);
  r["user_id"] = str_or_null(u.id);
  r["user_name"] = str_or_null(u.name);
  r["organization_id"] = o.id;
  r["organization_name"] = str_or_null(o.name);
  r["auth_type"] = c.jwt ? "clerk_jwt" : "api_key";
  json::array sc;
  for (auto& x : c.jwt ? all_scope_names() : s.keys_[static_cast<std::size_t>(c.key)].scopes) sc.emplace_back(x);
  r["scopes"] = std::move(sc);
  static const std::string_view tiers[] = {"free", "starter", "pro", "enterprise"};
  std::string_view tier = "free";
  for (auto t : tiers)
    if (o.tier == t) tier = t;
  if (o.tier == "scale") tier = "enterprise";
  r["tier"] = tier;
  r["appsumo_tier"] = nullptr;
  json::array f;
  for (auto& x : o.features) f.emplace_back(x);
  r["features"] = std::move(f);
  ok(c, std::move(r));
}

void handlers::balance(sim_state& s, ctx& c) {
  s.settle_all(c.now);
  const auto& o = s.orgs_[static_cast<std::size_t>(c.org)];
  json::object r;
  r["organization_id"] = o.id;
  r["credits"] = o.credits;
  r["timestamp_ms"] = epoch_ms();
  r["agent_instructions"] = "You have " + std::to_string(o.credits) + " credits remaining.";
  ok(c, std::move(r));
}

void handlers::estimate(sim_state& s, ctx& c) {
  if (!parse_body(s, c)) return;
  static const std::vector<fspec> spec{
      {.name = "tool", .type = ty::str, .required = true, .nullable = false},
      {.name = "list_id"}, {.name = "filters", .type = ty::object}, {.name = "row_count", .type = ty::integer},
      {.name = "scope"}, {.name = "agent_type"}, {.name = "include_phone", .type = ty::boolean, .nullable = false},
      {.name = "provider"}, {.name = "sub_action"}, {.name = "enrichment_type"}, {.name = "task_id"},
      {.name = "data_points", .type = ty::arr_str}, {.name = "entity_ids", .type = ty::arr_str},
      {.name = "extra", .type = ty::object}};
  verrs e;
  validate_body(c.body.is_null() ? nullptr : &c.body, spec, true, e);
  if (!e.empty()) return write_422(c.rs, e);
  const auto& b = c.body;
  std::string tool(str_or(b, "tool"));
  static const std::string_view tools[] = {"enrich_person", "enrich_company", "enrich_list", "enrich_by_task",
                                           "add_person_enrichments", "add_company_enrichments", "bulk_import_csv",
                                           "run_smart_agent", "sync_to_crm", "sync_to_sequencer"};
  if (std::find(std::begin(tools), std::end(tools), tool) == std::end(tools)) {
    json::object extra;
    json::array known;
    for (auto t : tools) known.emplace_back(t);
    extra["details"] = json::object{{"tool", tool}, {"known_tools", std::move(known)}};
    return error(s, c, 400, "validation_error", "Unknown tool '" + tool + "'.", "Use one of the tools of the cost table.", std::move(extra));
  }
  auto bad = [&](std::string msg) { return error(s, c, 400, "validation_error", std::move(msg), "Fix the request and retry."); };
  // extras
  if (auto* ex = field(b, "extra")) {
    static const std::string_view allowed[] = {"column_name", "max_rows", "lead_scope"};
    for (auto& kv : ex->as_object()) {
      bool okk = tool == "run_smart_agent" && std::find(std::begin(allowed), std::end(allowed), kv.key()) != std::end(allowed);
      if (!okk) return bad("extra key '" + std::string(kv.key()) + "' is not part of the canonical request of '" + tool + "'.");
    }
  }
  std::string target;
  std::int64_t rows = 1;
  const cohort_rec* cohort = nullptr;
  std::string_view list_id = str_or(b, "list_id"), task_id = str_or(b, "task_id");
  if (!list_id.empty()) {
    list_rec* l = access_list(s, c, list_id);
    if (!l) return error(s, c, 404, "not_found", "Lead list not found.", "Check the list_id.");
    // CSV imports are priced on the rows to import (the caller's row_count), bound to the list
    rows = tool == "bulk_import_csv" ? int_or(b, "row_count", 1) : static_cast<std::int64_t>(l->leads.size());
    if (rows < 0) return bad("row_count must be >= 0.");
    target = "list:" + std::string(list_id);
  } else if (!task_id.empty()) {
    auto it = s.cohorts_.find(task_id);
    if (it == s.cohorts_.end() || it->second.org != c.org || it->second.entity_ids.empty())
      return error(s, c, 404, "not_found", "Task (cohort) not found or expired.", "Re-run the search to get a fresh task_id.");
    cohort = &it->second;
    auto ents = str_array(b, "entity_ids");
    if (field(b, "entity_ids")) {
      for (auto& id : ents)
        if (std::find(cohort->entity_ids.begin(), cohort->entity_ids.end(), id) == cohort->entity_ids.end())
          return bad("entity_id '" + id + "' is not part of the cohort.");
      rows = static_cast<std::int64_t>(ents.size());
    } else {
      rows = static_cast<std::int64_t>(cohort->entity_ids.size());
    }
    target = "task:" + std::string(task_id);
  } else {
    rows = int_or(b, "row_count", 1);
    if (rows < 0) return bad("row_count must be >= 0.");
    if (auto* f = field(b, "filters")) target = "filters:" + hmac_sha256_hex("filters", json::serialize(*f)).substr(0, 16);
  }
  std::string variant;
  std::int64_t cost = 0;
  bool phone = bool_or(b, "include_phone", false);
  if (tool == "enrich_person" || tool == "bulk_import_csv") {
    variant = std::string(str_or(b, "enrichment_type", phone ? "phone_only" : "partial"));
    if (!is_person_type(variant)) return bad("enrichment_type must be partial, phone_only or full.");
    cost = rows * unit_cost(variant);
  } else if (tool == "enrich_list") {
    if (list_id.empty()) return bad("enrich_list is priced per list: list_id is required.");
    variant = std::string(str_or(b, "scope", phone ? "phone-only" : "partial"));
    if (variant != "partial" && variant != "full" && variant != "phone-only") return bad("scope must be partial, full or phone-only.");
    cost = rows * unit_cost(variant);
  } else if (tool == "enrich_by_task" || tool == "add_person_enrichments" || tool == "add_company_enrichments") {
    if (!cohort) return bad(tool + " is priced per cohort: task_id is required.");
    auto dps = str_array(b, "data_points");
    std::sort(dps.begin(), dps.end());
    for (auto& d : dps) variant += (variant.empty() ? "" : ",") + d;
    if (cohort->kind == "person") cost = rows * unit_cost(dp_type(dps));
    else cost = (rows + 9) / 10;
  } else if (tool == "enrich_company") {
    cost = rows;
  } else if (tool == "run_smart_agent") {
    if (list_id.empty()) return bad("run_smart_agent is priced per list: list_id is required.");
    variant = std::string(str_or(b, "agent_type", "custom_ai"));
    static const std::string_view agents[] = {"custom_ai", "cold_intro_email", "title_normalizer", "company_intel", "pain_point_hypothesis"};
    if (std::find(std::begin(agents), std::end(agents), variant) == std::end(agents)) return bad("Unknown agent_type '" + variant + "'.");
    if (auto* ex = field(b, "extra")) {
      auto mr = int_or(*ex, "max_rows", -1);
      if (mr > 0 && std::string_view(str_or(*ex, "lead_scope", "subset")) != "all") rows = std::min(rows, mr);
    }
    cost = rows * agent_unit(variant);
  } else { // sync tools
    variant = std::string(str_or(b, "provider")) + "/" + std::string(str_or(b, "sub_action"));
    cost = rows;
  }
  s.settle_all(c.now);
  const auto& o = s.orgs_[static_cast<std::size_t>(c.org)];
  quote_rec q;
  q.tool = tool;
  q.target = target;
  q.variant = variant;
  q.org = c.org;
  q.row_count = rows;
  q.cost = cost;
  q.issued = c.now;
  auto issued_s = epoch_ms() / 1000;
  q.canonical = o.id + "|" + tool + "|" + target + "|" + variant + "|" + std::to_string(rows) + "|" +
                std::to_string(cost) + "|" + std::to_string(issued_s) + "|" + std::to_string(++s.quote_nonce_);
  q.id = "qte_v1_" + std::to_string(issued_s) + "_" + hmac_sha256_hex(s.hmac_key_, q.canonical).substr(0, 32);
  json::object r;
  r["quote_id"] = q.id;
  r["expires_at"] = issued_s + std::chrono::duration_cast<std::chrono::seconds>(s.params_.quote_ttl).count();
  r["estimated_cost"] = cost;
  r["tool"] = tool;
  r["row_count"] = rows;
  r["filter_hash"] = target.empty() ? std::string("none") : hmac_sha256_hex("filter", target).substr(0, 16);
  r["available_credits"] = o.credits;
  r["sufficient"] = o.credits >= cost;
  std::string qid = q.id;
  s.quotes_.emplace(std::move(qid), std::move(q));
  ok(c, std::move(r), 200, false);
}

void handlers::api_keys(sim_state& s, ctx& c) {
  const auto& u = s.users_[static_cast<std::size_t>(c.user)];
  json::array keys;
  for (int ki : u.keys) keys.emplace_back(key_json(s, s.keys_[static_cast<std::size_t>(ki)]));
  json::object r;
  r["keys"] = std::move(keys);
  ok(c, std::move(r), 200, false);
}

void handlers::usage(sim_state& s, ctx& c) {
  verrs e;
  auto days = query_int(c, e, "days", 7, 1, 365);
  std::string group_by = "tool";
  if (auto* g = query_param(c, "group_by")) {
    group_by = *g;
    if (group_by != "tool" && group_by != "key" && group_by != "day" && group_by != "error") {
      json::array loc;
      loc.emplace_back("query");
      loc.emplace_back("group_by");
      e.add(std::move(loc), "enum", "Input should be 'tool', 'key', 'day' or 'error'", json::string(group_by));
    }
  }
  if (!e.empty()) return write_422(c.rs, e);
  const auto& o = s.orgs_[static_cast<std::size_t>(c.org)];
  json::array rows;
  auto add_row = [&](std::string g, const usage_counts& u) {
    if (!u.calls) return;
    json::object row;
    row["group"] = std::move(g);
    row["calls"] = u.calls;
    row["credits_spent"] = 0.0;
    row["errors"] = u.errors;
    rows.emplace_back(std::move(row));
  };
  if (group_by == "tool") {
    for (std::size_t i = 0; i < o.usage_route.size(); ++i)
      if (o.usage_route[i].calls) add_row(route_template(static_cast<int>(i)), o.usage_route[i]);
  } else if (group_by == "key") {
    for (auto& k : s.keys_)
      if (k.org == c.org) add_row(k.key_id, k.usage);
  } else if (group_by == "day") {
    for (auto& [d, u] : o.usage_day)
      add_row(iso_utc(std::chrono::system_clock::time_point(std::chrono::seconds(d * 86400))).substr(0, 10), u);
  } else {
    for (auto& [g, u] : o.usage_error) add_row(g, u);
  }
  json::object r;
  r["days"] = days;
  r["group_by"] = group_by;
  r["total_calls"] = o.usage_total;
  r["total_credits_spent"] = 0.0;
  r["total_errors"] = o.usage_errors;
  r["rows"] = std::move(rows);
  ok(c, std::move(r), 200, false);
}

// ---------------------------------------------------------------- lead lists

void handlers::lists_create(sim_state& s, ctx& c) {
  if (!parse_body(s, c)) return;
  static const std::vector<fspec> spec{{.name = "name", .type = ty::str, .required = true, .nullable = false, .lo = 1, .hi = 200},
                                       {.name = "description"}, {.name = "folder_id"}};
  verrs e;
  validate_body(c.body.is_null() ? nullptr : &c.body, spec, true, e);
  if (!e.empty()) return write_422(c.rs, e);
  std::string name(str_or(c.body, "name"));
  std::string lname = lower(name);
  std::size_t owned = 0;
  for (auto& id : s.list_order_) {
    auto& l = s.lists_.find(id)->second;
    if (l.deleted || l.owner != c.user || l.org != c.org) continue;
    ++owned;
    if (!l.hidden && lower(l.name) == lname) return ok(c, list_detail(l, true), 200);
  }
  if (owned >= lists_cap)
    return error(s, c, 403, "list_cap_reached", "The contact-list cap of your plan is reached.", "Delete unused lists.");
  list_rec l;
  l.id = s.new_uuid();
  l.name = name;
  if (auto* d = field(c.body, "description")) l.description = std::string(d->as_string());
  if (auto* f = field(c.body, "folder_id")) l.folder_id = std::string(f->as_string());
  l.created_at = iso_utc(std::chrono::system_clock::now());
  l.org = c.org;
  l.owner = c.user;
  l.origin = "public_api";
  s.list_order_.push_back(l.id);
  auto& ref = s.lists_.emplace(l.id, std::move(l)).first->second;
  ok(c, list_detail(ref, false), 201);
}

void handlers::lists_get(sim_state& s, ctx& c) {
  verrs e;
  auto limit = query_int(c, e, "limit", 50, 1, 100);
  if (!e.empty()) return write_422(c.rs, e);
  std::int64_t offset = 0;
  if (auto* cur = query_param(c, "cursor"); cur && !cur->empty()) {
    auto v = cursor_decode(*cur);
    if (!v) return error(s, c, 400, "validation_error", "Malformed cursor.", "Pass back the cursor of the previous page unchanged.");
    offset = *v;
  }
  const std::string* folder = query_param(c, "folder_id");
  std::vector<const list_rec*> all;
  for (auto& id : s.list_order_) {
    auto* l = access_list(s, c, id);
    if (!l || l->hidden) continue;
    if (folder && !folder->empty() && (!l->folder_id || *l->folder_id != *folder)) continue;
    all.push_back(l);
  }
  json::array lists;
  auto total = static_cast<std::int64_t>(all.size());
  for (std::int64_t i = offset; i < total && i < offset + limit; ++i) {
    const auto& l = *all[static_cast<std::size_t>(i)];
    json::object o;
    o["list_id"] = l.id;
    o["name"] = l.name;
    o["lead_count"] = static_cast<std::int64_t>(l.leads.size());
    o["folder_id"] = opt_or_null(l.folder_id);
    o["created_at"] = l.created_at;
    o["owner_name"] = str_or_null(s.users_[static_cast<std::size_t>(l.owner)].name);
    o["visibility"] = l.visibility;
    lists.emplace_back(std::move(o));
  }
  json::object r;
  r["lists"] = std::move(lists);
  r["total"] = total;
  r["cursor"] = offset + limit < total ? json::value(cursor_encode(offset + limit)) : json::value(nullptr);
  ok(c, std::move(r));
}

void handlers::list_get(sim_state& s, ctx& c) {
  auto* l = access_list(s, c, c.path_param);
  if (!l) return error(s, c, 404, "not_found", "Lead list not found.", "Check the list_id; lists of other users or organizations are not visible.");
  ok(c, list_detail(*l, false));
}

void handlers::list_patch(sim_state& s, ctx& c) {
  if (!parse_body(s, c)) return;
  static const std::vector<fspec> spec{{.name = "name", .type = ty::str, .lo = 1, .hi = 200}, {.name = "description"}, {.name = "folder_id"}};
  verrs e;
  validate_body(c.body.is_null() ? nullptr : &c.body, spec, true, e);
  if (e.empty() && c.body.as_object().empty()) {
    json::array loc;
    loc.emplace_back("body");
    e.add(std::move(loc), "value_error", "Value error, at least one of name, description or folder_id must be provided", json::object{});
  }
  if (!e.empty()) return write_422(c.rs, e);
  auto* l = access_list(s, c, c.path_param, true);
  if (!l) return error(s, c, 404, "not_found", "Lead list not found.", "Check the list_id; only the owner can edit a list.");
  if (l->is_protected) return error(s, c, 403, "list_protected", "This list is protected and cannot be edited.", "Edit another list.");
  const auto& o = c.body.as_object();
  if (auto* n = field(c.body, "name")) l->name = std::string(n->as_string());
  if (o.contains("description")) l->description = field(c.body, "description") ? std::optional<std::string>(std::string(o.at("description").as_string())) : std::nullopt;
  if (o.contains("folder_id")) l->folder_id = field(c.body, "folder_id") ? std::optional<std::string>(std::string(o.at("folder_id").as_string())) : std::nullopt;
  ++l->version;
  ok(c, list_detail(*l, false));
}

void handlers::list_delete(sim_state& s, ctx& c) {
  auto* l = access_list(s, c, c.path_param, true);
  if (!l) return error(s, c, 404, "not_found", "Lead list not found.", "Check the list_id; only the owner can delete a list.");
  if (l->is_protected) return error(s, c, 403, "list_protected", "This list is protected and cannot be deleted.", "Delete another list.");
  l->deleted = true;
  json::object r;
  r["list_id"] = l->id;
  r["deleted"] = true;
  r["message"] = "List deleted.";
  ok(c, std::move(r));
}

void handlers::leads_get(sim_state& s, ctx& c) {
  verrs e;
  auto limit = query_int(c, e, "limit", 100, 1, 500);
  if (!e.empty()) return write_422(c.rs, e);
  auto* l = access_list(s, c, c.path_param);
  if (!l) return error(s, c, 404, "not_found", "Lead list not found.", "Check the list_id.");
  std::int64_t offset = 0;
  if (auto* cur = query_param(c, "cursor"); cur && !cur->empty()) {
    auto v = cursor_decode(*cur);
    if (!v) return error(s, c, 400, "validation_error", "Malformed cursor.", "Pass back the cursor of the previous page unchanged.");
    offset = *v;
  }
  auto total = static_cast<std::int64_t>(l->leads.size());
  json::array rows;
  std::vector<std::string> page;
  for (std::int64_t i = offset; i < total && i < offset + limit; ++i) {
    const auto& id = l->leads[static_cast<std::size_t>(i)];
    page.push_back(id);
    if (auto* ld = lead(s, id)) rows.emplace_back(lead_row(*ld));
    else rows.emplace_back(json::object{{"lead_id", id}});
  }
  json::object r;
  if (!page.empty()) {
    std::string key = l->id + "|" + std::to_string(l->version) + "|" + std::to_string(offset) + "|" + std::to_string(limit);
    auto it = s.list_page_cohorts_.find(key);
    if (it == s.list_page_cohorts_.end()) {
      cohort_rec ch;
      ch.id = s.new_id("cl-task_");
      ch.kind = "person";
      ch.org = c.org;
      ch.from_list = true;
      ch.entity_ids = page;
      for (auto& id : page) {
        if (auto* ld = lead(s, id)) ch.people.push_back(*ld);
        else ch.people.push_back(stub_lead(id));
      }
      it = s.list_page_cohorts_.emplace(key, ch.id).first;
      std::string cid = ch.id;
      s.cohorts_.emplace(std::move(cid), std::move(ch));
    }
    r["task_id"] = it->second;
  }
  r["list_id"] = l->id;
  r["leads"] = std::move(rows);
  r["total"] = total;
  r["cursor"] = offset + limit < total ? json::value(cursor_encode(offset + limit)) : json::value(nullptr);
  ok(c, std::move(r));
}

void handlers::leads_add(sim_state& s, ctx& c) {
  if (!parse_body(s, c)) return;
  verrs e;
  bool by_ids = c.body.is_object() && c.body.as_object().contains("lead_ids");
  bool by_task = c.body.is_object() && c.body.as_object().contains("task_id");
  static const std::vector<fspec> spec_a{{.name = "lead_ids", .type = ty::arr_str, .required = true, .nullable = false, .lo = 1, .hi = 1000},
                                         {.name = "idempotency_key", .type = ty::str, .hi = 128}};
  static const std::vector<fspec> spec_b{{.name = "task_id", .type = ty::str, .required = true, .nullable = false},
                                         {.name = "entity_ids", .type = ty::arr_str, .hi = 2000},
                                         {.name = "idempotency_key", .type = ty::str, .hi = 128}};
  if (c.body.is_object() && by_ids == by_task) {
    json::array loc;
    loc.emplace_back("body");
    e.add(std::move(loc), "value_error",
          by_ids ? "Value error, provide exactly one of lead_ids (mode A) or task_id (mode B), not both"
                 : "Value error, provide exactly one of lead_ids (mode A) or task_id (mode B)",
          c.body);
  } else {
    validate_body(c.body.is_null() ? nullptr : &c.body, by_task ? spec_b : spec_a, true, e);
  }
  if (!e.empty()) return write_422(c.rs, e);
  auto* l = access_list(s, c, c.path_param);
  if (!l) return error(s, c, 404, "not_found", "Lead list not found.", "Check the list_id.");
  std::string idem(str_or(c.body, "idempotency_key"));
  std::string idem_key;
  if (!idem.empty()) {
    idem_key = "add|" + std::to_string(c.org) + "|" + l->id + "|" + idem;
    auto it = s.idem_.find(idem_key);
    if (it != s.idem_.end() && c.now - it->second.at < idem_ttl) {
      c.rs.status = it->second.status;
      c.rs.body = it->second.body;
      return;
    }
  }
  std::int64_t added = 0, dup = 0, created = 0;
  if (by_ids) {
    // Mode A adds already-materialised leads of the caller's organisation; any other id (unknown,
    // or another tenant's: indistinguishable) refuses the whole request, nothing is added.
    json::array unknown;
    std::int64_t n_unknown = 0;
    for (auto& id : str_array(c.body, "lead_ids")) {
      auto it = s.leads_.find(id);
      if (it != s.leads_.end() && it->second.org == c.org) continue;
      ++n_unknown;
      if (unknown.size() < 20) unknown.emplace_back(id);
    }
    if (n_unknown) {
      json::object details;
      details["unknown_lead_ids"] = std::move(unknown);
      details["unknown_count"] = n_unknown;
      return error(s, c, 404, "not_found",
                   std::to_string(n_unknown) + " of the lead_ids " + (n_unknown == 1 ? "is" : "are") + " not a lead of this workspace; nothing was added.",
                   "Pass lead_id values from GET /lead-lists/{list_id}/leads, or use mode B (task_id) for search results.",
                   json::object{{"details", std::move(details)}});
    }
  }
  auto add_one = [&](const std::string& lead_id) {
    if (l->lead_set.count(lead_id)) { ++dup; return; }
    l->leads.push_back(lead_id);
    l->lead_set.insert(lead_id);
    ++added;
  };
  if (by_ids) {
    for (auto& id : str_array(c.body, "lead_ids")) add_one(id);
  } else {
    auto it = s.cohorts_.find(str_or(c.body, "task_id"));
    if (it == s.cohorts_.end() || it->second.org != c.org || it->second.entity_ids.empty())
      return error(s, c, 404, "not_found", "Task (cohort) not found or expired.", "Re-run the search to get a fresh task_id.");
    auto& ch = it->second;
    if (ch.kind != "person")
      return error(s, c, 400, "validation_error", "The cohort holds companies; only person cohorts can be added to a lead list.", "Use a person cohort.");
    std::vector<std::string> ents = field(c.body, "entity_ids") ? str_array(c.body, "entity_ids") : ch.entity_ids;
    for (auto& id : ents)
      if (std::find(ch.entity_ids.begin(), ch.entity_ids.end(), id) == ch.entity_ids.end())
        return error(s, c, 400, "validation_error", "entity_id '" + id + "' is not part of the cohort.", "Pass a subset of the cohort's entity ids.");
    for (auto& id : ents) {
      std::size_t idx = static_cast<std::size_t>(std::find(ch.entity_ids.begin(), ch.entity_ids.end(), id) - ch.entity_ids.begin());
      std::string lead_id = id;
      if (!ch.from_list) {
        auto h = hash_str(s.params_.seed, ch.id + "/" + id);
        auto h2 = splitmix64(h);
        std::string hx = hex16(h) + hex16(h2);
        lead_id = hx.substr(0, 8) + "-" + hx.substr(8, 4) + "-4" + hx.substr(13, 3) + "-a" + hx.substr(17, 3) + "-" + hx.substr(20, 12);
      }
      if (!s.leads_.count(lead_id)) {
        lead_rec ld = idx < ch.people.size() ? ch.people[idx] : lead_rec{};
        ld.id = lead_id;
        ld.org = c.org;
        s.leads_.emplace(lead_id, std::move(ld));
        ++created;
      }
      add_one(lead_id);
    }
  }
  if (added) ++l->version;
  json::object r;
  r["list_id"] = l->id;
  r["added"] = added;
  r["skipped_duplicates"] = dup;
  r["created"] = by_ids ? json::value(nullptr) : json::value(created); // null for mode A (schema)
  r["credits_charged"] = 0;
  ok(c, std::move(r), 200, false);
  if (!idem_key.empty()) s.idem_[idem_key] = {c.now, c.rs.status, c.rs.body};
}

void handlers::leads_remove(sim_state& s, ctx& c) {
  if (!parse_body(s, c)) return;
  static const std::vector<fspec> spec{{.name = "lead_ids", .type = ty::arr_str, .required = true, .nullable = false, .lo = 1, .hi = 100}};
  verrs e;
  validate_body(c.body.is_null() ? nullptr : &c.body, spec, true, e);
  if (!e.empty()) return write_422(c.rs, e);
  auto* l = access_list(s, c, c.path_param);
  if (!l) return error(s, c, 404, "not_found", "Lead list not found.", "Check the list_id.");
  std::int64_t removed = 0;
  for (auto& id : str_array(c.body, "lead_ids")) {
    if (!l->lead_set.erase(id)) continue;
    l->leads.erase(std::find(l->leads.begin(), l->leads.end(), id));
    ++removed;
  }
  if (removed) ++l->version;
  json::object r;
  r["list_id"] = l->id;
  r["removed"] = removed;
  ok(c, std::move(r), 200, false);
}

void handlers::csv_import(sim_state& s, ctx& c) {
  if (!parse_body(s, c)) return;
  static const std::vector<fspec> spec{
      {.name = "csv_content_base64", .type = ty::str, .required = true, .nullable = false},
      // keys are open: canonical names, the reference's aliases (title, company, domain,
      // location, ...) and anything else (ignored once its header is checked)
      {.name = "column_mapping", .type = ty::map_str, .required = true, .nullable = false, .lo = 1},
      {.name = "dispatch_enrichment", .type = ty::boolean, .nullable = false},
      {.name = "enrichment_type", .type = ty::str, .enums = {"partial", "phone_only", "full"}},
      {.name = "quote_id"}, {.name = "idempotency_key"}};
  verrs e;
  validate_body(c.body.is_null() ? nullptr : &c.body, spec, true, e);
  if (!e.empty()) return write_422(c.rs, e);
  const auto& b = c.body;
  auto* l = access_list(s, c, c.path_param);
  if (!l) return error(s, c, 404, "not_found", "Lead list not found.", "Check the list_id.");
  bool dispatch = bool_or(b, "dispatch_enrichment", true);
  static const key_rec jwt_session{}; // a JWT carries all scopes
  const auto& k = c.jwt ? jwt_session : s.keys_[static_cast<std::size_t>(c.key)];
  if (dispatch && !k.all_scopes && std::find(k.scopes.begin(), k.scopes.end(), "enrich:write") == k.scopes.end()) {
    json::object details;
    details["required_scope"] = "enrich:write";
    json::array g;
    for (auto& sc : k.scopes) g.emplace_back(sc);
    details["granted_scopes"] = std::move(g);
    return error(s, c, 403, "insufficient_scope", "Dispatching enrichment requires the 'enrich:write' scope.",
                 "Use dispatch_enrichment=false or a key with enrich:write.", json::object{{"details", std::move(details)}});
  }
  std::string idem(str_or(b, "idempotency_key"));
  std::string idem_key = idem.empty() ? std::string() : "csv|" + std::to_string(c.org) + "|" + idem;
  if (!idem_key.empty()) {
    auto it = s.idem_.find(idem_key);
    if (it != s.idem_.end() && c.now - it->second.at < idem_ttl) {
      c.rs.status = it->second.status;
      c.rs.body = it->second.body;
      return;
    }
  }
  std::string_view b64 = str_or(b, "csv_content_base64");
  if (b64.size() / 4 * 3 > csv_max_raw + 3)
    return error(s, c, 413, "payload_too_large", "The CSV is larger than 150 KB.", "Split the file into chunks of at most 150 KB.");
  auto raw = base64_decode(b64);
  if (!raw) return error(s, c, 400, "validation_error", "csv_content_base64 is not valid base64.", "Base64-encode the CSV file.");
  if (raw->size() > csv_max_raw)
    return error(s, c, 413, "payload_too_large", "The CSV is larger than 150 KB.", "Split the file into chunks of at most 150 KB.");
  auto rows = parse_csv(*raw);
  if (rows.empty()) return error(s, c, 400, "validation_error", "The CSV has no header row.", "Include a header row.");
  const auto& header = rows[0];
  std::vector<std::pair<std::string, std::size_t>> cols; // canonical -> column index
  for (auto& kv : field(b, "column_mapping")->as_object()) {
    std::string_view h = kv.value().as_string();
    auto it = std::find(header.begin(), header.end(), h);
    if (it == header.end()) {
      json::object details;
      details["column"] = h;
      details["field"] = kv.key();
      return error(s, c, 400, "missing_column", "column_mapping names the header '" + std::string(h) + "', which is not in the CSV.",
                   "Map each field to a header of the CSV's first line.", json::object{{"details", std::move(details)}});
    }
    cols.emplace_back(std::string(kv.key()), static_cast<std::size_t>(it - header.begin()));
  }
  std::string type(str_or(b, "enrichment_type"));
  if (dispatch && type.empty())
    return error(s, c, 400, "validation_error", "enrichment_type is required when dispatch_enrichment is true.",
                 "Pass enrichment_type (partial, phone_only or full), or dispatch_enrichment=false.");
  std::int64_t parsed = 0, skipped = 0;
  std::map<std::string, std::int64_t> reasons;
  json::array sample;
  std::unordered_set<std::string> emails, linkedins;
  std::vector<lead_rec> imported;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    ++parsed;
    auto skip = [&](const char* why) {
      ++skipped;
      ++reasons[why];
      if (sample.size() < 10) sample.emplace_back(static_cast<std::int64_t>(r + 1));
    };
    if (imported.size() >= csv_max_rows) { skip("row_cap_exceeded"); continue; }
    lead_rec ld;
    std::string city, state, country;
    for (auto& [f, idx] : cols) {
      std::string v = idx < rows[r].size() ? rows[r][idx] : std::string();
      if (f == "first_name") ld.first_name = v;
      else if (f == "last_name") ld.last_name = v;
      else if (f == "full_name" || f == "name") ld.full_name = v;
      else if (f == "email") ld.email = v;
      else if (f == "phone" || f == "mobile_phone" || f == "work_phone") { if (ld.phone.empty()) ld.phone = v; }
      else if (f == "linkedin_url" || f == "linkedin") ld.linkedin_url = v;
      else if (f == "company_name" || f == "company") ld.company = v;
      else if (f == "company_domain" || f == "domain") ld.domain = v;
      else if (f == "job_title" || f == "title") ld.title = v;
      else if (f == "location") ld.location = v;
      else if (f == "city") city = v;
      else if (f == "state") state = v;
      else if (f == "country") country = v;
      // any other key: its header was checked, its values are ignored
    }
    if (ld.location.empty())
      for (auto* part : {&city, &state, &country})
        if (!part->empty()) ld.location += (ld.location.empty() ? "" : ", ") + *part;
    if (ld.full_name.empty() && (!ld.first_name.empty() || !ld.last_name.empty()))
      ld.full_name = ld.first_name + (ld.first_name.empty() || ld.last_name.empty() ? "" : " ") + ld.last_name;
    bool named = (!ld.first_name.empty() && !ld.last_name.empty()) || !ld.full_name.empty();
    bool has_company = !ld.company.empty() || !ld.domain.empty();
    if (ld.email.empty() && ld.linkedin_url.empty() && !(named && has_company)) { skip("missing_required"); continue; }
    if (!ld.email.empty() && !emails.insert(lower(ld.email)).second) { skip("duplicate_email"); continue; }
    if (!ld.linkedin_url.empty() && !linkedins.insert(ld.linkedin_url).second) { skip("duplicate_linkedin"); continue; }
    imported.push_back(std::move(ld));
  }
  quote_rec* q = nullptr;
  std::int64_t cost = 0;
  if (dispatch && !imported.empty()) {
    cost = static_cast<std::int64_t>(imported.size()) * unit_cost(type);
    if (auto* qid = field(b, "quote_id")) {
      auto qc = check_quote(s, c, qid->as_string(), {"bulk_import_csv"}, "list:" + l->id, type);
      if (qc.failed) return;
      q = qc.q;
      if (cost > q->cost) {
        json::object extra{{"estimated_cost_credits", cost}, {"quote_cap_credits", q->cost}};
        return error(s, c, 400, "spend_cap_exceeded", "The import costs " + std::to_string(cost) + " credits, above the quote's cap of " + std::to_string(q->cost) + ".",
                     "Request a new quote for the real row count.", std::move(extra));
      }
    }
    if (!check_credits(s, c, cost)) return;
  }
  std::vector<wf_lead> wl;
  for (auto& ld : imported) {
    ld.id = s.new_uuid();
    ld.org = c.org;
    wf_lead w;
    w.lead_id = ld.id;
    w.identity = person_identity(ld.email, ld.linkedin_url, ld.first_name, ld.last_name, ld.company.empty() ? ld.domain : ld.company);
    w.out = predict_outcome(s.params_.seed, w.identity);
    w.input = ld;
    wl.push_back(std::move(w));
    l->leads.push_back(ld.id);
    l->lead_set.insert(ld.id);
    s.leads_.emplace(ld.id, std::move(ld));
  }
  if (!imported.empty()) ++l->version;
  json::object r;
  r["list_id"] = l->id;
  r["rows_parsed"] = parsed;
  r["rows_imported"] = static_cast<std::int64_t>(imported.size());
  r["rows_skipped"] = skipped;
  json::object sr;
  for (auto& [k2, v] : reasons) sr[k2] = v;
  r["skip_reasons"] = std::move(sr);
  r["sample_skip_rows"] = std::move(sample);
  if (dispatch && !wl.empty()) {
    if (q) q->used = true;
    auto& w = new_workflow(s, c, wf_kind::csv, "bulk-enrich-" + s.new_uuid(), type, l->id, std::move(wl), cost);
    r["workflow_id"] = w.id;
    r["enrichment_status_url"] = std::string(c.prefix) + "/enrichment/status/" + w.id;
    r["task_id"] = w.task_id;
  } else {
    r["workflow_id"] = nullptr;
    r["enrichment_status_url"] = nullptr;
  }
  r["idempotency_replayed"] = false;
  ok(c, std::move(r), 201);
  if (!idem_key.empty()) {
    auto cached = json::parse(c.rs.body).as_object();
    cached["idempotency_replayed"] = true;
    s.idem_[idem_key] = {c.now, 201, json::serialize(cached)};
  }
}

// ---------------------------------------------------------------- enrichment

void handlers::enrich_person(sim_state& s, ctx& c) {
  if (!parse_body(s, c)) return;
  static const std::vector<fspec> spec{
      {.name = "lead_list_id"}, {.name = "email"}, {.name = "linkedin_url"}, {.name = "phone"}, {.name = "first_name"},
      {.name = "last_name"}, {.name = "company_name"}, {.name = "domain"}, {.name = "person_id"},
      {.name = "enrichment_type", .type = ty::str, .enums = {"partial", "phone_only", "full"}},
      {.name = "include_phone", .type = ty::boolean, .nullable = false}, {.name = "quote_id"}};
  verrs e;
  validate_body(c.body.is_null() ? nullptr : &c.body, spec, true, e);
  if (!e.empty()) return write_422(c.rs, e);
  const auto& b = c.body;
  lead_rec in;
  in.email = str_or(b, "email");
  in.linkedin_url = str_or(b, "linkedin_url");
  in.phone = str_or(b, "phone");
  in.first_name = str_or(b, "first_name");
  in.last_name = str_or(b, "last_name");
  in.company = str_or(b, "company_name");
  in.domain = str_or(b, "domain");
  std::string person_id(str_or(b, "person_id"));
  if (!in.first_name.empty() || !in.last_name.empty()) in.full_name = in.first_name + " " + in.last_name;
  bool ident = !in.email.empty() || !in.linkedin_url.empty() || !person_id.empty() ||
               (!in.first_name.empty() && !in.last_name.empty() && (!in.company.empty() || !in.domain.empty()));
  if (!ident)
    return error(s, c, 400, "validation_error", "No usable identifier: pass email, linkedin_url, person_id, or first_name + last_name + (company_name or domain).",
                 "Add an identifier to the request.");
  list_rec* l = nullptr;
  if (auto* lid = field(b, "lead_list_id")) {
    l = access_list(s, c, lid->as_string());
    if (!l) return error(s, c, 404, "not_found", "Lead list not found.", "Check lead_list_id, or omit it to use the 'MCP Results' list.");
  } else {
    l = &user_list(s, c, false);
  }
  std::string type(str_or(b, "enrichment_type", bool_or(b, "include_phone", false) ? "phone_only" : "partial"));
  std::int64_t cost = unit_cost(type);
  quote_rec* q = nullptr;
  if (auto* qid = field(b, "quote_id")) {
    auto qc = check_quote(s, c, qid->as_string(), {"enrich_person"}, "", type);
    if (qc.failed) return;
    q = qc.q;
    if (cost > q->cost) {
      json::object extra{{"estimated_cost_credits", cost}, {"quote_cap_credits", q->cost}};
      return error(s, c, 400, "spend_cap_exceeded", "This call costs " + std::to_string(cost) + " credits, above the quote's cap.",
                   "Request a new quote.", std::move(extra));
    }
  }
  if (!check_credits(s, c, cost)) return;
  if (q) q->used = true;
  wf_lead wl;
  wl.identity = person_identity(in.email, in.linkedin_url, in.first_name, in.last_name, in.company.empty() ? in.domain : in.company, person_id);
  wl.out = predict_outcome(s.params_.seed, wl.identity);
  wl.input = std::move(in);
  std::string identity = wl.identity;
  std::vector<wf_lead> leads;
  leads.push_back(std::move(wl));
  auto& w = new_workflow(s, c, wf_kind::person, "enrich-" + s.new_uuid(), type, l->id, std::move(leads), cost);
  ++s.enrich_posts_[identity];
  s.enrich_ok_.fetch_add(1, std::memory_order_relaxed);
  json::object r;
  r["task_id"] = w.task_id;
  r["timestamp_ms"] = epoch_ms();
  r["agent_instructions"] = "Enrichment started. Poll poll_url until status is 'completed'; the enriched contact lands in lead_list_id.";
  r["workflow_id"] = w.id;
  r["status"] = "pending";
  r["credits_reserved"] = cost;
  r["lead_list_id"] = l->id;
  r["poll_url"] = s.origin_ + std::string(c.prefix) + "/enrichment/status/" + w.id;
  ok(c, std::move(r));
}

void handlers::enrich_company(sim_state& s, ctx& c) {
  if (!parse_body(s, c)) return;
  static const std::vector<fspec> spec{{.name = "domain"}, {.name = "company_name"}, {.name = "company_ticker"},
                                       {.name = "company_id"}, {.name = "quote_id"}};
  verrs e;
  validate_body(c.body.is_null() ? nullptr : &c.body, spec, true, e);
  if (!e.empty()) return write_422(c.rs, e);
  const auto& b = c.body;
  std::string_view domain = str_or(b, "domain"), name = str_or(b, "company_name"), ticker = str_or(b, "company_ticker"),
                   cid = str_or(b, "company_id");
  std::string key(!domain.empty() ? domain : !cid.empty() ? cid : !ticker.empty() ? ticker : name);
  if (key.empty())
    return error(s, c, 400, "validation_error", "No company identifier: pass domain, company_id, company_name or company_ticker.",
                 "Add an identifier (domain is the most reliable).");
  std::string lk = lower(key);
  bool found = lk.find("unknown") == std::string::npos && lk.find("notfound") == std::string::npos &&
               hash_str(s.params_.seed ^ 0xc0c0, lk) % 100 >= 5;
  if (!found) return error(s, c, 404, "not_found", "No company matches this identifier.", "Try the company's domain. No credits were charged.");
  quote_rec* q = nullptr;
  if (auto* qid = field(b, "quote_id")) {
    auto qc = check_quote(s, c, qid->as_string(), {"enrich_company"}, "", "");
    if (qc.failed) return;
    q = qc.q;
  }
  if (!check_credits(s, c, 1)) return;
  if (q) q->used = true;
  s.ledger(s.orgs_[static_cast<std::size_t>(c.org)], "charge", -1, "enrichment/company:" + key);
  std::string dname(!name.empty() ? name : ticker);
  json::object r;
  r["timestamp_ms"] = epoch_ms();
  r["company"] = company_record(s.params_.seed, lk, dname, domain);
  if (!cid.empty()) r["company"].as_object()["company_id"] = cid;
  r["credits_charged"] = 1;
  ok(c, std::move(r));
}

void handlers::enrich_by_task(sim_state& s, ctx& c) {
  if (!parse_body(s, c)) return;
  static const std::vector<fspec> spec{{.name = "task_id", .type = ty::str, .required = true, .nullable = false},
                                       {.name = "data_points", .type = ty::arr_str, .required = true, .nullable = false, .lo = 1},
                                       {.name = "entity_ids", .type = ty::arr_str}, {.name = "lead_list_id"}, {.name = "quote_id"}};
  verrs e;
  validate_body(c.body.is_null() ? nullptr : &c.body, spec, true, e);
  if (!e.empty()) return write_422(c.rs, e);
  const auto& b = c.body;
  std::string task_id(str_or(b, "task_id"));
  auto it = s.cohorts_.find(task_id);
  if (it == s.cohorts_.end() || it->second.org != c.org || it->second.entity_ids.empty())
    return error(s, c, 404, "not_found", "Task (cohort) not found or expired.", "Re-run the search to get a fresh task_id.");
  cohort_rec& ch = it->second;
  auto* qidv = field(b, "quote_id");
  if (!qidv)
    return error(s, c, 400, "quote_required", "Cohort enrichment requires a quote_id.",
                 "Call POST /credits/estimate with tool 'enrich_by_task', this task_id and data_points first.");
  auto dps = str_array(b, "data_points");
  static const std::string_view person_dp[] = {"Email", "Phone", "LinkedIn"};
  static const std::string_view company_dp[] = {"Industry", "Employees", "Revenue", "Funding", "TechStack", "Domain"};
  bool person = ch.kind == "person";
  for (auto& d : dps) {
    bool okd = person ? std::find(std::begin(person_dp), std::end(person_dp), d) != std::end(person_dp)
                      : std::find(std::begin(company_dp), std::end(company_dp), d) != std::end(company_dp);
    if (!okd)
      return error(s, c, 400, "validation_error", "Data point '" + d + "' does not apply to a " + ch.kind + " task.",
                   person ? "Use Email, Phone or LinkedIn." : "Use Industry, Employees, Revenue, Funding, TechStack or Domain.");
  }
  std::vector<std::string> ents = field(b, "entity_ids") ? str_array(b, "entity_ids") : ch.entity_ids;
  for (auto& id : ents)
    if (std::find(ch.entity_ids.begin(), ch.entity_ids.end(), id) == ch.entity_ids.end())
      return error(s, c, 400, "validation_error", "entity_id '" + id + "' is not part of the cohort.", "Pass a subset of the cohort.");
  auto sorted = dps;
  std::sort(sorted.begin(), sorted.end());
  std::string variant;
  for (auto& d : sorted) variant += (variant.empty() ? "" : ",") + d;
  auto qc = check_quote(s, c, qidv->as_string(), {"enrich_by_task", "add_person_enrichments", "add_company_enrichments"}, "task:" + task_id, variant);
  if (qc.failed) return;
  json::object r;
  r["task_id"] = task_id;
  r["timestamp_ms"] = epoch_ms();
  json::array results;
  if (person) {
    list_rec* l = nullptr;
    if (auto* lid = field(b, "lead_list_id")) {
      l = access_list(s, c, lid->as_string());
      if (!l) return error(s, c, 404, "not_found", "Lead list not found.", "Check lead_list_id.");
    } else {
      l = &user_list(s, c, false);
    }
    std::string type = dp_type(dps);
    std::int64_t cost = static_cast<std::int64_t>(ents.size()) * unit_cost(type);
    if (cost > qc.q->cost) {
      json::object extra{{"estimated_cost_credits", cost}, {"quote_cap_credits", qc.q->cost}};
      return error(s, c, 400, "spend_cap_exceeded", "The cohort costs " + std::to_string(cost) + " credits, above the quote's cap.", "Request a new quote.", std::move(extra));
    }
    if (!check_credits(s, c, cost)) return;
    qc.q->used = true;
    std::vector<wf_lead> leads;
    for (auto& id : ents) {
      std::size_t idx = static_cast<std::size_t>(std::find(ch.entity_ids.begin(), ch.entity_ids.end(), id) - ch.entity_ids.begin());
      wf_lead wl;
      wl.input = idx < ch.people.size() ? ch.people[idx] : lead_rec{};
      if (ch.from_list) wl.lead_id = id;
      wl.input.id.clear();
      wl.identity = person_identity(wl.input.email, wl.input.linkedin_url, wl.input.first_name, wl.input.last_name,
                                    wl.input.company.empty() ? wl.input.domain : wl.input.company, id);
      wl.out = predict_outcome(s.params_.seed, wl.identity);
      leads.push_back(std::move(wl));
      results.emplace_back(json::object{{"entity_id", id}, {"status", "queued"}});
    }
    auto& w = new_workflow(s, c, wf_kind::by_task, "enrich-" + s.new_uuid(), type, l->id, std::move(leads), cost);
    ch.workflow_id = w.id;
    r["agent_instructions"] = "Person cohort queued. Poll status with the workflow_id (or the task_id) until completed; results land in the destination list.";
    r["entity_kind"] = "person";
    r["workflow_id"] = w.id;
    r["status"] = "pending";
    r["total_entities"] = static_cast<std::int64_t>(ents.size());
    r["credits_reserved"] = cost;
  } else {
    std::int64_t enriched = 0;
    for (auto& id : ents) {
      std::size_t idx = static_cast<std::size_t>(std::find(ch.entity_ids.begin(), ch.entity_ids.end(), id) - ch.entity_ids.begin());
      const company_rec& co = ch.companies[idx];
      auto h = hash_str(s.params_.seed ^ 0xb7, co.id) % 100;
      json::object er;
      er["entity_id"] = id;
      if (h < 85) {
        er["status"] = "enriched";
        er["company"] = company_record(s.params_.seed, co.domain, co.name, co.domain);
        ++enriched;
      } else if (h < 95) {
        er["status"] = "skipped";
        er["error"] = "No firmographic data found.";
      } else {
        er["status"] = "failed";
        er["error"] = "Provider error.";
      }
      results.emplace_back(std::move(er));
    }
    std::int64_t cost = (enriched + 9) / 10;
    if (cost > qc.q->cost) {
      json::object extra{{"estimated_cost_credits", cost}, {"quote_cap_credits", qc.q->cost}};
      return error(s, c, 400, "spend_cap_exceeded", "The cohort costs more than the quote's cap.", "Request a new quote.", std::move(extra));
    }
    if (!check_credits(s, c, cost)) return;
    qc.q->used = true;
    s.ledger(s.orgs_[static_cast<std::size_t>(c.org)], "charge", -cost, "enrichment/by-task:" + task_id);
    r["entity_kind"] = "company";
    r["workflow_id"] = nullptr;
    r["status"] = "completed";
    r["total_entities"] = static_cast<std::int64_t>(ents.size());
    r["credits_reserved"] = cost;
  }
  r["results"] = std::move(results);
  ok(c, std::move(r));
}

void handlers::enrich_bulk(sim_state& s, ctx& c) {
  if (!parse_body(s, c)) return;
  static const std::vector<fspec> spec{{.name = "list_id", .type = ty::str, .nullable = false},
                                       {.name = "lead_list_id", .type = ty::str, .nullable = false},
                                       {.name = "scope", .type = ty::str, .nullable = false, .enums = {"partial", "full", "phone-only"}},
                                       {.name = "quote_id", .type = ty::str, .required = true, .nullable = false}};
  verrs e;
  validate_body(c.body.is_null() ? nullptr : &c.body, spec, true, e);
  if (c.body.is_object() && !field(c.body, "list_id") && !field(c.body, "lead_list_id")) {
    json::array loc;
    loc.emplace_back("body");
    loc.emplace_back("list_id");
    e.add(std::move(loc), "missing", "Field required", c.body);
  }
  if (!e.empty()) return write_422(c.rs, e);
  const auto& b = c.body;
  std::string list_id(str_or(b, "list_id", str_or(b, "lead_list_id")));
  auto* l = access_list(s, c, list_id);
  if (!l) return error(s, c, 404, "not_found", "Lead list not found.", "Check list_id.");
  if (l->leads.empty()) return error(s, c, 400, "validation_error", "The list is empty.", "Add leads to the list first.");
  std::string scope(str_or(b, "scope", "partial"));
  auto qc = check_quote(s, c, str_or(b, "quote_id"), {"enrich_list"}, "list:" + list_id, scope);
  if (qc.failed) return;
  std::int64_t cost = static_cast<std::int64_t>(l->leads.size()) * unit_cost(scope);
  if (cost > qc.q->cost) {
    json::object extra{{"estimated_cost_credits", cost}, {"quote_cap_credits", qc.q->cost}};
    return error(s, c, 400, "spend_cap_exceeded",
                 "The list now costs " + std::to_string(cost) + " credits, above the quote's signed cap of " + std::to_string(qc.q->cost) + ".",
                 "Request a new quote for the current list.", std::move(extra));
  }
  if (!check_credits(s, c, cost)) return;
  qc.q->used = true;
  std::vector<wf_lead> leads;
  leads.reserve(l->leads.size());
  for (auto& id : l->leads) {
    wf_lead wl;
    wl.lead_id = id;
    if (auto* ld = lead(s, id)) wl.input = *ld;
    wl.identity = person_identity(wl.input.email, wl.input.linkedin_url, wl.input.first_name, wl.input.last_name,
                                  wl.input.company.empty() ? wl.input.domain : wl.input.company, id);
    wl.out = predict_outcome(s.params_.seed, wl.identity);
    leads.push_back(std::move(wl));
  }
  auto total = static_cast<std::int64_t>(leads.size());
  auto& w = new_workflow(s, c, wf_kind::bulk, "bulk-enrich-" + s.new_uuid(), scope, list_id, std::move(leads), cost);
  json::object r;
  r["task_id"] = w.task_id;
  r["timestamp_ms"] = epoch_ms();
  r["agent_instructions"] = "Bulk enrichment started for " + std::to_string(total) + " leads. Poll poll_url until status is 'completed'; final charge may be lower than credits_reserved (pay-for-results).";
  r["workflow_id"] = w.id;
  r["status"] = "pending";
  r["total_leads"] = total;
  r["estimated_cost"] = cost;
  r["credits_reserved"] = cost;
  r["poll_url"] = s.origin_ + std::string(c.prefix) + "/enrichment/status/" + w.id;
  ok(c, std::move(r));
}

namespace {
// A minimal JSON object writer for the hot path (status polls): appends straight into the
// response body, no DOM, no per-field allocation.
struct jw {
  std::string& s;
  bool first = true;
  explicit jw(std::string& out) : s(out) { s += '{'; }
  void end() { s += '}'; }
  void key(std::string_view k) {
    if (!first) s += ',';
    first = false;
    s += '"';
    s += k;
    s += "\":";
  }
  void esc(std::string_view v) {
    s += '"';
    for (char ch : v) {
      switch (ch) {
      case '"': s += "\\\""; break;
      case '\\': s += "\\\\"; break;
      case '\n': s += "\\n"; break;
      case '\r': s += "\\r"; break;
      case '\t': s += "\\t"; break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(ch)));
          s += buf;
        } else s += ch;
      }
    }
    s += '"';
  }
  void str(std::string_view k, std::string_view v) { key(k); esc(v); }
  void str_or_null(std::string_view k, std::string_view v) { key(k); if (v.empty()) s += "null"; else esc(v); }
  void num(std::string_view k, std::int64_t v) {
    key(k);
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    s.append(buf, r.ptr);
  }
  void null(std::string_view k) { key(k); s += "null"; }
};
} // namespace

void handlers::status_body(sim_state& s, ctx& c, workflow_rec& w) {
  s.settle_if_due(w, c.now);
  auto v = view_of(w, c.now, s.params_.pending_for, s.params_.running_for);
  const bool want_email = w.type != "phone_only" && w.type != "phone-only";
  const bool want_phone = w.type == "phone_only" || w.type == "phone-only" || w.type == "full";
  std::int64_t emails = 0, phones = 0;
  if (!w.failed_whole)
    for (std::int64_t i = 0; i < v.processed; ++i) {
      const auto& o = w.leads[static_cast<std::size_t>(i)].out;
      if (o.workflow_fails) continue; // a failed lead found nothing
      emails += (want_email && o.email_found) ? 1 : 0;
      phones += (want_phone && o.phone_found) ? 1 : 0;
    }
  std::string& out = c.rs.body;
  out.clear();
  jw j(out);
  j.str_or_null("task_id", w.task_id);
  j.num("timestamp_ms", epoch_ms());
  j.str("workflow_id", w.id);
  j.str("status", v.status);
  j.num("progress", v.total ? (100 * v.processed) / v.total : (v.terminal ? 100 : 0));
  j.num("total", v.total);
  j.num("processed", v.processed);
  j.num("completed", v.completed);
  j.num("failed", v.failed);
  j.str("enrichment_type", w.type == "phone-only" ? std::string_view("phone_only") : std::string_view(w.type));
  j.str_or_null("lead_list_id", w.list_id);
  j.key("summary");
  {
    jw sum(out);
    sum.num("total", v.total);
    sum.num("successful", v.completed);
    sum.num("failed", v.failed);
    sum.num("emails_found", emails);
    sum.num("phones_found", phones);
    sum.end();
  }
  if (v.terminal) {
    j.str("refund_status", "not_applicable");
    j.null("refund_message");
    j.num("credits_charged", w.charged);
    j.num("credits_refunded", w.refunded);
  } else {
    j.null("refund_status");
    j.null("refund_message");
    j.null("credits_charged");
    j.null("credits_refunded");
  }
  j.key("result");
  if (w.kind == wf_kind::person && v.terminal) {
    const auto& wl = w.leads[0];
    const lead_rec& in = wl.input;
    bool okr = !w.failed_whole && v.processed > 0 && lead_ok(w.type, wl.out);
    bool we = okr && w.type != "phone_only" && wl.out.email_found;
    bool wp = okr && w.type != "partial" && wl.out.phone_found;
    jw r(out);
    r.str("lead_id", okr ? std::string_view(w.result_lead_id) : std::string_view());
    r.str("status", okr ? "completed" : "failed");
    r.str_or_null("full_name", in.full_name);
    r.str_or_null("first_name", in.first_name);
    r.str_or_null("last_name", in.last_name);
    r.str_or_null("email", we ? found_email(in) : std::string());
    r.str_or_null("email_status", we ? "valid" : "");
    r.str_or_null("phone", wp ? found_phone(s.params_.seed, wl.identity) : std::string());
    r.str_or_null("linkedin_url", in.linkedin_url);
    r.str_or_null("title", in.title);
    r.str_or_null("company", in.company.empty() ? in.domain : in.company);
    r.str("enrichment_type", w.type);
    r.str("provider", "cleanlist-sim");
    r.end();
  } else {
    out += "null";
  }
  j.end();
  c.rs.status = 200;
}

void handlers::enrich_status(sim_state& s, ctx& c) {
  std::string_view id = c.path_param;
  if (id.starts_with("cl-task_")) {
    auto it = s.cohorts_.find(id);
    if (it != s.cohorts_.end() && it->second.org == c.org && !it->second.workflow_id.empty()) id = it->second.workflow_id;
  }
  auto it = s.workflows_.find(id);
  if (it == s.workflows_.end() || it->second.org != c.org || it->second.kind == wf_kind::legacy)
    return error(s, c, 404, "not_found", "Workflow not found.", "Check the workflow_id (or cl-task_ handle).");
  status_body(s, c, it->second);
}

// ---------------------------------------------------------------- smart agents

void handlers::agents_run(sim_state& s, ctx& c) {
  if (!parse_body(s, c)) return;
  static const std::vector<fspec> spec{
      {.name = "list_id", .type = ty::str, .required = true, .nullable = false},
      {.name = "agent_type", .type = ty::str, .nullable = false, .enums = {"custom_ai", "cold_intro_email", "title_normalizer", "company_intel", "pain_point_hypothesis"}},
      {.name = "prompt"},
      {.name = "column_name", .type = ty::str, .required = true, .nullable = false, .lo = 1, .hi = 100},
      {.name = "lead_scope", .type = ty::str, .nullable = false, .enums = {"subset", "all"}},
      {.name = "max_rows", .type = ty::integer, .nullable = false, .lo = 1, .hi = 10000},
      {.name = "quote_id", .type = ty::str, .required = true, .nullable = false},
      {.name = "overwrite", .type = ty::boolean, .nullable = false}};
  verrs e;
  validate_body(c.body.is_null() ? nullptr : &c.body, spec, true, e);
  if (!e.empty()) return write_422(c.rs, e);
  const auto& b = c.body;
  std::string list_id(str_or(b, "list_id"));
  auto* l = access_list(s, c, list_id);
  if (!l) return error(s, c, 404, "not_found", "Lead list not found.", "Check list_id.");
  std::string agent(str_or(b, "agent_type", "custom_ai"));
  if (agent == "custom_ai" && str_or(b, "prompt").empty())
    return error(s, c, 400, "validation_error", "prompt is required when agent_type is 'custom_ai'.", "Pass a prompt.");
  std::string scope(str_or(b, "lead_scope", "subset"));
  auto size = static_cast<std::int64_t>(l->leads.size());
  std::int64_t rows = scope == "all" ? size : std::min(size, int_or(b, "max_rows", 100));
  if (scope == "all" && size > approval_threshold) {
    json::object extra{{"lead_count", size}, {"threshold", approval_threshold}};
    return error(s, c, 400, "approval_required", "A lead_scope='all' run over " + std::to_string(size) + " leads needs approval.",
                 "Use lead_scope='subset' with max_rows, or route a human approval.", std::move(extra));
  }
  if (rows == 0) return error(s, c, 400, "validation_error", "The list is empty.", "Add leads to the list first.");
  auto qc = check_quote(s, c, str_or(b, "quote_id"), {"run_smart_agent"}, "list:" + list_id, agent);
  if (qc.failed) return;
  std::int64_t cost = rows * agent_unit(agent);
  if (cost > qc.q->cost) {
    json::object extra{{"estimated_cost_credits", cost}, {"quote_cap_credits", qc.q->cost}};
    return error(s, c, 400, "spend_cap_exceeded", "The run costs " + std::to_string(cost) + " credits, above the quote's cap.", "Request a new quote.", std::move(extra));
  }
  if (!check_credits(s, c, cost)) return;
  qc.q->used = true;
  agent_run_rec run;
  run.id = s.new_id("run_");
  run.list_id = list_id;
  run.column_name = str_or(b, "column_name");
  run.agent_type = agent;
  run.created_at = iso_utc(std::chrono::system_clock::now());
  run.org = c.org;
  run.user = c.user;
  run.start = c.now;
  run.leads.assign(l->leads.begin(), l->leads.begin() + rows);
  for (auto& id : run.leads) run.fails.push_back(hash_str(s.params_.seed ^ 0xa9, id + "/" + run.column_name) % 100 < 5);
  run.reserved = cost;
  s.ledger(s.orgs_[static_cast<std::size_t>(c.org)], "reserve", -cost, run.id);
  json::object r;
  r["timestamp_ms"] = epoch_ms();
  r["agent_instructions"] = "Run started over " + std::to_string(rows) + " leads. Poll GET /smart-agents/" + run.id + " until status is 'completed'.";
  r["smart_agent_task_id"] = run.id;
  r["smart_agent_task_ids"] = json::object{{agent, run.id}};
  r["status"] = "pending";
  r["list_id"] = list_id;
  r["column_name"] = run.column_name;
  r["estimated_cost"] = cost;
  s.agent_order_.push_back(run.id);
  std::string rid = run.id;
  s.agent_runs_.emplace(std::move(rid), std::move(run));
  ok(c, std::move(r));
}

namespace {
struct run_view {
  const char* status;
  std::int64_t total, processed, failed;
};
run_view run_view_of(const agent_run_rec& r, sim_clock::time_point now, std::chrono::milliseconds pending, std::chrono::milliseconds running) {
  run_view v{"pending", static_cast<std::int64_t>(r.leads.size()), 0, 0};
  auto e = now - r.start;
  if (e >= pending + running) {
    v.status = "completed";
    v.processed = v.total;
  } else if (e >= pending) {
    v.status = "processing";
    auto in = std::chrono::duration_cast<std::chrono::microseconds>(e - pending).count();
    auto all = std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::microseconds>(running).count());
    v.processed = std::min<std::int64_t>(v.total, static_cast<std::int64_t>((static_cast<__int128>(v.total) * in) / all));
  }
  for (std::int64_t i = 0; i < v.processed; ++i) v.failed += r.fails[static_cast<std::size_t>(i)] ? 1 : 0;
  return v;
}
} // namespace

void handlers::agents_list(sim_state& s, ctx& c) {
  verrs e;
  auto limit = query_int(c, e, "limit", 20, 1, 100);
  if (!e.empty()) return write_422(c.rs, e);
  const std::string* list_id = query_param(c, "list_id");
  if (list_id && !list_id->empty() && !access_list(s, c, *list_id))
    return error(s, c, 404, "not_found", "Lead list not found.", "Check list_id.");
  json::array runs;
  std::int64_t total = 0;
  for (auto it = s.agent_order_.rbegin(); it != s.agent_order_.rend(); ++it) {
    auto& r = s.agent_runs_.find(*it)->second;
    if (r.org != c.org) continue;
    if (list_id && !list_id->empty() && r.list_id != *list_id) continue;
    if (!access_list(s, c, r.list_id) && r.user != c.user) continue;
    ++total;
    if (static_cast<std::int64_t>(runs.size()) >= limit) continue;
    auto v = run_view_of(r, c.now, s.params_.pending_for, s.params_.running_for);
    json::object o;
    o["task_id"] = r.id;
    o["list_id"] = r.list_id;
    o["column_name"] = r.column_name;
    o["agent_type"] = r.agent_type;
    o["status"] = v.status;
    o["total"] = v.total;
    o["processed"] = v.processed;
    o["failed"] = v.failed;
    o["created_at"] = r.created_at;
    runs.emplace_back(std::move(o));
  }
  json::object r;
  r["runs"] = std::move(runs);
  r["total"] = total;
  ok(c, std::move(r));
}

void handlers::agent_get(sim_state& s, ctx& c) {
  auto it = s.agent_runs_.find(c.path_param);
  if (it == s.agent_runs_.end() || it->second.org != c.org ||
      (!access_list(s, c, it->second.list_id) && it->second.user != c.user))
    return error(s, c, 404, "not_found", "Smart agent run not found.", "Check smart_agent_task_id.");
  auto& run = it->second;
  s.settle_agent_if_due(run, c.now);
  auto v = run_view_of(run, c.now, s.params_.pending_for, s.params_.running_for);
  json::array results;
  for (std::int64_t i = 0; i < v.processed; ++i) {
    json::object row;
    const auto& id = run.leads[static_cast<std::size_t>(i)];
    row["lead_id"] = id;
    if (run.fails[static_cast<std::size_t>(i)]) row["error"] = "No company domain on lead; skipped research.";
    else {
      const lead_rec* ld = lead(s, id);
      std::string who = ld && !ld->full_name.empty() ? ld->full_name : id;
      row["value"] = run.column_name + ": simulated " + run.agent_type + " output for " + who + ".";
    }
    results.emplace_back(std::move(row));
  }
  json::object r;
  r["timestamp_ms"] = epoch_ms();
  r["smart_agent_task_id"] = run.id;
  r["status"] = v.status;
  r["progress"] = v.total ? (100 * v.processed) / v.total : 100;
  r["total"] = v.total;
  r["succeeded"] = v.processed - v.failed;
  r["failed"] = v.failed;
  r["results"] = std::move(results);
  ok(c, std::move(r));
}

// ---------------------------------------------------------------- export

void handlers::export_csv(sim_state& s, ctx& c) {
  if (!parse_body(s, c)) return;
  static const std::vector<fspec> spec{{.name = "list_id", .type = ty::str, .required = true, .nullable = false},
                                       {.name = "columns", .type = ty::arr_str},
                                       {.name = "include_smart_agents", .type = ty::boolean, .nullable = false}};
  verrs e;
  validate_body(c.body.is_null() ? nullptr : &c.body, spec, true, e);
  if (!e.empty()) return write_422(c.rs, e);
  std::string list_id(str_or(c.body, "list_id"));
  auto* l = access_list(s, c, list_id);
  if (!l) return error(s, c, 404, "not_found", "Lead list not found.", "Check list_id.");
  auto cols = field(c.body, "columns") ? str_array(c.body, "columns") : default_columns();
  if (cols.empty()) cols = default_columns();
  std::string csv;
  for (std::size_t i = 0; i < cols.size(); ++i) csv += (i ? "," : "") + csv_escape(cols[i]);
  csv += "\r\n";
  for (auto& id : l->leads) {
    const lead_rec* ld = lead(s, id);
    lead_rec empty = stub_lead(id);
    for (std::size_t i = 0; i < cols.size(); ++i) csv += (i ? "," : "") + csv_escape(lead_field(ld ? *ld : empty, cols[i]));
    csv += "\r\n";
  }
  auto expires = std::chrono::system_clock::now() + std::chrono::hours(24);
  auto exp_s = std::chrono::duration_cast<std::chrono::seconds>(expires.time_since_epoch()).count();
  std::string token = s.new_id("exp_");
  std::string url = s.origin_ + "/__exports/" + token + ".csv?se=" + std::to_string(exp_s) + "&sig=" +
                    hmac_sha256_hex(s.hmac_key_, token + std::to_string(exp_s)).substr(0, 32);
  json::object r;
  r["list_id"] = list_id;
  r["download_url"] = url;
  r["expires_at"] = iso_utc(expires);
  r["row_count"] = static_cast<std::int64_t>(l->leads.size());
  r["file_size_bytes"] = static_cast<std::int64_t>(csv.size());
  s.exports_[token] = {std::move(csv), exp_s};
  ok(c, std::move(r), 200, false);
}

void handlers::export_json(sim_state& s, ctx& c) {
  verrs e;
  auto limit = query_int(c, e, "limit", 100, 1, 500);
  const std::string* list_id = query_param(c, "list_id");
  if (!list_id) {
    json::array loc;
    loc.emplace_back("query");
    loc.emplace_back("list_id");
    e.add(std::move(loc), "missing", "Field required", nullptr);
  }
  if (!e.empty()) return write_422(c.rs, e);
  auto* l = access_list(s, c, *list_id);
  if (!l) return error(s, c, 404, "not_found", "Lead list not found.", "Check list_id.");
  std::int64_t offset = 0;
  if (auto* cur = query_param(c, "cursor"); cur && !cur->empty()) {
    auto v = cursor_decode(*cur);
    if (!v) return error(s, c, 400, "validation_error", "Malformed cursor.", "Pass back the cursor of the previous page unchanged.");
    offset = *v;
  }
  std::vector<std::string> cols;
  for (auto& [k, v] : c.query) {
    if (k != "columns") continue;
    std::string_view rest = v;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      if (!rest.substr(0, comma).empty()) cols.emplace_back(rest.substr(0, comma));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  if (cols.empty()) cols = default_columns();
  auto total = static_cast<std::int64_t>(l->leads.size());
  json::array leads;
  for (std::int64_t i = offset; i < total && i < offset + limit; ++i) {
    const auto& id = l->leads[static_cast<std::size_t>(i)];
    const lead_rec* ld = lead(s, id);
    lead_rec empty = stub_lead(id);
    json::object o;
    o["lead_id"] = id;
    for (auto& col : cols) {
      auto v = lead_field(ld ? *ld : empty, col);
      o[col] = v.empty() ? json::value(nullptr) : json::value(v);
    }
    leads.emplace_back(std::move(o));
  }
  json::object r;
  r["list_id"] = l->id;
  r["leads"] = std::move(leads);
  r["total"] = total;
  r["cursor"] = offset + limit < total ? json::value(cursor_encode(offset + limit)) : json::value(nullptr);
  ok(c, std::move(r));
}

// ---------------------------------------------------------------- legacy v1

void handlers::l_validate(sim_state& s, ctx& c) {
  json::object r;
  r["valid"] = true;
  r["user_id"] = s.users_[static_cast<std::size_t>(c.user)].id;
  r["organization_id"] = s.orgs_[static_cast<std::size_t>(c.org)].id;
  ok(c, std::move(r), 200, false);
}

void handlers::l_bulk(sim_state& s, ctx& c) {
  if (!parse_body(s, c)) return;
  static const std::vector<fspec> spec{
      {.name = "enrichment_type", .type = ty::str, .nullable = false, .enums = {"none", "partial", "phone_only", "full", "prospecting_only"}},
      {.name = "webhook_url", .type = ty::str},
      {.name = "contacts", .type = ty::any, .required = true, .nullable = false}};
  verrs e;
  validate_body(c.body.is_null() ? nullptr : &c.body, spec, false, e);
  if (e.empty() && !c.body.as_object().at("contacts").is_array()) {
    json::array loc;
    loc.emplace_back("body");
    loc.emplace_back("contacts");
    e.add(std::move(loc), "list_type", "Input should be a valid list", c.body.as_object().at("contacts"));
  }
  if (!e.empty()) return write_422(c.rs, e);
  const auto& contacts = c.body.as_object().at("contacts").as_array();
  if (contacts.empty()) return legacy_error(c, 400, "At least one contact is required");
  if (contacts.size() > 250) return legacy_error(c, 400, "Bulk enrichment supports up to 250 contacts per request");
  for (std::size_t i = 0; i < contacts.size(); ++i) {
    const auto& ct = contacts[i];
    bool okc = ct.is_object() && (!str_or(ct, "linkedin_url").empty() ||
                                  (!str_or(ct, "first_name").empty() && !str_or(ct, "last_name").empty() &&
                                   (!str_or(ct, "company_domain").empty() || !str_or(ct, "company_name").empty())));
    if (!okc) {
      json::array loc;
      loc.emplace_back("body");
      loc.emplace_back("contacts");
      loc.emplace_back(static_cast<std::int64_t>(i));
      e.add(std::move(loc), "value_error",
            "Each contact must include linkedin_url OR first_name + last_name + (company_domain or company_name).", ct);
    }
  }
  if (!e.empty()) return write_422(c.rs, e);
  std::string type(str_or(c.body, "enrichment_type", "partial"));
  std::int64_t cost = static_cast<std::int64_t>(contacts.size()) * unit_cost(type);
  if (!check_credits(s, c, cost)) return;
  list_rec& l = user_list(s, c, true);
  std::vector<wf_lead> leads;
  json::array task_ids;
  for (auto& ct : contacts) {
    lead_rec ld;
    ld.id = s.new_uuid();
    ld.org = c.org;
    ld.first_name = str_or(ct, "first_name");
    ld.last_name = str_or(ct, "last_name");
    if (!ld.first_name.empty() || !ld.last_name.empty()) ld.full_name = ld.first_name + " " + ld.last_name;
    ld.email = str_or(ct, "email");
    ld.linkedin_url = str_or(ct, "linkedin_url");
    ld.company = str_or(ct, "company_name");
    ld.domain = str_or(ct, "company_domain");
    wf_lead wl;
    wl.lead_id = ld.id;
    wl.task_id = s.new_uuid();
    wl.identity = person_identity(ld.email, ld.linkedin_url, ld.first_name, ld.last_name, ld.company.empty() ? ld.domain : ld.company);
    wl.out = predict_outcome(s.params_.seed, wl.identity);
    wl.input = ld;
    ++s.enrich_posts_[wl.identity];
    task_ids.emplace_back(wl.task_id);
    l.leads.push_back(ld.id);
    l.lead_set.insert(ld.id);
    s.leads_.emplace(ld.id, std::move(ld));
    leads.push_back(std::move(wl));
  }
  ++l.version;
  s.enrich_ok_.fetch_add(1, std::memory_order_relaxed);
  auto n = static_cast<std::int64_t>(leads.size());
  auto& w = new_workflow(s, c, wf_kind::legacy, "public_bulk_" + s.new_uuid(), type, l.id, std::move(leads), cost);
  w.webhook_url = str_or(c.body, "webhook_url");
  if (!w.webhook_url.empty() && s.webhook_scheduler_)
    s.webhook_scheduler_(w.id, w.webhook_url, std::chrono::duration_cast<std::chrono::milliseconds>(s.params_.pending_for + s.params_.running_for));
  for (std::size_t i = 0; i < w.leads.size(); ++i) s.legacy_tasks_[w.leads[i].task_id] = {w.id, i};
  json::object r;
  r["workflow_id"] = w.id;
  r["status"] = "processing";
  r["message"] = "Bulk enrichment started";
  r["task_ids"] = std::move(task_ids);
  r["total_contacts"] = n;
  ok(c, std::move(r), 200, false);
}

namespace {
// state: 'd' processed, 'p' still processing, 'c' never processed (the run was cancelled)
json::object legacy_item(std::uint64_t seed, const workflow_rec& w, const wf_lead& wl, char state) {
  json::object o;
  o["task_id"] = wl.task_id;
  const bool done = state == 'd';
  bool okl = done && lead_ok(w.type, wl.out);
  o["status"] = done ? (okl ? "completed" : "failed") : state == 'c' ? "cancelled" : "processing";
  bool we = okl && w.type != "phone_only" && w.type != "none" && wl.out.email_found;
  bool wp = okl && (w.type == "phone_only" || w.type == "full") && wl.out.phone_found;
  o["primary_email"] = we ? json::value(found_email(wl.input)) : json::value(nullptr);
  o["primary_email_status"] = we ? json::value("reliable") : json::value(nullptr);
  o["other_emails"] = json::array{};
  json::array phones;
  if (wp) phones.emplace_back(found_phone(seed, wl.identity));
  o["personal_phone_numbers"] = std::move(phones);
  o["prospect"] = json::object{{"first_name", wl.input.first_name}, {"last_name", wl.input.last_name}, {"full_name", wl.input.full_name}};
  o["company"] = json::object{{"name", str_or_null(wl.input.company)}, {"domain", str_or_null(wl.input.domain)}};
  return o;
}
} // namespace

void handlers::l_status(sim_state& s, ctx& c) {
  const std::string* wid = query_param(c, "workflow_id");
  const std::string* tid = query_param(c, "task_id");
  if (wid && tid) return legacy_error(c, 400, "Provide either workflow_id or task_id, not both");
  if (!wid && !tid) return legacy_error(c, 400, "workflow_id or task_id is required");
  std::size_t index = 0;
  std::string id;
  if (tid) {
    auto it = s.legacy_tasks_.find(*tid);
    if (it == s.legacy_tasks_.end()) return legacy_error(c, 404, "Task not found");
    id = it->second.first;
    index = it->second.second;
  } else {
    id = *wid;
  }
  auto it = s.workflows_.find(id);
  if (it == s.workflows_.end() || it->second.org != c.org || it->second.kind != wf_kind::legacy)
    return legacy_error(c, 404, tid ? "Task not found" : "Workflow not found");
  auto& w = it->second;
  s.settle_if_due(w, c.now);
  auto v = view_of(w, c.now, s.params_.pending_for, s.params_.running_for);
  if (tid) {
    auto item = legacy_item(s.params_.seed, w, w.leads[index],
                            static_cast<std::int64_t>(index) < v.processed ? 'd' : v.terminal ? 'c' : 'p');
    item["workflow_id"] = w.id;
    return ok(c, std::move(item), 200, false);
  }
  json::object r;
  r["workflow_id"] = w.id;
  r["status"] = v.terminal ? v.status : "processing";
  r["enrichment_type"] = w.type;
  r["lead_list_id"] = w.list_id;
  std::int64_t emails = 0, phones = 0;
  json::array results;
  for (std::int64_t i = 0; i < v.processed; ++i) {
    auto item = legacy_item(s.params_.seed, w, w.leads[static_cast<std::size_t>(i)], 'd');
    emails += item["primary_email"].is_null() ? 0 : 1;
    phones += item["personal_phone_numbers"].as_array().empty() ? 0 : 1;
    results.emplace_back(std::move(item));
  }
  r["summary"] = json::object{{"total", v.total}, {"successful", v.completed}, {"failed", v.failed},
                              {"emails_found", emails}, {"phones_found", phones}};
  r["results"] = std::move(results);
  r["total_contacts"] = v.total;
  r["completed_at"] = v.terminal ? json::value(w.completed_at) : json::value(nullptr);
  ok(c, std::move(r), 200, false);
}

void handlers::l_deliveries(sim_state& s, ctx& c) {
  const std::string* wid = query_param(c, "workflow_id");
  if (!wid) {
    verrs e;
    json::array loc;
    loc.emplace_back("query");
    loc.emplace_back("workflow_id");
    e.add(std::move(loc), "missing", "Field required", nullptr);
    return write_422(c.rs, e);
  }
  auto it = s.workflows_.find(*wid);
  if (it == s.workflows_.end() || it->second.org != c.org || it->second.kind != wf_kind::legacy)
    return legacy_error(c, 404, "Workflow not found");
  json::object r;
  r["workflow_id"] = it->second.id;
  r["webhook_url"] = str_or_null(it->second.webhook_url);
  json::array ds;
  for (auto& d : it->second.deliveries) {
    json::object o;
    o["attempt"] = d.attempt;
    o["status"] = d.delivered ? "delivered" : "failed";
    o["response_code"] = d.response_code ? json::value(d.response_code) : json::value(nullptr);
    o["error"] = str_or_null(d.error);
    o["attempted_at"] = d.attempted_at;
    ds.emplace_back(std::move(o));
  }
  r["deliveries"] = std::move(ds);
  ok(c, std::move(r), 200, false);
}

std::optional<std::string> sim_state::webhook_payload(const std::string& workflow_id) {
  std::lock_guard lk(mtx_);
  auto it = workflows_.find(workflow_id);
  if (it == workflows_.end()) return std::nullopt;
  auto& w = it->second;
  auto now = sim_clock::now();
  settle_if_due(w, now);
  const bool cancelled = w.cancel_at && *w.cancel_at <= now;
  const std::size_t n = cancelled ? static_cast<std::size_t>(std::min<std::int64_t>(w.cancel_processed, static_cast<std::int64_t>(w.leads.size())))
                                  : w.leads.size();
  std::int64_t ok = 0, emails = 0, phones = 0;
  json::array results;
  constexpr std::size_t limit = 250;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& wl = w.leads[i];
    auto item = legacy_item(params_.seed, w, wl, 'd');
    ok += lead_ok(w.type, wl.out) ? 1 : 0;
    emails += item["primary_email"].is_null() ? 0 : 1;
    phones += item["personal_phone_numbers"].as_array().empty() ? 0 : 1;
    if (results.size() < limit) results.emplace_back(std::move(item));
  }
  auto total = static_cast<std::int64_t>(w.leads.size());
  json::object p;
  p["event"] = "enrichment.completed";
  p["workflow_id"] = w.id;
  p["lead_list_id"] = w.list_id;
  p["enrichment_type"] = w.type;
  p["status"] = cancelled ? "cancelled" : final_status(w);
  const auto processed = static_cast<std::int64_t>(n);
  p["summary"] = json::object{{"total", total}, {"successful", ok}, {"failed", processed - ok}, {"emails_found", emails}, {"phones_found", phones}};
  p["results"] = std::move(results);
  p["results_limit"] = static_cast<std::int64_t>(limit);
  p["results_truncated"] = processed > static_cast<std::int64_t>(limit) ? processed - static_cast<std::int64_t>(limit) : 0;
  p["results_endpoint"] = "/api/v1/public/enrich/status?workflow_id=" + w.id;
  p["completed_at"] = w.completed_at.empty() ? iso_utc(std::chrono::system_clock::now()) : w.completed_at;
  return json::serialize(p);
}

void sim_state::record_delivery(const std::string& workflow_id, delivery_rec d) {
  std::lock_guard lk(mtx_);
  auto it = workflows_.find(workflow_id);
  if (it == workflows_.end()) return;
  d.attempted_at = iso_utc(std::chrono::system_clock::now());
  it->second.deliveries.push_back(std::move(d));
}

// ---------------------------------------------------------------- admin & exports

void sim_state::handle_export_download(const sim_request& rq, sim_response& rs) {
  rs.reset();
  rs.request_id = new_request_id();
  std::string_view t = rq.target.substr(std::string_view("/__exports/").size());
  auto dot = t.find(".csv");
  std::lock_guard lk(mtx_);
  auto it = dot == std::string_view::npos ? exports_.end() : exports_.find(t.substr(0, dot));
  if (it == exports_.end() || epoch_ms() / 1000 > it->second.expires_epoch_s) {
    rs.status = 404;
    rs.body = R"({"detail":"Not Found"})";
    return;
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
                                           {"accepted_enrich_posts", st.accepted_enrich_posts}});
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
