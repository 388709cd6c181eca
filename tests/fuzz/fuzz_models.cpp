// libFuzzer target: model decoding. The input is "<type name>\n<JSON body>"; the body is parsed
// with cleanlist::protocol::parse_json (depth-bounded) and, when it parses, converted with
// boost::json::value_to<T> for the named response type (an unknown name picks a type from the
// name's bytes, so mutated names still exercise every decoder).
//
// The documented failure is boost::system::system_error carrying error::bad_response with a
// message naming the field; anything else escaping (another exception type, another code, an
// empty message), or a crash/ASan/UBSan report, is a bug.
//
// Every body also goes through the hot path's status reader (models_detail::
// read_workflow_status, no JSON document): when it accepts a body, the general reader must
// accept it too and give the same model, raw included; a difference is a bug.
#include "models/workflow_status_read.hpp"
#include "protocol/response.hpp"

#include <cleanlist/models.hpp>

#include <boost/json/value_to.hpp>
#include <boost/system/system_error.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

namespace {

using decode_fn = void (*)(const boost::json::value&);

template <class T> void decode(const boost::json::value& v) {
  T out = boost::json::value_to<T>(v);
  // The raw JSON is kept on envelope types; touching the result makes sure it is complete.
  (void)out;
}

struct entry {
  std::string_view name;
  decode_fn fn;
};

#define CL_ENTRY(T) entry{#T, &decode<cleanlist::T>}
constexpr entry types[] = {
    CL_ENTRY(whoami_response), CL_ENTRY(credits_balance_response), CL_ENTRY(estimate_response),
    CL_ENTRY(api_key_info), CL_ENTRY(api_keys_response), CL_ENTRY(usage_group_row), CL_ENTRY(usage_response),
    CL_ENTRY(create_api_key_response), CL_ENTRY(revoke_api_key_response),
    CL_ENTRY(list_detail), CL_ENTRY(list_summary), CL_ENTRY(lists_page), CL_ENTRY(delete_list_response),
    CL_ENTRY(lead_row), CL_ENTRY(leads_page), CL_ENTRY(add_leads_response), CL_ENTRY(remove_leads_response),
    CL_ENTRY(csv_import_response), CL_ENTRY(enrich_person_response), CL_ENTRY(company_record),
    CL_ENTRY(enrich_company_response), CL_ENTRY(enrich_by_task_entity_result), CL_ENTRY(enrich_by_task_response),
    CL_ENTRY(enrich_list_response), CL_ENTRY(single_enrichment_result), CL_ENTRY(workflow_status_response),
    CL_ENTRY(run_smart_agent_response), CL_ENTRY(smart_agent_run), CL_ENTRY(list_smart_agents_response),
    CL_ENTRY(smart_agent_result_row), CL_ENTRY(smart_agent_results_response), CL_ENTRY(export_csv_response),
    CL_ENTRY(export_json_response), CL_ENTRY(validate_key_response), CL_ENTRY(legacy_bulk_response),
    CL_ENTRY(legacy_status_response), CL_ENTRY(webhook_deliveries_response),
};
#undef CL_ENTRY

[[noreturn]] void bug(const char* what, const char* detail) {
  std::fprintf(stderr, "model decoding bug: %s: %s\n", what, detail);
  std::abort();
}

bool same_envelope(const cleanlist::envelope& a, const cleanlist::envelope& b) {
  return a.task_id == b.task_id && a.timestamp_ms == b.timestamp_ms && a.agent_instructions == b.agent_instructions &&
         a.usage == b.usage && a.message == b.message && a.raw == b.raw;
}

bool same(const cleanlist::single_enrichment_result& a, const cleanlist::single_enrichment_result& b) {
  return same_envelope(a, b) && a.lead_id == b.lead_id && a.status == b.status && a.full_name == b.full_name &&
         a.first_name == b.first_name && a.last_name == b.last_name && a.email == b.email &&
         a.email_status == b.email_status && a.phone == b.phone && a.linkedin_url == b.linkedin_url &&
         a.title == b.title && a.company == b.company && a.enrichment_type == b.enrichment_type &&
         a.provider == b.provider;
}

bool same(const cleanlist::workflow_status_response& a, const cleanlist::workflow_status_response& b) {
  if (a.result.has_value() != b.result.has_value() || (a.result && !same(*a.result, *b.result))) return false;
  return same_envelope(a, b) && a.workflow_id == b.workflow_id && a.status == b.status && a.progress == b.progress &&
         a.total == b.total && a.processed == b.processed && a.completed == b.completed && a.failed == b.failed &&
         a.enrichment_type == b.enrichment_type && a.lead_list_id == b.lead_list_id && a.summary == b.summary &&
         a.refund_status == b.refund_status && a.refund_message == b.refund_message &&
         a.credits_charged == b.credits_charged && a.credits_refunded == b.credits_refunded;
}

void check_fast_status(std::string_view body) {
  std::string copy(body);
  cleanlist::workflow_status_response fast;
  if (!cleanlist::models_detail::read_workflow_status(copy, fast)) {
    if (copy != body) bug("status reader declined but changed the body", "");
    return;
  }
  cleanlist::error_code ec;
  auto v = cleanlist::protocol::parse_json(body, ec);
  if (ec || !v.is_object()) bug("status reader accepted a body parse_json refuses", ec.message().c_str());
  cleanlist::workflow_status_response ref;
  try {
    ref = boost::json::value_to<cleanlist::workflow_status_response>(v);
  } catch (const std::exception& x) {
    bug("status reader accepted a body the general reader refuses", x.what());
  }
  if (!same(fast, ref)) bug("status reader and general reader disagree", "");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto nl = in.find('\n');
  if (nl == std::string_view::npos || nl > 64) return 0;
  std::string_view name = in.substr(0, nl), body = in.substr(nl + 1);
  const entry* e = nullptr;
  for (const auto& t : types)
    if (t.name == name) e = &t;
  if (!e) {
    std::size_t h = 0;
    for (unsigned char c : name) h = h * 31 + c;
    e = &types[h % std::size(types)];
  }

  check_fast_status(body);
  cleanlist::error_code ec;
  auto v = cleanlist::protocol::parse_json(body, ec);
  if (ec) return 0;
  try {
    e->fn(v);
  } catch (const boost::system::system_error& x) {
    if (x.code() != cleanlist::error::bad_response) bug("system_error with another code", x.what());
    if (std::string_view(x.what()).find(':') == std::string_view::npos) bug("message does not name a field", x.what());
  } catch (const std::exception& x) {
    bug("unexpected exception type", x.what());
  } catch (...) {
    bug("unexpected non-std exception", "");
  }
  return 0;
}
