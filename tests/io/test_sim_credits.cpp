// Credits: reservation and settlement invariants, deterministic outcomes, quotes.
#include "sim_test_util.hpp"

using namespace simtest;

TEST_CASE("person enrichment: reserve, settle, charge only what was found") {
  ct::simulator sim(fast_params());
  client c(sim.base_url(), sim.default_api_key());
  const auto org = sim.default_org_id();
  const std::int64_t start = sim.credits(org);
  struct tc { const char* email; const char* type; std::int64_t reserve, charge; const char* status; };
  const tc cases[] = {
      {"a+all@x.io", "full", 11, 11, "completed"},   {"b+email@x.io", "full", 11, 1, "completed"},
      {"c+phone@x.io", "full", 11, 10, "completed"}, {"d+none@x.io", "full", 11, 0, "completed"},
      {"e+fail@x.io", "full", 11, 0, "failed"},      {"f+all@x.io", "partial", 1, 1, "completed"},
      {"g+all@x.io", "phone_only", 10, 10, "completed"}, {"h+email@x.io", "phone_only", 10, 0, "completed"},
  };
  std::int64_t expect = start;
  for (auto& t : cases) {
    CAPTURE(t.email);
    auto r = c.post("/enrichment/person", {{"email", t.email}, {"enrichment_type", t.type}});
    REQUIRE(r.status == 200);
    CHECK(I(r.json(), "credits_reserved") == t.reserve);
    CHECK(sim.credits(org) == expect - t.reserve); // reserved at dispatch
    auto done = wait_terminal(c, S(r.json(), "workflow_id"));
    CHECK(S(done, "status") == t.status);
    CHECK(I(done, "credits_charged") == t.charge);
    CHECK(I(done, "credits_charged") + I(done, "credits_refunded") == t.reserve);
    CHECK(S(done, "refund_status") == "not_applicable");
    expect -= t.charge;
    CHECK(sim.credits(org) == expect);
    auto res = done.at("result");
    CHECK(S(res, "status") == (t.charge > 0 ? "completed" : "failed"));
    CHECK((S(res, "lead_id").empty()) == (t.charge == 0));
  }
  // include_phone legacy flag
  auto r = c.post("/enrichment/person", {{"email", "z@x.io"}, {"include_phone", true}});
  CHECK(I(r.json(), "credits_reserved") == 10);
  // identity counting
  c.post("/enrichment/person", {{"email", "Dup@X.io"}});
  c.post("/enrichment/person", {{"email", "dup@x.io"}});
  CHECK(sim.enrich_posts_for("dup@x.io") == 2);
  CHECK(sim.stats().accepted_enrich_posts == 11);
}

TEST_CASE("outcomes are deterministic from the seed and predictable") {
  auto p = fast_params();
  p.seed = 7;
  ct::simulator sim(p);
  client c(sim.base_url(), sim.default_api_key());
  int differing = 0;
  for (int i = 0; i < 12; ++i) {
    std::string email = "person" + std::to_string(i) + "@acme.io";
    auto o = ct::predict_outcome(7, email);
    differing += ct::predict_outcome(8, email).email_found != o.email_found;
    auto r = c.post("/enrichment/person", {{"email", email}, {"enrichment_type", "full"}});
    auto done = wait_terminal(c, S(r.json(), "workflow_id"));
    if (o.workflow_fails) {
      CHECK(S(done, "status") == "failed");
      continue;
    }
    CHECK(!done.at("result").at("email").is_null() == o.email_found);
    CHECK(!done.at("result").at("phone").is_null() == o.phone_found);
    CHECK(I(done, "credits_charged") == (o.email_found ? 1 : 0) + (o.phone_found ? 10 : 0));
  }
  (void)differing;
  CHECK(ct::person_identity("", "", "Jane", "Doe", "Acme") == "Jane Doe@Acme");
  CHECK(ct::person_identity("JANE@Acme.io", "x", "", "", "") == "jane@acme.io");
}

TEST_CASE("bulk: monotonic progress and settlement invariant") {
  auto p = fast_params();
  p.running_for = 400ms;
  ct::simulator sim(p);
  client c(sim.base_url(), sim.default_api_key());
  const auto org = sim.default_org_id();
  auto list = make_list(c, "bulk", 40);
  auto est = c.post("/credits/estimate", {{"tool", "enrich_list"}, {"list_id", list}, {"scope", "full"}, {"row_count", 1}});
  REQUIRE(est.status == 200);
  CHECK(I(est.json(), "row_count") == 40); // derived from the list, the caller's row_count is ignored
  CHECK(I(est.json(), "estimated_cost") == 440);
  CHECK(est.json().at("sufficient").as_bool());
  auto before = sim.credits(org);
  auto r = c.post("/enrichment/bulk", {{"list_id", list}, {"scope", "full"}, {"quote_id", S(est.json(), "quote_id")}});
  REQUIRE(r.status == 200);
  CHECK(I(r.json(), "credits_reserved") == 440);
  CHECK(sim.credits(org) == before - 440);
  std::string wf = S(r.json(), "workflow_id");
  std::int64_t last_processed = -1, last_completed = -1, last_failed = -1;
  bool saw_running = false;
  json::value j;
  for (int i = 0; i < 300; ++i) {
    j = c.get("/enrichment/status/" + wf).json();
    auto processed = I(j, "processed"), completed = I(j, "completed"), failed = I(j, "failed");
    CHECK(processed == completed + failed);
    CHECK(processed >= last_processed);
    CHECK(completed >= last_completed);
    CHECK(failed >= last_failed);
    CHECK(I(j, "progress") == 100 * processed / 40);
    last_processed = processed; last_completed = completed; last_failed = failed;
    saw_running |= S(j, "status") == "running";
    if (S(j, "status") != "pending" && S(j, "status") != "running") break;
    std::this_thread::sleep_for(5ms);
  }
  CHECK(saw_running);
  // the end state follows the predicted per-lead failures (~3 % by hash)
  std::int64_t failing = 0;
  for (int i = 0; i < 40; ++i)
    failing += ct::predict_outcome(p.seed, "person" + std::to_string(i) + ".bulk@acme.io").workflow_fails ? 1 : 0;
  REQUIRE(S(j, "status") == (failing == 0 ? "completed" : "completed_with_errors"));
  CHECK(I(j, "failed") >= failing);
  CHECK(I(j, "processed") == 40);
  auto charged = I(j, "credits_charged"), refunded = I(j, "credits_refunded");
  CHECK(charged + refunded == 440);
  CHECK(sim.credits(org) == before - charged);
  CHECK(j.at("summary").at("emails_found").to_number<std::int64_t>() + 10 * j.at("summary").at("phones_found").to_number<std::int64_t>() == charged);
  // the ledger tells the same story
  auto ledger = sim.ledger_json();
  bool found = false;
  for (auto& w : ledger.at("workflows").as_array())
    if (S(w, "workflow_id") == wf) {
      found = true;
      CHECK(w.at("settled").as_bool());
      CHECK(I(w, "credits_charged") + I(w, "credits_refunded") == I(w, "credits_reserved"));
    }
  CHECK(found);
  // enriched leads carry the data
  auto leads = c.get("/lead-lists/" + list + "/leads?limit=500").json().at("leads").as_array();
  std::int64_t with_email = 0;
  for (auto& l : leads) with_email += l.as_object().contains("email") ? 1 : 0;
  CHECK(with_email == 40); // imported with emails
  CHECK(I(c.get("/lead-lists/" + list).json(), "enriched_count") == I(j, "completed"));
}

TEST_CASE("insufficient credits: 400 with the three credit fields, nothing reserved") {
  auto p = fast_params();
  ct::organisation_config o{"org_poor", "Poor", "pro", {"API_ACCESS"}, 5, {}};
  o.users.push_back({"u", "u@p.io", "U", {{"clapi_poor", {}}}, {}});
  p.orgs = {o};
  ct::simulator sim(p);
  client c(sim.base_url(), "clapi_poor");
  auto r = c.post("/enrichment/person", {{"email", "a@b.io"}, {"enrichment_type", "full"}});
  CHECK(r.status == 400);
  CHECK(r.code() == "insufficient_credits");
  auto e = r.json().at("error");
  CHECK(I(e, "estimated_cost_credits") == 11);
  CHECK(I(e, "available_credits") == 5);
  CHECK(I(e, "shortfall_credits") == 6);
  CHECK(e.at("retryable").as_bool() == false);
  CHECK(sim.credits("org_poor") == 5);
  CHECK(c.post("/enrichment/person", {{"email", "a@b.io"}}).status == 200);
  auto list = make_list(c, "poor", 3);
  auto est = c.post("/credits/estimate", {{"tool", "enrich_list"}, {"list_id", list}, {"scope", "full"}});
  CHECK(est.json().at("sufficient").as_bool() == false);
  auto b = c.post("/enrichment/bulk", {{"list_id", list}, {"scope", "full"}, {"quote_id", S(est.json(), "quote_id")}});
  CHECK(b.code() == "insufficient_credits");
  // the quote was not consumed by the failed dispatch
  sim.set_credits("org_poor", 1000);
  CHECK(c.post("/enrichment/bulk", {{"list_id", list}, {"scope", "full"}, {"quote_id", S(est.json(), "quote_id")}}).status == 200);
}

TEST_CASE("quotes: single use, expiry, mismatch, spend cap") {
  auto p = fast_params();
  p.quote_ttl = 300ms;
  ct::simulator sim(p);
  client c(sim.base_url(), sim.default_api_key());
  auto list = make_list(c, "quotes", 3);
  auto list2 = make_list(c, "quotes2", 3);
  auto est = c.post("/credits/estimate", {{"tool", "enrich_list"}, {"list_id", list}, {"scope", "partial"}});
  REQUIRE(est.status == 200);
  auto ej = est.json();
  std::string q = S(ej, "quote_id");
  CHECK(q.starts_with("qte_v1_"));
  CHECK(I(ej, "expires_at") >= std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count() - 1);
  CHECK(S(ej, "filter_hash") != "none");
  CHECK(S(ej, "tool") == "enrich_list");
  // mismatches
  auto r = c.post("/enrichment/bulk", {{"list_id", list2}, {"scope", "partial"}, {"quote_id", q}});
  CHECK(r.status == 400);
  CHECK(r.code() == "quote_mismatch");
  r = c.post("/enrichment/bulk", {{"list_id", list}, {"scope", "full"}, {"quote_id", q}});
  CHECK(r.code() == "quote_mismatch");
  r = c.post("/enrichment/bulk", {{"list_id", list}, {"quote_id", q.substr(0, q.size() - 1) + (q.back() == 'a' ? "b" : "a")}});
  CHECK(r.code() == "quote_mismatch");
  r = c.post("/enrichment/bulk", {{"list_id", list}, {"quote_id", "garbage"}});
  CHECK(r.code() == "quote_mismatch");
  auto qp = quote(c, {{"tool", "enrich_person"}});
  CHECK(c.post("/enrichment/bulk", {{"list_id", list}, {"quote_id", qp}}).code() == "quote_mismatch");
  // use, then reuse
  r = c.post("/enrichment/bulk", {{"list_id", list}, {"quote_id", q}});
  CHECK(r.status == 200);
  r = c.post("/enrichment/bulk", {{"list_id", list}, {"quote_id", q}});
  CHECK(r.status == 409);
  CHECK(r.code() == "quote_already_used");
  // expiry
  auto q2 = quote(c, {{"tool", "enrich_list"}, {"list_id", list}});
  std::this_thread::sleep_for(400ms);
  r = c.post("/enrichment/bulk", {{"list_id", list}, {"quote_id", q2}});
  CHECK(r.status == 400);
  CHECK(r.code() == "quote_expired");
  // spend cap: the list grew after the quote (by a lead of the other list)
  auto q3 = quote(c, {{"tool", "enrich_list"}, {"list_id", list}});
  const std::string extra_lead = S(c.get("/lead-lists/" + list2 + "/leads").json().at("leads").as_array()[0], "lead_id");
  REQUIRE(c.post("/lead-lists/" + list + "/leads", {{"lead_ids", {extra_lead}}}).status == 200);
  r = c.post("/enrichment/bulk", {{"list_id", list}, {"quote_id", q3}});
  CHECK(r.status == 400);
  CHECK(r.code() == "spend_cap_exceeded");
  // the list shrank: charged the recomputed (lower) cost
  auto q4 = quote(c, {{"tool", "enrich_list"}, {"list_id", list}, {"scope", "full"}});
  json::value rm{{"lead_ids", {extra_lead}}};
  c.del("/lead-lists/" + list + "/leads", &rm);
  r = c.post("/enrichment/bulk", {{"list_id", list}, {"scope", "full"}, {"quote_id", q4}});
  CHECK(r.status == 200);
  CHECK(I(r.json(), "estimated_cost") == 33);
  // another organisation cannot redeem the quote; quote is optional but verified on person
  auto q5 = quote(c, {{"tool", "enrich_person"}, {"enrichment_type", "partial"}});
  CHECK(c.post("/enrichment/person", {{"email", "a@b.io"}, {"enrichment_type", "full"}, {"quote_id", q5}}).code() == "quote_mismatch");
  CHECK(c.post("/enrichment/person", {{"email", "a@b.io"}, {"quote_id", q5}}).status == 200);
  CHECK(c.post("/enrichment/person", {{"email", "a@b.io"}, {"quote_id", q5}}).status == 409);
  auto q6 = quote(c, {{"tool", "enrich_company"}});
  CHECK(c.post("/enrichment/company", {{"domain", "acme.io"}, {"quote_id", q6}}).status == 200);
  CHECK(c.post("/enrichment/company", {{"domain", "acme.io"}, {"quote_id", q6}}).code() == "quote_already_used");
}
