// Every request the client can build conforms to the official v2 schema (the vendored
// api/cleanlist-openapi-v2.json, checked by cleanlist::testing::validate_request): for each of
// the 24 operations, minimal and fully-populated requests, on /api/v2 (the schema, exactly) and
// /api/v1/public (the schema plus its documented relaxations). Sans-io: no server is started.
#include "protocol/csv_rows.hpp"
#include "protocol/request_spec.hpp"

#include <cleanlist/testing/schema.hpp>

#include <boost/json/parse.hpp>

#include <doctest/doctest.h>

#include <functional>

namespace cl = cleanlist;
namespace api = cleanlist::api;

namespace {

std::string_view verb(api::method m) {
  switch (m) {
  case api::method::get: return "GET";
  case api::method::post: return "POST";
  case api::method::patch: return "PATCH";
  case api::method::del: return "DELETE";
  }
  return "?";
}

int checked = 0;

/// The built request conforms; `what` names it in failures.
void conforms(const std::string& what, const api::request_spec& s) {
  CAPTURE(what);
  REQUIRE_MESSAGE(s.invalid.empty(), s.invalid);
  boost::json::value body;
  if (!s.body.empty()) body = boost::json::parse(s.body);
  const auto problems = cl::testing::validate_request(verb(s.verb), s.target, "", s.body.empty() ? nullptr : &body);
  for (const auto& p : problems) MESSAGE(verb(s.verb) << " " << s.target << " " << s.body << " -> " << p);
  CHECK(problems.empty());
  ++checked;
}

const char* const list_id = "ll_7f3a2b9c";

void every_operation(const api::paths& p) {
  const std::string tag = p.base + ": ";
  conforms(tag + "whoami", api::whoami(p));
  conforms(tag + "balance", api::credits_balance(p));

  cl::estimate_request est;
  est.tool = "enrich_list";
  est.list_id = list_id;
  est.scope = "full";
  conforms(tag + "estimate enrich_list", api::estimate(p, est));
  cl::estimate_request est2;
  est2.tool = "bulk_import_csv";
  est2.list_id = list_id;
  est2.row_count = 120;
  est2.include_phone = true;
  conforms(tag + "estimate bulk_import_csv", api::estimate(p, est2));

  conforms(tag + "api keys", api::list_api_keys(p));
  cl::usage_request u;
  conforms(tag + "usage (defaults)", api::usage(p, u));
  u.days = 30;
  u.group_by = "day";
  conforms(tag + "usage", api::usage(p, u));

  cl::create_list_request cr;
  cr.name = "Q3 prospects — ümlaut";
  conforms(tag + "create list", api::create_list(p, cr));
  cr.description = "from the conference";
  cr.folder_id = "fld_1";
  conforms(tag + "create list (all fields)", api::create_list(p, cr));

  conforms(tag + "lists (defaults)", api::list_lists(p, {}));
  conforms(tag + "lists", api::list_lists(p, cl::list_lists_request{100, std::string("b2Zmc2V0OjUw"), std::string("fld_1")}));
  conforms(tag + "get list", api::get_list(p, list_id));
  cl::update_list_request up;
  up.list_id = list_id;
  up.name = "renamed";
  conforms(tag + "update list", api::update_list(p, up));
  up.description = std::optional<std::string>{};  // explicit null clears it
  up.folder_id = std::optional<std::string>{"fld_2"};
  conforms(tag + "update list (null description)", api::update_list(p, up));
  conforms(tag + "delete list", api::delete_list(p, list_id));

  conforms(tag + "leads", api::list_leads(p, cl::list_leads_request{list_id, 500, std::string("b2Zmc2V0OjUw")}));
  cl::add_leads_request a;
  a.list_id = list_id;
  a.lead_ids = {"lead_1", "lead_2"};
  a.idempotency_key = api::new_idempotency_key();
  conforms(tag + "add leads (mode A)", api::add_leads(p, a));
  cl::add_leads_request b;
  b.list_id = list_id;
  b.task_id = "cl-task_demo-people-org_1";
  b.entity_ids = std::vector<std::string>{"e1", "e2"};
  b.idempotency_key = api::new_idempotency_key();
  conforms(tag + "add leads (mode B)", api::add_leads(p, b));
  conforms(tag + "remove leads", api::remove_leads(p, cl::remove_leads_request{list_id, {"lead_1"}}));

  cl::csv_import_request imp;
  imp.list_id = list_id;
  imp.csv_content = "first_name,last_name,email\nJane,Doe,jane@acme.io\n";
  imp.column_mapping = api::csv_column_mapping();  // what enrich_many's bulk path sends
  imp.dispatch_enrichment = false;
  imp.idempotency_key = api::new_idempotency_key();
  conforms(tag + "csv import (enrich_many)", api::csv_import(p, imp));
  imp.dispatch_enrichment = true;
  imp.enrichment_type = cl::enrichment_type::full;
  imp.quote_id = "qte_v1_1_abc";
  conforms(tag + "csv import (dispatch)", api::csv_import(p, imp));

  cl::enrich_person_request per;
  per.lead_list_id = list_id;
  per.email = "jane@acme.io";
  conforms(tag + "enrich person", api::enrich_person(p, per));
  per.linkedin_url = "https://www.linkedin.com/in/jane-doe";
  per.phone = "+14155550142";
  per.first_name = "Jane";
  per.last_name = "Doe";
  per.company_name = "Acme";
  per.domain = "acme.io";
  per.person_id = "prospect_5c8e";
  per.enrichment_type = cl::enrichment_type::phone_only;
  per.include_phone = true;
  conforms(tag + "enrich person (all fields)", api::enrich_person(p, per));

  cl::enrich_company_request co;
  co.domain = "acme.io";
  conforms(tag + "enrich company", api::enrich_company(p, co));

  cl::enrich_by_task_request bt;
  bt.task_id = "cl-task_demo-people-org_1";
  bt.data_points = {"Email", "Phone"};
  bt.lead_list_id = list_id;
  bt.quote_id = "qte_v1_1_abc";
  conforms(tag + "enrich by task", api::enrich_by_task(p, bt));
  bt.entity_ids = std::vector<std::string>{"e1"};
  conforms(tag + "enrich by task (entities)", api::enrich_by_task(p, bt));

  conforms(tag + "enrich bulk", api::enrich_list(p, cl::enrich_list_request{list_id, cl::bulk_scope::phone_only, "qte_v1_1_abc"}));
  conforms(tag + "enrich bulk (default scope)", api::enrich_list(p, cl::enrich_list_request{list_id, std::nullopt, "qte_v1_1_abc"}));
  conforms(tag + "status", api::workflow_status(p, "wf_enrich_7c2a"));

  cl::run_smart_agent_request sa;
  sa.list_id = list_id;
  sa.agent_type = "custom_ai";
  sa.prompt = "Summarise the company in one line";
  sa.column_name = "Summary";
  sa.quote_id = "qte_v1_1_abc";
  conforms(tag + "run smart agent", api::run_smart_agent(p, sa));
  sa.lead_scope = "all";
  sa.max_rows = 500;
  sa.overwrite = true;
  conforms(tag + "run smart agent (all fields)", api::run_smart_agent(p, sa));
  conforms(tag + "smart agents", api::list_smart_agents(p, cl::list_smart_agents_request{std::string(list_id), 50}));
  conforms(tag + "smart agent", api::get_smart_agent(p, "sat_1"));

  cl::export_csv_request ec;
  ec.list_id = list_id;
  conforms(tag + "export csv", api::export_csv(p, ec));
  ec.columns = std::vector<std::string>{"email", "phone"};
  ec.include_smart_agents = false;
  conforms(tag + "export csv (columns)", api::export_csv(p, ec));
  conforms(tag + "export json", api::export_json(p, cl::export_json_request{list_id, 500, std::string("c1"), {"email", "title"}}));
}

} // namespace

TEST_CASE("every request the client builds conforms to the official v2 schema, on both prefixes") {
  every_operation(api::paths{"/api/v2", "/api/v1/public"});
  every_operation(api::paths{"/api/v1/public", "/api/v1/public"});
  MESSAGE(checked << " requests validated against the vendored schema");
  CHECK(checked == 2 * 36);
}

TEST_CASE("on /api/v2 the client refuses, before sending, what only the v1 surface accepts") {
  const api::paths v2{"/api/v2", "/api/v1/public"}, v1{"/api/v1/public", "/api/v1/public"};
  cl::enrich_person_request per;
  per.email = "jane@acme.io";
  auto s = api::enrich_person(v2, per);
  CHECK(s.invalid.find("lead_list_id") != std::string::npos);
  CHECK(api::enrich_person(v1, per).invalid.empty());  // the quickstart's form: "MCP Results"
  // The validator agrees: the v1 form breaks the v2 schema.
  auto body = boost::json::parse(api::enrich_person(v1, per).body);
  CHECK_FALSE(cl::testing::validate_request("POST", "/api/v2/enrichment/person", "", &body).empty());

  cl::csv_import_request imp;
  imp.list_id = list_id;
  imp.csv_content = "Email,Title\na@b.io,CTO\n";
  imp.column_mapping = {{"email", "Email"}, {"title", "Title"}};  // the reference's alias
  imp.dispatch_enrichment = false;
  CHECK(api::csv_import(v2, imp).invalid.find("title") != std::string::npos);
  CHECK(api::csv_import(v1, imp).invalid.empty());
}

TEST_CASE("the validator is not blind: a broken request is refused") {
  auto body = boost::json::parse(R"({"list_id":"x","quote_id":"q","scope":"everything"})");
  CHECK_FALSE(cl::testing::validate_request("POST", "/api/v2/enrichment/bulk", "", &body).empty());
  auto extra = boost::json::parse(R"({"name":"n","colour":"red"})");
  CHECK_FALSE(cl::testing::validate_request("POST", "/api/v2/lead-lists", "", &extra).empty());
}
