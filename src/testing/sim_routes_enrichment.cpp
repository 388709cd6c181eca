// Routes: enrichment (person, company, by task, bulk) and workflow status.
#include "testing/sim_handler_util.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace cleanlist::testing::detail {

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

} // namespace cleanlist::testing::detail
