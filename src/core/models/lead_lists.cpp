#include <cleanlist/models/lead_lists.hpp>

#include "json_read.hpp"

namespace cleanlist {

namespace json = boost::json;
using models_detail::put;
using models_detail::reader;

// ---------------------------------------------------------------- requests

void tag_invoke(json::value_from_tag, json::value& jv, const create_list_request& r) {
  json::object o;
  put(o, "name", r.name);
  put(o, "description", r.description);
  put(o, "folder_id", r.folder_id);
  jv = std::move(o);
}

void tag_invoke(json::value_from_tag, json::value& jv, const update_list_request& r) {
  json::object o;
  put(o, "name", r.name);
  put(o, "description", r.description);
  put(o, "folder_id", r.folder_id);
  jv = std::move(o);
}

void tag_invoke(json::value_from_tag, json::value& jv, const add_leads_request& r) {
  json::object o;
  // Mode A (AddByLeadIds) when lead_ids are given, mode B (AddByCohort) when task_id is.
  // A request mixing both is rejected by validate(); it is serialised as given (server: 422).
  if (!r.lead_ids.empty() || !r.task_id) put(o, "lead_ids", r.lead_ids);
  put(o, "task_id", r.task_id);
  put(o, "entity_ids", r.entity_ids);
  put(o, "idempotency_key", r.idempotency_key);
  jv = std::move(o);
}

void tag_invoke(json::value_from_tag, json::value& jv, const remove_leads_request& r) {
  json::object o;
  put(o, "lead_ids", r.lead_ids);
  jv = std::move(o);
}

void tag_invoke(json::value_from_tag, json::value& jv, const csv_import_request& r) {
  json::object o;
  o["csv_content_base64"] = base64_encode(r.csv_content);
  json::object mapping;
  for (const auto& [k, v] : r.column_mapping) mapping[k] = v;
  o["column_mapping"] = std::move(mapping);
  put(o, "dispatch_enrichment", r.dispatch_enrichment);
  if (r.enrichment_type) o["enrichment_type"] = to_string(*r.enrichment_type);
  put(o, "quote_id", r.quote_id);
  put(o, "idempotency_key", r.idempotency_key);
  jv = std::move(o);
}

// ---------------------------------------------------------------- responses

namespace {

list_summary parse_list_summary(const json::value& jv, std::string_view ctx) {
  reader rd(jv, ctx);
  list_summary r;
  rd.envelope_into(r);
  r.list_id = rd.req_string("list_id");
  r.name = rd.req_string("name");
  r.lead_count = rd.req_int("lead_count");
  r.folder_id = rd.opt_string("folder_id");
  r.created_at = rd.opt_string("created_at");
  r.owner_name = rd.opt_string("owner_name");
  r.visibility = rd.opt_string("visibility");
  return r;
}

lead_row parse_lead_row(const json::value& jv, std::string_view ctx) {
  reader rd(jv, ctx);
  lead_row r;
  rd.envelope_into(r);
  r.lead_id = rd.req_string("lead_id");
  r.first_name = rd.opt_string("first_name");
  r.last_name = rd.opt_string("last_name");
  r.full_name = rd.opt_string("full_name");
  r.email = rd.opt_string("email");
  r.phone = rd.opt_string("phone");
  r.title = rd.opt_string("title");
  r.company = rd.opt_string("company");
  r.location = rd.opt_string("location");
  r.linkedin_url = rd.opt_string("linkedin_url");
  r.provider = rd.opt_string("provider");
  return r;
}

} // namespace

list_detail tag_invoke(json::value_to_tag<list_detail>, const json::value& jv) {
  reader rd(jv, "list_detail");
  list_detail r;
  rd.envelope_into(r);
  r.list_id = rd.req_string("list_id");
  r.name = rd.req_string("name");
  r.description = rd.opt_string("description");
  r.lead_count = rd.req_int("lead_count");
  r.enriched_count = rd.req_int("enriched_count");
  r.folder_id = rd.opt_string("folder_id");
  r.created_at = rd.opt_string("created_at");
  r.reused = rd.bool_or("reused", false);
  return r;
}

list_summary tag_invoke(json::value_to_tag<list_summary>, const json::value& jv) {
  return parse_list_summary(jv, "list_summary");
}

lists_page tag_invoke(json::value_to_tag<lists_page>, const json::value& jv) {
  reader rd(jv, "lists_page");
  lists_page r;
  rd.envelope_into(r);
  r.lists = rd.req_list<list_summary>("lists", parse_list_summary);
  r.total = rd.req_int("total");
  r.cursor = rd.opt_string("cursor");
  return r;
}

delete_list_response tag_invoke(json::value_to_tag<delete_list_response>, const json::value& jv) {
  reader rd(jv, "delete_list_response");
  delete_list_response r;
  rd.envelope_into(r);
  r.list_id = rd.req_string("list_id");
  r.deleted = rd.req_bool("deleted");
  return r;
}

lead_row tag_invoke(json::value_to_tag<lead_row>, const json::value& jv) {
  return parse_lead_row(jv, "lead_row");
}

leads_page tag_invoke(json::value_to_tag<leads_page>, const json::value& jv) {
  reader rd(jv, "leads_page");
  leads_page r;
  rd.envelope_into(r);
  r.list_id = rd.req_string("list_id");
  r.leads = rd.req_list<lead_row>("leads", parse_lead_row);
  r.total = rd.req_int("total");
  r.cursor = rd.opt_string("cursor");
  return r;
}

add_leads_response tag_invoke(json::value_to_tag<add_leads_response>, const json::value& jv) {
  reader rd(jv, "add_leads_response");
  add_leads_response r;
  rd.envelope_into(r);
  r.list_id = rd.req_string("list_id");
  r.added = rd.req_int("added");
  r.skipped_duplicates = rd.req_int("skipped_duplicates");
  r.created = rd.opt_int("created");
  r.credits_charged = rd.number_or("credits_charged", 0.0);
  return r;
}

remove_leads_response tag_invoke(json::value_to_tag<remove_leads_response>, const json::value& jv) {
  reader rd(jv, "remove_leads_response");
  remove_leads_response r;
  rd.envelope_into(r);
  r.list_id = rd.req_string("list_id");
  r.removed = rd.req_int("removed");
  return r;
}

csv_import_response tag_invoke(json::value_to_tag<csv_import_response>, const json::value& jv) {
  reader rd(jv, "csv_import_response");
  csv_import_response r;
  rd.envelope_into(r);
  r.list_id = rd.req_string("list_id");
  r.rows_parsed = rd.req_int("rows_parsed");
  r.rows_imported = rd.req_int("rows_imported");
  r.rows_skipped = rd.req_int("rows_skipped");
  r.skip_reasons = rd.int_map_or_empty("skip_reasons");
  r.sample_skip_rows = rd.int_array_or_empty("sample_skip_rows");
  r.workflow_id = rd.opt_string("workflow_id");
  r.enrichment_status_url = rd.opt_string("enrichment_status_url");
  r.idempotency_replayed = rd.bool_or("idempotency_replayed", false);
  return r;
}

} // namespace cleanlist
