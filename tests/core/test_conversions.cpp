// Conversions beyond the schema examples: enums, base64, request bodies (omission, tri-state
// null, path parameters kept out of the body), tolerant numbers, hostile bodies, legacy shapes.
#include "models_test_util.hpp"

#include <limits>

namespace json = boost::json;
using namespace cleanlist;
using models_test::expect_bad;
using models_test::parses;

TEST_CASE("enums: JSON spellings both ways") {
  CHECK(to_string(enrichment_type::partial) == "partial");
  CHECK(to_string(enrichment_type::phone_only) == "phone_only");
  CHECK(to_string(enrichment_type::full) == "full");
  CHECK(to_string(bulk_scope::partial) == "partial");
  CHECK(to_string(bulk_scope::full) == "full");
  CHECK(to_string(bulk_scope::phone_only) == "phone-only");
  for (auto t : {enrichment_type::partial, enrichment_type::phone_only, enrichment_type::full})
    CHECK(parse_enrichment_type(to_string(t)) == t);
  for (auto s : {bulk_scope::partial, bulk_scope::full, bulk_scope::phone_only}) CHECK(parse_bulk_scope(to_string(s)) == s);
  CHECK_FALSE(parse_enrichment_type("phone-only").has_value());
  CHECK_FALSE(parse_bulk_scope("phone_only").has_value());
  CHECK_FALSE(parse_enrichment_type("Full").has_value());
  CHECK_FALSE(parse_bulk_scope("").has_value());
}

TEST_CASE("is_terminal_status") {
  CHECK(is_terminal_status("completed"));
  CHECK(is_terminal_status("failed"));
  CHECK(is_terminal_status("cancelled"));
  CHECK(is_terminal_status("completed_with_errors"));  // the quickstart's own loop ends on it
  CHECK(is_known_status("running"));
  CHECK(is_known_status("completed_with_errors"));
  CHECK_FALSE(is_known_status("paused"));
  CHECK_FALSE(is_terminal_status("pending"));
  CHECK_FALSE(is_terminal_status("running"));
  CHECK_FALSE(is_terminal_status("processing"));
  CHECK_FALSE(is_terminal_status("Completed"));
  CHECK_FALSE(is_terminal_status(""));
}

TEST_CASE("base64_encode: RFC 4648 test vectors and binary bytes") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foob") == "Zm9vYg==");
  CHECK(base64_encode("fooba") == "Zm9vYmE=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_encode(std::string("\xFF\xFE\x00\x80", 4)) == "//4AgA==");
  CHECK(base64_encode("\xEF\xBB\xBFname\n") == "77u/bmFtZQo=");
}

TEST_CASE("base64: the URL alphabet without padding, and decoding both alphabets back") {
  CHECK(base64_encode(std::string("\xFF\xFE\x00\x80", 4), true) == "__4AgA");
  CHECK(base64_encode("f", true) == "Zg");
  for (std::string s : {std::string(""), std::string("f"), std::string("fo"), std::string("foo"), std::string("\xFB\xFF\x00", 3)}) {
    CHECK(base64_decode(base64_encode(s)) == s);
    CHECK(base64_decode(base64_encode(s, true)) == s);
  }
  CHECK(base64_decode("Zm9v\nYmFy") == std::string("foobar"));  // line breaks ignored
  CHECK_FALSE(base64_decode("Zm9v!").has_value());              // not base64
  CHECK_FALSE(base64_decode("Zg==Zg").has_value());             // data after padding
  CHECK_FALSE(base64_decode("Z").has_value());                  // a lone sextet
}

// ---------------------------------------------------------------- request bodies

TEST_CASE("request bodies: absent optionals omitted, path/query parameters not in the body") {
  create_list_request c;
  c.name = "X";
  CHECK(json::value_from(c) == json::parse(R"({"name":"X"})"));

  add_leads_request a;
  a.list_id = "list_1";
  a.lead_ids = {"l1"};
  CHECK(json::value_from(a) == json::parse(R"({"lead_ids":["l1"]})"));

  add_leads_request b;
  b.list_id = "list_1";
  b.task_id = "cl-task_1";
  CHECK(json::value_from(b) == json::parse(R"({"task_id":"cl-task_1"})"));

  remove_leads_request rm{"list_1", {"a", "b"}};
  CHECK(json::value_from(rm) == json::parse(R"({"lead_ids":["a","b"]})"));

  csv_import_request csv;
  csv.list_id = "list_1";
  csv.csv_content = "email\na@b.c\n";
  csv.column_mapping = {{"email", "email"}};
  CHECK(json::value_from(csv) ==
        json::parse(R"({"csv_content_base64":"ZW1haWwKYUBiLmMK","column_mapping":{"email":"email"}})"));

  enrich_person_request p;
  p.email = "a@b.c";
  CHECK(json::value_from(p) == json::parse(R"({"email":"a@b.c"})"));

  enrich_list_request l{"list_1", std::nullopt, "q"};
  CHECK(json::value_from(l) == json::parse(R"({"list_id":"list_1","quote_id":"q"})"));
  l.scope = bulk_scope::phone_only;
  CHECK(json::value_from(l).at("scope") == "phone-only");

  enrich_company_request ec;
  CHECK(json::value_from(ec) == json::object{});

  run_smart_agent_request s;
  s.list_id = "l";
  s.column_name = "c";
  s.quote_id = "q";
  CHECK(json::value_from(s) == json::parse(R"({"list_id":"l","column_name":"c","quote_id":"q"})"));

  export_csv_request x;
  x.list_id = "l";
  CHECK(json::value_from(x) == json::parse(R"({"list_id":"l"})"));

  estimate_request e;
  e.tool = "enrich_person";
  e.filters = json::object{{"title", "VP"}};
  e.data_points = std::vector<std::string>{"Email"};
  e.row_count = 3;
  CHECK(json::value_from(e) ==
        json::parse(R"({"tool":"enrich_person","filters":{"title":"VP"},"data_points":["Email"],"row_count":3})"));
}

TEST_CASE("update_list body: absent vs null vs value") {
  update_list_request u;
  u.list_id = "list_1";
  u.name = "N";
  CHECK(json::value_from(u) == json::parse(R"({"name":"N"})"));

  update_list_request clear;
  clear.list_id = "list_1";
  clear.description = std::optional<std::string>{};  // engaged outer, empty inner -> null
  clear.folder_id = std::optional<std::string>{};
  const auto v = json::value_from(clear);
  CHECK(v == json::parse(R"({"description":null,"folder_id":null})"));
  CHECK(v.as_object().at("description").is_null());
  CHECK_FALSE(v.as_object().contains("name"));
  CHECK_FALSE(v.as_object().contains("list_id"));

  update_list_request set;
  set.list_id = "list_1";
  set.folder_id = std::optional<std::string>("f1");
  CHECK(json::value_from(set) == json::parse(R"({"folder_id":"f1"})"));
}

TEST_CASE("legacy bulk body") {
  legacy_bulk_request r;
  r.enrichment_type = "partial";
  r.webhook_url = "https://hooks.example.com/cl";
  legacy_contact c1;
  c1.linkedin_url = "https://linkedin.com/in/x";
  legacy_contact c2;
  c2.first_name = "Jane";
  c2.last_name = "Doe";
  c2.company_domain = "acme.io";
  r.contacts = {c1, c2};
  CHECK(json::value_from(r) == json::parse(R"({"enrichment_type":"partial","webhook_url":"https://hooks.example.com/cl",
      "contacts":[{"linkedin_url":"https://linkedin.com/in/x"},
                  {"first_name":"Jane","last_name":"Doe","company_domain":"acme.io"}]})"));
  legacy_bulk_request empty;
  CHECK(json::value_from(empty) == json::parse(R"({"contacts":[]})"));
}

// ---------------------------------------------------------------- responses: tolerance

TEST_CASE("credits: integer, fractional (rounded down), integral double") {
  auto b = json::value_to<credits_balance_response>(json::parse(R"({"organization_id":"o","credits":1234.5})"));
  CHECK(b.credits == 1234);
  b = json::value_to<credits_balance_response>(json::parse(R"({"organization_id":"o","credits":0.99})"));
  CHECK(b.credits == 0);
  b = json::value_to<credits_balance_response>(json::parse(R"({"organization_id":"o","credits":4820})"));
  CHECK(b.credits == 4820);
  b = json::value_to<credits_balance_response>(json::parse(R"({"organization_id":"o","credits":1e3})"));
  CHECK(b.credits == 1000);
  expect_bad<credits_balance_response>(R"({"organization_id":"o","credits":"12"})", "credits_balance_response.credits");
  expect_bad<credits_balance_response>(R"({"organization_id":"o","credits":1e300})", "credits_balance_response.credits");
  expect_bad<credits_balance_response>(R"({"organization_id":"o","credits":null})", "credits_balance_response.credits");
}

TEST_CASE("integers: integral doubles accepted, fractions / out of range / bool rejected") {
  auto r = json::value_to<remove_leads_response>(json::parse(R"({"list_id":"l","removed":2.0})"));
  CHECK(r.removed == 2);
  expect_bad<remove_leads_response>(R"({"list_id":"l","removed":2.5})", "remove_leads_response.removed");
  expect_bad<remove_leads_response>(R"({"list_id":"l","removed":18446744073709551615})",
                                    "remove_leads_response.removed");
  expect_bad<remove_leads_response>(R"({"list_id":"l","removed":true})", "remove_leads_response.removed");
  auto big = json::value_to<remove_leads_response>(json::parse(R"({"list_id":"l","removed":9223372036854775807})"));
  CHECK(big.removed == std::numeric_limits<std::int64_t>::max());
}

TEST_CASE("unknown fields are kept in raw; nulls accepted for optionals; defaults applied") {
  auto d = json::value_to<list_detail>(json::parse(R"({
      "list_id":"l","name":"n","lead_count":1,"enriched_count":0,
      "description":null,"folder_id":null,"created_at":null,"reused":null,
      "task_id":null,"timestamp_ms":null,"agent_instructions":null,"usage":null,"message":null,
      "brand_new":{"deep":[1,2,3]}})"));
  CHECK_FALSE(d.description.has_value());
  CHECK_FALSE(d.task_id.has_value());
  CHECK_FALSE(d.reused);
  CHECK(d.raw.at("brand_new").at("deep").as_array().size() == 3);
  CHECK(d.raw.at("name") == "n");

  auto a = json::value_to<add_leads_response>(json::parse(R"({"list_id":"l","added":1,"skipped_duplicates":0})"));
  CHECK(a.credits_charged == 0.0);
  CHECK_FALSE(a.created.has_value());

  auto run = json::value_to<smart_agent_run>(
      json::parse(R"({"task_id":"r","list_id":"l","column_name":"c","agent_type":"custom_ai","status":"pending"})"));
  CHECK(run.total == 0);
  CHECK(run.processed == 0);
  CHECK(run.task_id == "r");
  CHECK(static_cast<const envelope&>(run).task_id == "r");

  auto row = json::value_to<smart_agent_result_row>(json::parse(R"({"lead_id":"x","value":{"k":[1]}})"));
  CHECK(row.value.at("k").as_array().size() == 1);

  auto ws = json::value_to<workflow_status_response>(json::parse(R"({"workflow_id":"w","status":"running"})"));
  CHECK_FALSE(ws.is_terminal());
  CHECK_FALSE(ws.result.has_value());
  CHECK_FALSE(ws.summary.has_value());
}

TEST_CASE("hostile bodies: not an object, wrong nested types, error messages name the path") {
  expect_bad<whoami_response>("[]", "whoami_response: expected a JSON object");
  expect_bad<whoami_response>("null", "whoami_response");
  expect_bad<whoami_response>(R"("text")", "whoami_response");
  expect_bad<lists_page>(R"({"lists":[{"list_id":"a","name":"n","lead_count":1},{"list_id":"b","lead_count":1}],"total":2})",
                         "lists_page.lists[1].name: required field is missing");
  expect_bad<lists_page>(R"({"lists":[7],"total":1})", "lists_page.lists[0]: expected a JSON object");
  expect_bad<lists_page>(R"({"lists":{},"total":1})", "lists_page.lists: expected an array");
  expect_bad<whoami_response>(R"({"user_email":null,"organization_id":"o","auth_type":"api_key","scopes":["a",1],
                                  "tier":"free","features":[]})",
                              "whoami_response.scopes[1]");
  expect_bad<whoami_response>(R"({"organization_id":"o","auth_type":"api_key","scopes":[],"tier":"free","features":[]})",
                              "whoami_response.user_email: required field is missing");
  expect_bad<enrich_company_response>(R"({"company":null,"credits_charged":1})", "enrich_company_response.company");
  expect_bad<enrich_company_response>(R"({"company":{"employee_count":"many"},"credits_charged":1})",
                                      "enrich_company_response.company.employee_count");
  expect_bad<workflow_status_response>(R"({"workflow_id":"w","status":"completed","result":{"status":"completed"}})",
                                       "workflow_status_response.result.lead_id");
  expect_bad<workflow_status_response>(R"({"workflow_id":"w","status":"x","summary":[1]})",
                                       "workflow_status_response.summary");
  expect_bad<csv_import_response>(
      R"({"list_id":"l","rows_parsed":1,"rows_imported":1,"rows_skipped":0,"skip_reasons":{"dup":"x"}})",
      "csv_import_response.skip_reasons.dup");
  expect_bad<csv_import_response>(
      R"({"list_id":"l","rows_parsed":1,"rows_imported":1,"rows_skipped":0,"sample_skip_rows":[1,"2"]})",
      "csv_import_response.sample_skip_rows[1]");
  expect_bad<run_smart_agent_response>(
      R"({"smart_agent_task_id":"r","smart_agent_task_ids":{"a":1},"status":"p","list_id":"l","column_name":"c","estimated_cost":1})",
      "run_smart_agent_response.smart_agent_task_ids.a");
  expect_bad<export_json_response>(R"({"list_id":"l","leads":[{"a":1},"row"],"total":2})", "export_json_response.leads[1]");
  expect_bad<list_detail>(R"({"list_id":"l","name":"n","lead_count":1,"enriched_count":0,"timestamp_ms":"now"})",
                          "list_detail.timestamp_ms");
  expect_bad<list_detail>(R"({"list_id":"l","name":"n","lead_count":1,"enriched_count":0,"task_id":5})",
                          "list_detail.task_id");
}

TEST_CASE("hostile bodies: large arrays and deep unknown values are handled without recursion issues") {
  std::string deep(2000, '[');
  deep += std::string(2000, ']');
  json::parse_options opt;
  opt.max_depth = 10000;
  json::value v = json::parse(R"({"workflow_id":"w","status":"pending"})");
  v.as_object()["unknown"] = json::parse(deep, {}, opt);
  auto ws = json::value_to<workflow_status_response>(v);
  CHECK(ws.raw.contains("unknown"));

  json::array many;
  for (int i = 0; i < 10000; ++i) many.push_back(json::object{{"lead_id", "l" + std::to_string(i)}});
  json::object page{{"list_id", "l"}, {"leads", many}, {"total", 10000}};
  auto lp = json::value_to<leads_page>(json::value(page));
  CHECK(lp.leads.size() == 10000);
  CHECK(lp.leads.back().lead_id == "l9999");
}

// ---------------------------------------------------------------- legacy responses

TEST_CASE("legacy: validate-key, bulk, status, deliveries") {
  auto k = json::value_to<validate_key_response>(
      json::parse(R"({"valid": true, "user_id": "user_clerk_id", "organization_id": "org_clerk_id"})"));
  CHECK(k.valid);
  CHECK(k.user_id == "user_clerk_id");
  CHECK(k.organization_id == "org_clerk_id");
  auto kf = json::value_to<validate_key_response>(json::parse(R"({"valid": false})"));
  CHECK_FALSE(kf.valid);
  CHECK(kf.user_id.empty());
  expect_bad<validate_key_response>(R"({"valid": true, "organization_id": "o"})", "validate_key_response.user_id");
  expect_bad<validate_key_response>(R"({"valid": "yes"})", "validate_key_response.valid");

  auto b = json::value_to<legacy_bulk_response>(json::parse(R"(
      {"workflow_id": "public_bulk_3d1f9a67-cc44-4a06-b8d4-7fe7a8f31a01",
       "status": "processing", "message": "Bulk enrichment started",
       "task_ids": ["6aab5e77-f5c0-4233-8f8e-a0e1a9baf18c", "d2c1e5f2-2d83-47f2-a620-4d27906b9f65"],
       "total_contacts": 2})"));
  CHECK(b.workflow_id == "public_bulk_3d1f9a67-cc44-4a06-b8d4-7fe7a8f31a01");
  CHECK(b.status == "processing");
  CHECK(b.message == "Bulk enrichment started");
  CHECK(b.task_ids.size() == 2);
  CHECK(b.total_contacts == 2);
  expect_bad<legacy_bulk_response>(R"({"workflow_id":"w","status":"processing","total_contacts":1})",
                                   "legacy_bulk_response.task_ids");

  auto s = json::value_to<legacy_status_response>(json::parse(
      R"({"workflow_id":"w","status":"completed","summary":{"total":2},"results":[{"task_id":"t"}]})"));
  CHECK(s.workflow_id == "w");
  CHECK(s.status == "completed");
  CHECK(s.raw.at("summary").at("total") == 2);
  auto st = json::value_to<legacy_status_response>(json::parse(R"({"task_id":"t","status":"processing"})"));
  CHECK(st.task_id == "t");
  CHECK_FALSE(st.workflow_id.has_value());
  expect_bad<legacy_status_response>(R"({"workflow_id":"w"})", "legacy_status_response.status");

  auto d = json::value_to<webhook_deliveries_response>(json::parse(
      R"({"workflow_id":"w","deliveries":[{"attempt":1,"status":"failed","response_code":500}]})"));
  CHECK(d.workflow_id == "w");
  REQUIRE(d.deliveries.size() == 1);
  CHECK(d.deliveries[0].at("response_code") == 500);
  auto bare = json::value_to<webhook_deliveries_response>(json::parse(R"([{"attempt":1},{"attempt":2}])"));
  CHECK(bare.deliveries.size() == 2);
  auto none = json::value_to<webhook_deliveries_response>(json::parse(R"({"workflow_id":"w"})"));
  CHECK(none.deliveries.empty());
  expect_bad<webhook_deliveries_response>(R"({"deliveries":"x"})", "webhook_deliveries_response.deliveries");
  expect_bad<webhook_deliveries_response>(R"(42)", "webhook_deliveries_response");
}

TEST_CASE("API-key management: create body, created key, revocation, listing") {
  // Request body: absent optionals omitted (an empty request is "{}").
  create_api_key_request cr;
  CHECK(json::serialize(json::value_from(cr)) == "{}");
  cr.name = "ci";
  cr.expires_at = "2030-01-31";
  auto body = json::value_from(cr).as_object();
  CHECK(body.size() == 2);
  CHECK(body.at("name") == "ci");
  CHECK(body.at("expires_at") == "2030-01-31");

  // The reference's documented answer: api_key, created_at, expires_at (no key_id, no name).
  auto doc = json::value_to<create_api_key_response>(json::parse(
      R"({"api_key":"clapi_abc","created_at":"2026-01-01T00:00:00Z","expires_at":null})"));
  CHECK(doc.api_key == "clapi_abc");
  CHECK(doc.created_at == "2026-01-01T00:00:00Z");
  CHECK_FALSE(doc.expires_at.has_value());
  CHECK_FALSE(doc.key_id.has_value());
  CHECK_FALSE(doc.name.has_value());
  // The simulator's answer, plus an unknown field (kept in raw).
  auto sim = json::value_to<create_api_key_response>(json::parse(
      R"({"api_key":"clapi_xyz","created_at":"2026-01-01T00:00:00Z","expires_at":"2030-01-31T00:00:00Z",
          "key_id":"ak_1","name":"ci","scopes":["enrich:write"]})"));
  CHECK(sim.key_id == "ak_1");
  CHECK(sim.name == "ci");
  CHECK(sim.expires_at == "2030-01-31T00:00:00Z");
  CHECK(sim.raw.at("scopes").as_array().size() == 1);
  expect_bad<create_api_key_response>(R"({"created_at":"x"})", "create_api_key_response.api_key: required field is missing");
  expect_bad<create_api_key_response>(R"({"api_key":7})", "create_api_key_response.api_key");
  expect_bad<create_api_key_response>(R"({"api_key":"clapi_1","key_id":5})", "create_api_key_response.key_id");
  expect_bad<create_api_key_response>("[]", "create_api_key_response: expected a JSON object");

  auto rv = json::value_to<revoke_api_key_response>(json::parse(R"({"key_id":"ak_1","revoked":true,"at":"now"})"));
  CHECK(rv.key_id == "ak_1");
  CHECK(rv.revoked);
  CHECK(rv.raw.contains("at"));
  auto rv_empty = json::value_to<revoke_api_key_response>(json::parse("{}"));  // a 2xx is the revocation
  CHECK(rv_empty.revoked);
  CHECK_FALSE(rv_empty.key_id.has_value());
  CHECK_FALSE(json::value_to<revoke_api_key_response>(json::parse(R"({"revoked":false})")).revoked);
  expect_bad<revoke_api_key_response>(R"({"revoked":"yes"})", "revoke_api_key_response.revoked");

  // The listing has the shape of GET /api-keys (api_keys_response): revoked keys inactive.
  auto keys = json::value_to<api_keys_response>(json::parse(
      R"({"keys":[{"key_id":"ak_1","key_prefix":"clapi_","key_last4":"wxyz","name":"ci","scopes":[],
                   "created_at":"2026-01-01T00:00:00Z","last_used_at":null,"is_active":false,"new_field":1}]})"));
  REQUIRE(keys.keys.size() == 1);
  CHECK_FALSE(keys.keys[0].is_active);
  CHECK(keys.keys[0].key_last4 == "wxyz");
  CHECK(keys.keys[0].raw.contains("new_field"));
}
