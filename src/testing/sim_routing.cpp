// Routing: a request's path and method to its route, authentication, scopes, rate limits and
// faults, then the handler (handlers::dispatch).
#include "testing/sim_internal.hpp"
#include "testing/sim_schema.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace cleanlist::testing::detail {

namespace {

struct route_info {
  route r;
  std::string_view scope;
  std::string_view tmpl;
};

const route_info& info(route r) {
  static const route_info table[] = {
      {route::none, "", ""},
      {route::whoami, "", "/whoami"},
      {route::balance, "credits:read", "/credits/balance"},
      {route::estimate, "credits:read", "/credits/estimate"},
      {route::api_keys, "admin:api_keys", "/api-keys"},
      {route::usage, "admin:api_keys", "/usage"},
      {route::lists_create, "lists:write", "/lead-lists"},
      {route::lists_get, "lists:read", "/lead-lists"},
      {route::list_get, "lists:read", "/lead-lists/{list_id}"},
      {route::list_patch, "lists:write", "/lead-lists/{list_id}"},
      {route::list_delete, "lists:write", "/lead-lists/{list_id}"},
      {route::leads_get, "lists:read", "/lead-lists/{list_id}/leads"},
      {route::leads_add, "lists:write", "/lead-lists/{list_id}/leads"},
      {route::leads_remove, "lists:write", "/lead-lists/{list_id}/leads"},
      {route::csv_import, "lists:write", "/lead-lists/{list_id}/csv-import"},
      {route::enrich_person, "enrich:write", "/enrichment/person"},
      {route::enrich_company, "enrich:write", "/enrichment/company"},
      {route::enrich_by_task, "enrich:write", "/enrichment/by-task"},
      {route::enrich_bulk, "enrich:write", "/enrichment/bulk"},
      {route::enrich_status, "enrich:read", "/enrichment/status/{workflow_id}"},
      {route::agents_run, "smart_agents:write", "/smart-agents/run"},
      {route::agents_list, "smart_agents:read", "/smart-agents"},
      {route::agent_get, "smart_agents:read", "/smart-agents/{smart_agent_task_id}"},
      {route::export_csv, "export:read", "/export/csv/signed-url"},
      {route::export_json, "export:read", "/export/json"},
      {route::l_validate, "", "/auth/validate-key"},
      {route::l_bulk, "", "/enrich/bulk"},
      {route::l_status, "", "/enrich/status"},
      {route::l_deliveries, "", "/webhooks/deliveries"},
  };
  return table[static_cast<int>(r)];
}

// Returns the route, or none; sets `bad_method` when the path exists with another method.
route match(std::string_view m, std::string_view rest, bool v1, std::string_view& param, bool& bad_method) {
  std::string_view seg[5];
  int n = 0;
  if (rest.empty() || rest[0] != '/') return route::none;
  rest.remove_prefix(1);
  while (n < 5) {
    auto p = rest.find('/');
    seg[n++] = rest.substr(0, p);
    if (p == std::string_view::npos) break;
    rest.remove_prefix(p + 1);
    if (n == 5) return route::none;
  }
  for (int i = 0; i < n; ++i)
    if (seg[i].empty()) return route::none;
  auto pick = [&](std::initializer_list<std::pair<std::string_view, route>> opts) {
    for (auto& [meth, r] : opts)
      if (meth == m) return r;
    bad_method = true;
    return route::none;
  };
  if (n == 1) {
    if (seg[0] == "whoami") return pick({{"GET", route::whoami}});
    if (seg[0] == "api-keys") return pick({{"GET", route::api_keys}});
    if (seg[0] == "usage") return pick({{"GET", route::usage}});
    if (seg[0] == "lead-lists") return pick({{"GET", route::lists_get}, {"POST", route::lists_create}});
    if (seg[0] == "smart-agents") return pick({{"GET", route::agents_list}});
    return route::none;
  }
  if (n == 2) {
    if (seg[0] == "credits" && seg[1] == "balance") return pick({{"GET", route::balance}});
    if (seg[0] == "credits" && seg[1] == "estimate") return pick({{"POST", route::estimate}});
    if (seg[0] == "lead-lists") {
      param = seg[1];
      return pick({{"GET", route::list_get}, {"PATCH", route::list_patch}, {"DELETE", route::list_delete}});
    }
    if (seg[0] == "enrichment") {
      if (seg[1] == "person") return pick({{"POST", route::enrich_person}});
      if (seg[1] == "company") return pick({{"POST", route::enrich_company}});
      if (seg[1] == "by-task") return pick({{"POST", route::enrich_by_task}});
      if (seg[1] == "bulk") return pick({{"POST", route::enrich_bulk}});
      return route::none;
    }
    if (seg[0] == "smart-agents") {
      if (seg[1] == "run" && m == "POST") return route::agents_run;
      param = seg[1];
      return pick({{"GET", route::agent_get}});
    }
    if (seg[0] == "export" && seg[1] == "json") return pick({{"GET", route::export_json}});
    if (v1) {
      if (seg[0] == "auth" && seg[1] == "validate-key") return pick({{"GET", route::l_validate}});
      if (seg[0] == "enrich" && seg[1] == "bulk") return pick({{"POST", route::l_bulk}});
      if (seg[0] == "enrich" && seg[1] == "status") return pick({{"GET", route::l_status}});
      if (seg[0] == "webhooks" && seg[1] == "deliveries") return pick({{"GET", route::l_deliveries}});
    }
    return route::none;
  }
  if (n == 3) {
    if (seg[0] == "lead-lists" && seg[2] == "leads") {
      param = seg[1];
      return pick({{"GET", route::leads_get}, {"POST", route::leads_add}, {"DELETE", route::leads_remove}});
    }
    if (seg[0] == "lead-lists" && seg[2] == "csv-import") {
      param = seg[1];
      return pick({{"POST", route::csv_import}});
    }
    if (seg[0] == "enrichment" && seg[1] == "status") {
      param = seg[2];
      return pick({{"GET", route::enrich_status}});
    }
    if (seg[0] == "export" && seg[1] == "csv" && seg[2] == "signed-url") return pick({{"POST", route::export_csv}});
  }
  return route::none;
}


void detail_body(sim_response& rs, int status, std::string_view detail) {
  rs.status = status;
  json::object o;
  o["detail"] = detail;
  rs.body = json::serialize(o);
}

} // namespace

void sim_state::handle(const sim_request& rq, sim_response& rs) {
  rs.reset();
  auto now = sim_clock::now();
  ctx c{rq, rs, now};
  rs.request_id = new_request_id();
  std::string_view target = rq.target, path = target, query;
  if (auto q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }
  if (path == "/api/v1/api-keys" || path.starts_with("/api/v1/api-keys/")) return handle_key_mgmt(rq, path, rs);
  std::string_view rest;
  bool v1 = false;
  if (path.starts_with("/api/v1/public")) { c.prefix = path.substr(0, 14); rest = path.substr(14); v1 = true; }
  else if (path.starts_with("/api/v2")) { c.prefix = path.substr(0, 7); rest = path.substr(7); }
  else return detail_body(rs, 404, "Not Found");
  bool bad_method = false;
  c.r = match(rq.method, rest, v1, c.path_param, bad_method);
  if (c.r == route::none) return detail_body(rs, bad_method ? 405 : 404, bad_method ? "Method Not Allowed" : "Not Found");
  c.legacy = c.r >= route::l_validate;
  if (!query.empty()) c.query = parse_query_string(query);

  std::lock_guard lk(mtx_);
  // ---- authentication
  std::string_view auth = rq.authorization;
  const std::int64_t now_s = epoch_ms() / 1000;
  int key = -1, jwt_user = -1;
  if (auth.starts_with("Bearer ")) {
    auto token = auth.substr(7);
    if (token.starts_with("clapi_")) {
      if (auto it = key_index_.find(token); it != key_index_.end() && keys_[static_cast<std::size_t>(it->second)].active(now_s))
        key = it->second;
    } else if (jwt_shaped(token)) {
      if (auto it = jwt_index_.find(token); it != jwt_index_.end()) jwt_user = it->second;
    }
  }
  if (key < 0 && jwt_user < 0) {
    if (c.legacy) return handlers::legacy_error(c, 401, "Not authenticated");
    return handlers::error(*this, c, 401, "unauthenticated",
                           auth.empty() ? "No API key was sent." : "The API key is missing, malformed, expired or revoked.",
                           "Send 'Authorization: Bearer clapi_...' with an active key.");
  }
  c.key = key;
  c.jwt = key < 0;
  key_rec* kp = c.jwt ? nullptr : &keys_[static_cast<std::size_t>(key)];
  c.user = c.jwt ? jwt_user : kp->user;
  c.org = users_[static_cast<std::size_t>(c.user)].org;
  org_rec& o = orgs_[static_cast<std::size_t>(c.org)];
  // a JWT session has its own window per user (limit per_key_limit), like a key
  window_counter& kwin = c.jwt ? users_[static_cast<std::size_t>(c.user)].jwt_win : kp->win;

  // ---- rate limits (fixed windows per key and per organisation)
  {
    const std::int64_t elapsed = now_ms_since_start(now);
    const std::int64_t win = std::max<std::int64_t>(1, params_.window.count());
    const std::int64_t idx = elapsed / win;
    if (kwin.index != idx) kwin = {idx, 0};
    if (o.win.index != idx) o.win = {idx, 0};
    if (kwin.count >= params_.per_key_limit || o.win.count >= params_.per_org_limit) {
      if (params_.rate_limits) {
        limited_.fetch_add(1, std::memory_order_relaxed);
        std::int64_t ms = (idx + 1) * win - elapsed;
        if (ms < 1) ms = 1;
        rs.retry_after_s = static_cast<int>((ms + 999) / 1000);
        bool key_bound = kwin.count >= params_.per_key_limit;
        if (c.legacy) return handlers::legacy_error(c, 429, "Rate limit exceeded. Retry after " + std::to_string(rs.retry_after_s) + " seconds.");
        json::object extra;
        extra["limit_scope"] = key_bound ? "api_key" : "organization";
        extra["limit"] = key_bound ? params_.per_key_limit : params_.per_org_limit;
        extra["window_ms"] = win;
        extra["retry_after_ms"] = ms;
        return handlers::error(*this, c, 429, "rate_limited",
                               std::string("Rate limit exceeded for this ") + (key_bound ? "API key" : "organization") + ".",
                               "Wait retry_after_ms (or the Retry-After header) before the next request.",
                               std::move(extra), true);
      }
      above_limit_.fetch_add(1, std::memory_order_relaxed);
    }
    ++kwin.count;
    ++o.win.count;
  }
  if (kp) kp->last_used_s = now_s;

  handlers::dispatch(*this, c);

  // ---- usage log (cheap: counters indexed by route, key and day)
  {
    bool err = rs.status >= 400;
    auto bump = [&](usage_counts& u) {
      ++u.calls;
      if (err) ++u.errors;
    };
    bump(o.usage_route[(c.prefix.size() == 7 ? 32 : 0) + static_cast<std::size_t>(c.r)]);
    if (kp) bump(kp->usage);
    bump(o.usage_day[now_s / 86400]);
    if (err) bump(o.usage_error[std::to_string(rs.status)]);
    ++o.usage_total;
    if (err) ++o.usage_errors;
  }
}

std::string route_template(int idx) {
  return std::string(idx >= 32 ? "/api/v2" : "/api/v1/public") + std::string(info(static_cast<route>(idx % 32)).tmpl);
}

// Scope / feature gates and the handler call.
void handlers::dispatch(sim_state& s, ctx& c) {
  const auto& o = s.orgs_[static_cast<std::size_t>(c.org)];
  if (!o.api_access && c.r != route::whoami) {
    if (c.legacy) return legacy_error(c, 403, "Your plan does not include API access.");
    json::object extra;
    extra["feature"] = "API_ACCESS";
    extra["tier"] = o.tier;
    return error(s, c, 403, "feature_gated", "Your plan does not include API access.",
                 "Upgrade to Pro or higher at app.cleanlist.ai/billing.", std::move(extra));
  }
  std::string_view scope = info(c.r).scope;
  static const key_rec jwt_session{}; // all_scopes
  const auto& k = c.jwt ? jwt_session : s.keys_[static_cast<std::size_t>(c.key)];
  if (!scope.empty() && !k.all_scopes &&
      std::find(k.scopes.begin(), k.scopes.end(), scope) == k.scopes.end()) {
    json::object details;
    details["required_scope"] = scope;
    json::array g;
    for (auto& sc : k.scopes) g.emplace_back(sc);
    details["granted_scopes"] = std::move(g);
    json::object extra;
    extra["details"] = std::move(details);
    return error(s, c, 403, "insufficient_scope",
                 "This call requires the '" + std::string(scope) + "' scope, which is not granted to the authenticating credential.",
                 "Re-issue the API key with the required scope, or use a key that has it.", std::move(extra));
  }
  // The contract: the request body and query against the embedded OpenAPI v2 schema (v1: with
  // the documented relaxations), as FastAPI validates them after authentication (sim_contract.cpp).
  if (!c.legacy) {
    std::string tmpl(c.prefix);
    tmpl += info(c.r).tmpl;
    if (takes_body(c.rq.method, tmpl) && !parse_body(s, c)) return;
    auto errs = check_request(c.rq.method, tmpl, c.query, c.body.is_null() ? nullptr : &c.body);
    if (!errs.empty()) {
      verrs e;
      for (auto& x : errs) e.a.emplace_back(x.to_json());
      return write_422(c.rs, e);
    }
  }
  switch (c.r) {
  case route::whoami: return whoami(s, c);
  case route::balance: return balance(s, c);
  case route::estimate: return estimate(s, c);
  case route::api_keys: return api_keys(s, c);
  case route::usage: return usage(s, c);
  case route::lists_create: return lists_create(s, c);
  case route::lists_get: return lists_get(s, c);
  case route::list_get: return list_get(s, c);
  case route::list_patch: return list_patch(s, c);
  case route::list_delete: return list_delete(s, c);
  case route::leads_get: return leads_get(s, c);
  case route::leads_add: return leads_add(s, c);
  case route::leads_remove: return leads_remove(s, c);
  case route::csv_import: return csv_import(s, c);
  case route::enrich_person: return enrich_person(s, c);
  case route::enrich_company: return enrich_company(s, c);
  case route::enrich_by_task: return enrich_by_task(s, c);
  case route::enrich_bulk: return enrich_bulk(s, c);
  case route::enrich_status: return enrich_status(s, c);
  case route::agents_run: return agents_run(s, c);
  case route::agents_list: return agents_list(s, c);
  case route::agent_get: return agent_get(s, c);
  case route::export_csv: return export_csv(s, c);
  case route::export_json: return export_json(s, c);
  case route::l_validate: return l_validate(s, c);
  case route::l_bulk: return l_bulk(s, c);
  case route::l_status: return l_status(s, c);
  case route::l_deliveries: return l_deliveries(s, c);
  case route::none: break;
  }
}

} // namespace cleanlist::testing::detail
