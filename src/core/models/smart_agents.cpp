#include <cleanlist/models/smart_agents.hpp>

#include "json_read.hpp"

namespace cleanlist {

namespace json = boost::json;
using models_detail::put;
using models_detail::reader;

void tag_invoke(json::value_from_tag, json::value& jv, const run_smart_agent_request& r) {
  json::object o;
  put(o, "list_id", r.list_id);
  put(o, "agent_type", r.agent_type);
  put(o, "prompt", r.prompt);
  put(o, "column_name", r.column_name);
  put(o, "lead_scope", r.lead_scope);
  put(o, "max_rows", r.max_rows);
  put(o, "quote_id", r.quote_id);
  put(o, "overwrite", r.overwrite);
  jv = std::move(o);
}

namespace {

smart_agent_run parse_run(const json::value& jv, std::string_view ctx) {
  reader rd(jv, ctx);
  smart_agent_run r;
  rd.envelope_into(r);
  r.task_id = rd.req_string("task_id");
  r.list_id = rd.req_string("list_id");
  r.column_name = rd.req_string("column_name");
  r.agent_type = rd.req_string("agent_type");
  r.status = rd.req_string("status");
  r.total = rd.int_or("total", 0);
  r.processed = rd.int_or("processed", 0);
  r.failed = rd.int_or("failed", 0);
  r.created_at = rd.opt_string("created_at");
  return r;
}

smart_agent_result_row parse_result_row(const json::value& jv, std::string_view ctx) {
  reader rd(jv, ctx);
  smart_agent_result_row r;
  rd.envelope_into(r);
  r.lead_id = rd.req_string("lead_id");
  if (const auto* v = rd.find("value")) r.value = *v;
  r.error = rd.opt_string("error");
  return r;
}

} // namespace

run_smart_agent_response tag_invoke(json::value_to_tag<run_smart_agent_response>, const json::value& jv) {
  reader rd(jv, "run_smart_agent_response");
  run_smart_agent_response r;
  rd.envelope_into(r);
  r.smart_agent_task_id = rd.req_string("smart_agent_task_id");
  r.smart_agent_task_ids = rd.string_map_or_empty("smart_agent_task_ids");
  r.status = rd.req_string("status");
  r.list_id = rd.req_string("list_id");
  r.column_name = rd.req_string("column_name");
  r.estimated_cost = rd.req_int("estimated_cost");
  return r;
}

smart_agent_run tag_invoke(json::value_to_tag<smart_agent_run>, const json::value& jv) {
  return parse_run(jv, "smart_agent_run");
}

list_smart_agents_response tag_invoke(json::value_to_tag<list_smart_agents_response>, const json::value& jv) {
  reader rd(jv, "list_smart_agents_response");
  list_smart_agents_response r;
  rd.envelope_into(r);
  r.runs = rd.req_list<smart_agent_run>("runs", parse_run);
  r.total = rd.req_int("total");
  return r;
}

smart_agent_result_row tag_invoke(json::value_to_tag<smart_agent_result_row>, const json::value& jv) {
  return parse_result_row(jv, "smart_agent_result_row");
}

smart_agent_results_response tag_invoke(json::value_to_tag<smart_agent_results_response>,
                                        const json::value& jv) {
  reader rd(jv, "smart_agent_results_response");
  smart_agent_results_response r;
  rd.envelope_into(r);
  r.smart_agent_task_id = rd.req_string("smart_agent_task_id");
  r.status = rd.req_string("status");
  r.progress = rd.req_int("progress");
  r.total = rd.req_int("total");
  r.succeeded = rd.req_int("succeeded");
  r.failed = rd.req_int("failed");
  r.results = rd.req_list<smart_agent_result_row>("results", parse_result_row);
  return r;
}

} // namespace cleanlist
