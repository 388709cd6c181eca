// Routes: smart agents and exports (CSV, JSON).
#include "testing/sim_handler_util.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace cleanlist::testing::detail {

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
  std::string url = s.export_origin() + "/__exports/" + token + ".csv?exp=" + std::to_string(exp_s) + "&sig=" +
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

} // namespace cleanlist::testing::detail
