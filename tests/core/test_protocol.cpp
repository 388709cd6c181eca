// Sans-io: URL parsing, response classification (all three error shapes), request building.
#include "protocol/request_spec.hpp"
#include "protocol/response.hpp"
#include "protocol/url.hpp"

#include <boost/json/parse.hpp>

#include <doctest/doctest.h>

namespace cl = cleanlist;
using namespace cleanlist::protocol;
using namespace std::chrono_literals;

TEST_CASE("base URL parsing") {
  auto u = parse_base_url("https://api.cleanlist.ai/api/v1/public");
  REQUIRE(u);
  CHECK(u->tls);
  CHECK(u->host == "api.cleanlist.ai");
  CHECK(u->port == 443);
  CHECK(u->path == "/api/v1/public");
  CHECK(u->host_header() == "api.cleanlist.ai");
  CHECK(u->legacy_path() == "/api/v1/public");

  auto v2 = parse_base_url("http://127.0.0.1:8080/api/v2/");
  REQUIRE(v2);
  CHECK_FALSE(v2->tls);
  CHECK(v2->port == 8080);
  CHECK(v2->path == "/api/v2");
  CHECK(v2->host_header() == "127.0.0.1:8080");
  CHECK(v2->legacy_path() == "/api/v1/public");

  auto v6 = parse_base_url("https://[::1]:9443/api/v2");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->host_header() == "[::1]:9443");

  for (const char* bad : {"ftp://x/y", "https://", "https://host:0/", "https://host:70000/", "https://host:abc/",
                          "https://user@host/", "https://host/a?b", "https://ho st/", "api.cleanlist.ai/api",
                          "https://[::1/x", "https://host:/x"})
    CHECK_MESSAGE(!parse_base_url(bad), bad);
}

TEST_CASE("url_encode keeps unreserved characters only") {
  CHECK(url_encode("abc-._~XYZ09") == "abc-._~XYZ09");
  CHECK(url_encode("a b/c?d&e=f") == "a%20b%2Fc%3Fd%26e%3Df");
  CHECK(url_encode("\xc3\xa9") == "%C3%A9");
}

TEST_CASE("Retry-After parsing") {
  CHECK(parse_retry_after("3") == std::optional(3000ms));
  CHECK(parse_retry_after(" 0 ") == std::optional(0ms));
  CHECK(parse_retry_after("1.5") == std::optional(1500ms));
  CHECK_FALSE(parse_retry_after(""));
  CHECK_FALSE(parse_retry_after("-1"));
  CHECK_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"));
  CHECK_FALSE(parse_retry_after("1e99"));
}

TEST_CASE("classify: success bodies") {
  auto ok = classify({200, "", "req_1", R"({"a":1})"});
  CHECK_FALSE(ok.ec);
  CHECK(ok.json.as_object().at("a").as_int64() == 1);

  auto not_json = classify({200, "", "", "<html>oops</html>"});
  CHECK(not_json.ec == cl::error::bad_response);
  CHECK(not_json.diag.body_excerpt == "<html>oops</html>");

  auto array = classify({200, "", "", "[1,2]"});
  CHECK(array.ec == cl::error::bad_response);

  std::string deep(200, '[');
  deep += std::string(200, ']');
  auto too_deep = classify({200, "", "", "{\"a\":" + deep + "}"});
  CHECK(too_deep.ec == cl::error::bad_response);

  auto truncated = classify({200, "", "", R"({"a":)"});
  CHECK(truncated.ec == cl::error::bad_response);
}

TEST_CASE("classify: modern error envelope") {
  auto r = classify({400, "", "req_hdr",
                     R"({"error":{"code":"insufficient_credits","problem":"needs 110","cause":null,"fix":"top up",
                        "retryable":false,"retry_after_ms":null,"docs_url":"https://docs.cleanlist.ai/errors/insufficient-credits",
                        "request_id":"req_4f1c2a9b3d6e7f80","estimated_cost_credits":110}})"});
  CHECK(r.ec == cl::error::insufficient_credits);
  CHECK(r.diag.http_status == 400);
  CHECK(r.diag.code == "insufficient_credits");
  CHECK(r.diag.problem == "needs 110");
  CHECK(r.diag.fix == "top up");
  CHECK(r.diag.retryable == std::optional<bool>(false));
  CHECK(r.diag.request_id == "req_4f1c2a9b3d6e7f80");
  CHECK_FALSE(r.diag.retry_after);

  auto rl = classify({429, "2", "", R"({"error":{"code":"rate_limited","problem":"slow down","retryable":true,"retry_after_ms":1500,"docs_url":"x","request_id":"r"}})"});
  CHECK(rl.ec == cl::error::rate_limited);
  CHECK(rl.diag.retry_after == std::optional(1500ms));  // the precise body value wins over the rounded header
  auto rl_hdr = classify({429, "2", "", R"({"error":{"code":"rate_limited","problem":"p","retry_after_ms":null}})"});
  CHECK(rl_hdr.diag.retry_after == std::optional(2000ms));  // header when the body has none
  auto rl2 = classify({429, "", "", R"({"error":{"code":"rate_limited","problem":"p","retryable":true,"retry_after_ms":1500}})"});
  CHECK(rl2.diag.retry_after == std::optional(1500ms));

  CHECK(classify({409, "", "", R"({"error":{"code":"quote_already_used","problem":"p","retryable":false}})"}).ec == cl::error::quote_already_used);
  // Found by fuzz_classify: a uint64 above INT64_MAX must not wrap into a negative pause.
  auto huge = classify({429, "", "", R"({"error":{"code":"rate_limited","problem":"p","retry_after_ms":15099999999999999990}})"});
  CHECK_FALSE(huge.diag.retry_after);
  auto neg = classify({429, "", "", R"({"error":{"code":"rate_limited","problem":"p","retry_after_ms":-5}})"});
  CHECK_FALSE(neg.diag.retry_after);
  CHECK(classify({400, "", "", R"({"error":{"code":"quote_expired","problem":"p"}})"}).ec == cl::error::quote_expired);
  CHECK(classify({403, "", "", R"({"error":{"code":"insufficient_scope","problem":"p"}})"}).ec == cl::error::insufficient_scope);
  CHECK(classify({403, "", "", R"({"error":{"code":"list_protected","problem":"p"}})"}).ec == cl::error::forbidden);
  CHECK(classify({400, "", "", R"({"error":{"code":"some_future_code","problem":"p"}})"}).ec == cl::error::validation_failed);
}

TEST_CASE("classify: FastAPI 422 and legacy detail shapes") {
  auto v = classify({422, "", "", R"({"detail":[{"type":"missing","loc":["body","contacts",0],"msg":"Field required","input":{}}]})"});
  CHECK(v.ec == cl::error::validation_failed);
  CHECK(v.diag.code == "validation_error");
  CHECK(v.diag.problem == "body.contacts.0: Field required");

  auto legacy = classify({402, "", "", R"({"detail":"Insufficient credits"})"});
  CHECK(legacy.ec == cl::error::insufficient_credits);
  CHECK(legacy.diag.problem == "Insufficient credits");

  auto unauth = classify({401, "", "", R"({"detail":"Not authenticated"})"});
  CHECK(unauth.ec == cl::error::unauthenticated);
}

TEST_CASE("classify: hostile or empty error bodies never crash") {
  for (int status : {400, 404, 500, 502, 503, 504, 599, 418}) {
    for (const char* body : {"", "null", "{}", "[]", R"({"error":"x"})", R"({"error":{"code":5,"retryable":"yes","retry_after_ms":-3}})",
                             R"({"detail":[1,"x",{"loc":"notalist"}]})", "\xff\xfe\x00garbage"}) {
      auto r = classify({status, "abc", "", body});
      CHECK(r.ec);
      CHECK(!r.diag.problem.empty());
      CHECK(r.diag.body_excerpt.size() <= cl::diagnostics::max_excerpt);
    }
  }
  CHECK(classify({500, "", "", ""}).ec == cl::error::server_error);
  CHECK(classify({502, "", "", ""}).ec == cl::error::bad_gateway);
  CHECK(classify({503, "", "", ""}).ec == cl::error::service_unavailable);
  CHECK(classify({504, "", "", ""}).ec == cl::error::gateway_timeout);
  CHECK(classify({418, "", "", ""}).ec == cl::error::api_error);
  std::string big(100000, 'x');
  CHECK(classify({500, "", "", big}).diag.body_excerpt.size() == cl::diagnostics::max_excerpt);
}

TEST_CASE("request building follows the schema") {
  namespace api = cleanlist::api;
  api::paths p{"/api/v2", "/api/v1/public"};

  cl::enrich_person_request pr;
  pr.email = "ada@acme.com";
  CHECK(api::enrich_person(p, pr).invalid.find("lead_list_id") != std::string::npos);  // required by the v2 schema
  const api::paths v1{"/api/v1/public", "/api/v1/public"};
  auto s = api::enrich_person(v1, pr);
  CHECK(s.verb == api::method::post);
  CHECK(s.target == "/api/v1/public/enrichment/person");
  CHECK_FALSE(s.idempotent);
  CHECK(s.invalid.empty());
  auto body = boost::json::parse(s.body).as_object();
  CHECK(body.at("email") == "ada@acme.com");
  CHECK_FALSE(body.contains("lead_list_id"));  // optional, as the quickstart allows

  auto bulk = api::enrich_list(p, cl::enrich_list_request{"L1", cl::bulk_scope::phone_only, "qte_1"});
  auto bb = boost::json::parse(bulk.body).as_object();
  CHECK(bb.at("list_id") == "L1");
  CHECK(bb.at("scope") == "phone-only");
  CHECK(bb.at("quote_id") == "qte_1");
  // Quote-protected: never blindly idempotent (a lost answer may hide a paid run), but replay-safe.
  CHECK_FALSE(bulk.idempotent);
  CHECK(bulk.replay_safe);
  cl::enrich_by_task_request bt;
  bt.task_id = "cl-task_1";
  CHECK_FALSE(api::enrich_by_task(p, bt).replay_safe);  // no quote: a plain non-idempotent POST
  CHECK_FALSE(api::enrich_by_task(p, bt).idempotent);
  bt.quote_id = "qte_2";
  CHECK(api::enrich_by_task(p, bt).replay_safe);
  CHECK_FALSE(api::enrich_by_task(p, bt).idempotent);

  auto leads = api::list_leads(p, cl::list_leads_request{"L 1", 50, std::string("c/x")});
  CHECK(leads.invalid.empty() == false);  // a space is not allowed in a path id
  auto leads_ok = api::list_leads(p, cl::list_leads_request{"L1", 50, std::string("c/x=")});
  CHECK(leads_ok.target == "/api/v2/lead-lists/L1/leads?limit=50&cursor=c%2Fx%3D");

  cl::export_json_request ej{"L1", {}, {}, {"email", "first name"}};
  CHECK(api::export_json(p, ej).target == "/api/v2/export/json?list_id=L1&columns=email&columns=first%20name");

  auto legacy = api::legacy_status(p, cl::legacy_status_request{std::string("public_bulk_1"), {}});
  CHECK(legacy.target == "/api/v1/public/enrich/status?workflow_id=public_bulk_1");

  cl::add_leads_request add;
  add.list_id = "L1";
  add.lead_ids = {"a"};
  CHECK_FALSE(api::add_leads(p, add).idempotent);  // no key: not safe to resend
  add.idempotency_key = "k1";
  auto add_spec = api::add_leads(p, add);
  CHECK(add_spec.idempotent);
  CHECK(boost::json::parse(add_spec.body).as_object().at("idempotency_key") == "k1");

  CHECK(api::workflow_status(p, "enrich-1").target == "/api/v2/enrichment/status/enrich-1");
  CHECK_FALSE(api::workflow_status(p, "a/../b").invalid.empty());
  CHECK(api::new_idempotency_key() != api::new_idempotency_key());
}

TEST_CASE("API-key management requests: /api/v1/api-keys on the origin, whatever the base path") {
  namespace api = cleanlist::api;
  for (api::paths p : {api::paths{"/api/v2", "/api/v1/public"}, api::paths{"/api/v1/public", "/api/v1/public"},
                       api::paths{"/gateway/api/v2", "/gateway/api/v1/public"}, api::paths{"", "/api/v1/public"}}) {
    CAPTURE(p.base);
    cl::create_api_key_request cr;
    auto create = api::create_api_key(p, cr);
    CHECK(create.verb == api::method::post);
    CHECK(create.target == "/api/v1/api-keys");
    CHECK(create.invalid.empty());
    CHECK(create.body == "{}");  // both fields optional: an empty object, not an absent body
    // Not idempotent: a lost answer may hide a created key; never blindly sent again.
    CHECK_FALSE(create.idempotent);
    CHECK_FALSE(create.replay_safe);

    auto list = api::list_account_api_keys(p);
    CHECK(list.verb == api::method::get);
    CHECK(list.target == "/api/v1/api-keys");
    CHECK(list.body.empty());
    CHECK(list.idempotent);

    auto revoke = api::revoke_api_key(p, "ak_0123abcd");
    CHECK(revoke.verb == api::method::del);
    CHECK(revoke.target == "/api/v1/api-keys/ak_0123abcd");
    CHECK(revoke.body.empty());
    CHECK(revoke.idempotent);
    CHECK(revoke.invalid.empty());
  }
  api::paths p{"/api/v2", "/api/v1/public"};

  cl::create_api_key_request cr;
  cr.name = "ci key";
  cr.expires_at = "2030-01-31T12:00:00Z";
  auto create = api::create_api_key(p, cr);
  REQUIRE(create.invalid.empty());
  auto body = boost::json::parse(create.body).as_object();
  CHECK(body.size() == 2);
  CHECK(body.at("name") == "ci key");
  CHECK(body.at("expires_at") == "2030-01-31T12:00:00Z");

  for (std::string ok : {"2030-01-31", "2030-01-31T12:00", "2030-01-31 12:00:05", "2030-01-31T12:00:05.123456",
                         "2030-01-31T12:00:00+02:00", "2030-01-31T12:00:00-05:30", "2030-01-31t12:00:00z"}) {
    CAPTURE(ok);
    cr.expires_at = ok;
    CHECK(api::create_api_key(p, cr).invalid.empty());
  }
  for (std::string bad : {"", "tomorrow", "2030-1-31", "2030-13-01", "2030-01-32", "2030-01-31T25:00",
                          "2030-01-31T12", "2030-01-31T12:00:00.", "2030-01-31T12:00:00+0200", "2030-01-31T12:00:00 Z",
                          "1893456000", "2030-01-31T12:00:00Zjunk"}) {
    CAPTURE(bad);
    cr.expires_at = bad;
    auto s = api::create_api_key(p, cr);
    CHECK(s.invalid.find("create_api_key_request.expires_at") != std::string::npos);
  }
  cr.expires_at.reset();
  cr.name = "";
  CHECK(api::create_api_key(p, cr).invalid.find("create_api_key_request.name") != std::string::npos);
  cr.name = std::string(201, 'n');
  CHECK(api::create_api_key(p, cr).invalid.find("create_api_key_request.name") != std::string::npos);
  cr.name = std::string(200, 'n');
  CHECK(api::create_api_key(p, cr).invalid.empty());
  std::string accents;
  for (int i = 0; i < 200; ++i) accents += "\xc3\xa9";  // 200 characters, 400 bytes: code points count
  cr.name = accents;
  CHECK(api::create_api_key(p, cr).invalid.empty());
  cr.name.reset();
  CHECK(api::create_api_key(p, cr).body == "{}");

  // The key id is a path segment: anything that could leave it is refused before sending.
  for (std::string bad : {"", "..", "a/b", "a?b", "a#b", "a%2Fb", "a b", "a\r\nX-Injected: 1"}) {
    CAPTURE(bad);
    CHECK_FALSE(api::revoke_api_key(p, bad).invalid.empty());
  }
}
