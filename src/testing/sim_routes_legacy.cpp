// Routes: the legacy v1 endpoints (validate, bulk, status, deliveries) and webhook payloads.
#include "testing/sim_handler_util.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace cleanlist::testing::detail {

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

} // namespace cleanlist::testing::detail
