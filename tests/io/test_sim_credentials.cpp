// Credentials: Clerk JWTs as bearer tokens and the key-management endpoints /api/v1/api-keys.
#include "sim_test_util.hpp"

#include <ctime>

using namespace simtest;

namespace {

std::string iso_in(std::chrono::seconds d) {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + d);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int dots(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '.')); }

} // namespace

TEST_CASE("a Clerk JWT is accepted as a bearer token, with all of its user's scopes") {
  ct::simulator sim(fast_params());
  const std::string jwt = sim.default_jwt();
  REQUIRE(!jwt.empty());
  CHECK(dots(jwt) == 2);
  CHECK(jwt.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") == std::string::npos);
  CHECK(ct::simulator(fast_params()).default_jwt() == jwt); // deterministic from the seed
  client c(sim.base_url(), jwt);
  auto who = c.get("/whoami");
  REQUIRE(who.status == 200);
  CHECK(S(who.json(), "auth_type") == "clerk_jwt");
  CHECK(S(who.json(), "organization_id") == sim.default_org_id());
  CHECK(who.json().at("scopes").as_array().size() == 12);
  // it can do what a full-scope key can, on both surfaces
  auto r = c.post("/enrichment/person", {{"email", "jwt+all@acme.io"}});
  REQUIRE(r.status == 200);
  CHECK(S(wait_terminal(c, S(r.json(), "workflow_id")), "status") == "completed");
  client v2(sim.base_url("/api/v2"), jwt);
  CHECK(v2.get("/credits/balance").status == 200);
  // unknown or malformed tokens are 401 like an unknown key
  for (std::string bad : {jwt + "x", std::string("aaa.bbb.ccc"), std::string("aaa.bbb"), std::string("a..c"),
                          std::string("aa!.bb.cc"), jwt.substr(0, jwt.rfind('.'))}) {
    CAPTURE(bad);
    client b(sim.base_url(), bad);
    auto x = b.get("/whoami");
    CHECK(x.status == 401);
    CHECK(x.code() == "unauthenticated");
  }
}

TEST_CASE("JWTs configured per user map to that user and organisation") {
  auto p = fast_params();
  ct::organisation_config a{"org_a", "A", "pro", {"API_ACCESS"}, 1000, {}};
  a.users.push_back({"user_a", "a@a.io", "A", {{"clapi_a_key", {"lists:read"}}}, {"hdr.user-a.sig"}});
  ct::organisation_config b{"org_b", "B", "pro", {"API_ACCESS"}, 1000, {}};
  b.users.push_back({"user_b", "b@b.io", "B", {{"clapi_b_key", {}}}, {"hdr.user-b.sig", "hdr2.user-b.sig2"}});
  p.orgs = {a, b};
  ct::simulator sim(p);
  CHECK(sim.default_jwt() == "hdr.user-a.sig");
  client ca(sim.base_url(), "hdr.user-a.sig");
  CHECK(S(ca.get("/whoami").json(), "user_id") == "user_a");
  // the key is narrowed, the JWT is not: it carries every scope
  CHECK(ca.get("/credits/balance").status == 200);
  client ka(sim.base_url(), "clapi_a_key");
  CHECK(ka.get("/credits/balance").code() == "insufficient_scope");
  client cb(sim.base_url(), "hdr2.user-b.sig2");
  CHECK(S(cb.get("/whoami").json(), "organization_id") == "org_b");
  // a list created with user A's JWT is private to user A
  auto l = ca.post("/lead-lists", {{"name", "jwt list"}});
  REQUIRE(l.status == 201);
  CHECK(cb.get("/lead-lists/" + S(l.json(), "list_id")).status == 404);
}

TEST_CASE("/api/v1/api-keys: JWT only; create, list, revoke; the new key works at once, the revoked one is 401") {
  ct::simulator sim(fast_params());
  client mgmt(sim.base_url("/api/v1"), sim.default_jwt());
  // API keys cannot manage keys; no token is 401 too; the path is not under /public
  client with_key(sim.base_url("/api/v1"), sim.default_api_key());
  auto denied = with_key.get("/api-keys");
  CHECK(denied.status == 401);
  CHECK(denied.code() == "unauthenticated");
  CHECK(with_key.post("/api-keys", json::object{}).status == 401);
  CHECK(mgmt.request("GET", "/api-keys", "", false).status == 401);
  client pub_jwt(sim.base_url(), sim.default_jwt());
  CHECK(pub_jwt.post("/api-keys", json::object{}).status == 405); // /public/api-keys is read-only
  auto list0 = mgmt.get("/api-keys");
  REQUIRE(list0.status == 200);
  REQUIRE(list0.json().at("keys").as_array().size() == 1);
  auto k0 = list0.json().at("keys").as_array()[0];
  CHECK(S(k0, "key_prefix") == "clapi_");
  CHECK(S(k0, "key_last4") == sim.default_api_key().substr(sim.default_api_key().size() - 4));
  // create
  auto cr = mgmt.post("/api-keys", {{"name", "ci"}});
  REQUIRE(cr.status == 201);
  auto cj = cr.json();
  const std::string key = S(cj, "api_key");
  CHECK(key.starts_with("clapi_"));
  CHECK(key.size() == 6 + 64);
  CHECK(!S(cj, "created_at").empty());
  CHECK(cj.at("expires_at").is_null());
  client fresh(sim.base_url(), key);
  auto who = fresh.get("/whoami");
  REQUIRE(who.status == 200);
  CHECK(S(who.json(), "user_id") == "user_sim_default");
  CHECK(S(who.json(), "auth_type") == "api_key");
  // listed (prefix + last 4 only) here and in the public GET /api-keys
  auto list1 = mgmt.get("/api-keys").json().at("keys").as_array();
  REQUIRE(list1.size() == 2);
  CHECK(S(list1[1], "name") == "ci");
  CHECK(S(list1[1], "key_last4") == key.substr(key.size() - 4));
  CHECK(list1[1].as_object().if_contains("api_key") == nullptr);
  CHECK(json::serialize(list1).find(key) == std::string::npos);
  client pub(sim.base_url(), sim.default_api_key());
  CHECK(pub.get("/api-keys").json().at("keys").as_array().size() == 2);
  // revoke
  const std::string key_id = S(cj, "key_id");
  REQUIRE(key_id == S(list1[1], "key_id"));
  auto rv = mgmt.del("/api-keys/" + key_id);
  REQUIRE(rv.status == 200);
  CHECK(rv.json().at("revoked").as_bool());
  auto gone = fresh.get("/whoami");
  CHECK(gone.status == 401);
  CHECK(gone.code() == "unauthenticated");
  CHECK(mgmt.del("/api-keys/" + key_id).status == 404);
  CHECK(mgmt.del("/api-keys/ak_unknown").status == 404);
  CHECK(mgmt.get("/api-keys").json().at("keys").as_array()[1].at("is_active").as_bool() == false);
  CHECK(pub.get("/whoami").status == 200); // the other key is untouched
  CHECK(mgmt.request("PUT", "/api-keys", "{}").status == 405);
}

TEST_CASE("/api/v1/api-keys: body validation, expiry, the 10-active-key limit, feature gate") {
  ct::simulator sim(fast_params());
  client mgmt(sim.base_url("/api/v1"), sim.default_jwt());
  CHECK(mgmt.post("/api-keys", {{"expires_at", "next tuesday"}}).status == 422);
  CHECK(mgmt.post("/api-keys", {{"name", 5}}).status == 422);
  CHECK(mgmt.post("/api-keys", {{"scopes", {"x"}}}).status == 422);
  auto past = mgmt.post("/api-keys", {{"expires_at", "2001-01-01T00:00:00Z"}});
  CHECK(past.status == 400);
  CHECK(past.code() == "validation_error");
  // no body at all is a key with defaults
  auto plain = mgmt.request("POST", "/api-keys", "");
  REQUIRE(plain.status == 201);
  // expiring key: works, then 401 once expired (bounded poll, no fixed sleep)
  auto exp = mgmt.post("/api-keys", {{"name", "short"}, {"expires_at", iso_in(std::chrono::seconds(2))}});
  REQUIRE(exp.status == 201);
  CHECK(!S(exp.json(), "expires_at").empty());
  client shortlived(sim.base_url(), S(exp.json(), "api_key"));
  CHECK(shortlived.get("/whoami").status == 200);
  int status = 200;
  auto until = std::chrono::steady_clock::now() + 5s;
  while (status == 200 && std::chrono::steady_clock::now() < until) {
    status = shortlived.get("/whoami").status;
    if (status == 200) std::this_thread::sleep_for(100ms);
  }
  CHECK(status == 401);
  // limit: 10 active keys per organisation (the default key + `plain` + 8 more); expired ones do not count
  for (int i = 0; i < 8; ++i) REQUIRE(mgmt.post("/api-keys", {{"name", "k" + std::to_string(i)}}).status == 201);
  auto over = mgmt.post("/api-keys", {{"name", "one too many"}});
  CHECK(over.status == 403);
  CHECK(over.code() == "api_key_limit_reached");
  CHECK(I(over.json().at("error"), "limit") == 10);
  // revoking one frees a slot
  auto keys = mgmt.get("/api-keys").json().at("keys").as_array();
  REQUIRE(mgmt.del("/api-keys/" + S(keys.back(), "key_id")).status == 200);
  CHECK(mgmt.post("/api-keys", {{"name", "again"}}).status == 201);
  // an organisation without API_ACCESS cannot create keys (but may list them)
  auto p = fast_params();
  ct::organisation_config o{"org_free", "Free", "free", {}, 100, {}};
  o.users.push_back({"user_free", "f@f.io", "F", {{"clapi_free", {}}}, {"h.free.s"}});
  p.orgs = {o};
  ct::simulator gated(p);
  client gm(gated.base_url("/api/v1"), "h.free.s");
  auto g = gm.post("/api-keys", {{"name", "x"}});
  CHECK(g.status == 403);
  CHECK(g.code() == "feature_gated");
  CHECK(gm.get("/api-keys").status == 200);
}

TEST_CASE("a user's JWT requests share one rate-limit window (per_key_limit) and count in the org window") {
  auto p = fast_params();
  p.rate_limits = true;
  p.per_key_limit = 3;
  p.per_org_limit = 5;
  ct::simulator sim(p);
  client jwt(sim.base_url(), sim.default_jwt());
  client key(sim.base_url(), sim.default_api_key());
  for (int i = 0; i < 3; ++i) REQUIRE(jwt.get("/whoami").status == 200);
  auto limited = jwt.get("/whoami");
  CHECK(limited.status == 429);
  CHECK(S(limited.json().at("error"), "limit_scope") == "api_key");
  CHECK(key.get("/whoami").status == 200); // the key has its own window
  CHECK(key.get("/whoami").status == 200);
  auto org = key.get("/whoami"); // 3 (JWT) + 2 (key) = the org's 5
  CHECK(org.status == 429);
  CHECK(S(org.json().at("error"), "limit_scope") == "organization");
}

TEST_CASE("the accounts document (--accounts): parsed, and its errors never echo a key") {
  auto orgs = ct::parse_accounts(R"({"orgs":[{"org_id":"org_a","name":"A","tier":"starter","credits":7,
      "users":[{"user_id":"u1","email":"a@x.io","name":"A","keys":["clapi_aaaaaaaaaaaa",
      {"key":"clapi_bbbbbbbbbbbb","scopes":["enrichment:read"]}],"jwts":["h.p.s"]}]}]})");
  REQUIRE(orgs.size() == 1);
  CHECK(orgs[0].org_id == "org_a");
  CHECK(orgs[0].tier == "starter");
  CHECK(orgs[0].credits == 7);
  REQUIRE(orgs[0].users.size() == 1);
  REQUIRE(orgs[0].users[0].keys.size() == 2);
  CHECK(orgs[0].users[0].keys[1].scopes == std::vector<std::string>{"enrichment:read"});
  CHECK(orgs[0].users[0].jwts == std::vector<std::string>{"h.p.s"});
  // the parsed accounts run a simulator
  ct::simulator_params p = fast_params();
  p.orgs = orgs;
  ct::simulator sim(p);
  client c(sim.base_url(), "clapi_aaaaaaaaaaaa");
  CHECK(c.get("/whoami").status == 200);

  auto error_of = [](std::string_view doc) {
    try {
      ct::parse_accounts(doc);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  auto m = error_of(R"({"orgs":[{"users":[{"user_id":"u9","keys":["sk_live_TOPSECRET"]}]}]})");
  CHECK(m.find("clapi_") != std::string::npos);
  CHECK(m.find("u9") != std::string::npos);
  CHECK(m.find("TOPSECRET") == std::string::npos);
  CHECK(error_of("{not json").find("not JSON") != std::string::npos);
  CHECK(error_of(R"({"orgs":{}})").find("expected") != std::string::npos);
  CHECK(error_of(R"({"orgs":[{"users":[]}]})").find("needs a user with a key") != std::string::npos);
  CHECK(error_of(R"({"orgs":[{"users":[{"keys":[42]}]}]})").find("string or {key, scopes}") != std::string::npos);
  CHECK_THROWS_AS(ct::load_accounts("/nonexistent/accounts.json"), std::invalid_argument);
}
