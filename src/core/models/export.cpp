#include <cleanlist/models/export.hpp>

#include "json_read.hpp"

namespace cleanlist {

namespace json = boost::json;
using models_detail::put;
using models_detail::reader;

void tag_invoke(json::value_from_tag, json::value& jv, const export_csv_request& r) {
  json::object o;
  put(o, "list_id", r.list_id);
  put(o, "columns", r.columns);
  put(o, "include_smart_agents", r.include_smart_agents);
  jv = std::move(o);
}

export_csv_response tag_invoke(json::value_to_tag<export_csv_response>, const json::value& jv) {
  reader rd(jv, "export_csv_response");
  export_csv_response r;
  rd.envelope_into(r);
  r.list_id = rd.req_string("list_id");
  r.download_url = rd.req_string("download_url");
  r.expires_at = rd.req_string("expires_at");
  r.row_count = rd.req_int("row_count");
  r.file_size_bytes = rd.req_int("file_size_bytes");
  return r;
}

export_json_response tag_invoke(json::value_to_tag<export_json_response>, const json::value& jv) {
  reader rd(jv, "export_json_response");
  export_json_response r;
  rd.envelope_into(r);
  r.list_id = rd.req_string("list_id");
  const auto& leads = rd.req_array("leads");
  r.leads.reserve(leads.size());
  for (std::size_t i = 0; i < leads.size(); ++i) {
    const auto* o = leads[i].if_object();
    if (!o) models_detail::fail(rd.ctx(), "leads[" + std::to_string(i) + "]", "expected a JSON object");
    r.leads.emplace_back(*o, json::storage_ptr());  // owned: copies are values
  }
  r.total = rd.req_int("total");
  r.cursor = rd.opt_string("cursor");
  return r;
}

} // namespace cleanlist
