// Workflow end states beyond `completed`: completed_with_errors, failed (every lead failed) and
// cancelled (tag, p_cancel, cancel_workflow, admin route) — counters, per-lead state and the
// exact settlement of credits in each of them.
#include "sim_test_util.hpp"

#include <algorithm>
#include <map>
#include <vector>

using namespace simtest;

namespace {

/// A list holding one lead per email (CSV import without dispatch), in this order.
std::string list_of(client& c, const std::string& name, const std::vector<std::string>& emails) {
  auto r = c.post("/lead-lists", {{"name", name}});
  REQUIRE(r.status == 201);
  std::string id = S(r.json(), "list_id");
  std::string csv = "Email,First,Last,Company\n";
  for (std::size_t i = 0; i < emails.size(); ++i)
    csv += emails[i] + ",F" + std::to_string(i) + ",L" + std::to_string(i) + ",Acme\n";
  auto imp = c.post("/lead-lists/" + id + "/csv-import",
                    {{"csv_content_base64", b64(csv)},
                     {"column_mapping", {{"email", "Email"}, {"first_name", "First"}, {"last_name", "Last"}, {"company_name", "Company"}}},
                     {"dispatch_enrichment", false}});
  REQUIRE(imp.status == 201);
  REQUIRE(I(imp.json(), "rows_imported") == static_cast<std::int64_t>(emails.size()));
  return id;
}

json::value run_bulk(client& c, const std::string& list, const std::string& scope) {
  auto q = quote(c, {{"tool", "enrich_list"}, {"list_id", list}, {"scope", scope}});
  auto r = c.post("/enrichment/bulk", {{"list_id", list}, {"scope", scope}, {"quote_id", q}});
  REQUIRE_MESSAGE(r.status == 200, r.body);
  return r.json();
}

json::value ledger_workflow(const ct::simulator& sim, const std::string& wf) {
  const auto ledger = sim.ledger_json(); // keep it alive: the loop ranges over a part of it
  for (auto& w : ledger.at("workflows").as_array())
    if (S(w, "workflow_id") == wf) return w;
  FAIL("workflow not in the ledger: " << wf);
  return {};
}

/// Settlement invariants shared by every end state, on the status body and in the ledger.
void check_settled(const ct::simulator& sim, const json::value& done, std::int64_t reserved, std::int64_t charged) {
  CHECK(I(done, "credits_charged") == charged);
  CHECK(I(done, "credits_charged") + I(done, "credits_refunded") == reserved);
  CHECK(I(done, "processed") == I(done, "completed") + I(done, "failed"));
  auto w = ledger_workflow(sim, S(done, "workflow_id"));
  CHECK(w.at("settled").as_bool());
  CHECK(S(w, "status") == S(done, "status"));
  CHECK(I(w, "credits_reserved") == reserved);
  CHECK(I(w, "credits_charged") == charged);
  CHECK(I(w, "credits_charged") + I(w, "credits_refunded") == reserved);
}

/// email -> lead row of GET /lead-lists/{id}/leads
std::map<std::string, json::object> rows_by_email(client& c, const std::string& list) {
  std::map<std::string, json::object> m;
  auto r = c.get("/lead-lists/" + list + "/leads?limit=500");
  REQUIRE(r.status == 200);
  const auto body = r.json();
  for (auto& l : body.at("leads").as_array()) m[S(l, "email")] = l.as_object();
  return m;
}

} // namespace

TEST_CASE("bulk run with failing leads ends completed_with_errors; failed leads are refunded and not enriched") {
  ct::simulator sim(fast_params());
  client c(sim.base_url(), sim.default_api_key());
  const auto org = sim.default_org_id();
  auto list = list_of(c, "errors", {"a+all@acme.io", "b+error@acme.io", "c+all@acme.io", "d+none@acme.io", "e+fail@acme.io"});
  const auto before = sim.credits(org);
  auto started = run_bulk(c, list, "full");
  CHECK(I(started, "credits_reserved") == 55);
  auto done = wait_terminal(c, S(started, "workflow_id"));
  CHECK(S(done, "status") == "completed_with_errors");
  CHECK(I(done, "total") == 5);
  CHECK(I(done, "processed") == 5);
  CHECK(I(done, "completed") == 2);   // a, c
  CHECK(I(done, "failed") == 3);      // b, e (errors) + d (nothing found)
  CHECK(I(done, "progress") == 100);
  CHECK(I(done.at("summary"), "emails_found") == 2);
  CHECK(I(done.at("summary"), "phones_found") == 2);
  CHECK(S(done, "refund_status") == "not_applicable");
  check_settled(sim, done, 55, 22);
  CHECK(sim.credits(org) == before - 22);
  CHECK(I(ledger_workflow(sim, S(done, "workflow_id")), "errored_leads") == 2);
  // per-lead state: enriched leads carry the provider and the found phone; failed ones neither
  auto rows = rows_by_email(c, list);
  for (auto e : {"a+all@acme.io", "c+all@acme.io"}) {
    CAPTURE(e);
    CHECK(S(rows.at(e), "provider") == "cleanlist-sim");
    CHECK(rows.at(e).contains("phone"));
  }
  for (auto e : {"b+error@acme.io", "d+none@acme.io", "e+fail@acme.io"}) {
    CAPTURE(e);
    CHECK(!rows.at(e).contains("provider"));
    CHECK(!rows.at(e).contains("phone"));
  }
  auto exp = c.get("/export/json?list_id=" + list + "&columns=email,provider,phone");
  REQUIRE(exp.status == 200);
  const auto exported = exp.json();
  for (auto& l : exported.at("leads").as_array()) {
    bool ok = S(l, "email").find("+all") != std::string::npos;
    CHECK(l.at("provider").is_null() == !ok);
  }
  CHECK(I(c.get("/lead-lists/" + list).json(), "enriched_count") == 2);
  CHECK_FALSE(sim.cancel_workflow(S(done, "workflow_id"))); // terminal: nothing to cancel
}

TEST_CASE("bulk end state: every lead failing is failed, none failing is completed") {
  ct::simulator sim(fast_params());
  client c(sim.base_url(), sim.default_api_key());
  auto bad = list_of(c, "all-bad", {"x+error@acme.io", "y+error@acme.io", "z+fail@acme.io"});
  auto done = wait_terminal(c, S(run_bulk(c, bad, "partial"), "workflow_id"));
  CHECK(S(done, "status") == "failed");
  CHECK(I(done, "failed") == 3);
  CHECK(I(done, "completed") == 0);
  check_settled(sim, done, 3, 0);
  // nothing found is not an error: a run of not-found leads still completes
  auto none = list_of(c, "none", {"p+none@acme.io", "q+all@acme.io"});
  done = wait_terminal(c, S(run_bulk(c, none, "partial"), "workflow_id"));
  CHECK(S(done, "status") == "completed");
  CHECK(I(done, "failed") == 1);
  check_settled(sim, done, 2, 1);
}

TEST_CASE("completed_with_errors on every bulk path: CSV dispatch, by-task, legacy bulk; single person fails") {
  ct::simulator sim(fast_params());
  client c(sim.base_url(), sim.default_api_key());
  // CSV import with dispatch
  auto list = S(c.post("/lead-lists", {{"name", "csv-errors"}}).json(), "list_id");
  auto imp = c.post("/lead-lists/" + list + "/csv-import",
                    {{"csv_content_base64", b64("Email\nm+all@acme.io\nn+error@acme.io\no+email@acme.io\n")},
                     {"column_mapping", {{"email", "Email"}}}, {"enrichment_type", "partial"}});
  REQUIRE(imp.status == 201);
  auto done = wait_terminal(c, S(imp.json(), "workflow_id"));
  CHECK(S(done, "status") == "completed_with_errors");
  CHECK(I(done, "completed") == 2);
  CHECK(I(done, "failed") == 1);
  check_settled(sim, done, 3, 2);
  // by-task over a page of that list (its cohort handle)
  auto page = c.get("/lead-lists/" + list + "/leads").json();
  auto q = quote(c, {{"tool", "enrich_by_task"}, {"task_id", S(page, "task_id")}, {"data_points", {"Email"}}});
  auto bt = c.post("/enrichment/by-task", {{"task_id", S(page, "task_id")}, {"data_points", {"Email"}}, {"quote_id", q}});
  REQUIRE(bt.status == 200);
  done = wait_terminal(c, S(bt.json(), "workflow_id"));
  CHECK(S(done, "status") == "completed_with_errors");
  check_settled(sim, done, 3, 2);
  // legacy bulk: the same vocabulary on GET /enrich/status, the failed contact's task is failed
  json::array contacts;
  for (auto e : {"r+all@acme.io", "s+error@acme.io"})
    contacts.push_back({{"first_name", "R"}, {"last_name", "S"}, {"company_name", "Acme"}, {"email", e}});
  auto lb = c.post("/enrich/bulk", {{"enrichment_type", "partial"}, {"contacts", contacts}});
  REQUIRE(lb.status == 200);
  const std::string lwf = S(lb.json(), "workflow_id");
  json::value st;
  for (int i = 0; i < 200; ++i) {
    st = c.get("/enrich/status?workflow_id=" + lwf).json();
    if (S(st, "status") != "processing") break;
    std::this_thread::sleep_for(10ms);
  }
  CHECK(S(st, "status") == "completed_with_errors");
  CHECK(S(st.at("results").as_array()[1], "status") == "failed");
  CHECK(I(st.at("summary"), "failed") == 1);
  auto lw = ledger_workflow(sim, lwf);
  CHECK(I(lw, "credits_charged") == 1);
  CHECK(I(lw, "credits_charged") + I(lw, "credits_refunded") == 2);
  // single person: +error fails the workflow like +fail (decision: never completed_with_errors)
  auto p = c.post("/enrichment/person", {{"email", "t+error@acme.io"}, {"enrichment_type", "full"}});
  REQUIRE(p.status == 200);
  done = wait_terminal(c, S(p.json(), "workflow_id"));
  CHECK(S(done, "status") == "failed");
  check_settled(sim, done, 11, 0);
}

TEST_CASE("lead failures by hash: a small, deterministic share") {
  int fails = 0;
  const int n = 4000;
  for (int i = 0; i < n; ++i) fails += ct::predict_outcome(42, "lead" + std::to_string(i) + "@corp.io").workflow_fails ? 1 : 0;
  CHECK(fails > n * 2 / 100);
  CHECK(fails < n * 5 / 100);
  CHECK(ct::predict_outcome(42, "jane+error@acme.io").workflow_fails);
  CHECK(ct::predict_outcome(42, "jane+cancel@acme.io").cancels);
  CHECK_FALSE(ct::predict_outcome(42, "jane+cancel@acme.io").workflow_fails);
}

TEST_CASE("+cancel: a single person is cancelled after pending, a bulk run when it reaches the tagged lead") {
  ct::simulator sim(fast_params());
  client c(sim.base_url(), sim.default_api_key());
  const auto org = sim.default_org_id();
  const auto before = sim.credits(org);
  auto p = c.post("/enrichment/person", {{"email", "kim+cancel@acme.io"}, {"enrichment_type", "full"}});
  REQUIRE(p.status == 200);
  auto done = wait_terminal(c, S(p.json(), "workflow_id"));
  CHECK(S(done, "status") == "cancelled");
  CHECK(I(done, "processed") == 0);
  CHECK(S(done.at("result"), "status") == "failed");
  CHECK(S(done.at("result"), "lead_id").empty());
  check_settled(sim, done, 11, 0);
  CHECK(sim.credits(org) == before);
  // bulk: leads before the tagged one are processed (and charged), the rest refunded
  std::vector<std::string> emails;
  for (int i = 0; i < 10; ++i) emails.push_back("b" + std::to_string(i) + (i == 6 ? "+cancel" : "+all") + "@acme.io");
  auto list = list_of(c, "cancel-tag", emails);
  auto started = run_bulk(c, list, "full");
  done = wait_terminal(c, S(started, "workflow_id"));
  CHECK(S(done, "status") == "cancelled");
  CHECK(I(done, "processed") == 6);
  CHECK(I(done, "completed") == 6);
  CHECK(I(done, "failed") == 0);
  CHECK(I(done, "progress") == 60);
  check_settled(sim, done, 110, 66);
  auto rows = rows_by_email(c, list);
  for (int i = 0; i < 10; ++i) {
    CAPTURE(i);
    CHECK(rows.at(emails[static_cast<std::size_t>(i)]).contains("provider") == (i < 6));
  }
  // frozen: later polls tell the same
  auto again = c.get("/enrichment/status/" + S(started, "workflow_id")).json();
  CHECK(S(again, "status") == "cancelled");
  CHECK(I(again, "processed") == 6);
  // the legacy surface reports it too; unprocessed tasks are cancelled
  json::array contacts;
  for (auto e : {"u+all@acme.io", "v+cancel@acme.io"})
    contacts.push_back({{"first_name", "U"}, {"last_name", "V"}, {"company_name", "Acme"}, {"email", e}});
  auto lb = c.post("/enrich/bulk", {{"enrichment_type", "partial"}, {"contacts", contacts}});
  REQUIRE(lb.status == 200);
  json::value st;
  for (int i = 0; i < 200; ++i) {
    st = c.get("/enrich/status?workflow_id=" + S(lb.json(), "workflow_id")).json();
    if (S(st, "status") != "processing") break;
    std::this_thread::sleep_for(10ms);
  }
  CHECK(S(st, "status") == "cancelled");
  CHECK(st.at("results").as_array().size() == 1);
  auto t2 = c.get("/enrich/status?task_id=" + std::string(lb.json().at("task_ids").as_array()[1].as_string())).json();
  CHECK(S(t2, "status") == "cancelled");
}

TEST_CASE("p_cancel: a deterministic share of workflows ends cancelled, settled exactly") {
  auto run = [](double p_cancel) {
    auto p = fast_params();
    p.p_cancel = p_cancel;
    ct::simulator sim(p);
    client c(sim.base_url(), sim.default_api_key());
    std::vector<std::string> wfs;
    for (int i = 0; i < 16; ++i)
      wfs.push_back(S(c.post("/enrichment/person", {{"email", "p" + std::to_string(i) + "+all@acme.io"}}).json(), "workflow_id"));
    std::vector<std::string> statuses;
    for (auto& wf : wfs) {
      auto done = wait_terminal(c, wf);
      statuses.push_back(S(done, "status"));
      check_settled(sim, done, 1, S(done, "status") == "cancelled" ? 0 : 1);
    }
    // a bulk run drawn for cancellation stops partway
    std::vector<std::string> emails;
    for (int i = 0; i < 20; ++i) emails.push_back("q" + std::to_string(i) + "+all@acme.io");
    auto list = list_of(c, "pc", emails);
    auto done = wait_terminal(c, S(run_bulk(c, list, "partial"), "workflow_id"));
    if (S(done, "status") == "cancelled") {
      CHECK(I(done, "processed") < 20);
      check_settled(sim, done, 20, I(done, "processed"));
    }
    statuses.push_back(S(done, "status") + "/" + std::to_string(I(done, "processed")));
    return statuses;
  };
  auto none = run(0);
  for (auto& s : none) CHECK(s.find("cancelled") == std::string::npos);
  auto all = run(1.0);
  for (auto& s : all) CHECK(s.starts_with("cancelled"));
  auto half = run(0.5);
  CHECK(half == run(0.5)); // same seed, same order: same draws
  auto n_cancelled = std::count_if(half.begin(), half.end(), [](auto& s) { return s.starts_with("cancelled"); });
  CHECK(n_cancelled > 0);
  CHECK(n_cancelled < static_cast<long>(half.size()));
}

TEST_CASE("cancel_workflow and POST /__admin/cancel: cancelled at the next poll, counters frozen, charge what was processed") {
  auto p = fast_params();
  p.pending_for = 20ms;
  p.running_for = 4000ms;
  p.admin_endpoint = true;
  ct::simulator sim(p);
  client c(sim.base_url(), sim.default_api_key());
  const auto org = sim.default_org_id();
  std::vector<std::string> emails;
  for (int i = 0; i < 40; ++i) emails.push_back("c" + std::to_string(i) + "@acme.io");
  auto list = list_of(c, "cancel-now", emails);
  const auto before = sim.credits(org);
  auto started = run_bulk(c, list, "partial");
  const std::string wf = S(started, "workflow_id");
  std::int64_t seen = 0;
  for (int i = 0; i < 300 && seen < 2; ++i) {
    auto j = c.get("/enrichment/status/" + wf).json();
    REQUIRE(S(j, "status") != "completed");
    seen = I(j, "processed");
    if (seen < 2) std::this_thread::sleep_for(10ms);
  }
  REQUIRE(seen >= 2);
  REQUIRE(sim.cancel_workflow(wf));
  auto done = c.get("/enrichment/status/" + wf).json();
  CHECK(S(done, "status") == "cancelled");
  const auto processed = I(done, "processed");
  CHECK(processed >= seen);
  CHECK(processed < 40);
  // charged = what the processed leads found (partial: 1 per email found, failing leads 0)
  std::int64_t expect = 0;
  for (std::int64_t i = 0; i < processed; ++i) {
    auto o = ct::predict_outcome(p.seed, emails[static_cast<std::size_t>(i)]);
    expect += (o.email_found && !o.workflow_fails) ? 1 : 0;
  }
  check_settled(sim, done, 40, expect);
  CHECK(sim.credits(org) == before - expect);
  auto later = c.get("/enrichment/status/" + wf).json();
  CHECK(I(later, "processed") == processed);
  CHECK(I(later, "completed") == I(done, "completed"));
  CHECK_FALSE(sim.cancel_workflow(wf));       // already terminal
  CHECK_FALSE(sim.cancel_workflow("enrich-nope"));
  auto quick = c.post("/enrichment/person", {{"email", "done+all@acme.io"}});
  // the admin route, on a pending person workflow
  auto pw = c.post("/enrichment/person", {{"email", "w+all@acme.io"}, {"enrichment_type", "full"}});
  client admin(sim.base_url(""), "");
  auto r = admin.request("POST", "/__admin/cancel", R"({"workflow_id":")" + S(pw.json(), "workflow_id") + R"("})", false);
  REQUIRE(r.status == 200);
  CHECK(r.json().at("cancelled").as_bool());
  done = c.get("/enrichment/status/" + S(pw.json(), "workflow_id")).json();
  CHECK(S(done, "status") == "cancelled");
  check_settled(sim, done, 11, 0);
  CHECK(admin.request("POST", "/__admin/cancel", R"({"workflow_id":")" + S(pw.json(), "workflow_id") + R"("})", false).status == 409);
  CHECK(admin.request("POST", "/__admin/cancel", R"({"workflow_id":"enrich-unknown"})", false).status == 404);
  CHECK(admin.request("POST", "/__admin/cancel", R"({})", false).status == 400);
  // a running single-person workflow cancelled through the public member: no result lead
  REQUIRE(sim.cancel_workflow(S(quick.json(), "workflow_id")));
  done = c.get("/enrichment/status/" + S(quick.json(), "workflow_id")).json();
  CHECK(S(done, "status") == "cancelled");
  CHECK(S(done.at("result"), "lead_id").empty());
}
