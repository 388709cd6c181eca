#include "protocol/request_spec.hpp"
#include "protocol/url.hpp"

#include <cleanlist/models/validation.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <algorithm>
#include <random>

namespace cleanlist::api {
namespace {

// Query string builder: "?a=1&b=x", skipping absent values.
class query {
public:
  template <class T>
  query& add(std::string_view key, const std::optional<T>& v) {
    if (v) add(key, *v);
    return *this;
  }
  query& add(std::string_view key, const std::string& v) { return add_raw(key, protocol::url_encode(v)); }
  query& add(std::string_view key, int v) { return add_raw(key, std::to_string(v)); }
  std::string str() const { return s_; }

private:
  query& add_raw(std::string_view key, const std::string& v) {
    s_ += s_.empty() ? '?' : '&';
    s_ += key;
    s_ += '=';
    s_ += v;
    return *this;
  }
  std::string s_;
};

template <class Req>
std::string json_body(const Req& r) {
  return boost::json::serialize(boost::json::value_from(r));
}

request_spec make(method m, std::string target, std::string body = {}, bool idempotent = true) {
  request_spec spec{m, std::move(target), std::move(body), idempotent, {}};
  spec.read_only = m == method::get;
  return spec;
}

// A quote-protected POST: not idempotent (a lost answer may hide a paid run), but replaying
// it is harmless, the quote being single-use.
request_spec quote_protected(request_spec spec) {
  spec.idempotent = false;
  spec.replay_safe = true;
  return spec;
}

// A request carrying a path id: refused client-side if the id could escape its path segment.
request_spec with_id(method m, const std::string& prefix, std::string_view id, std::string_view suffix,
                     std::string body = {}, bool idempotent = true) {
  if (auto bad = validate_path_id(id); !bad.empty()) return request_spec{m, {}, {}, idempotent, bad};
  const auto encoded = protocol::url_encode(id);
  std::string target;
  target.reserve(prefix.size() + encoded.size() + suffix.size());
  target.append(prefix).append(encoded).append(suffix);
  return make(m, std::move(target), std::move(body), idempotent);
}

template <class Req>
request_spec checked(const Req& r, request_spec spec) {
  if (spec.invalid.empty()) spec.invalid = validate(r);
  return spec;
}

} // namespace

request_spec whoami(const paths& p) { return make(method::get, p.base + "/whoami"); }
request_spec credits_balance(const paths& p) { return make(method::get, p.base + "/credits/balance"); }

request_spec estimate(const paths& p, const estimate_request& r) {
  if (auto bad = validate(r); !bad.empty()) return request_spec{method::post, {}, {}, true, bad};
  // A quote is free and has no effect until redeemed: asking again is safe.
  auto spec = make(method::post, p.base + "/credits/estimate", json_body(r), true);
  spec.read_only = true;
  return spec;
}

request_spec list_api_keys(const paths& p) { return make(method::get, p.base + "/api-keys"); }

request_spec usage(const paths& p, const usage_request& r) {
  return checked(r, make(method::get, p.base + "/usage" + query{}.add("days", r.days).add("group_by", r.group_by).str()));
}

request_spec create_list(const paths& p, const create_list_request& r) {
  if (auto bad = validate(r); !bad.empty()) return request_spec{method::post, {}, {}, true, bad};
  // Idempotent on the name: the server returns the existing list (reused: true).
  return make(method::post, p.base + "/lead-lists", json_body(r), true);
}

request_spec list_lists(const paths& p, const list_lists_request& r) {
  return checked(r, make(method::get, p.base + "/lead-lists" +
                                          query{}.add("limit", r.limit).add("cursor", r.cursor).add("folder_id", r.folder_id).str()));
}

request_spec get_list(const paths& p, std::string_view id) { return with_id(method::get, p.base + "/lead-lists/", id, ""); }

request_spec update_list(const paths& p, const update_list_request& r) {
  if (auto bad = validate(r); !bad.empty()) return request_spec{method::patch, {}, {}, true, bad};
  return with_id(method::patch, p.base + "/lead-lists/", r.list_id, "", json_body(r));
}

request_spec delete_list(const paths& p, std::string_view id) {
  return with_id(method::del, p.base + "/lead-lists/", id, "");
}

request_spec list_leads(const paths& p, const list_leads_request& r) {
  if (auto bad = validate(r); !bad.empty()) return request_spec{method::get, {}, {}, true, bad};
  return with_id(method::get, p.base + "/lead-lists/", r.list_id, "/leads" + query{}.add("limit", r.limit).add("cursor", r.cursor).str());
}

request_spec add_leads(const paths& p, const add_leads_request& r) {
  if (auto bad = validate(r); !bad.empty()) return request_spec{method::post, {}, {}, false, bad};
  // With an idempotency_key the server inserts exactly once however often the body is sent.
  return with_id(method::post, p.base + "/lead-lists/", r.list_id, "/leads", json_body(r), r.idempotency_key.has_value());
}

request_spec remove_leads(const paths& p, const remove_leads_request& r) {
  if (auto bad = validate(r); !bad.empty()) return request_spec{method::del, {}, {}, true, bad};
  return with_id(method::del, p.base + "/lead-lists/", r.list_id, "/leads", json_body(r));
}

request_spec csv_import(const paths& p, const csv_import_request& r) {
  if (auto bad = validate(r); !bad.empty()) return request_spec{method::post, {}, {}, false, bad};
  if (p.v2()) {
    // The v2 schema closes the column_mapping keys (v1 also takes the reference's aliases).
    static constexpr std::string_view canonical[] = {"first_name",   "last_name",      "full_name",  "email",
                                                     "phone",        "mobile_phone",   "work_phone", "linkedin_url",
                                                     "company_name", "company_domain", "job_title",  "city",
                                                     "state",        "country"};
    for (const auto& [k, v] : r.column_mapping)
      if (std::find(std::begin(canonical), std::end(canonical), k) == std::end(canonical))
        return request_spec{method::post, {}, {}, false,
                            "csv_import_request.column_mapping: \"" + k +
                                "\" is not a field of the v2 schema (first_name, last_name, full_name, email, phone, "
                                "mobile_phone, work_phone, linkedin_url, company_name, company_domain, job_title, city, "
                                "state, country)"};
  }
  return with_id(method::post, p.base + "/lead-lists/", r.list_id, "/csv-import", json_body(r), r.idempotency_key.has_value());
}

request_spec enrich_person(const paths& p, const enrich_person_request& r) {
  // The v2 schema requires lead_list_id (v1 defaults to the per-user "MCP Results" list):
  // refused here rather than by a 422, and rather than creating a list behind the caller's back.
  if (p.v2() && !r.lead_list_id)
    return request_spec{method::post, {}, {}, false,
                        "enrich_person_request.lead_list_id is required on /api/v2 (the official schema): create or "
                        "reuse a list with async_create_list, or use the /api/v1/public base URL where it defaults to "
                        "the \"MCP Results\" list"};
  // Not idempotent: a second POST is a second workflow and a second reservation.
  return checked(r, make(method::post, p.base + "/enrichment/person", json_body(r), false));
}

request_spec enrich_company(const paths& p, const enrich_company_request& r) {
  return checked(r, make(method::post, p.base + "/enrichment/company", json_body(r), false));
}

request_spec enrich_by_task(const paths& p, const enrich_by_task_request& r) {
  // With a quote: a replay of a processed request is refused (quote_already_used), never
  // charged twice. Without one: a plain non-idempotent POST.
  auto spec = checked(r, make(method::post, p.base + "/enrichment/by-task", json_body(r), false));
  return r.quote_id ? quote_protected(std::move(spec)) : spec;
}

request_spec enrich_list(const paths& p, const enrich_list_request& r) {
  return quote_protected(checked(r, make(method::post, p.base + "/enrichment/bulk", json_body(r), false)));
}

request_spec workflow_status(const paths& p, std::string_view id) {
  return with_id(method::get, p.base + "/enrichment/status/", id, "");
}

request_spec run_smart_agent(const paths& p, const run_smart_agent_request& r) {
  return quote_protected(checked(r, make(method::post, p.base + "/smart-agents/run", json_body(r), false)));
}

request_spec list_smart_agents(const paths& p, const list_smart_agents_request& r) {
  return checked(r, make(method::get, p.base + "/smart-agents" + query{}.add("list_id", r.list_id).add("limit", r.limit).str()));
}

request_spec get_smart_agent(const paths& p, std::string_view id) {
  return with_id(method::get, p.base + "/smart-agents/", id, "");
}

request_spec export_csv(const paths& p, const export_csv_request& r) {
  // Produces a signed URL; no state change, safe to repeat.
  auto spec = checked(r, make(method::post, p.base + "/export/csv/signed-url", json_body(r), true));
  spec.read_only = true;  // a signed download link: nothing changes on the server
  return spec;
}

request_spec export_json(const paths& p, const export_json_request& r) {
  query q;
  q.add("list_id", r.list_id).add("limit", r.limit).add("cursor", r.cursor);
  for (const auto& c : r.columns) q.add("columns", c);
  return checked(r, make(method::get, p.base + "/export/json" + q.str()));
}

request_spec validate_key(const paths& p) { return make(method::get, p.legacy + "/auth/validate-key"); }

request_spec legacy_enrich_bulk(const paths& p, const legacy_bulk_request& r) {
  return checked(r, make(method::post, p.legacy + "/enrich/bulk", json_body(r), false));
}

request_spec legacy_status(const paths& p, const legacy_status_request& r) {
  return checked(r, make(method::get, p.legacy + "/enrich/status" +
                                          query{}.add("workflow_id", r.workflow_id).add("task_id", r.task_id).str()));
}

request_spec webhook_deliveries(const paths& p, std::string_view id) {
  if (auto bad = validate_path_id(id); !bad.empty()) return request_spec{method::get, {}, {}, true, bad};
  return make(method::get, p.legacy + "/webhooks/deliveries" + query{}.add("workflow_id", std::string(id)).str());
}

request_spec create_api_key(const paths&, const create_api_key_request& r) {
  // Not idempotent: a lost answer may hide a created key (its secret shown only in that answer).
  return checked(r, make(method::post, std::string(key_management_path), json_body(r), false));
}

request_spec list_account_api_keys(const paths&) { return make(method::get, std::string(key_management_path)); }

request_spec revoke_api_key(const paths&, std::string_view key_id) {
  return with_id(method::del, std::string(key_management_path) + "/", key_id, "");
}

std::string new_idempotency_key() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string k = "cl-";
  for (int i = 0; i < 2; ++i) {
    auto v = rng();
    for (int j = 0; j < 16; ++j) k += hex[(v >> (4 * j)) & 15];
  }
  return k;
}

} // namespace cleanlist::api
