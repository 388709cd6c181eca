// Every operation of the client against the simulator over HTTPS, on both path prefixes.
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace cltest;
namespace cl = cleanlist;

namespace {

asio::awaitable<cl::workflow_status_response> poll_to_end(cl::client& c, std::string id) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  for (int i = 0; i < 400; ++i) {
    auto st = co_await c.async_workflow_status(id);
    if (cl::is_terminal_status(st.status)) co_return st;
    t.expires_after(10ms);
    co_await t.async_wait(asio::use_awaitable);
  }
  throw std::runtime_error("workflow did not finish");
}

// Built outside coroutines: g++ 12 miscompiles braced initialisers of string literals inside them.
cl::csv_import_request three_people(std::string list_id) {
  cl::csv_import_request imp;
  imp.list_id = std::move(list_id);
  imp.csv_content =
      "first_name,last_name,company\nAda,Lovelace,acme.com\nAlan,Turing,bletchley.org\nGrace,Hopper,navy.mil\n";
  imp.column_mapping = {{"first_name", "first_name"}, {"last_name", "last_name"}, {"company_domain", "company"}};
  imp.dispatch_enrichment = false;
  return imp;
}

asio::awaitable<void> exercise_all(cl::client& c, cleanlist::testing::simulator& sim, std::string prefix) {
  const std::string tag = prefix == "/api/v2" ? "v2" : "v1";
  // ---- workspace ----
  auto who = co_await c.async_whoami();
  CHECK(who.organization_id == sim.default_org_id());
  CHECK(!who.scopes.empty());
  CHECK(who.raw.contains("auth_type"));
  auto bal = co_await c.async_credits_balance();
  CHECK(bal.credits == sim.credits(sim.default_org_id()));
  auto keys = co_await c.async_list_api_keys();
  CHECK(!keys.keys.empty());
  cl::usage_request ur;
  ur.days = 7;
  ur.group_by = std::string("tool");
  auto usage = co_await c.async_usage(ur);
  CHECK(usage.days == 7);

  // ---- lead lists ----
  cl::create_list_request cr;
  cr.name = "integration " + prefix;
  auto list = co_await c.async_create_list(cr);
  CHECK(!list.list_id.empty());
  CHECK_FALSE(list.reused);
  auto again = co_await c.async_create_list(cr);
  CHECK(again.reused);
  CHECK(again.list_id == list.list_id);
  auto imported = co_await c.async_csv_import(three_people(list.list_id));
  CHECK(imported.rows_imported == 3);

  cl::list_leads_request list_leads_request_1{list.list_id, 2, {}};
  auto page = co_await c.async_list_leads(list_leads_request_1);
  CHECK(page.leads.size() == 2);
  CHECK(page.total == 3);
  cl::list_leads_request list_leads_request_2{list.list_id, 1, {}};
  auto all_leads = co_await c.async_list_all_leads(list_leads_request_2);
  CHECK(all_leads.size() == 3);
  auto got = co_await c.async_get_list(list.list_id);
  CHECK(got.lead_count == 3);
  cl::update_list_request up;
  up.list_id = list.list_id;
  up.description = std::optional<std::string>("described");
  auto updated = co_await c.async_update_list(up);
  CHECK(updated.description == std::optional<std::string>("described"));

  cl::list_lists_request list_lists_request_3{1, {}, {}};
  auto lists = co_await c.async_list_all_lists(list_lists_request_3);
  CHECK(std::any_of(lists.begin(), lists.end(), [&](auto& l) { return l.list_id == list.list_id; }));
  auto lpage = co_await c.async_list_lists({});
  CHECK(lpage.total >= 1);

  // ---- bulk enrichment with a quote ----
  cl::estimate_request est;
  est.tool = "enrich_list";
  est.list_id = list.list_id;
  est.scope = "partial";
  auto quote = co_await c.async_estimate(est);
  CHECK(quote.row_count == 3);
  CHECK(!quote.quote_id.empty());
  cl::enrich_list_request enrich_list_request_4{list.list_id, cl::bulk_scope::partial, quote.quote_id};
  auto bulk = co_await c.async_enrich_list(enrich_list_request_4);
  CHECK(bulk.total_leads == 3);
  auto bulk_end = co_await poll_to_end(c, bulk.workflow_id);
  CHECK(bulk_end.status == "completed");

  // ---- person enrichment ----
  cl::enrich_person_request pr;
  pr.email = "ada." + tag + "@acme.com";
  pr.lead_list_id = list.list_id;
  auto person = co_await c.async_enrich_person(pr);
  CHECK(person.status == "pending");
  auto person_end = co_await poll_to_end(c, person.workflow_id);
  REQUIRE(person_end.credits_charged.has_value());
  REQUIRE(person_end.credits_refunded.has_value());
  CHECK(*person_end.credits_charged + *person_end.credits_refunded == person.credits_reserved);

  // ---- company enrichment ----
  cl::enrich_company_request co;
  co.domain = "acme.com";
  auto company = co_await c.async_enrich_company(co);
  CHECK(company.credits_charged == 1);

  // ---- by-task and add-leads mode B from a cohort ----
  auto cohort = sim.create_cohort(sim.default_org_id(), "person", 2);
  cl::add_leads_request add;
  add.list_id = list.list_id;
  add.task_id = cohort;
  auto added = co_await c.async_add_leads(add);
  CHECK(added.added == 2);
  cl::estimate_request bt_est;
  bt_est.tool = "enrich_by_task";
  bt_est.task_id = cohort;
  bt_est.data_points = std::vector<std::string>(1, "Email");
  auto bt_quote = co_await c.async_estimate(bt_est);
  cl::enrich_by_task_request bt;
  bt.task_id = cohort;
  bt.data_points.push_back("Email");  // g++ 12: no braced string lists inside coroutines
  bt.quote_id = bt_quote.quote_id;
  auto by_task = co_await c.async_enrich_by_task(bt);
  CHECK(by_task.entity_kind == "person");
  CHECK(by_task.total_entities == 2);

  cl::list_leads_request list_leads_request_5{list.list_id, {}, {}};
  auto leads_now = co_await c.async_list_all_leads(list_leads_request_5);
  // 3 imported + 2 from the cohort, + the person when the enrichment found and stored them.
  const bool person_stored = person_end.result && !person_end.result->lead_id.empty();
  REQUIRE(leads_now.size() == 5 + (person_stored ? 1 : 0));
  cl::remove_leads_request rm;
  rm.list_id = list.list_id;
  rm.lead_ids.push_back(leads_now[0].lead_id);
  auto removed = co_await c.async_remove_leads(rm);
  CHECK(removed.removed == 1);

  // ---- smart agents ----
  cl::estimate_request sa_est;
  sa_est.tool = "run_smart_agent";
  sa_est.list_id = list.list_id;
  sa_est.agent_type = "title_normalizer";
  auto sa_quote = co_await c.async_estimate(sa_est);
  cl::run_smart_agent_request sa;
  sa.list_id = list.list_id;
  sa.agent_type = "title_normalizer";
  sa.column_name = "normalized_title";
  sa.quote_id = sa_quote.quote_id;
  auto run = co_await c.async_run_smart_agent(sa);
  CHECK(!run.smart_agent_task_id.empty());
  auto sa_res = co_await c.async_get_smart_agent(run.smart_agent_task_id);
  CHECK(sa_res.smart_agent_task_id == run.smart_agent_task_id);
  cl::list_smart_agents_request list_smart_agents_request_6{list.list_id, 10};
  auto runs = co_await c.async_list_smart_agents(list_smart_agents_request_6);
  CHECK(runs.total >= 1);

  // ---- export ----
  cl::export_csv_request export_csv_request_7{list.list_id, {}, {}};
  auto csv = co_await c.async_export_csv(export_csv_request_7);
  CHECK(!csv.download_url.empty());
  cl::export_json_request export_json_request_8{list.list_id, 2, {}, {}};
  auto js = co_await c.async_export_json(export_json_request_8);
  CHECK(js.leads.size() == 2);
  cl::export_json_request export_json_request_9{list.list_id, 1, {}, {}};
  auto js_all = co_await c.async_export_all_json(export_json_request_9);
  CHECK(js_all.size() == 4 + (person_stored ? 1 : 0));

  // ---- legacy endpoints (always under /api/v1/public, whatever the base) ----
  auto valid = co_await c.async_validate_key();
  CHECK(valid.valid);
  cl::legacy_bulk_request lb;
  cl::legacy_contact lc;
  lc.linkedin_url = "https://www.linkedin.com/in/legacy-" + tag;
  lb.contacts.push_back(lc);
  auto legacy = co_await c.async_legacy_enrich_bulk(lb);
  CHECK(legacy.task_ids.size() == 1);
  cl::legacy_status_request ls;
  ls.workflow_id = legacy.workflow_id;
  auto lstatus = co_await c.async_legacy_status(ls);
  CHECK(!lstatus.status.empty());
  auto deliveries = co_await c.async_webhook_deliveries(legacy.workflow_id);
  CHECK(deliveries.raw.size() > 0);

  // ---- delete ----
  auto del = co_await c.async_delete_list(list.list_id);
  CHECK(del.deleted);
  cl::diagnostics d;
  auto [ec, gone] = co_await c.async_get_list(list.list_id, d, asio::as_tuple(asio::use_awaitable));
  CHECK(ec == cl::error::not_found);
  CHECK(d.http_status == 404);
}

} // namespace

TEST_CASE("every operation works over HTTPS on both prefixes") {
  cleanlist::testing::simulator sim(fast_sim());
  for (std::string prefix : {"/api/v1/public", "/api/v2"}) {
    CAPTURE(prefix);
    asio::io_context ioc;
    const auto params = client_for(sim, prefix);
    cl::client c(ioc.get_executor(), params);
    run(ioc, exercise_all(c, sim, prefix));
    auto st = c.stats();
    CHECK(st.requests > 30);
    CHECK(st.retries == 0);
    CHECK(st.connections_created <= params.max_connections);  // keep-alive reuse
  }
}
