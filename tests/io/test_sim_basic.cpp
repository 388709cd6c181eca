// Server basics: HTTP and HTTPS (generated CA, host name verification), auth, routing,
// keep-alive, concurrency, the caller's-executor mode, the admin endpoint.
#include "sim_test_util.hpp"

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <vector>

using namespace simtest;

TEST_CASE("plain HTTP: whoami, balance, request ids, keep-alive") {
  ct::simulator sim(fast_params());
  CHECK(sim.base_url().starts_with("http://127.0.0.1:"));
  CHECK(sim.base_url().ends_with("/api/v1/public"));
  CHECK(sim.ca_pem().empty());
  CHECK(sim.default_api_key().starts_with("clapi_"));
  client c(sim.base_url(), sim.default_api_key());
  for (auto prefix : {"/api/v1/public", "/api/v2"}) {
    client cc(sim.base_url(prefix), sim.default_api_key());
    auto r = cc.get("/whoami");
    REQUIRE(r.status == 200);
    auto j = r.json();
    CHECK(S(j, "organization_id") == sim.default_org_id());
    CHECK(S(j, "auth_type") == "api_key");
    CHECK(S(j, "user_email") == "d***@example.com");
    CHECK(S(j, "tier") == "pro");
    CHECK(r.header("x-request-id").starts_with("req_"));
    auto b = cc.get("/credits/balance");
    REQUIRE(b.status == 200);
    CHECK(I(b.json(), "credits") == 100000);
  }
  for (int i = 0; i < 20; ++i) REQUIRE(c.get("/whoami").status == 200);
  CHECK(c.connects() == 1); // keep-alive
  CHECK(sim.stats().requests >= 24);
}

TEST_CASE("authentication errors") {
  ct::simulator sim(fast_params());
  client c(sim.base_url(), sim.default_api_key());
  auto r = c.request("GET", "/whoami", {}, false);
  CHECK(r.status == 401);
  CHECK(r.code() == "unauthenticated");
  auto e = r.json().at("error");
  for (auto k : {"code", "problem", "cause", "fix", "retryable", "retry_after_ms", "docs_url", "request_id"})
    CHECK_MESSAGE(e.as_object().contains(k), k);
  CHECK(S(e, "docs_url") == "https://docs.cleanlist.ai/errors/unauthenticated");
  CHECK(S(e, "request_id") == r.header("x-request-id"));
  CHECK(c.request("GET", "/whoami", {}, true, "Bearer clapi_unknown").status == 401);
  CHECK(c.request("GET", "/whoami", {}, true, sim.default_api_key()).status == 401);             // no "Bearer "
  CHECK(c.request("GET", "/whoami", {}, true, "Basic " + sim.default_api_key()).status == 401);
  CHECK(c.request("GET", "/whoami", {}, true, "Bearer clext_abc").status == 401);
  // legacy surface: FastAPI detail
  auto l = c.request("GET", "/auth/validate-key", {}, false);
  CHECK(l.status == 401);
  CHECK(S(l.json(), "detail") == "Not authenticated");
  auto ok = c.get("/auth/validate-key");
  CHECK(ok.status == 200);
  CHECK(ok.json().at("valid").as_bool());
}

TEST_CASE("routing: unknown paths, wrong methods, legacy only under v1") {
  ct::simulator sim(fast_params());
  client c(sim.base_url(""), sim.default_api_key());
  CHECK(c.get("/api/v1/public/nope").status == 404);
  CHECK(c.get("/elsewhere").status == 404);
  CHECK(c.request("DELETE", "/api/v1/public/whoami", {}).status == 405);
  CHECK(c.get("/api/v2/auth/validate-key").status == 404);
  CHECK(c.get("/api/v2/enrich/status?workflow_id=x").status == 404);
  CHECK(c.get("/api/v1/public/auth/validate-key").status == 200);
}

TEST_CASE("admin endpoint is off by default, on when enabled") {
  {
    ct::simulator sim(fast_params());
    client c(sim.base_url(""), sim.default_api_key());
    CHECK(c.get("/__admin/stats").status == 404);
    CHECK(c.get("/__admin/ledger").status == 404);
  }
  auto p = fast_params();
  p.admin_endpoint = true;
  ct::simulator sim(p);
  client c(sim.base_url(""), sim.default_api_key());
  c.get("/api/v1/public/whoami");
  auto r = c.get("/__admin/stats");
  REQUIRE(r.status == 200);
  CHECK(I(r.json(), "requests") == 1);
  auto l = c.get("/__admin/ledger");
  REQUIRE(l.status == 200);
  CHECK(l.json().as_object().contains("orgs"));
  CHECK(c.get("/__admin/enrich-posts?identity=a%40b.c").status == 200);
  auto f = c.request("POST", "/__admin/faults", R"({"p_500": 1.0, "only_path": "/whoami"})");
  CHECK(f.status == 200);
  CHECK(c.get("/api/v1/public/whoami").status == 500);
  CHECK(c.get("/api/v1/public/credits/balance").status == 200);
  auto coh = c.request("POST", "/__admin/cohort", R"({"kind":"company","n":3})");
  REQUIRE(coh.status == 200);
  CHECK(S(coh.json(), "task_id").starts_with("cl-task_"));
}

TEST_CASE("HTTPS with the generated CA and host name verification") {
  auto p = fast_params();
  p.tls = true;
  ct::simulator sim(p);
  REQUIRE(sim.base_url().starts_with("https://127.0.0.1:"));
  REQUIRE(sim.ca_pem().find("BEGIN CERTIFICATE") != std::string::npos);
  {
    client c(sim.base_url(), sim.default_api_key(), {.ca_pem = sim.ca_pem()});
    auto r = c.get("/whoami");
    CHECK(r.status == 200);
    CHECK(c.get("/credits/balance").status == 200);
    CHECK(c.connects() == 1);
  }
  {
    client c(sim.base_url(), sim.default_api_key(), {.ca_pem = sim.ca_pem(), .verify_host = "localhost"});
    CHECK(c.get("/whoami").status == 200);
  }
  {
    client c(sim.base_url(), sim.default_api_key(), {.ca_pem = sim.ca_pem(), .verify_host = "api.cleanlist.ai"});
    auto r = c.get("/whoami");
    CHECK(r.status == 0);
    CHECK(r.ec);
  }
  {
    client c(sim.base_url(), sim.default_api_key()); // CA not trusted
    auto r = c.get("/whoami");
    CHECK(r.status == 0);
    CHECK(r.ec);
  }
  // plain HTTP to the TLS port does not get an answer
  std::string plain = sim.base_url();
  plain.replace(0, 5, "http");
  client pc(plain, sim.default_api_key(), {.timeout = 1000ms});
  CHECK(pc.get("/whoami").status == 0);
  // a second simulator has a different CA
  ct::simulator other(p);
  CHECK(other.ca_pem() != sim.ca_pem());
}

TEST_CASE("many concurrent keep-alive connections") {
  auto p = fast_params();
  p.threads = 2;
  ct::simulator sim(p);
  std::atomic<int> ok{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 16; ++t)
    ts.emplace_back([&] {
      std::vector<std::unique_ptr<client>> cs;
      for (int i = 0; i < 8; ++i) cs.push_back(std::make_unique<client>(sim.base_url(), sim.default_api_key()));
      for (int round = 0; round < 10; ++round)
        for (auto& c : cs)
          if (c->get("/credits/balance").status == 200) ++ok;
    });
  for (auto& t : ts) t.join();
  CHECK(ok == 16 * 8 * 10);
}

TEST_CASE("runs on the caller's io_context and stops cleanly") {
  boost::asio::io_context ioc;
  auto sim = std::make_unique<ct::simulator>(ioc.get_executor(), fast_params());
  std::thread t([&] { ioc.run(); });
  {
    client c(sim->base_url(), sim->default_api_key());
    CHECK(c.get("/whoami").status == 200);
    CHECK(c.get("/whoami").status == 200);
  }
  client idle(sim->base_url(), sim->default_api_key());
  CHECK(idle.get("/whoami").status == 200); // leaves an idle keep-alive connection open
  sim->stop();
  t.join(); // the io_context runs out of work once the simulator has stopped
  sim.reset();
}

TEST_CASE("stop with open and stalled connections") {
  auto p = fast_params();
  p.faults.p_stall = 1.0;
  auto sim = std::make_unique<ct::simulator>(p);
  client c(sim->base_url(), sim->default_api_key(), {.timeout = 300ms});
  auto r = c.get("/whoami");
  CHECK(r.timed_out);
  sim.reset(); // must not hang
}

TEST_CASE("oversized and malformed requests never crash the server") {
  ct::simulator sim(fast_params());
  client c(sim.base_url(), sim.default_api_key());
  std::string big(1100 * 1024, 'x');
  auto r = c.request("POST", "/lead-lists", "{\"name\":\"" + big + "\"}");
  CHECK(r.status == 413);
  CHECK(r.code() == "payload_too_large");
  auto bad = c.request("POST", "/lead-lists", "{not json");
  CHECK(bad.status == 422);
  CHECK(bad.json().at("detail").as_array()[0].at("type").as_string() == "json_invalid");
  auto deep = c.request("POST", "/lead-lists", std::string(100, '[') + std::string(100, ']'));
  CHECK(deep.status == 422);
  CHECK(c.get("/whoami").status == 200);
}

TEST_CASE("garbage bodies on every writing route never crash the server") {
  ct::simulator sim(fast_params());
  client c(sim.base_url(), sim.default_api_key());
  auto list = make_list(c, "garbage", 2);
  const std::pair<const char*, std::string> routes[] = {
      {"POST", "/credits/estimate"}, {"POST", "/lead-lists"}, {"PATCH", "/lead-lists/" + list},
      {"POST", "/lead-lists/" + list + "/leads"}, {"DELETE", "/lead-lists/" + list + "/leads"},
      {"POST", "/lead-lists/" + list + "/csv-import"}, {"POST", "/enrichment/person"}, {"POST", "/enrichment/company"},
      {"POST", "/enrichment/by-task"}, {"POST", "/enrichment/bulk"}, {"POST", "/smart-agents/run"},
      {"POST", "/export/csv/signed-url"}, {"POST", "/enrich/bulk"}};
  const char* bodies[] = {"", "null", "[]", "\"s\"", "1", "true", "{}", "{\"a\":{}}", "{\"name\":[]}",
                          "{\"tool\":[],\"list_id\":{}}", "{\"lead_ids\":[1,2]}", "{\"task_id\":5}",
                          "{\"csv_content_base64\":5,\"column_mapping\":[]}", "{\"email\":1e400}",
                          "{\"contacts\":[null,1,\"x\",{}]}", "{\"contacts\":{}}", "{\"list_id\":\"" "\xff\xfe" "\"}",
                          "{\"data_points\":[],\"task_id\":\"\"}", "{\"max_rows\":1e30,\"list_id\":\"x\"}",
                          "{\"scope\":\"partial\",\"quote_id\":\"\",\"list_id\":\"\"}", "\x01\x02", "{\"a\":1}{\"b\":2}"};
  for (auto& [m, path] : routes)
    for (auto* b : bodies) {
      CAPTURE(path);
      std::string body = b;
      CAPTURE(body);
      auto r = c.request(m, path, body);
      CHECK(r.status >= 400);
      CHECK(r.status < 500);
    }
  CHECK(c.get("/whoami").status == 200);
}
