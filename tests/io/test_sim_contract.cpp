// The two prefixes, two contracts: /api/v2 follows the OpenAPI v2 schema exactly; /api/v1/public
// keeps the quickstart's documented forms (src/testing/README.md, "Decisions").
#include "sim_test_util.hpp"

#include <cleanlist/testing/schema.hpp>

using namespace simtest;

namespace {
json::value detail0(const http_result& r) { return r.json().at("detail").as_array().at(0); }
std::string repeat(std::string_view s, int n) {
  std::string r;
  for (int i = 0; i < n; ++i) r += s;
  return r;
}
} // namespace

TEST_CASE("contract: person without lead_list_id is v1 only") {
  ct::simulator sim(fast_params());
  client v1(sim.base_url("/api/v1/public"), sim.default_api_key());
  client v2(sim.base_url("/api/v2"), sim.default_api_key());
  json::value body{{"email", "jane@acme.io"}};
  auto r = v2.post("/enrichment/person", body);
  REQUIRE(r.status == 422);
  CHECK(detail0(r).at("type") == "missing");
  CHECK(detail0(r).at("loc") == J(R"(["body","lead_list_id"])"));
  CHECK(r.json().at("detail").as_array().size() == 1);
  CHECK(sim.enrich_posts_for("jane@acme.io") == 0); // refused before the handler
  r = v1.post("/enrichment/person", body);
  REQUIRE(r.status == 200);
  CHECK(S(v1.get("/lead-lists/" + S(r.json(), "lead_list_id")).json(), "name") == "MCP Results");
  // null is not a string on either prefix
  CHECK(v1.post("/enrichment/person", {{"email", "jane@acme.io"}, {"lead_list_id", nullptr}}).status == 422);
}

TEST_CASE("contract: bulk lead_list_id alias is v1 only") {
  ct::simulator sim(fast_params());
  client v1(sim.base_url("/api/v1/public"), sim.default_api_key());
  client v2(sim.base_url("/api/v2"), sim.default_api_key());
  auto list = make_list(v1, "alias", 2);
  auto q = quote(v2, {{"tool", "enrich_list"}, {"list_id", list}});
  auto r = v2.post("/enrichment/bulk", {{"lead_list_id", list}, {"quote_id", q}});
  REQUIRE(r.status == 422);
  auto d = r.json().at("detail").as_array();
  REQUIRE(d.size() == 2);
  CHECK(d[0].at("loc") == J(R"(["body","list_id"])"));
  CHECK(d[0].at("type") == "missing");
  CHECK(d[1].at("loc") == J(R"(["body","lead_list_id"])"));
  CHECK(d[1].at("type") == "extra_forbidden");
  // both names on v1: the alias is an extra field
  r = v1.post("/enrichment/bulk", {{"lead_list_id", list}, {"list_id", list}, {"quote_id", q}});
  REQUIRE(r.status == 422);
  CHECK(detail0(r).at("type") == "extra_forbidden");
  r = v1.post("/enrichment/bulk", {{"lead_list_id", list}, {"quote_id", q}});
  CHECK(r.status == 200);
}

TEST_CASE("contract: everything but the two quickstart forms is validated on both prefixes") {
  ct::simulator sim(fast_params());
  client v1(sim.base_url("/api/v1/public"), sim.default_api_key());
  client v2(sim.base_url("/api/v2"), sim.default_api_key());
  auto id = make_list(v1, "both", 0);
  http_result r;
  for (auto* c : {&v1, &v2}) {
    CAPTURE(c->prefix());
    r = c->post("/lead-lists", {{"name", "x"}, {"description", "d"}, {"colour", "red"}});
    REQUIRE(r.status == 422);
    CHECK(detail0(r).at("loc") == J(R"(["body","colour"])"));
    r = c->post("/lead-lists/" + id + "/leads", {{"lead_ids", {"a"}}, {"task_id", "t"}});
    REQUIRE(r.status == 422);
    CHECK(detail0(r).at("loc") == J(R"(["body","AddByLeadIds","task_id"])"));
    CHECK(c->post("/smart-agents/run", {{"list_id", id}, {"column_name", "c"}, {"quote_id", "q"}, {"max_rows", "5"}}).status == 422);
    CHECK(c->post("/credits/estimate", {{"tool", "enrich_list"}, {"row_count", "12"}}).status == 422);
    r = c->get("/usage?group_by=planet");
    REQUIRE(r.status == 422);
    CHECK(detail0(r).at("type") == "literal_error");
  }
}

TEST_CASE("contract: lengths in characters, on both prefixes") {
  ct::simulator sim(fast_params());
  for (std::string prefix : {"/api/v1/public", "/api/v2"}) {
    CAPTURE(prefix);
    client c(sim.base_url(prefix), sim.default_api_key());
    std::string at_limit = repeat("\xC3\xA9", 199) + (prefix == "/api/v2" ? "2" : "1"); // 200 characters, 399 bytes
    auto r = c.post("/lead-lists", {{"name", at_limit}});
    CHECK(r.status == 201);
    CHECK(S(r.json(), "name") == at_limit);
    auto id = S(r.json(), "list_id");
    CHECK(c.patch("/lead-lists/" + id, {{"name", repeat("\xF0\x9F\x98\x80", 199) + prefix.back()}}).status == 200);
    r = c.post("/lead-lists", {{"name", repeat("\xC3\xA9", 201)}});
    REQUIRE(r.status == 422);
    CHECK(detail0(r).at("type") == "string_too_long");
    CHECK(detail0(r).at("ctx") == J(R"({"max_length":200})"));
    r = c.post("/smart-agents/run", {{"list_id", id}, {"column_name", repeat("\xE2\x82\xAC", 101)}, {"quote_id", "q"}});
    REQUIRE(r.status == 422);
    CHECK(detail0(r).at("loc") == J(R"(["body","column_name"])"));
  }
}

TEST_CASE("contract: authentication and scopes come before the schema") {
  ct::simulator sim(fast_params());
  client v2(sim.base_url("/api/v2"), "clapi_wrong");
  CHECK(v2.post("/enrichment/person", json::object{}).status == 401);
  v2.set_key(sim.default_api_key());
  CHECK(v2.post("/enrichment/person", json::object{}).status == 422);
  // a GET ignores a body it does not take (FastAPI parses none)
  CHECK(v2.request("GET", "/whoami", "not json").status == 200);
  CHECK(v2.request("POST", "/enrichment/person", "not json").status == 422);
}

TEST_CASE("contract: validate_request agrees with the simulator") {
  json::value ok{{"email", "jane@acme.io"}, {"lead_list_id", "ll_1"}, {"enrichment_type", "full"}};
  CHECK(ct::validate_request("POST", "/api/v2/enrichment/person", "", &ok).empty());
  json::value bad{{"email", "jane@acme.io"}, {"enrichment_type", "full"}};
  ct::simulator sim(fast_params());
  client v2(sim.base_url("/api/v2"), sim.default_api_key());
  auto r = v2.post("/enrichment/person", bad);
  REQUIRE(r.status == 422);
  CHECK(r.json().at("detail") == json::value(ct::validate_request_detail("POST", "/api/v2/enrichment/person", "", &bad)));
}
