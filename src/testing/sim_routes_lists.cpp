// Routes: lead lists, their leads, CSV import.
#include "testing/sim_handler_util.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace cleanlist::testing::detail {

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
    if (imported.size() >= s.params_.csv_max_rows) { skip("row_cap_exceeded"); continue; }
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

} // namespace cleanlist::testing::detail
