// Response and private-state helpers of the simulator's handlers (called with sim_state::mtx_ held).
#include "testing/sim_handler_util.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace cleanlist::testing::detail {

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

} // namespace cleanlist::testing::detail
