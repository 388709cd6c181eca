#include <cleanlist/models/enrichment.hpp>

#include "json_read.hpp"

namespace cleanlist {

namespace json = boost::json;
using models_detail::put;
using models_detail::reader;

// ---------------------------------------------------------------- requests

void tag_invoke(json::value_from_tag, json::value& jv, const enrich_person_request& r) {
  json::object o;
  put(o, "lead_list_id", r.lead_list_id);
  put(o, "email", r.email);
  put(o, "linkedin_url", r.linkedin_url);
  put(o, "phone", r.phone);
  put(o, "first_name", r.first_name);
  put(o, "last_name", r.last_name);
  put(o, "company_name", r.company_name);
  put(o, "domain", r.domain);
  put(o, "person_id", r.person_id);
  if (r.enrichment_type) o["enrichment_type"] = to_string(*r.enrichment_type);
  put(o, "include_phone", r.include_phone);
  put(o, "quote_id", r.quote_id);
  jv = std::move(o);
}

void tag_invoke(json::value_from_tag, json::value& jv, const enrich_company_request& r) {
  json::object o;
  put(o, "domain", r.domain);
  put(o, "company_name", r.company_name);
  put(o, "company_ticker", r.company_ticker);
  put(o, "company_id", r.company_id);
  put(o, "quote_id", r.quote_id);
  jv = std::move(o);
}

void tag_invoke(json::value_from_tag, json::value& jv, const enrich_by_task_request& r) {
  json::object o;
  put(o, "task_id", r.task_id);
  put(o, "data_points", r.data_points);
  put(o, "entity_ids", r.entity_ids);
  put(o, "lead_list_id", r.lead_list_id);
  put(o, "quote_id", r.quote_id);
  jv = std::move(o);
}

void tag_invoke(json::value_from_tag, json::value& jv, const enrich_list_request& r) {
  json::object o;
  put(o, "list_id", r.list_id);
  if (r.scope) o["scope"] = to_string(*r.scope);
  put(o, "quote_id", r.quote_id);
  jv = std::move(o);
}

// ---------------------------------------------------------------- responses

namespace {

company_record parse_company_record(const json::value& jv, std::string_view ctx) {
  reader rd(jv, ctx);
  company_record r;
  rd.envelope_into(r);
  r.company_id = rd.opt_string("company_id");
  r.name = rd.opt_string("name");
  r.domain = rd.opt_string("domain");
  r.industry = rd.opt_string("industry");
  r.industries = rd.opt_string_array("industries");
  r.employee_count = rd.opt_int("employee_count");
  r.employee_count_range = rd.opt_string("employee_count_range");
  r.revenue_range = rd.opt_string("revenue_range");
  r.hq_location = rd.opt_string("hq_location");
  r.funding_stage = rd.opt_string("funding_stage");
  r.total_funding_usd = rd.opt_int("total_funding_usd");
  r.tech_stack = rd.opt_string_array("tech_stack");
  r.linkedin_url = rd.opt_string("linkedin_url");
  return r;
}

enrich_by_task_entity_result parse_entity_result(const json::value& jv, std::string_view ctx) {
  reader rd(jv, ctx);
  enrich_by_task_entity_result r;
  rd.envelope_into(r);
  r.entity_id = rd.req_string("entity_id");
  r.status = rd.req_string("status");
  r.error = rd.opt_string("error");
  if (const auto* c = rd.find("company"); c && !c->is_null())
    r.company = parse_company_record(*c, std::string(rd.ctx()) + ".company");
  return r;
}

single_enrichment_result parse_single_result(const json::value& jv, std::string_view ctx) {
  reader rd(jv, ctx);
  single_enrichment_result r;
  rd.envelope_into(r);
  r.lead_id = rd.req_string("lead_id");
  r.status = rd.req_string("status");
  r.full_name = rd.opt_string("full_name");
  r.first_name = rd.opt_string("first_name");
  r.last_name = rd.opt_string("last_name");
  r.email = rd.opt_string("email");
  r.email_status = rd.opt_string("email_status");
  r.phone = rd.opt_string("phone");
  r.linkedin_url = rd.opt_string("linkedin_url");
  r.title = rd.opt_string("title");
  r.company = rd.opt_string("company");
  r.enrichment_type = rd.opt_string("enrichment_type");
  r.provider = rd.opt_string("provider");
  return r;
}

} // namespace

enrich_person_response tag_invoke(json::value_to_tag<enrich_person_response>, const json::value& jv) {
  reader rd(jv, "enrich_person_response");
  enrich_person_response r;
  rd.envelope_into(r);
  r.workflow_id = rd.req_string("workflow_id");
  r.status = rd.req_string("status");
  r.credits_reserved = rd.req_int("credits_reserved");
  r.lead_list_id = rd.req_string("lead_list_id");
  r.poll_url = rd.req_string("poll_url");
  return r;
}

company_record tag_invoke(json::value_to_tag<company_record>, const json::value& jv) {
  return parse_company_record(jv, "company_record");
}

enrich_company_response tag_invoke(json::value_to_tag<enrich_company_response>, const json::value& jv) {
  reader rd(jv, "enrich_company_response");
  enrich_company_response r;
  rd.envelope_into(r);
  r.company = parse_company_record(rd.req_value("company"), std::string(rd.ctx()) + ".company");
  r.credits_charged = rd.req_int("credits_charged");
  return r;
}

enrich_by_task_entity_result tag_invoke(json::value_to_tag<enrich_by_task_entity_result>, const json::value& jv) {
  return parse_entity_result(jv, "enrich_by_task_entity_result");
}

enrich_by_task_response tag_invoke(json::value_to_tag<enrich_by_task_response>, const json::value& jv) {
  reader rd(jv, "enrich_by_task_response");
  enrich_by_task_response r;
  rd.envelope_into(r);
  r.entity_kind = rd.req_string("entity_kind");
  r.workflow_id = rd.opt_string("workflow_id");
  r.status = rd.req_string("status");
  r.total_entities = rd.req_int("total_entities");
  r.credits_reserved = rd.req_int("credits_reserved");
  r.results = rd.req_list<enrich_by_task_entity_result>("results", parse_entity_result);
  return r;
}

enrich_list_response tag_invoke(json::value_to_tag<enrich_list_response>, const json::value& jv) {
  reader rd(jv, "enrich_list_response");
  enrich_list_response r;
  rd.envelope_into(r);
  r.workflow_id = rd.req_string("workflow_id");
  r.status = rd.req_string("status");
  r.total_leads = rd.req_int("total_leads");
  r.estimated_cost = rd.req_int("estimated_cost");
  r.credits_reserved = rd.req_int("credits_reserved");
  r.poll_url = rd.req_string("poll_url");
  return r;
}

single_enrichment_result tag_invoke(json::value_to_tag<single_enrichment_result>, const json::value& jv) {
  return parse_single_result(jv, "single_enrichment_result");
}

workflow_status_response tag_invoke(json::value_to_tag<workflow_status_response>, const json::value& jv) {
  reader rd(jv, "workflow_status_response");
  workflow_status_response r;
  rd.envelope_into(r);
  r.workflow_id = rd.req_string("workflow_id");
  r.status = rd.req_string("status");
  r.progress = rd.opt_int("progress");
  r.total = rd.opt_int("total");
  r.processed = rd.opt_int("processed");
  r.completed = rd.opt_int("completed");
  r.failed = rd.opt_int("failed");
  r.enrichment_type = rd.opt_string("enrichment_type");
  r.lead_list_id = rd.opt_string("lead_list_id");
  if (const auto* s = rd.opt_object("summary")) r.summary.emplace(*s, json::storage_ptr());  // owned: copies are values
  r.refund_status = rd.opt_string("refund_status");
  r.refund_message = rd.opt_string("refund_message");
  if (const auto* res = rd.find("result"); res && !res->is_null())
    r.result = parse_single_result(*res, std::string(rd.ctx()) + ".result");
  r.credits_charged = rd.opt_int("credits_charged");
  r.credits_refunded = rd.opt_int("credits_refunded");
  return r;
}

} // namespace cleanlist
