#include <cleanlist/models/legacy.hpp>

#include "json_read.hpp"

namespace cleanlist {

namespace json = boost::json;
using models_detail::put;
using models_detail::reader;

void tag_invoke(json::value_from_tag, json::value& jv, const legacy_contact& c) {
  json::object o;
  put(o, "linkedin_url", c.linkedin_url);
  put(o, "first_name", c.first_name);
  put(o, "last_name", c.last_name);
  put(o, "company_domain", c.company_domain);
  put(o, "company_name", c.company_name);
  put(o, "email", c.email);
  jv = std::move(o);
}

void tag_invoke(json::value_from_tag, json::value& jv, const legacy_bulk_request& r) {
  json::object o;
  put(o, "enrichment_type", r.enrichment_type);
  put(o, "webhook_url", r.webhook_url);
  json::array contacts;
  contacts.reserve(r.contacts.size());
  for (const auto& c : r.contacts) {
    json::value v;
    tag_invoke(json::value_from_tag{}, v, c);
    contacts.push_back(std::move(v));
  }
  o["contacts"] = std::move(contacts);
  jv = std::move(o);
}

validate_key_response tag_invoke(json::value_to_tag<validate_key_response>, const json::value& jv) {
  reader rd(jv, "validate_key_response");
  validate_key_response r;
  rd.envelope_into(r);
  r.valid = rd.req_bool("valid");
  if (r.valid) {
    r.user_id = rd.req_string("user_id");
    r.organization_id = rd.req_string("organization_id");
  } else {
    r.user_id = rd.opt_string("user_id").value_or(std::string());
    r.organization_id = rd.opt_string("organization_id").value_or(std::string());
  }
  return r;
}

legacy_bulk_response tag_invoke(json::value_to_tag<legacy_bulk_response>, const json::value& jv) {
  reader rd(jv, "legacy_bulk_response");
  legacy_bulk_response r;
  rd.envelope_into(r);
  r.workflow_id = rd.req_string("workflow_id");
  r.status = rd.req_string("status");
  r.task_ids = rd.req_string_array("task_ids");
  r.total_contacts = rd.req_int("total_contacts");
  return r;
}

legacy_status_response tag_invoke(json::value_to_tag<legacy_status_response>, const json::value& jv) {
  reader rd(jv, "legacy_status_response");
  legacy_status_response r;
  rd.envelope_into(r);
  r.workflow_id = rd.opt_string("workflow_id");
  r.status = rd.req_string("status");
  return r;
}

webhook_deliveries_response tag_invoke(json::value_to_tag<webhook_deliveries_response>, const json::value& jv) {
  webhook_deliveries_response r;
  if (const auto* a = jv.if_array()) {  // tolerate a bare array of attempts
    r.deliveries = *a;
    return r;
  }
  reader rd(jv, "webhook_deliveries_response");
  rd.envelope_into(r);
  r.workflow_id = rd.opt_string("workflow_id");
  if (const auto* a = rd.opt_array("deliveries")) r.deliveries = *a;
  return r;
}

} // namespace cleanlist
