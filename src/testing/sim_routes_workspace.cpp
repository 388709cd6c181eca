// Routes: whoami, credits (balance, estimate), api-keys, usage.
#include "testing/sim_handler_util.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace cleanlist::testing::detail {

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

} // namespace cleanlist::testing::detail
