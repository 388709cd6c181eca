// The simulator's JSON-Schema validator (src/testing/sim_schema.hpp), sans-io, and the public
// entry point include/cleanlist/testing/schema.hpp.
#include "testing/sim_schema.hpp"

#include <cleanlist/testing/schema.hpp>
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <fstream>
#include <functional>
#include <set>
#include <sstream>

namespace {

namespace json = boost::json;
namespace d = cleanlist::testing::detail;
using cleanlist::testing::validate_request;
using cleanlist::testing::validate_request_detail;

const d::openapi_validator& V() { return d::openapi_validator::embedded(); }

std::vector<d::schema_error> body_errors(std::string_view method, std::string_view path, std::string_view body) {
  const auto* op = V().find(method, path);
  REQUIRE(op != nullptr);
  std::vector<d::schema_error> out;
  json::value b = json::parse(body);
  V().validate_body(*op, &b, out);
  return out;
}

std::vector<d::schema_error> query_errors(std::string_view method, std::string_view path, std::string_view q) {
  const auto* op = V().find(method, path);
  REQUIRE(op != nullptr);
  std::vector<d::schema_error> out;
  V().validate_query(*op, d::parse_query_string(q), out);
  return out;
}

json::value L(std::string_view s) { return json::parse(s); }

std::string repeat(std::string_view s, int n) {
  std::string r;
  for (int i = 0; i < n; ++i) r += s;
  return r;
}

} // namespace

TEST_CASE("schema: the embedded document is the vendored file, 24 operations") {
  std::ifstream f(CLEANLIST_OPENAPI_V2_JSON, std::ios::binary);
  REQUIRE(f);
  std::stringstream ss;
  ss << f.rdbuf();
  CHECK(ss.str() == d::embedded_openapi_v2());
  CHECK(cleanlist::testing::openapi_v2_document() == d::embedded_openapi_v2());
  CHECK(V().operations().size() == 24);
  int with_body = 0, with_query = 0;
  for (const auto& op : V().operations()) {
    if (op.body) ++with_body;
    if (!op.query.empty()) ++with_query;
    CHECK(op.path.starts_with("/api/v2/"));
  }
  CHECK(with_body == 12);
  CHECK(with_query == 5);
  CHECK_THROWS_AS(d::openapi_validator(json::value(json::object{})), std::invalid_argument);
}

TEST_CASE("schema: every keyword of the request schemas is supported") {
  static const std::set<std::string> supported{
      "$ref", "type", "enum", "const", "anyOf", "oneOf", "allOf", "properties", "required", "additionalProperties",
      "propertyNames", "minProperties", "maxProperties", "items", "minItems", "maxItems", "minLength", "maxLength",
      "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
      // annotations
      "title", "description", "default", "examples", "example", "format"};
  std::set<const json::value*> seen;
  std::set<std::string> unsupported;
  std::function<void(const json::value&)> walk = [&](const json::value& s) {
    if (!s.is_object() || !seen.insert(&s).second) return;
    for (const auto& [k, v] : s.as_object()) {
      if (!supported.contains(std::string(k))) unsupported.insert(std::string(k));
      if (k == "$ref") {
        auto* t = V().resolve(v.as_string());
        REQUIRE_MESSAGE(t != nullptr, v);
        walk(*t);
      } else if (k == "properties") {
        for (const auto& [_, p] : v.as_object()) walk(p);
      } else if (k == "anyOf" || k == "oneOf" || k == "allOf") {
        for (const auto& b : v.as_array()) walk(b);
      } else if (k == "items" || k == "additionalProperties" || k == "propertyNames") {
        walk(v);
      }
    }
  };
  for (const auto& op : V().operations()) {
    if (op.body) walk(*op.body);
    for (const auto& p : op.query) walk(*p.schema);
  }
  CHECK(seen.size() > 40);
  CHECK_MESSAGE(unsupported.empty(), "unsupported keywords: " << unsupported.size());
}

TEST_CASE("schema: find() matches templates and concrete paths, literal segments first") {
  CHECK(V().find("post", "/api/v2/lead-lists/abc/leads")->path == "/api/v2/lead-lists/{list_id}/leads");
  CHECK(V().find("DELETE", "/api/v2/lead-lists/{list_id}/leads")->method == "DELETE");
  CHECK(V().find("POST", "/api/v2/smart-agents/run")->operation_id.starts_with("run_smart_agent"));
  CHECK(V().find("GET", "/api/v2/smart-agents/run")->path == "/api/v2/smart-agents/{smart_agent_task_id}");
  CHECK(V().find("GET", "/api/v2/enrichment/person") == nullptr);
  CHECK(V().find("GET", "/api/v2/lead-lists//leads") == nullptr);
  CHECK(V().find("GET", "/api/v2/nope") == nullptr);
}

TEST_CASE("schema: the schema's own request examples conform") {
  const auto& schemas = V().document().at("components").at("schemas").as_object();
  int n = 0;
  for (std::string_view name : {"AddByCohort", "AddByLeadIds", "CreateListRequest", "CsvImportRequest", "EnrichByTaskRequest",
                                "EnrichCompanyRequest", "EnrichListRequest", "EnrichPersonRequest", "EstimateCostRequest",
                                "ExportCsvRequest", "PublicLeadListUpdate", "RemoveLeadsRequest", "RunSmartAgentRequest"}) {
    std::vector<d::schema_error> out;
    json::array loc{"body"};
    V().validate(schemas.at(name), schemas.at(name).at("example"), loc, out);
    CHECK_MESSAGE(out.empty(), name << ": " << (out.empty() ? "" : out[0].to_string()));
    ++n;
  }
  CHECK(n == 13);
}

TEST_CASE("schema: required, extra fields, literals, types, nullable") {
  auto e = body_errors("POST", "/api/v2/enrichment/person", R"({"email":"jane@acme.io"})");
  REQUIRE(e.size() == 1);
  CHECK(e[0].type == "missing");
  CHECK(e[0].msg == "Field required");
  CHECK(e[0].loc == L(R"(["body","lead_list_id"])"));
  CHECK(e[0].input == L(R"({"email":"jane@acme.io"})"));

  e = body_errors("POST", "/api/v2/enrichment/bulk", R"({"lead_list_id":"l","quote_id":"q"})");
  REQUIRE(e.size() == 2); // fields first (document order), then the extras
  CHECK(e[0].loc == L(R"(["body","list_id"])"));
  CHECK(e[0].type == "missing");
  CHECK(e[1].loc == L(R"(["body","lead_list_id"])"));
  CHECK(e[1].type == "extra_forbidden");
  CHECK(e[1].msg == "Extra inputs are not permitted");
  CHECK(e[1].input == "l");

  e = body_errors("POST", "/api/v2/enrichment/bulk", R"({"list_id":"l","quote_id":"q","scope":"phone_only"})");
  REQUIRE(e.size() == 1);
  CHECK(e[0].type == "literal_error");
  CHECK(e[0].msg == "Input should be 'partial', 'full' or 'phone-only'");
  CHECK(e[0].ctx == L(R"({"expected":"'partial', 'full' or 'phone-only'"})"));

  // nullable enum: null passes, a wrong value is a literal error at the field
  CHECK(body_errors("POST", "/api/v2/enrichment/person", R"({"lead_list_id":"l","enrichment_type":null})").empty());
  e = body_errors("POST", "/api/v2/enrichment/person", R"({"lead_list_id":"l","enrichment_type":"everything"})");
  REQUIRE(e.size() == 1);
  CHECK(e[0].loc == L(R"(["body","enrichment_type"])"));
  CHECK(e[0].type == "literal_error");
  // not nullable: null is a type error
  e = body_errors("POST", "/api/v2/enrichment/person", R"({"lead_list_id":null})");
  REQUIRE(e.size() == 1);
  CHECK(e[0].type == "string_type");

  e = body_errors("POST", "/api/v2/smart-agents/run", R"({"list_id":"l","column_name":"c","quote_id":"q","max_rows":"5","overwrite":"yes"})");
  REQUIRE(e.size() == 2);
  CHECK(e[0].type == "int_type");
  CHECK(e[1].type == "bool_type");
  CHECK(e[1].loc == L(R"(["body","overwrite"])"));
  e = body_errors("POST", "/api/v2/smart-agents/run", R"({"list_id":"l","column_name":"c","quote_id":"q","max_rows":5.5})");
  REQUIRE(e.size() == 1);
  CHECK(e[0].type == "int_from_float");
  CHECK(body_errors("POST", "/api/v2/smart-agents/run", R"({"list_id":"l","column_name":"c","quote_id":"q","max_rows":5.0})").empty());
  CHECK(body_errors("POST", "/api/v2/credits/estimate", R"({"tool":"t","filters":{"any":[1,{"x":null}]},"row_count":null})").empty());
  e = body_errors("POST", "/api/v2/credits/estimate", R"({"tool":"t","filters":[]})");
  REQUIRE(e.size() == 1);
  CHECK(e[0].type == "dict_type");

  e = body_errors("POST", "/api/v2/lead-lists", R"([1])");
  REQUIRE(e.size() == 1);
  CHECK(e[0].loc == L(R"(["body"])"));
  CHECK(e[0].type == "model_attributes_type");
}

TEST_CASE("schema: lengths are counted in characters, bounds and sizes") {
  auto name = [](const std::string& s) { return json::serialize(json::object{{"name", s}}); };
  CHECK(body_errors("POST", "/api/v2/lead-lists", name(repeat("\xC3\xA9", 200))).empty());     // é: 400 bytes
  CHECK(body_errors("POST", "/api/v2/lead-lists", name(repeat("\xF0\x9F\x98\x80", 200))).empty()); // 800 bytes
  auto e = body_errors("POST", "/api/v2/lead-lists", name(repeat("\xC3\xA9", 201)));
  REQUIRE(e.size() == 1);
  CHECK(e[0].type == "string_too_long");
  CHECK(e[0].msg == "String should have at most 200 characters");
  CHECK(e[0].ctx == L(R"({"max_length":200})"));
  e = body_errors("POST", "/api/v2/lead-lists", name(""));
  REQUIRE(e.size() == 1);
  CHECK(e[0].type == "string_too_short");
  CHECK(e[0].msg == "String should have at least 1 character");
  // maxLength inside a nullable anyOf
  CHECK(body_errors("POST", "/api/v2/lead-lists/x/leads",
                    json::serialize(json::object{{"lead_ids", {"a"}}, {"idempotency_key", repeat("\xE2\x82\xAC", 128)}}))
            .empty());
  e = body_errors("POST", "/api/v2/lead-lists/x/leads",
                  json::serialize(json::object{{"lead_ids", {"a"}}, {"idempotency_key", repeat("\xE2\x82\xAC", 129)}}));
  REQUIRE(e.size() == 4); // neither oneOf member: each member's errors, tagged
  CHECK(e[0].loc == L(R"(["body","AddByLeadIds","idempotency_key"])"));
  CHECK(e[0].type == "string_too_long");
  CHECK(e[1].loc == L(R"(["body","AddByCohort","task_id"])"));

  e = body_errors("POST", "/api/v2/smart-agents/run", R"({"list_id":"l","column_name":"c","quote_id":"q","max_rows":0})");
  REQUIRE(e.size() == 1);
  CHECK(e[0].type == "greater_than_equal");
  CHECK(e[0].ctx == L(R"({"ge":1})"));
  e = body_errors("POST", "/api/v2/smart-agents/run", R"({"list_id":"l","column_name":"c","quote_id":"q","max_rows":10001})");
  REQUIRE(e.size() == 1);
  CHECK(e[0].msg == "Input should be less than or equal to 10000"); // the schema says 10000.0
  CHECK(body_errors("POST", "/api/v2/smart-agents/run", R"({"list_id":"l","column_name":"c","quote_id":"q","max_rows":10000})").empty());

  e = body_errors("DELETE", "/api/v2/lead-lists/x/leads", R"({"lead_ids":[]})");
  REQUIRE(e.size() == 1);
  CHECK(e[0].type == "too_short");
  CHECK(e[0].ctx == L(R"({"field_type":"List","min_length":1,"actual_length":0})"));
  json::value many{{"lead_ids", json::array(101, "x")}};
  e = body_errors("DELETE", "/api/v2/lead-lists/x/leads", json::serialize(many));
  REQUIRE(e.size() == 1);
  CHECK(e[0].type == "too_long");
  e = body_errors("DELETE", "/api/v2/lead-lists/x/leads", R"({"lead_ids":["a",2]})");
  REQUIRE(e.size() == 1);
  CHECK(e[0].loc == L(R"(["body","lead_ids",1])"));
  CHECK(e[0].type == "string_type");
}

TEST_CASE("schema: oneOf (add leads), dictionaries with propertyNames") {
  const char* p = "/api/v2/lead-lists/abc/leads";
  CHECK(body_errors("POST", p, R"({"lead_ids":["a"]})").empty());
  CHECK(body_errors("POST", p, R"({"task_id":"t","entity_ids":null})").empty());
  auto e = body_errors("POST", p, R"({})");
  REQUIRE(e.size() == 2);
  CHECK(e[0].loc == L(R"(["body","AddByLeadIds","lead_ids"])"));
  CHECK(e[1].loc == L(R"(["body","AddByCohort","task_id"])"));
  e = body_errors("POST", p, R"({"lead_ids":["a"],"task_id":"t"})");
  REQUIRE(e.size() == 2);
  CHECK(e[0].loc == L(R"(["body","AddByLeadIds","task_id"])"));
  CHECK(e[0].type == "extra_forbidden");
  CHECK(e[1].loc == L(R"(["body","AddByCohort","lead_ids"])"));

  const char* csv = "/api/v2/lead-lists/abc/csv-import";
  e = body_errors("POST", csv, R"({"csv_content_base64":"eA==","column_mapping":{"nickname":"x","email":1}})");
  REQUIRE(e.size() == 2);
  CHECK(e[0].loc == L(R"(["body","column_mapping","nickname","[key]"])"));
  CHECK(e[0].type == "literal_error");
  CHECK(e[0].input == "nickname");
  CHECK(e[1].loc == L(R"(["body","column_mapping","email"])"));
  CHECK(e[1].type == "string_type");
  e = body_errors("POST", csv, R"({"csv_content_base64":"eA==","column_mapping":{}})");
  REQUIRE(e.size() == 1);
  CHECK(e[0].type == "too_short");
  CHECK(e[0].msg == "Dictionary should have at least 1 item after validation, not 0");
}

TEST_CASE("schema: query parameters and absent bodies") {
  auto e = query_errors("GET", "/api/v2/lead-lists", "limit=0");
  REQUIRE(e.size() == 1);
  CHECK(e[0].loc == L(R"(["query","limit"])"));
  CHECK(e[0].type == "greater_than_equal");
  CHECK(e[0].input == "0"); // the raw string, as FastAPI reports it
  CHECK(query_errors("GET", "/api/v2/lead-lists", "limit=101")[0].type == "less_than_equal");
  CHECK(query_errors("GET", "/api/v2/lead-lists", "limit=abc")[0].type == "int_parsing");
  CHECK(query_errors("GET", "/api/v2/lead-lists", "limit=100&folder_id=f&cursor=&unknown=1").empty());
  CHECK(query_errors("GET", "/api/v2/lead-lists", "limit=500&limit=5").empty()); // last one wins
  e = query_errors("GET", "/api/v2/usage", "group_by=planet&days=366");
  REQUIRE(e.size() == 2);
  CHECK(e[0].loc == L(R"(["query","days"])"));
  CHECK(e[1].type == "literal_error");
  e = query_errors("GET", "/api/v2/export/json", "columns=email&columns=first_name");
  REQUIRE(e.size() == 1);
  CHECK(e[0].type == "missing");
  CHECK(e[0].loc == L(R"(["query","list_id"])"));
  CHECK(query_errors("GET", "/api/v2/export/json", "list_id=l%20x&columns=a").empty());

  const auto* op = V().find("POST", "/api/v2/credits/estimate");
  std::vector<d::schema_error> out;
  V().validate_body(*op, nullptr, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].loc == L(R"(["body"])"));
  CHECK(out[0].type == "missing");

  auto q = d::parse_query_string("a=1&b=x%20y+z&c&=e&d=%zz");
  REQUIRE(q.size() == 5);
  CHECK(q[1].second == "x y z");
  CHECK(q[2].first == "c");
  CHECK(q[4].second == "%zz");
  CHECK(d::utf8_length("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80") == 4);
}

TEST_CASE("validate_request: v2 exact, v1 relaxations, unknown operations") {
  json::value person = L(R"({"email":"jane@acme.io"})");
  auto v = validate_request("POST", "/api/v2/enrichment/person", "", &person);
  REQUIRE(v.size() == 1);
  CHECK(v[0] == "body.lead_list_id: missing: Field required");
  CHECK(validate_request("POST", "/api/v1/public/enrichment/person", "", &person).empty());
  CHECK(validate_request("POST", "/enrichment/person", "", &person).size() == 1); // no prefix: v2

  json::value bulk = L(R"({"lead_list_id":"l","quote_id":"q"})");
  CHECK(validate_request("POST", "/api/v2/enrichment/bulk", "", &bulk).size() == 2);
  CHECK(validate_request("POST", "/api/v1/public/enrichment/bulk", "", &bulk).empty());
  json::value both = L(R"({"lead_list_id":"l","list_id":"l","quote_id":"q"})");
  CHECK(validate_request("POST", "/api/v1/public/enrichment/bulk", "", &both) ==
        std::vector<std::string>{"body.lead_list_id: extra_forbidden: Extra inputs are not permitted"});
  json::value bad = L(R"({"lead_list_id":5,"quote_id":"q"})");
  auto dv = validate_request_detail("POST", "/api/v1/public/enrichment/bulk", "", &bad);
  REQUIRE(dv.size() == 1);
  CHECK(dv[0].at("loc") == L(R"(["body","lead_list_id"])"));

  json::value desc = L(R"({"name":"n","description":null,"colour":"red"})");
  CHECK(validate_request("POST", "/api/v2/lead-lists", "", &desc) ==
        std::vector<std::string>{"body.colour: extra_forbidden: Extra inputs are not permitted"});
  CHECK(validate_request("POST", "/api/v1/public/lead-lists", "", &desc).size() == 1);
  json::value desc_bad = L(R"({"description":3})");
  CHECK(validate_request("PATCH", "/api/v1/public/lead-lists/x", "", &desc_bad).size() == 1);

  auto d1 = validate_request_detail("GET", "/api/v2/lead-lists/{list_id}/leads?limit=501", "", nullptr);
  REQUIRE(d1.size() == 1);
  CHECK(d1[0].at("type") == "less_than_equal");
  CHECK(d1[0].at("ctx") == L(R"({"le":500})"));
  CHECK(validate_request("GET", "/api/v2/lead-lists/abc/leads", "limit=500&cursor=x", nullptr).empty());
  // the same rules on v1 for everything else
  CHECK(validate_request("GET", "/api/v1/public/lead-lists", "limit=0", nullptr).size() == 1);

  v = validate_request("GET", "/api/v2/enrichment/person", "", nullptr);
  REQUIRE(v.size() == 1);
  CHECK(v[0] == "path: unknown_operation: GET /api/v2/enrichment/person is not an operation of the schema");
  CHECK(validate_request("POST", "/api/v2/whoami", "", nullptr).size() == 1);
  CHECK(validate_request("GET", "/api/v2/whoami", "", nullptr).empty());
}
