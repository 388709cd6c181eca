#include <cleanlist/models/workspace.hpp>

#include "json_read.hpp"

namespace cleanlist {

namespace json = boost::json;
using models_detail::reader;
using models_detail::put;

void tag_invoke(json::value_from_tag, json::value& jv, const estimate_request& r) {
  json::object o;
  put(o, "tool", r.tool);
  put(o, "list_id", r.list_id);
  put(o, "filters", r.filters);
  put(o, "row_count", r.row_count);
  put(o, "scope", r.scope);
  put(o, "agent_type", r.agent_type);
  put(o, "include_phone", r.include_phone);
  put(o, "provider", r.provider);
  put(o, "sub_action", r.sub_action);
  put(o, "enrichment_type", r.enrichment_type);
  put(o, "task_id", r.task_id);
  put(o, "data_points", r.data_points);
  put(o, "entity_ids", r.entity_ids);
  put(o, "extra", r.extra);
  jv = std::move(o);
}

void tag_invoke(json::value_from_tag, json::value& jv, const create_api_key_request& r) {
  json::object o;
  put(o, "name", r.name);
  put(o, "expires_at", r.expires_at);
  jv = std::move(o);
}

namespace {

api_key_info parse_api_key_info(const json::value& jv, std::string_view ctx) {
  reader rd(jv, ctx);
  api_key_info r;
  rd.envelope_into(r);
  r.key_id = rd.req_string("key_id");
  r.key_prefix = rd.req_string("key_prefix");
  r.key_last4 = rd.req_string("key_last4");
  r.name = rd.opt_string("name");
  r.scopes = rd.req_string_array("scopes");
  r.created_at = rd.opt_string("created_at");
  r.last_used_at = rd.opt_string("last_used_at");
  r.is_active = rd.req_bool("is_active");
  return r;
}

usage_group_row parse_usage_group_row(const json::value& jv, std::string_view ctx) {
  reader rd(jv, ctx);
  usage_group_row r;
  rd.envelope_into(r);
  r.group = rd.req_string("group");
  r.calls = rd.req_int("calls");
  r.credits_spent = rd.req_number("credits_spent");
  r.errors = rd.req_int("errors");
  return r;
}

} // namespace

whoami_response tag_invoke(json::value_to_tag<whoami_response>, const json::value& jv) {
  reader rd(jv, "whoami_response");
  whoami_response r;
  rd.envelope_into(r);
  r.user_email = rd.req_nullable_string("user_email");
  r.user_id = rd.opt_string("user_id");
  r.user_name = rd.opt_string("user_name");
  r.organization_id = rd.req_string("organization_id");
  r.organization_name = rd.opt_string("organization_name");
  r.auth_type = rd.req_string("auth_type");
  r.scopes = rd.req_string_array("scopes");
  r.tier = rd.req_string("tier");
  r.appsumo_tier = rd.opt_int("appsumo_tier");
  r.features = rd.req_string_array("features");
  return r;
}

credits_balance_response tag_invoke(json::value_to_tag<credits_balance_response>, const json::value& jv) {
  reader rd(jv, "credits_balance_response");
  credits_balance_response r;
  rd.envelope_into(r);
  r.organization_id = rd.req_string("organization_id");
  r.credits = rd.req_int_floor("credits");
  return r;
}

estimate_response tag_invoke(json::value_to_tag<estimate_response>, const json::value& jv) {
  reader rd(jv, "estimate_response");
  estimate_response r;
  rd.envelope_into(r);
  r.quote_id = rd.req_string("quote_id");
  r.expires_at = rd.req_int("expires_at");
  r.estimated_cost = rd.req_int("estimated_cost");
  r.tool = rd.req_string("tool");
  r.row_count = rd.req_int("row_count");
  r.filter_hash = rd.req_string("filter_hash");
  r.available_credits = rd.req_int_floor("available_credits");
  r.sufficient = rd.req_bool("sufficient");
  return r;
}

api_key_info tag_invoke(json::value_to_tag<api_key_info>, const json::value& jv) {
  return parse_api_key_info(jv, "api_key_info");
}

api_keys_response tag_invoke(json::value_to_tag<api_keys_response>, const json::value& jv) {
  reader rd(jv, "api_keys_response");
  api_keys_response r;
  rd.envelope_into(r);
  r.keys = rd.req_list<api_key_info>("keys", parse_api_key_info);
  return r;
}

create_api_key_response tag_invoke(json::value_to_tag<create_api_key_response>, const json::value& jv) {
  reader rd(jv, "create_api_key_response");
  create_api_key_response r;
  rd.envelope_into(r);
  r.api_key = rd.req_string("api_key");
  r.created_at = rd.opt_string("created_at");
  r.expires_at = rd.opt_string("expires_at");
  r.key_id = rd.opt_string("key_id");
  r.name = rd.opt_string("name");
  return r;
}

revoke_api_key_response tag_invoke(json::value_to_tag<revoke_api_key_response>, const json::value& jv) {
  reader rd(jv, "revoke_api_key_response");
  revoke_api_key_response r;
  rd.envelope_into(r);
  r.key_id = rd.opt_string("key_id");
  r.revoked = rd.bool_or("revoked", true);  // a 2xx answer to the DELETE is the revocation
  return r;
}

usage_group_row tag_invoke(json::value_to_tag<usage_group_row>, const json::value& jv) {
  return parse_usage_group_row(jv, "usage_group_row");
}

usage_response tag_invoke(json::value_to_tag<usage_response>, const json::value& jv) {
  reader rd(jv, "usage_response");
  usage_response r;
  rd.envelope_into(r);
  r.days = rd.req_int("days");
  r.group_by = rd.req_string("group_by");
  r.total_calls = rd.req_int("total_calls");
  r.total_credits_spent = rd.req_number("total_credits_spent");
  r.total_errors = rd.req_int("total_errors");
  r.rows = rd.req_list<usage_group_row>("rows", parse_usage_group_row);
  return r;
}

} // namespace cleanlist
