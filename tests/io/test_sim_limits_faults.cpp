// Rate limits (fixed windows per key and per organisation) and every fault kind.
#include "sim_test_util.hpp"

using namespace simtest;

namespace {
ct::simulator_params limited(int key_limit, int org_limit, std::chrono::milliseconds window) {
  auto p = fast_params();
  p.rate_limits = true;
  p.per_key_limit = key_limit;
  p.per_org_limit = org_limit;
  p.window = window;
  ct::organisation_config o{"org_rl", "RL", "pro", {"API_ACCESS"}, 100000, {}};
  o.users.push_back({"u1", "u1@rl.io", "U1", {{"clapi_rl_k1", {}}, {"clapi_rl_k2", {}}, {"clapi_rl_k3", {}}}, {}});
  ct::organisation_config o2{"org_rl2", "RL2", "pro", {"API_ACCESS"}, 100000, {}};
  o2.users.push_back({"u2", "u2@rl.io", "U2", {{"clapi_rl_other", {}}}, {}});
  p.orgs = {o, o2};
  return p;
}

// Waits until the start of a fresh window (windows are aligned to the simulator start).
void align(std::chrono::steady_clock::time_point started, std::chrono::milliseconds window) {
  auto el = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  auto into = el % window;
  if (into > window / 5) std::this_thread::sleep_for(window - into + 5ms);
}
} // namespace

TEST_CASE("per-key fixed window: 429 with Retry-After and retry_after_ms, then recovery") {
  const auto window = 500ms;
  auto started = std::chrono::steady_clock::now();
  ct::simulator sim(limited(5, 100, window));
  client c(sim.base_url(), "clapi_rl_k1");
  align(started, window);
  for (int i = 0; i < 5; ++i) REQUIRE(c.get("/credits/balance").status == 200);
  auto r = c.get("/credits/balance");
  REQUIRE(r.status == 429);
  CHECK(r.code() == "rate_limited");
  auto e = r.json().at("error");
  CHECK(e.at("retryable").as_bool());
  auto ms = I(e, "retry_after_ms");
  CHECK(ms > 0);
  // What is left of the current window, computed by the server (not a measured time).
  CHECK(I(e, "window_ms") == window.count());
  CHECK(ms <= I(e, "window_ms"));
  CHECK(r.header("retry-after") == "1"); // whole seconds, rounded up
  CHECK(S(e, "limit_scope") == "api_key");
  CHECK(sim.stats().rate_limited_429 == 1);
  // another key of the same org is not limited by this key's window
  client c2(sim.base_url(), "clapi_rl_k2");
  CHECK(c2.get("/credits/balance").status == 200);
  // status polls count too
  CHECK(c.get("/enrichment/status/enrich-x").status == 429);
  std::this_thread::sleep_for(std::chrono::milliseconds(ms + 20));
  CHECK(c.get("/credits/balance").status == 200);
  CHECK(sim.stats().served_above_limit == 0);
}

TEST_CASE("per-organisation window across keys; other organisations unaffected") {
  const auto window = 500ms;
  auto started = std::chrono::steady_clock::now();
  ct::simulator sim(limited(100, 6, window));
  client k1(sim.base_url(), "clapi_rl_k1"), k2(sim.base_url(), "clapi_rl_k2"), k3(sim.base_url(), "clapi_rl_k3"),
      other(sim.base_url(), "clapi_rl_other");
  align(started, window);
  for (int i = 0; i < 2; ++i) {
    REQUIRE(k1.get("/whoami").status == 200);
    REQUIRE(k2.get("/whoami").status == 200);
    REQUIRE(k3.get("/whoami").status == 200);
  }
  auto r = k3.get("/whoami");
  CHECK(r.status == 429);
  CHECK(S(r.json().at("error"), "limit_scope") == "organization");
  CHECK(other.get("/whoami").status == 200);
  // legacy endpoints are limited too, in the legacy shape
  auto l = k1.get("/auth/validate-key");
  CHECK(l.status == 429);
  CHECK(l.json().at("detail").is_string());
  CHECK(!l.header("retry-after").empty());
}

TEST_CASE("rate limits off: never 429, excess counted as served_above_limit") {
  auto p = limited(3, 100, 60000ms);
  p.rate_limits = false;
  ct::simulator sim(p);
  client c(sim.base_url(), "clapi_rl_k1");
  for (int i = 0; i < 10; ++i) REQUIRE(c.get("/whoami").status == 200);
  CHECK(sim.stats().rate_limited_429 == 0);
  CHECK(sim.stats().served_above_limit == 7);
}

TEST_CASE("injected status faults: 429, 500, 502, 503, 504") {
  struct f { double ct::fault_params::*p; int status; const char* code; bool retryable; };
  const f kinds[] = {{&ct::fault_params::p_429, 429, "rate_limited", true},
                     {&ct::fault_params::p_500, 500, "internal_error", false},
                     {&ct::fault_params::p_502, 502, "bad_gateway", true},
                     {&ct::fault_params::p_503, 503, "service_unavailable", true},
                     {&ct::fault_params::p_504, 504, "gateway_timeout", true}};
  ct::simulator sim(fast_params());
  client c(sim.base_url(), sim.default_api_key());
  for (auto& k : kinds) {
    CAPTURE(k.status);
    ct::fault_params fp;
    fp.*(k.p) = 1.0;
    sim.set_faults(fp);
    auto before = sim.credits(sim.default_org_id());
    auto r = c.post("/enrichment/person", {{"email", "fault@x.io"}});
    CHECK(r.status == k.status);
    CHECK(r.code() == k.code);
    CHECK(r.json().at("error").at("retryable").as_bool() == k.retryable);
    if (k.status == 429) CHECK(r.header("retry-after") == "1");
    CHECK(sim.credits(sim.default_org_id()) == before); // not processed
  }
  sim.set_faults({});
  CHECK(sim.enrich_posts_for("fault@x.io") == 0);
  CHECK(sim.stats().faults_injected == 5);
  CHECK(sim.stats().rate_limited_429 == 0); // injected 429s are faults, not limits
}

TEST_CASE("connection faults: reset before/after, truncate, malformed, stall, latency") {
  ct::simulator sim(fast_params());
  client c(sim.base_url(), sim.default_api_key(), {.timeout = 1500ms});
  const auto org = sim.default_org_id();
  ct::fault_params fp;
  SUBCASE("reset before processing has no effect") {
    fp.p_reset_before = 1.0;
    sim.set_faults(fp);
    auto r = c.post("/enrichment/person", {{"email", "rb@x.io"}});
    CHECK(r.status == 0);
    CHECK(r.ec);
    CHECK(sim.enrich_posts_for("rb@x.io") == 0);
  }
  SUBCASE("reset after processing: the request took effect") {
    fp.p_reset_after = 1.0;
    sim.set_faults(fp);
    auto before = sim.credits(org);
    auto r = c.post("/enrichment/person", {{"email", "ra@x.io"}});
    CHECK(r.status == 0);
    CHECK(r.ec);
    CHECK(sim.enrich_posts_for("ra@x.io") == 1);
    CHECK(sim.credits(org) == before - 1);
  }
  SUBCASE("truncated body") {
    fp.p_truncate = 1.0;
    sim.set_faults(fp);
    auto r = c.get("/whoami");
    CHECK(r.status == 0);
    CHECK(r.ec);
  }
  SUBCASE("malformed JSON with 200") {
    fp.p_malformed = 1.0;
    sim.set_faults(fp);
    auto r = c.post("/enrichment/person", {{"email", "mal@x.io"}});
    CHECK(r.status == 200);
    boost::system::error_code ec;
    json::parse(r.body, ec);
    CHECK(ec);
    CHECK(sim.enrich_posts_for("mal@x.io") == 1); // processed
  }
  SUBCASE("stall: no answer, connection kept open") {
    fp.p_stall = 1.0;
    sim.set_faults(fp);
    client s(sim.base_url(), sim.default_api_key(), {.timeout = 300ms});
    auto r = s.post("/enrichment/person", {{"email", "st@x.io"}});
    CHECK(r.timed_out);
    CHECK(sim.enrich_posts_for("st@x.io") == 0);
  }
  SUBCASE("latency") {
    fp.p_latency = 1.0;
    fp.latency = 150ms;
    sim.set_faults(fp);
    auto t0 = std::chrono::steady_clock::now();
    CHECK(c.get("/whoami").status == 200);
    CHECK(std::chrono::steady_clock::now() - t0 >= 150ms);
  }
  SUBCASE("only_path restricts faults") {
    fp.p_500 = 1.0;
    fp.only_path = "/enrichment/status/";
    sim.set_faults(fp);
    CHECK(c.get("/whoami").status == 200);
    CHECK(c.get("/enrichment/status/enrich-x").status == 500);
  }
  sim.set_faults({});
  CHECK(c.get("/whoami").status == 200); // the client reconnects after a broken connection
}

TEST_CASE("fault draws are deterministic from the seed") {
  auto run = [](std::uint64_t seed) {
    auto p = fast_params();
    p.seed = seed;
    p.faults.p_503 = 0.3;
    ct::simulator sim(p);
    client c(sim.base_url(), sim.default_api_key());
    std::string pattern;
    for (int i = 0; i < 40; ++i) pattern += c.get("/whoami").status == 503 ? 'x' : '.';
    return pattern;
  };
  auto a = run(1), b = run(1), d = run(2);
  CHECK(a == b);
  CHECK(a != d);
  auto n = std::count(a.begin(), a.end(), 'x');
  CHECK(n > 3);
  CHECK(n < 25);
}
