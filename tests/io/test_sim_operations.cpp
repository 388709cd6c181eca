// Every operation of the v2 schema on both prefixes, the legacy endpoints, and their errors.
#include "sim_test_util.hpp"

using namespace simtest;

TEST_CASE("all 24 operations on both prefixes") {
  ct::simulator sim(fast_params());
  for (std::string prefix : {"/api/v1/public", "/api/v2"}) {
    CAPTURE(prefix);
    client c(sim.base_url(prefix), sim.default_api_key());
    // workspace (5)
    CHECK(c.get("/whoami").status == 200);
    CHECK(c.get("/credits/balance").status == 200);
    auto keys = c.get("/api-keys");
    REQUIRE(keys.status == 200);
    auto k0 = keys.json().at("keys").as_array().at(0);
    CHECK(S(k0, "key_prefix") == "clapi_");
    CHECK(S(k0, "key_last4") == sim.default_api_key().substr(sim.default_api_key().size() - 4));
    CHECK(keys.body.find(sim.default_api_key()) == std::string::npos); // never the secret
    auto usage = c.get("/usage?days=7&group_by=tool");
    REQUIRE(usage.status == 200);
    CHECK(I(usage.json(), "total_calls") >= 3);
    // lead lists (9)
    auto created = c.post("/lead-lists", {{"name", "Ops " + prefix}, {"description", "d"}});
    REQUIRE(created.status == 201);
    std::string list = S(created.json(), "list_id");
    CHECK(created.json().at("reused").as_bool() == false);
    CHECK(c.get("/lead-lists").status == 200);
    CHECK(c.get("/lead-lists/" + list).status == 200);
    auto patched = c.patch("/lead-lists/" + list, {{"name", "Ops renamed " + prefix}});
    REQUIRE(patched.status == 200);
    CHECK(S(patched.json(), "name") == "Ops renamed " + prefix);
    auto csv = c.post("/lead-lists/" + list + "/csv-import",
                      {{"csv_content_base64", b64("Email,Name\na@acme.io,A\nb@acme.io,B\n")},
                       {"column_mapping", {{"email", "Email"}, {"full_name", "Name"}}},
                       {"dispatch_enrichment", false}});
    REQUIRE(csv.status == 201);
    CHECK(I(csv.json(), "rows_imported") == 2);
    auto leads = c.get("/lead-lists/" + list + "/leads?limit=10");
    REQUIRE(leads.status == 200);
    auto lj = leads.json();
    CHECK(I(lj, "total") == 2);
    std::string lead0 = S(lj.at("leads").as_array()[0], "lead_id");
    std::string page_task = S(lj, "task_id");
    CHECK(page_task.starts_with("cl-task_"));
    auto other = c.post("/lead-lists", {{"name", "Other " + prefix}});
    std::string list2 = S(other.json(), "list_id");
    auto add = c.post("/lead-lists/" + list2 + "/leads", {{"lead_ids", {lead0}}});
    REQUIRE(add.status == 200);
    CHECK(I(add.json(), "added") == 1);
    json::value rm{{"lead_ids", {lead0, "does-not-exist"}}};
    auto removed = c.del("/lead-lists/" + list2 + "/leads", &rm);
    REQUIRE(removed.status == 200);
    CHECK(I(removed.json(), "removed") == 1);
    // enrichment (5)
    auto person = c.post("/enrichment/person", {{"email", "jane+all@acme.io"}, {"lead_list_id", list}, {"enrichment_type", "full"}});
    REQUIRE(person.status == 200);
    auto pj = person.json();
    CHECK(S(pj, "status") == "pending");
    CHECK(I(pj, "credits_reserved") == 11);
    CHECK(S(pj, "poll_url") == sim.base_url(prefix) + "/enrichment/status/" + S(pj, "workflow_id"));
    auto company = c.post("/enrichment/company", {{"domain", "acme.io"}});
    REQUIRE(company.status == 200);
    CHECK(I(company.json(), "credits_charged") == 1);
    std::string q = quote(c, {{"tool", "enrich_by_task"}, {"task_id", page_task}, {"data_points", {"Email"}}});
    auto bytask = c.post("/enrichment/by-task", {{"task_id", page_task}, {"data_points", {"Email"}}, {"quote_id", q}});
    REQUIRE(bytask.status == 200);
    CHECK(S(bytask.json(), "entity_kind") == "person");
    std::string qb = quote(c, {{"tool", "enrich_list"}, {"list_id", list}, {"scope", "partial"}});
    auto bulk = c.post("/enrichment/bulk", {{"list_id", list}, {"scope", "partial"}, {"quote_id", qb}});
    REQUIRE(bulk.status == 200);
    CHECK(I(bulk.json(), "total_leads") == 2);
    auto st = c.get("/enrichment/status/" + S(pj, "workflow_id"));
    REQUIRE(st.status == 200);
    auto done = wait_terminal(c, S(pj, "workflow_id"));
    CHECK(S(done, "status") == "completed");
    CHECK(S(done.at("result"), "email") == "jane+all@acme.io");
    CHECK(wait_terminal(c, S(bulk.json(), "workflow_id")).at("result").is_null());
    // by-task status through the cl-task handle
    CHECK(c.get("/enrichment/status/" + page_task).status == 200);
    // smart agents (3)
    std::string qa = quote(c, {{"tool", "run_smart_agent"}, {"list_id", list}, {"agent_type", "custom_ai"}});
    auto run = c.post("/smart-agents/run", {{"list_id", list}, {"prompt", "p"}, {"column_name", "Fit"}, {"quote_id", qa}});
    REQUIRE(run.status == 200);
    std::string run_id = S(run.json(), "smart_agent_task_id");
    CHECK(c.get("/smart-agents?list_id=" + list).status == 200);
    CHECK(c.get("/smart-agents/" + run_id).status == 200);
    // export (2)
    auto exp = c.post("/export/csv/signed-url", {{"list_id", list}});
    REQUIRE(exp.status == 200);
    CHECK(I(exp.json(), "row_count") >= 2);
    auto ej = c.get("/export/json?list_id=" + list + "&columns=email");
    REQUIRE(ej.status == 200);
    CHECK(I(ej.json(), "total") >= 2);
    // delete last (the 24th)
    auto d = c.del("/lead-lists/" + list2);
    REQUIRE(d.status == 200);
    CHECK(d.json().at("deleted").as_bool());
    CHECK(c.del("/lead-lists/" + list2).status == 404);
  }
}

TEST_CASE("export download URL serves the CSV") {
  ct::simulator sim(fast_params());
  client c(sim.base_url(), sim.default_api_key());
  auto list = make_list(c, "exp", 3);
  auto exp = c.post("/export/csv/signed-url", {{"list_id", list}, {"columns", {"email", "first_name"}}});
  REQUIRE(exp.status == 200);
  std::string url = S(exp.json(), "download_url");
  std::string origin = sim.base_url("");
  REQUIRE(url.starts_with(origin));
  auto dl = c.get(client::absolute(url.substr(origin.size())));
  REQUIRE(dl.status == 200);
  CHECK(dl.body.starts_with("email,first_name\r\n"));
  CHECK(static_cast<std::int64_t>(dl.body.size()) == I(exp.json(), "file_size_bytes"));
}

TEST_CASE("schema violations answer FastAPI 422 detail[]") {
  ct::simulator sim(fast_params());
  client c(sim.base_url(), sim.default_api_key());
  auto first_type = [](const http_result& r) {
    return std::string(r.json().at("detail").as_array().at(0).at("type").as_string());
  };
  auto r = c.post("/lead-lists", {{"name", "x"}, {"colour", "red"}});
  CHECK(r.status == 422);
  CHECK(first_type(r) == "extra_forbidden");
  r = c.post("/lead-lists", {{"name", 5}});
  CHECK(r.status == 422);
  CHECK(first_type(r) == "string_type");
  r = c.post("/lead-lists", json::object{});
  CHECK(r.status == 422);
  CHECK(first_type(r) == "missing");
  CHECK(r.json().at("detail").as_array()[0].at("loc") == J(R"(["body","name"])"));
  r = c.post("/lead-lists", {{"name", ""}});
  CHECK(r.status == 422);
  r = c.post("/enrichment/person", {{"email", "a@b.c"}, {"enrichment_type", "everything"}});
  CHECK(r.status == 422);
  CHECK(first_type(r) == "literal_error"); // pydantic's Literal (the schema's inline enum)
  r = c.post("/enrichment/bulk", {{"list_id", "x"}, {"scope", "phone_only"}, {"quote_id", "q"}});
  CHECK(r.status == 422); // the bulk scope is spelled phone-only
  r = c.post("/enrichment/bulk", {{"scope", "partial"}, {"quote_id", "q"}});
  CHECK(r.status == 422);
  r = c.request("POST", "/credits/estimate", "");
  CHECK(r.status == 422);
  CHECK(first_type(r) == "missing");
  r = c.request("POST", "/credits/estimate", "[1,2]");
  CHECK(r.status == 422);
  CHECK(c.get("/lead-lists?limit=0").status == 422);
  CHECK(c.get("/lead-lists?limit=101").status == 422);
  CHECK(c.get("/lead-lists?limit=abc").status == 422);
  auto l = S(c.post("/lead-lists", {{"name", "v"}}).json(), "list_id");
  CHECK(c.get("/lead-lists/" + l + "/leads?limit=501").status == 422);
  CHECK(c.get("/export/json").status == 422);
  CHECK(c.get("/export/json?list_id=" + l + "&limit=501").status == 422);
  CHECK(c.get("/usage?days=0").status == 422);
  CHECK(c.get("/usage?group_by=planet").status == 422);
  CHECK(c.get("/smart-agents?limit=101").status == 422);
  CHECK(c.patch("/lead-lists/" + l, json::object{}).status == 422);
  CHECK(c.post("/lead-lists/" + l + "/leads", json::object{}).status == 422);
  CHECK(c.post("/lead-lists/" + l + "/leads", {{"lead_ids", {"a"}}, {"task_id", "t"}}).status == 422);
  CHECK(c.post("/lead-lists/" + l + "/leads", {{"lead_ids", json::array{}}}).status == 422);
  json::value too_many{{"lead_ids", json::array(101, "x")}};
  CHECK(c.del("/lead-lists/" + l + "/leads", &too_many).status == 422);
  CHECK(c.post("/smart-agents/run", {{"list_id", l}, {"column_name", "c"}, {"quote_id", "q"}, {"max_rows", 0}}).status == 422);
  CHECK(c.post("/lead-lists/" + l + "/csv-import", {{"csv_content_base64", "eA=="}, {"column_mapping", {{"email", 5}}}}).status == 422);
  CHECK(c.post("/lead-lists/" + l + "/csv-import", {{"csv_content_base64", "eA=="}, {"column_mapping", json::object{}}}).status == 422);
}

TEST_CASE("handler-level validation_error, not_found and list guards") {
  ct::simulator sim(fast_params());
  client c(sim.base_url(), sim.default_api_key());
  auto r = c.post("/enrichment/person", {{"first_name", "Jane"}});
  CHECK(r.status == 400);
  CHECK(r.code() == "validation_error");
  r = c.post("/enrichment/company", json::object{});
  CHECK(r.status == 400);
  CHECK(r.code() == "validation_error");
  r = c.post("/enrichment/company", {{"domain", "unknown-company.example"}});
  CHECK(r.status == 404);
  CHECK(r.code() == "not_found");
  r = c.post("/credits/estimate", {{"tool", "teleport"}});
  CHECK(r.status == 400);
  CHECK(r.code() == "validation_error");
  r = c.post("/credits/estimate", {{"tool", "enrich_person"}, {"extra", {{"colour", 1}}}});
  CHECK(r.status == 400);
  CHECK(c.get("/lead-lists/nope").status == 404);
  CHECK(c.get("/enrichment/status/enrich-nope").code() == "not_found");
  CHECK(c.get("/smart-agents/run_nope").status == 404);
  CHECK(c.post("/enrichment/person", {{"email", "a@b.c"}, {"lead_list_id", "nope"}}).status == 404);
  auto l = S(c.post("/lead-lists", {{"name", "cursor"}}).json(), "list_id");
  r = c.get("/export/json?list_id=" + l + "&cursor=!!!");
  CHECK(r.status == 400);
  CHECK(c.get("/lead-lists?cursor=%25%25").status == 400);
  // protected DEFAULT list (created by the legacy bulk endpoint)
  auto lb = c.post("/enrich/bulk", {{"contacts", {{{"linkedin_url", "https://linkedin.com/in/x"}}}}});
  REQUIRE(lb.status == 200);
  std::string def;
  auto all_lists = c.get("/lead-lists").json();
  for (auto& x : all_lists.at("lists").as_array())
    if (S(x, "name") == "DEFAULT") def = S(x, "list_id");
  REQUIRE(!def.empty());
  CHECK(c.del("/lead-lists/" + def).code() == "list_protected");
  CHECK(c.patch("/lead-lists/" + def, {{"name", "x"}}).code() == "list_protected");
  // name reuse, case-insensitive
  auto a = c.post("/lead-lists", {{"name", "Q3 Leads"}});
  auto b = c.post("/lead-lists", {{"name", "q3 leads"}});
  CHECK(a.status == 201);
  CHECK(b.status == 200);
  CHECK(b.json().at("reused").as_bool());
  CHECK(S(a.json(), "list_id") == S(b.json(), "list_id"));
  CHECK(c.post("/lead-lists", {{"name", "Q3 Leads List"}}).status == 201);
  // PATCH semantics
  auto lid = S(a.json(), "list_id");
  auto p = c.patch("/lead-lists/" + lid, {{"description", "hello"}, {"folder_id", "folder_1"}});
  CHECK(S(p.json(), "description") == "hello");
  p = c.patch("/lead-lists/" + lid, {{"description", nullptr}});
  CHECK(p.json().at("description").is_null());
  CHECK(S(p.json(), "folder_id") == "folder_1");
  CHECK(I(c.get("/lead-lists?folder_id=folder_1").json(), "total") == 1);
}

TEST_CASE("scopes, feature gating and organisation isolation") {
  auto p = fast_params();
  ct::organisation_config a{"org_a", "A", "pro", {"API_ACCESS"}, 1000, {}};
  a.users.push_back({"user_a1", "a1@a.io", "A One", {{"clapi_a1_all", {}}, {"clapi_a1_read", {"lists:read", "credits:read"}}}, {}});
  a.users.push_back({"user_a2", "a2@a.io", "A Two", {{"clapi_a2_all", {}}}, {}});
  ct::organisation_config b{"org_b", "B", "pro", {"API_ACCESS"}, 1000, {}};
  b.users.push_back({"user_b1", "b1@b.io", "B One", {{"clapi_b1_all", {}}}, {}});
  ct::organisation_config f{"org_f", "Free", "free", {}, 1000, {}};
  f.users.push_back({"user_f1", "f@f.io", "F", {{"clapi_f1", {}}}, {}});
  p.orgs = {a, b, f};
  ct::simulator sim(p);
  CHECK(sim.default_api_key() == "clapi_a1_all");
  client ca(sim.base_url(), "clapi_a1_all"), cr(sim.base_url(), "clapi_a1_read"), ca2(sim.base_url(), "clapi_a2_all"),
      cb(sim.base_url(), "clapi_b1_all"), cf(sim.base_url(), "clapi_f1");
  auto r = cr.post("/enrichment/person", {{"email", "x@y.z"}});
  CHECK(r.status == 403);
  CHECK(r.code() == "insufficient_scope");
  auto det = r.json().at("error").at("details");
  CHECK(S(det, "required_scope") == "enrich:write");
  CHECK(det.at("granted_scopes").as_array().size() == 2);
  CHECK(cr.get("/credits/balance").status == 200);
  CHECK(cr.get("/api-keys").code() == "insufficient_scope");
  CHECK(cr.get("/whoami").json().at("scopes").as_array().size() == 2);
  // feature gating
  r = cf.get("/credits/balance");
  CHECK(r.status == 403);
  CHECK(r.code() == "feature_gated");
  CHECK(cf.get("/whoami").status == 200);
  CHECK(S(cf.get("/whoami").json(), "tier") == "free");
  CHECK(cf.get("/auth/validate-key").status == 403);
  // isolation: another org's list and workflow are 404, another user's private list too
  auto list = S(ca.post("/lead-lists", {{"name", "mine"}}).json(), "list_id");
  CHECK(cb.get("/lead-lists/" + list).status == 404);
  CHECK(cb.del("/lead-lists/" + list).status == 404);
  CHECK(ca2.get("/lead-lists/" + list).status == 404);
  CHECK(ca.get("/lead-lists/" + list).status == 200);
  auto wf = S(ca.post("/enrichment/person", {{"email", "j@x.io"}, {"lead_list_id", list}}).json(), "workflow_id");
  CHECK(cb.get("/enrichment/status/" + wf).status == 404);
  CHECK(ca2.get("/enrichment/status/" + wf).status == 200); // workflows are org-visible
  CHECK(cb.post("/enrichment/person", {{"email", "j@x.io"}, {"lead_list_id", list}}).status == 404);
  // credits are per organisation
  CHECK(sim.credits("org_a") == 1000 - 1);
  CHECK(sim.credits("org_b") == 1000);
}

TEST_CASE("lead_list_id may be omitted: MCP Results list; bulk accepts lead_list_id") {
  ct::simulator sim(fast_params());
  client c(sim.base_url(), sim.default_api_key());
  auto r1 = c.post("/enrichment/person", {{"linkedin_url", "https://linkedin.com/in/a"}});
  auto r2 = c.post("/enrichment/person", {{"first_name", "A"}, {"last_name", "B"}, {"domain", "b.io"}});
  REQUIRE(r1.status == 200);
  REQUIRE(r2.status == 200);
  auto mcp = S(r1.json(), "lead_list_id");
  CHECK(mcp == S(r2.json(), "lead_list_id"));
  CHECK(S(c.get("/lead-lists/" + mcp).json(), "name") == "MCP Results");
  auto list = make_list(c, "alias", 2);
  auto q = quote(c, {{"tool", "enrich_list"}, {"list_id", list}});
  auto b = c.post("/enrichment/bulk", {{"lead_list_id", list}, {"quote_id", q}});
  CHECK(b.status == 200);
}

TEST_CASE("pagination with opaque cursors") {
  ct::simulator sim(fast_params());
  client c(sim.base_url(), sim.default_api_key());
  for (int i = 0; i < 7; ++i) c.post("/lead-lists", {{"name", "page " + std::to_string(i)}});
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto r = c.get("/lead-lists?limit=3" + (cursor.empty() ? std::string() : "&cursor=" + cursor));
    REQUIRE(r.status == 200);
    auto j = r.json();
    CHECK(I(j, "total") == 7);
    for (auto& l : j.at("lists").as_array()) seen.push_back(S(l, "list_id"));
    cursor = j.at("cursor").is_null() ? "" : S(j, "cursor");
    ++pages;
  } while (!cursor.empty() && pages < 10);
  CHECK(pages == 3);
  CHECK(seen.size() == 7);
  auto list = make_list(c, "leads", 12);
  int n = 0;
  cursor.clear();
  pages = 0;
  do {
    auto j = c.get("/lead-lists/" + list + "/leads?limit=5" + (cursor.empty() ? std::string() : "&cursor=" + cursor)).json();
    n += static_cast<int>(j.at("leads").as_array().size());
    cursor = j.at("cursor").is_null() ? "" : S(j, "cursor");
    ++pages;
  } while (!cursor.empty() && pages < 10);
  CHECK(n == 12);
  CHECK(pages == 3);
  cursor.clear();
  n = 0;
  do {
    auto j = c.get("/export/json?list_id=" + list + "&limit=4" + (cursor.empty() ? std::string() : "&cursor=" + cursor)).json();
    n += static_cast<int>(j.at("leads").as_array().size());
    cursor = j.at("cursor").is_null() ? "" : S(j, "cursor");
  } while (!cursor.empty());
  CHECK(n == 12);
}

TEST_CASE("add-leads: mode B cohorts and idempotency_key") {
  ct::simulator sim(fast_params());
  client c(sim.base_url(), sim.default_api_key());
  auto list = S(c.post("/lead-lists", {{"name", "cohort"}}).json(), "list_id");
  std::string people = "cl-task_demo-people-" + sim.default_org_id();
  auto r = c.post("/lead-lists/" + list + "/leads", {{"task_id", people}, {"idempotency_key", "k1"}});
  REQUIRE(r.status == 200);
  CHECK(I(r.json(), "added") == 10);
  CHECK(I(r.json(), "created") == 10);
  auto again = c.post("/lead-lists/" + list + "/leads", {{"task_id", people}, {"idempotency_key", "k1"}});
  CHECK(again.body == r.body); // replayed
  auto dup = c.post("/lead-lists/" + list + "/leads", {{"task_id", people}});
  CHECK(I(dup.json(), "added") == 0);
  CHECK(I(dup.json(), "skipped_duplicates") == 10);
  CHECK(I(c.get("/lead-lists/" + list).json(), "lead_count") == 10);
  CHECK(c.post("/lead-lists/" + list + "/leads", {{"task_id", people}, {"entity_ids", {"nope"}}}).status == 400);
  CHECK(c.post("/lead-lists/" + list + "/leads", {{"task_id", "cl-task_nope"}}).status == 404);
  auto cid = sim.create_cohort(sim.default_org_id(), "person", 3);
  CHECK(I(c.post("/lead-lists/" + list + "/leads", {{"task_id", cid}}).json(), "added") == 3);
}

TEST_CASE("CSV import: mapping, skips, missing_column, 413, idempotent replay, dispatch") {
  ct::simulator sim(fast_params());
  client c(sim.base_url(), sim.default_api_key());
  auto list = S(c.post("/lead-lists", {{"name", "csv"}}).json(), "list_id");
  std::string csv = "\xEF\xBB\xBF" "First Name,Last Name,Email,Company\r\n"
                    "Jane,Doe,jane@acme.io,Acme\r\n"
                    "\"Smith, Jr\",John,jane@acme.io,Acme\r\n"   // duplicate email
                    "Only,Name,,\r\n"                              // missing identity
                    "Ann,Lee,ann@acme.io,\"Acme \"\"Labs\"\"\"\r\n";
  json::object body{{"csv_content_base64", b64(csv)},
                    {"column_mapping", {{"first_name", "First Name"}, {"last_name", "Last Name"}, {"email", "Email"}, {"company_name", "Company"}}},
                    {"dispatch_enrichment", true}, {"enrichment_type", "partial"}, {"idempotency_key", "imp-1"}};
  auto before = sim.credits(sim.default_org_id());
  auto r = c.post("/lead-lists/" + list + "/csv-import", body);
  REQUIRE(r.status == 201);
  auto j = r.json();
  CHECK(I(j, "rows_parsed") == 4);
  CHECK(I(j, "rows_imported") == 2);
  CHECK(I(j, "rows_skipped") == 2);
  CHECK(I(j.at("skip_reasons"), "duplicate_email") == 1);
  CHECK(I(j.at("skip_reasons"), "missing_required") == 1);
  CHECK(j.at("sample_skip_rows") == J("[3,4]"));
  CHECK(j.at("idempotency_replayed").as_bool() == false);
  std::string wf = S(j, "workflow_id");
  CHECK(wf.starts_with("bulk-enrich-"));
  CHECK(S(j, "enrichment_status_url") == "/api/v1/public/enrichment/status/" + wf);
  CHECK(sim.credits(sim.default_org_id()) == before - 2);
  auto replay = c.post("/lead-lists/" + list + "/csv-import", body);
  REQUIRE(replay.status == 201);
  CHECK(replay.json().at("idempotency_replayed").as_bool());
  CHECK(S(replay.json(), "workflow_id") == wf);
  CHECK(I(c.get("/lead-lists/" + list).json(), "lead_count") == 2);
  CHECK(sim.credits(sim.default_org_id()) == before - 2);
  auto lead_rows = c.get("/lead-lists/" + list + "/leads").json().at("leads").as_array();
  CHECK(S(lead_rows[1], "company") == "Acme \"Labs\"");
  // errors
  body.erase("idempotency_key");
  body["column_mapping"] = {{"email", "E-mail"}};
  r = c.post("/lead-lists/" + list + "/csv-import", body);
  CHECK(r.status == 400);
  CHECK(r.code() == "missing_column");
  CHECK(S(r.json().at("error").at("details"), "column") == "E-mail");
  body["column_mapping"] = {{"email", "Email"}};
  body.erase("enrichment_type");
  CHECK(c.post("/lead-lists/" + list + "/csv-import", body).code() == "validation_error");
  body["csv_content_base64"] = "!!!notbase64";
  CHECK(c.post("/lead-lists/" + list + "/csv-import", body).code() == "validation_error");
  std::string big = "Email\n";
  while (big.size() <= 150 * 1024) big += "someone.with.a.long.address@example.com\n";
  body["csv_content_base64"] = b64(big);
  body["dispatch_enrichment"] = false;
  r = c.post("/lead-lists/" + list + "/csv-import", body);
  CHECK(r.status == 413);
  CHECK(r.code() == "payload_too_large");
}

TEST_CASE("by-task: person cohort async, company cohort sync, quote_required") {
  ct::simulator sim(fast_params());
  client c(sim.base_url(), sim.default_api_key());
  std::string people = "cl-task_demo-people-" + sim.default_org_id();
  std::string companies = "cl-task_demo-companies-" + sim.default_org_id();
  auto r = c.post("/enrichment/by-task", {{"task_id", people}, {"data_points", {"Email"}}});
  CHECK(r.status == 400);
  CHECK(r.code() == "quote_required");
  auto q = quote(c, {{"tool", "enrich_by_task"}, {"task_id", people}, {"data_points", {"Phone", "Email"}}});
  r = c.post("/enrichment/by-task", {{"task_id", people}, {"data_points", {"Email", "Phone"}}, {"quote_id", q}});
  REQUIRE(r.status == 200);
  auto j = r.json();
  CHECK(I(j, "credits_reserved") == 110);
  CHECK(j.at("results").as_array().size() == 10);
  CHECK(S(j.at("results").as_array()[0], "status") == "queued");
  auto done = wait_terminal(c, S(j, "workflow_id"));
  CHECK(I(done, "processed") == 10);
  CHECK(c.get("/enrichment/status/" + people).status == 200); // cohort handle resolves to the workflow
  CHECK(c.post("/enrichment/by-task", {{"task_id", companies}, {"data_points", {"Email"}}, {"quote_id", q}}).code() == "validation_error");
  auto qc = quote(c, {{"tool", "enrich_by_task"}, {"task_id", companies}, {"data_points", {"Industry"}}});
  r = c.post("/enrichment/by-task", {{"task_id", companies}, {"data_points", {"Industry"}}, {"quote_id", qc}});
  REQUIRE(r.status == 200);
  j = r.json();
  CHECK(S(j, "entity_kind") == "company");
  CHECK(S(j, "status") == "completed");
  CHECK(j.at("workflow_id").is_null());
  CHECK(I(j, "credits_reserved") <= 1);
}

TEST_CASE("smart agents: progress, approval_required, prompt required") {
  auto p = fast_params();
  ct::simulator sim(p);
  client c(sim.base_url(), sim.default_api_key());
  auto list = make_list(c, "agents", 4);
  auto q = quote(c, {{"tool", "run_smart_agent"}, {"list_id", list}, {"agent_type", "cold_intro_email"}});
  auto r = c.post("/smart-agents/run", {{"list_id", list}, {"agent_type", "cold_intro_email"}, {"column_name", "Intro"}, {"quote_id", q}});
  REQUIRE(r.status == 200);
  CHECK(I(r.json(), "estimated_cost") == 12);
  std::string id = S(r.json(), "smart_agent_task_id");
  json::value j;
  for (int i = 0; i < 100; ++i) {
    j = c.get("/smart-agents/" + id).json();
    if (S(j, "status") == "completed") break;
    std::this_thread::sleep_for(10ms);
  }
  CHECK(S(j, "status") == "completed");
  CHECK(I(j, "progress") == 100);
  CHECK(I(j, "succeeded") + I(j, "failed") == 4);
  CHECK(j.at("results").as_array().size() == 4);
  auto runs = c.get("/smart-agents").json();
  CHECK(I(runs, "total") == 1);
  auto q2 = quote(c, {{"tool", "run_smart_agent"}, {"list_id", list}});
  CHECK(c.post("/smart-agents/run", {{"list_id", list}, {"column_name", "X"}, {"quote_id", q2}}).code() == "validation_error");
  auto big = make_list(c, "big", 501);
  auto q3 = quote(c, {{"tool", "run_smart_agent"}, {"list_id", big}, {"agent_type", "title_normalizer"}});
  r = c.post("/smart-agents/run", {{"list_id", big}, {"agent_type", "title_normalizer"}, {"column_name", "T"}, {"lead_scope", "all"}, {"quote_id", q3}});
  CHECK(r.status == 400);
  CHECK(r.code() == "approval_required");
  r = c.post("/smart-agents/run", {{"list_id", big}, {"agent_type", "title_normalizer"}, {"column_name", "T"}, {"max_rows", 10}, {"quote_id", q3}});
  CHECK(r.status == 200);
  CHECK(I(r.json(), "estimated_cost") == 10);
}

TEST_CASE("legacy endpoints: bulk, status, deliveries, errors") {
  ct::simulator sim(fast_params());
  client c(sim.base_url(), sim.default_api_key());
  json::array contacts;
  contacts.push_back(json::object{{"linkedin_url", "https://linkedin.com/in/jane"}});
  contacts.push_back(json::object{{"first_name", "John"}, {"last_name", "Roe"}, {"company_name", "Acme"}});
  auto r = c.post("/enrich/bulk", {{"enrichment_type", "partial"}, {"contacts", contacts}, {"webhook_url", "https://example.com/hook"}});
  REQUIRE(r.status == 200);
  auto j = r.json();
  CHECK(S(j, "workflow_id").starts_with("public_bulk_"));
  CHECK(S(j, "status") == "processing");
  CHECK(j.at("task_ids").as_array().size() == 2);
  CHECK(I(j, "total_contacts") == 2);
  CHECK(sim.enrich_posts_for("https://linkedin.com/in/jane") == 1);
  CHECK(sim.enrich_posts_for("John Roe@Acme") == 1);
  std::string wf = S(j, "workflow_id");
  auto st = c.get("/enrich/status?workflow_id=" + wf).json();
  CHECK(S(st, "status") == "processing");
  std::this_thread::sleep_for(200ms);
  st = c.get("/enrich/status?workflow_id=" + wf).json();
  CHECK(S(st, "status") == "completed");
  CHECK(st.at("results").as_array().size() == 2);
  CHECK(I(st.at("summary"), "total") == 2);
  auto t = c.get("/enrich/status?task_id=" + std::string(j.at("task_ids").as_array()[0].as_string()));
  CHECK(t.status == 200);
  CHECK(S(t.json(), "workflow_id") == wf);
  CHECK(c.get("/enrich/status?workflow_id=" + wf + "&task_id=x").status == 400);
  CHECK(c.get("/enrich/status").status == 400);
  auto nf = c.get("/enrich/status?workflow_id=public_bulk_nope");
  CHECK(nf.status == 404);
  CHECK(nf.json().at("detail").is_string());
  auto d = c.get("/webhooks/deliveries?workflow_id=" + wf);
  CHECK(d.status == 200);
  CHECK(d.json().at("deliveries").is_array());
  CHECK(c.get("/webhooks/deliveries?workflow_id=nope").status == 404);
  CHECK(c.get("/webhooks/deliveries").status == 422);
  // errors
  CHECK(c.post("/enrich/bulk", {{"contacts", json::array{}}}).status == 400);
  json::array many(251, json::value{{"linkedin_url", "https://linkedin.com/in/x"}});
  auto m = c.post("/enrich/bulk", {{"contacts", many}});
  CHECK(m.status == 400);
  CHECK(S(m.json(), "detail").find("250") != std::string::npos);
  auto v = c.post("/enrich/bulk", {{"contacts", {{{"first_name", "John"}}}}});
  CHECK(v.status == 422);
  CHECK(v.json().at("detail").as_array()[0].at("loc") == J(R"(["body","contacts",0])"));
  CHECK(c.post("/enrich/bulk", {{"contacts", contacts}, {"enrichment_type", "mega"}}).status == 422);
  sim.set_credits(sim.default_org_id(), 1);
  auto pay = c.post("/enrich/bulk", {{"contacts", contacts}});
  CHECK(pay.status == 402);
  CHECK(S(pay.json(), "detail") == "Insufficient credits");
}

TEST_CASE("legacy webhooks: delivered on completion, retried with back-off, logged") {
  auto p = fast_params();
  p.webhook_backoff = 30ms;
  ct::simulator sim(p);
  client c(sim.base_url(), sim.default_api_key());
  webhook_receiver ok_rx({200});
  json::array contacts;
  contacts.push_back(json::object{{"linkedin_url", "https://linkedin.com/in/hook"}});
  auto r = c.post("/enrich/bulk", {{"contacts", contacts}, {"webhook_url", ok_rx.url()}});
  REQUIRE(r.status == 200);
  std::string wf = S(r.json(), "workflow_id");
  for (int i = 0; i < 100 && ok_rx.hits() == 0; ++i) std::this_thread::sleep_for(10ms);
  REQUIRE(ok_rx.hits() == 1);
  auto body = J(ok_rx.bodies()[0]);
  CHECK(S(body, "event") == "enrichment.completed");
  CHECK(S(body, "workflow_id") == wf);
  CHECK(I(body.at("summary"), "total") == 1);
  CHECK(body.at("results").as_array().size() == 1);
  CHECK(S(body, "results_endpoint") == "/api/v1/public/enrich/status?workflow_id=" + wf);
  std::this_thread::sleep_for(20ms);
  auto d = c.get("/webhooks/deliveries?workflow_id=" + wf).json();
  REQUIRE(d.at("deliveries").as_array().size() == 1);
  CHECK(S(d.at("deliveries").as_array()[0], "status") == "delivered");
  CHECK(I(d.at("deliveries").as_array()[0], "response_code") == 200);

  webhook_receiver flaky({500, 503, 200});
  r = c.post("/enrich/bulk", {{"contacts", contacts}, {"webhook_url", flaky.url()}});
  wf = S(r.json(), "workflow_id");
  for (int i = 0; i < 200 && flaky.hits() < 3; ++i) std::this_thread::sleep_for(10ms);
  CHECK(flaky.hits() == 3);
  std::this_thread::sleep_for(50ms);
  d = c.get("/webhooks/deliveries?workflow_id=" + wf).json();
  auto& ds = d.at("deliveries").as_array();
  REQUIRE(ds.size() == 3);
  CHECK(S(ds[0], "status") == "failed");
  CHECK(I(ds[0], "response_code") == 500);
  CHECK(I(ds[1], "attempt") == 2);
  CHECK(S(ds[2], "status") == "delivered");

  webhook_receiver dead({500});
  r = c.post("/enrich/bulk", {{"contacts", contacts}, {"webhook_url", dead.url()}});
  wf = S(r.json(), "workflow_id");
  for (int i = 0; i < 300 && dead.hits() < 5; ++i) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(300ms);
  CHECK(dead.hits() == 5); // 5 attempts in all, then results stay available by polling
  CHECK(c.get("/webhooks/deliveries?workflow_id=" + wf).json().at("deliveries").as_array().size() == 5);
}
