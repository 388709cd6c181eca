// The examples embedded in the official OpenAPI v2 schema (components.schemas.*.example and
// components.schemas.*.properties.*.examples) parsed into the C++ models; request examples
// compared with the serialisation of the equivalent struct; schema-driven hostile mutations
// (each required field removed, each field given a wrong type, each nullable field set to null).
#include "models_test_util.hpp"

#include <boost/json/parse.hpp>

#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

namespace json = boost::json;
using namespace cleanlist;
using models_test::parses;

namespace {

const json::object& schemas() {
  static const json::value doc = [] {
    std::ifstream in(CLEANLIST_SCHEMA_PATH, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot open " CLEANLIST_SCHEMA_PATH);
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str());
  }();
  return doc.at("components").at("schemas").as_object();
}

const json::value& example_of(std::string_view name) {
  const auto& s = schemas().at(name).as_object();
  REQUIRE_MESSAGE(s.contains("example"), "schema has no example: ", std::string(name));
  return s.at("example");
}

template <class T> T parse_example(std::string_view name) { return json::value_to<T>(example_of(name)); }

using parse_fn = std::function<void(const json::value&)>;
template <class T> parse_fn parser() {
  return [](const json::value& v) { (void)json::value_to<T>(v); };
}

// Every response schema of the contract and the C++ type it maps to.
const std::map<std::string, parse_fn>& response_types() {
  static const std::map<std::string, parse_fn> m{
      {"WhoamiResponse", parser<whoami_response>()},
      {"CreditsBalanceResponse", parser<credits_balance_response>()},
      {"EstimateCostResponse", parser<estimate_response>()},
      {"ApiKeyInfo", parser<api_key_info>()},
      {"ApiKeysResponse", parser<api_keys_response>()},
      {"UsageGroupRow", parser<usage_group_row>()},
      {"UsageReportResponse", parser<usage_response>()},
      {"ListDetailResponse", parser<list_detail>()},
      {"ListSummary", parser<list_summary>()},
      {"ListsPageResponse", parser<lists_page>()},
      {"DeleteListResponse", parser<delete_list_response>()},
      {"LeadRow", parser<lead_row>()},
      {"LeadsPageResponse", parser<leads_page>()},
      {"AddLeadsResponse", parser<add_leads_response>()},
      {"RemoveLeadsResponse", parser<remove_leads_response>()},
      {"CsvImportResponse", parser<csv_import_response>()},
      {"EnrichPersonResponse", parser<enrich_person_response>()},
      {"CompanyRecord", parser<company_record>()},
      {"EnrichCompanyResponse", parser<enrich_company_response>()},
      {"EnrichByTaskEntityResult", parser<enrich_by_task_entity_result>()},
      {"EnrichByTaskResponse", parser<enrich_by_task_response>()},
      {"EnrichListResponse", parser<enrich_list_response>()},
      {"SingleEnrichmentResultRead", parser<single_enrichment_result>()},
      {"WorkflowStatusResponse", parser<workflow_status_response>()},
      {"RunSmartAgentResponse", parser<run_smart_agent_response>()},
      {"SmartAgentRun", parser<smart_agent_run>()},
      {"ListSmartAgentsResponse", parser<list_smart_agents_response>()},
      {"SmartAgentResultRow", parser<smart_agent_result_row>()},
      {"SmartAgentResultsResponse", parser<smart_agent_results_response>()},
      {"ExportCsvResponse", parser<export_csv_response>()},
      {"ExportJsonResponse", parser<export_json_response>()},
  };
  return m;
}

// Request schemas whose example is compared with a hand-built struct (see the test cases below).
const std::set<std::string> request_schemas{
    "AddByCohort",       "AddByLeadIds",       "CreateListRequest",   "CsvImportRequest",   "EnrichByTaskRequest",
    "EnrichCompanyRequest", "EnrichListRequest", "EnrichPersonRequest", "EstimateCostRequest", "ExportCsvRequest",
    "PublicLeadListUpdate", "RemoveLeadsRequest", "RunSmartAgentRequest"};

// Error schemas (parsed by the error layer, not by the models).
const std::set<std::string> error_schemas{"HTTPValidationError", "ValidationError"};

bool nullable(const json::object& prop) {
  if (const auto* any = prop.if_contains("anyOf"))
    for (const auto& alt : any->as_array())
      if (const auto* t = alt.as_object().if_contains("type"); t && *t == "null") return true;
  return false;
}

// "string", "integer", "number", "boolean", "array", "object", or "" (any).
std::string type_of(const json::object& prop) {
  if (const auto* t = prop.if_contains("type")) return std::string(t->as_string());
  if (prop.contains("$ref")) return "object";
  if (const auto* any = prop.if_contains("anyOf"))
    for (const auto& alt : any->as_array()) {
      const auto& a = alt.as_object();
      if (const auto* t = a.if_contains("type"); t && *t != "null") return std::string(t->as_string());
      if (a.contains("$ref")) return "object";
    }
  return "";
}

json::value wrong_value_for(const std::string& type) {
  if (type == "string") return 12345;
  return "not-the-right-type";
}

std::string fails_with(const parse_fn& fn, const json::value& v, boost::system::error_code& ec) {
  try {
    fn(v);
  } catch (const boost::system::system_error& e) {
    ec = e.code();
    return e.what();
  }
  ec = {};
  return {};
}

} // namespace

TEST_CASE("schema: every component schema is covered by a model or is an error schema") {
  std::set<std::string> with_example;
  for (const auto& kv : schemas()) {
    const std::string name(kv.key());
    const bool known = response_types().count(name) || request_schemas.count(name) || error_schemas.count(name);
    INFO("schema ", name);
    CHECK(known);
    if (kv.value().as_object().contains("example")) with_example.insert(name);
  }
  CHECK(schemas().size() == 46);
  for (const auto& [name, fn] : response_types()) {
    INFO("response schema ", name);
    CHECK(with_example.count(name) == 1);
  }
  for (const auto& name : request_schemas) {
    INFO("request schema ", name);
    CHECK(with_example.count(name) == 1);
  }
}

TEST_CASE("schema: every response example parses; unknown fields survive in raw") {
  for (const auto& [name, fn] : response_types()) {
    INFO("schema ", name);
    boost::system::error_code ec;
    CHECK(fails_with(fn, example_of(name), ec) == "");
    // Same example plus an unknown field: still accepted.
    json::value extra = example_of(name);
    extra.as_object()["x_future_field"] = json::object{{"nested", json::array{1, 2}}};
    CHECK(fails_with(fn, extra, ec) == "");
  }
}

TEST_CASE("schema: property-level examples are accepted in place") {
  for (const auto& [name, fn] : response_types()) {
    const auto& props = schemas().at(name).at("properties").as_object();
    for (const auto& p : props) {
      const auto* exs = p.value().as_object().if_contains("examples");
      if (!exs) continue;
      for (const auto& ex : exs->as_array()) {
        json::value v = example_of(name);
        v.as_object()[p.key()] = ex;
        INFO(name, ".", std::string(p.key()), " = ", json::serialize(ex));
        boost::system::error_code ec;
        CHECK(fails_with(fn, v, ec) == "");
      }
    }
  }
}

TEST_CASE("schema: each required field removed -> bad_response naming it") {
  int checked = 0;
  for (const auto& [name, fn] : response_types()) {
    const auto& s = schemas().at(name).as_object();
    const auto* req = s.if_contains("required");
    if (!req) continue;
    for (const auto& f : req->as_array()) {
      json::value v = example_of(name);
      const auto key = f.as_string();
      v.as_object().erase(key);
      boost::system::error_code ec;
      const auto what = fails_with(fn, v, ec);
      INFO(name, " without ", std::string(key), ": ", what);
      CHECK(ec == cleanlist::error::bad_response);
      CHECK(what.find("." + std::string(key) + ": required field is missing") != std::string::npos);
      ++checked;
    }
  }
  CHECK(checked > 80);
}

TEST_CASE("schema: each field with a wrong JSON type -> bad_response naming it") {
  int checked = 0;
  for (const auto& [name, fn] : response_types()) {
    const auto& props = schemas().at(name).at("properties").as_object();
    for (const auto& p : props) {
      const auto type = type_of(p.value().as_object());
      if (type.empty()) continue;  // "any" (SmartAgentResultRow.value)
      json::value v = example_of(name);
      v.as_object()[p.key()] = wrong_value_for(type);
      boost::system::error_code ec;
      const auto what = fails_with(fn, v, ec);
      INFO(name, ".", std::string(p.key()), " (", type, ") wrong type: ", what);
      CHECK(ec == cleanlist::error::bad_response);
      CHECK(what.find(std::string(p.key())) != std::string::npos);
      ++checked;
    }
  }
  CHECK(checked > 200);
}

TEST_CASE("schema: each nullable field set to null is accepted") {
  int checked = 0;
  for (const auto& [name, fn] : response_types()) {
    const auto& props = schemas().at(name).at("properties").as_object();
    for (const auto& p : props) {
      if (!nullable(p.value().as_object())) continue;
      json::value v = example_of(name);
      v.as_object()[p.key()] = nullptr;
      boost::system::error_code ec;
      INFO(name, ".", std::string(p.key()), " = null");
      CHECK(fails_with(fn, v, ec) == "");
      ++checked;
    }
  }
  CHECK(checked > 100);
}

// ---------------------------------------------------------------- key fields of each response example

TEST_CASE("example: WhoamiResponse") {
  auto r = parse_example<whoami_response>("WhoamiResponse");
  CHECK(r.user_email == "jordan@acme.io");
  CHECK(r.user_id == "user_2abcJ0rdanRivera");
  CHECK(r.organization_id == "org_2abcRevenueLabs");
  CHECK(r.organization_name == "Acme Revenue Labs");
  CHECK(r.auth_type == "api_key");
  CHECK(r.tier == "pro");
  CHECK(r.scopes.size() == 4);
  CHECK(r.features.at(0) == "data_source_csv_upload");
  CHECK_FALSE(r.appsumo_tier.has_value());
  CHECK(r.task_id == "task_9f2c1a");
  CHECK(r.timestamp_ms == 1751404800000);
  CHECK(r.agent_instructions == "You have 4,820 credits remaining.");
  CHECK(r.raw == example_of("WhoamiResponse").as_object());
}

TEST_CASE("example: CreditsBalanceResponse / EstimateCostResponse") {
  auto b = parse_example<credits_balance_response>("CreditsBalanceResponse");
  CHECK(b.organization_id == "org_2abcRevenueLabs");
  CHECK(b.credits == 4820);
  CHECK(b.timestamp_ms == 1751404800000);
  auto e = parse_example<estimate_response>("EstimateCostResponse");
  CHECK(e.quote_id.rfind("qte_v1_1751404800_", 0) == 0);
  CHECK(e.expires_at == 1751405100);
  CHECK(e.estimated_cost == 275);
  CHECK(e.tool == "enrich_list");
  CHECK(e.row_count == 25);
  CHECK(e.filter_hash == "3f8a1c9d2e4b6a70");
  CHECK(e.available_credits == 4820);
  CHECK(e.sufficient);
}

TEST_CASE("example: ApiKeysResponse / UsageReportResponse") {
  auto k = parse_example<api_keys_response>("ApiKeysResponse");
  REQUIRE(k.keys.size() == 1);
  CHECK(k.keys[0].key_id == "ak_5f8c2b91");
  CHECK(k.keys[0].key_prefix == "clapi_");
  CHECK(k.keys[0].key_last4 == "a4f9");
  CHECK(k.keys[0].name == "Production server key");
  CHECK(k.keys[0].is_active);
  CHECK(k.keys[0].scopes.back() == "admin:api_keys");
  CHECK(k.keys[0].last_used_at == "2026-06-30 18:02:10");
  auto u = parse_example<usage_response>("UsageReportResponse");
  CHECK(u.days == 7);
  CHECK(u.group_by == "tool");
  CHECK(u.total_calls == 318);
  CHECK(u.total_errors == 5);
  CHECK(u.total_credits_spent == 0.0);
  REQUIRE(u.rows.size() == 2);
  CHECK(u.rows[1].group == "/api/v1/public/search/people");
  CHECK(u.rows[1].calls == 176);
  CHECK(u.rows[1].errors == 2);
}

TEST_CASE("example: lead lists") {
  auto d = parse_example<list_detail>("ListDetailResponse");
  CHECK(d.list_id == "list_7c2a91");
  CHECK(d.name == "Q3 Enterprise SaaS Leads");
  CHECK(d.lead_count == 128);
  CHECK(d.enriched_count == 96);
  CHECK(d.folder_id == "folder_3d9b12");
  CHECK(d.created_at == "2026-06-28T14:32:00Z");
  CHECK_FALSE(d.reused);

  auto p = parse_example<lists_page>("ListsPageResponse");
  CHECK(p.total == 2);
  CHECK_FALSE(p.cursor.has_value());
  REQUIRE(p.lists.size() == 2);
  CHECK(p.lists[1].list_id == "list_4b8e02");
  CHECK(p.lists[1].name == "Inbound Trials \xE2\x80\x94 June");
  CHECK(p.lists[1].visibility == "private");
  CHECK_FALSE(p.lists[1].folder_id.has_value());
  CHECK(p.lists[0].raw.at("owner_name") == "Jane Doe");

  auto del = parse_example<delete_list_response>("DeleteListResponse");
  CHECK(del.deleted);
  CHECK(del.message == "List deleted.");

  auto lp = parse_example<leads_page>("LeadsPageResponse");
  CHECK(lp.list_id == "list_7c2a91");
  CHECK(lp.total == 128);
  CHECK(lp.cursor == "100");
  REQUIRE(lp.leads.size() == 1);
  CHECK(lp.leads[0].lead_id == "lead_5f3b8c");
  CHECK(lp.leads[0].phone == "+14155550142");
  CHECK_FALSE(lp.leads[0].linkedin_url.has_value());

  auto add = parse_example<add_leads_response>("AddLeadsResponse");
  CHECK(add.added == 25);
  CHECK(add.skipped_duplicates == 3);
  CHECK(add.created == 20);
  CHECK(add.credits_charged == doctest::Approx(12.5));

  auto rm = parse_example<remove_leads_response>("RemoveLeadsResponse");
  CHECK(rm.removed == 2);

  auto csv = parse_example<csv_import_response>("CsvImportResponse");
  CHECK(csv.rows_parsed == 200);
  CHECK(csv.rows_imported == 188);
  CHECK(csv.rows_skipped == 12);
  CHECK(csv.skip_reasons.at("duplicate_email") == 9);
  CHECK(csv.skip_reasons.at("missing_required") == 3);
  CHECK(csv.sample_skip_rows == std::vector<std::int64_t>{14, 27, 33, 58, 61});
  CHECK(csv.workflow_id == "bulk-enrich-a1b2c3d4");
  CHECK(csv.enrichment_status_url == "/api/v2/enrichment/status/bulk-enrich-a1b2c3d4");
  CHECK_FALSE(csv.idempotency_replayed);
}

TEST_CASE("example: enrichment") {
  auto pr = parse_example<enrich_person_response>("EnrichPersonResponse");
  CHECK(pr.workflow_id == "wf_enrich_7c2a");
  CHECK(pr.status == "pending");
  CHECK(pr.credits_reserved == 11);
  CHECK(pr.lead_list_id == "ll_7f3a2b9c");
  CHECK(pr.poll_url == "https://api.cleanlist.ai/api/v1/public/enrichment/status/wf_enrich_7c2a");

  auto c = parse_example<enrich_company_response>("EnrichCompanyResponse");
  CHECK(c.credits_charged == 1);
  CHECK(c.company.name == "Acme");
  CHECK(c.company.domain == "acme.io");
  CHECK(c.company.employee_count == 240);
  CHECK(c.company.total_funding_usd == 48000000);
  REQUIRE(c.company.tech_stack.has_value());
  CHECK(c.company.tech_stack->size() == 3);
  CHECK(c.company.industries == std::vector<std::string>{"Computer Software", "SaaS"});

  auto er = parse_example<enrich_by_task_entity_result>("EnrichByTaskEntityResult");
  CHECK(er.entity_id == "company_3f9a");
  CHECK(er.status == "enriched");
  REQUIRE(er.company.has_value());
  CHECK(er.company->funding_stage == "Series B");
  CHECK_FALSE(er.company->revenue_range.has_value());

  auto bt = parse_example<enrich_by_task_response>("EnrichByTaskResponse");
  CHECK(bt.entity_kind == "person");
  CHECK(bt.workflow_id == "wf_enrich_7c2a");
  CHECK(bt.status == "pending");
  CHECK(bt.total_entities == 2);
  CHECK(bt.credits_reserved == 22);
  REQUIRE(bt.results.size() == 2);
  CHECK(bt.results[1].entity_id == "prospect_9d21");
  CHECK(bt.results[1].status == "queued");
  CHECK_FALSE(bt.results[1].company.has_value());
  CHECK(bt.task_id == "cl-task_8b21f4");

  auto bl = parse_example<enrich_list_response>("EnrichListResponse");
  CHECK(bl.total_leads == 120);
  CHECK(bl.estimated_cost == 1320);
  CHECK(bl.credits_reserved == 1320);

  auto ws = parse_example<workflow_status_response>("WorkflowStatusResponse");
  CHECK(ws.workflow_id == "wf_enrich_7c2a");
  CHECK(ws.status == "completed");
  CHECK(ws.is_terminal());
  CHECK(ws.progress == 100);
  CHECK(ws.total == 1);
  CHECK(ws.processed == 1);
  CHECK(ws.completed == 1);
  CHECK(ws.failed == 0);
  CHECK(ws.credits_charged == 11);
  CHECK(ws.credits_refunded == 0);
  CHECK(ws.refund_status == "not_applicable");
  REQUIRE(ws.summary.has_value());
  CHECK(ws.summary->at("emails_found") == 1);
  REQUIRE(ws.result.has_value());
  CHECK(ws.result->lead_id == "lead_4a7c");
  CHECK(ws.result->email == "jane@acme.io");
  CHECK(ws.result->email_status == "valid");
  CHECK(ws.result->provider == "wiza");

  auto single = parse_example<single_enrichment_result>("SingleEnrichmentResultRead");
  CHECK(single.status == "completed");
  CHECK(single.title == "VP of Sales");
}

TEST_CASE("example: smart agents and export") {
  auto run = parse_example<run_smart_agent_response>("RunSmartAgentResponse");
  CHECK(run.smart_agent_task_id == "run_7c2a91");
  CHECK(run.smart_agent_task_ids.at("custom_ai") == "run_7c2a91");
  CHECK(run.status == "pending");
  CHECK(run.column_name == "Fit Research");
  CHECK(run.estimated_cost == 100);

  auto ls = parse_example<list_smart_agents_response>("ListSmartAgentsResponse");
  CHECK(ls.total == 2);
  REQUIRE(ls.runs.size() == 2);
  CHECK(ls.runs[0].task_id == "run_7c2a91");
  CHECK(ls.runs[1].agent_type == "cold_intro_email");
  CHECK(ls.runs[1].status == "processing");
  CHECK(ls.runs[1].processed == 18);
  CHECK(ls.runs[1].total == 50);
  CHECK(ls.runs[0].failed == 2);
  CHECK(ls.task_id == "task_9f2c1a");

  auto res = parse_example<smart_agent_results_response>("SmartAgentResultsResponse");
  CHECK(res.progress == 100);
  CHECK(res.succeeded == 98);
  CHECK(res.failed == 2);
  REQUIRE(res.results.size() == 2);
  CHECK(res.results[0].value.is_string());
  CHECK_FALSE(res.results[0].error.has_value());
  CHECK(res.results[1].value.is_null());
  CHECK(res.results[1].error == "No company domain on lead; skipped research.");

  auto csv = parse_example<export_csv_response>("ExportCsvResponse");
  CHECK(csv.row_count == 1284);
  CHECK(csv.file_size_bytes == 402118);
  CHECK(csv.expires_at == "2025-07-01T21:20:00+00:00");

  auto js = parse_example<export_json_response>("ExportJsonResponse");
  CHECK(js.total == 1284);
  CHECK(js.cursor == "100");
  REQUIRE(js.leads.size() == 2);
  CHECK(js.leads[1].at("last_name") == "Turing");
}

// ---------------------------------------------------------------- request examples round trip

namespace {
void same(const json::value& built, std::string_view schema) {
  INFO("schema ", std::string(schema));
  INFO("built   ", json::serialize(built));
  INFO("example ", json::serialize(example_of(schema)));
  CHECK(built == example_of(schema));
}
} // namespace

TEST_CASE("request example: CreateListRequest / PublicLeadListUpdate / RemoveLeadsRequest") {
  create_list_request c{"Q3 Enterprise SaaS Leads", "VPs of Sales at Series B+ SaaS companies, North America.",
                        "folder_3d9b12"};
  same(json::value_from(c), "CreateListRequest");

  update_list_request u;
  u.list_id = "list_7c2a91";  // path only
  u.name = "Q3 Enterprise SaaS Leads (EMEA)";
  u.description = std::optional<std::string>("Refocused on Series B+ SaaS in EMEA.");
  u.folder_id = std::optional<std::string>("folder_3d9b12");
  same(json::value_from(u), "PublicLeadListUpdate");

  remove_leads_request rm{"list_7c2a91", {"lead_5f3b8c", "lead_9d2e71"}};
  same(json::value_from(rm), "RemoveLeadsRequest");
}

TEST_CASE("request example: AddByLeadIds / AddByCohort") {
  add_leads_request a;
  a.list_id = "list_7c2a91";
  a.lead_ids = {"lead_5f3b8c", "lead_9d2e71"};
  a.idempotency_key = "add-2026-06-28-a1b2c3";
  same(json::value_from(a), "AddByLeadIds");

  add_leads_request b;
  b.list_id = "list_7c2a91";
  b.task_id = "task_9f2c1a";
  b.entity_ids = std::vector<std::string>{"4482910", "4482911"};
  b.idempotency_key = "save-2026-06-28-d4e5f6";
  same(json::value_from(b), "AddByCohort");
}

TEST_CASE("request example: CsvImportRequest (raw CSV is base64-encoded)") {
  csv_import_request r;
  r.list_id = "list_7c2a91";
  r.csv_content = "first_name,last_name,email,company\nJane,Doe,jane.doe@acme.io,Acme\n";
  r.column_mapping = {{"company_name", "Company"}, {"email", "Email"}, {"first_name", "First Name"},
                      {"last_name", "Last Name"}};
  r.dispatch_enrichment = true;
  r.enrichment_type = enrichment_type::full;
  r.idempotency_key = "csv-import-2026-06-28-7a3c";
  r.quote_id = "quote_2f8b10";
  same(json::value_from(r), "CsvImportRequest");
}

TEST_CASE("request example: enrichment requests") {
  enrich_person_request p;
  p.company_name = "Acme";
  p.domain = "acme.io";
  p.email = "jane@acme.io";
  p.enrichment_type = enrichment_type::full;
  p.first_name = "Jane";
  p.include_phone = true;
  p.last_name = "Doe";
  p.lead_list_id = "ll_7f3a2b9c";
  p.linkedin_url = "https://www.linkedin.com/in/jane-doe-9a1b";
  p.quote_id = "quote_a1b2c3";
  same(json::value_from(p), "EnrichPersonRequest");

  enrich_company_request c;
  c.company_name = "Acme";
  c.domain = "acme.io";
  c.quote_id = "quote_c0mp4ny";
  same(json::value_from(c), "EnrichCompanyRequest");

  enrich_by_task_request t;
  t.task_id = "cl-task_8b21f4";
  t.data_points = {"Email", "Phone"};
  t.entity_ids = std::vector<std::string>{"prospect_5c8e", "prospect_9d21"};
  t.lead_list_id = "ll_7f3a2b9c";
  t.quote_id = "quote_c0h0rt";
  same(json::value_from(t), "EnrichByTaskRequest");

  enrich_list_request l{"ll_7f3a2b9c", bulk_scope::full, "quote_bulk99"};
  same(json::value_from(l), "EnrichListRequest");
}

TEST_CASE("request example: EstimateCostRequest / ExportCsvRequest / RunSmartAgentRequest") {
  estimate_request e;
  e.tool = "enrich_list";
  e.list_id = "list_7a1b2c3d";
  e.scope = "full";
  e.include_phone = true;
  same(json::value_from(e), "EstimateCostRequest");

  export_csv_request x;
  x.list_id = "list_7c2a91";
  x.columns = std::vector<std::string>{"first_name", "last_name", "email", "company_domain"};
  x.include_smart_agents = true;
  same(json::value_from(x), "ExportCsvRequest");

  const auto& ex = example_of("RunSmartAgentRequest");
  run_smart_agent_request s;
  s.list_id = "9c1f7e2a-4b6d-4f21-9a3e-2b7c8d1e5f04";
  s.agent_type = "custom_ai";
  s.column_name = "Fit Research";
  s.lead_scope = "subset";
  s.max_rows = 100;
  s.overwrite = false;
  s.prompt = std::string(ex.at("prompt").as_string());
  s.quote_id = "qte_v1_1751404800_a3f9c8e2b7d14f6a9c0e1b2d3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a";
  same(json::value_from(s), "RunSmartAgentRequest");
  CHECK(validate(s).empty());
}

TEST_CASE("request examples are valid client-side; their keys are schema properties") {
  for (const auto& name : request_schemas) {
    const auto& s = schemas().at(name).as_object();
    const auto& props = s.at("properties").as_object();
    for (const auto& kv : s.at("example").as_object()) {
      INFO(name, ".", std::string(kv.key()));
      CHECK(props.contains(kv.key()));
    }
  }
}
