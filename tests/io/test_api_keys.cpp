// Clerk JWT authentication and the API-key management operations (/api/v1/api-keys, reference
// §13) against the simulator over real sockets: create, use, list, revoke; shape validation of
// the JWT before sending; a clapi_ key refused by the server; retry rules of the POST and DELETE.
#include "test_support.hpp"

#include <boost/asio/as_tuple.hpp>

#include <doctest/doctest.h>

#include <algorithm>

using namespace cltest;
namespace cl = cleanlist;

namespace {

/// A client authenticated with the simulator's default Clerk JWT (no API key).
cl::client_params jwt_client_for(const cleanlist::testing::simulator& sim, std::string_view prefix = "/api/v1/public") {
  auto p = client_for(sim, prefix);
  p.api_key.clear();
  p.bearer_jwt = sim.default_jwt();
  return p;
}

const cl::api_key_info* find_key(const cl::api_keys_response& r, const std::string& key_id) {
  auto it = std::find_if(r.keys.begin(), r.keys.end(), [&](const cl::api_key_info& k) { return k.key_id == key_id; });
  return it == r.keys.end() ? nullptr : &*it;
}

struct lifecycle {
  std::string jwt_auth_type;
  cl::create_api_key_response created;
  std::string new_key_auth_type;
  bool listed_active = false;
  std::string listed_last4;
  cl::revoke_api_key_response revoked;
  bool listed_inactive_after = false;
  cl::error_code revoked_key_ec;
  int revoked_key_status = 0;
  cl::error_code revoke_again_ec;
};

// Named coroutine (not a lambda): g++ 12 miscompiles capturing coroutine lambdas.
asio::awaitable<lifecycle> key_lifecycle(cl::client& admin, cl::client_params key_params) {
  lifecycle out;
  auto who = co_await admin.async_whoami();
  out.jwt_auth_type = who.auth_type;

  cl::create_api_key_request cr;
  cr.name = std::string("integration key");
  cr.expires_at = std::string("2099-01-31T12:00:00Z");
  out.created = co_await admin.async_create_api_key(cr);

  // The new key works at once in a second client.
  key_params.api_key = out.created.api_key;
  key_params.bearer_jwt.clear();
  auto ex = co_await asio::this_coro::executor;
  cl::client user(ex, key_params);
  auto who2 = co_await user.async_whoami();
  out.new_key_auth_type = who2.auth_type;

  const std::string key_id = out.created.key_id.value_or(std::string());
  auto listed = co_await admin.async_list_account_api_keys();
  if (auto* k = find_key(listed, key_id)) {
    out.listed_active = k->is_active;
    out.listed_last4 = k->key_last4;
  }

  out.revoked = co_await admin.async_revoke_api_key(key_id);
  auto after = co_await admin.async_list_account_api_keys();
  if (auto* k = find_key(after, key_id)) out.listed_inactive_after = !k->is_active;

  cl::diagnostics d;
  auto [ec, bal] = co_await user.async_credits_balance(d, asio::as_tuple(asio::use_awaitable));
  out.revoked_key_ec = ec;
  out.revoked_key_status = d.http_status;

  auto [ec2, again] = co_await admin.async_revoke_api_key(key_id, d, asio::as_tuple(asio::use_awaitable));
  out.revoke_again_ec = ec2;
  co_return out;
}

} // namespace

TEST_CASE("a Clerk JWT client creates a key, the key works, is listed, revoked, then refused") {
  for (std::string prefix : {"/api/v1/public", "/api/v2"}) {
    CAPTURE(prefix);
    cleanlist::testing::simulator sim(fast_sim());
    REQUIRE_FALSE(sim.default_jwt().empty());
    asio::io_context ioc;
    cl::client admin(ioc.get_executor(), jwt_client_for(sim, prefix));
    auto r = run(ioc, key_lifecycle(admin, client_for(sim, prefix)));

    CHECK(r.jwt_auth_type == "clerk_jwt");
    CHECK(r.created.api_key.starts_with("clapi_"));
    CHECK(r.created.api_key.size() == 6 + 64);
    REQUIRE(r.created.key_id.has_value());
    CHECK(r.created.name == "integration key");
    REQUIRE(r.created.expires_at.has_value());
    CHECK(r.created.expires_at->starts_with("2099-01-31T12:00:00"));
    CHECK(r.created.created_at.has_value());

    CHECK(r.new_key_auth_type == "api_key");
    CHECK(r.listed_active);
    CHECK(r.listed_last4 == r.created.api_key.substr(r.created.api_key.size() - 4));

    CHECK(r.revoked.revoked);
    CHECK(r.revoked.key_id == r.created.key_id);
    CHECK(r.listed_inactive_after);
    CHECK(r.revoked_key_ec == cl::error::unauthenticated);
    CHECK(r.revoked_key_status == 401);
    CHECK(r.revoke_again_ec == cl::error::not_found);  // already revoked
  }
}

TEST_CASE("credentials are checked before anything is sent") {
  cleanlist::testing::simulator sim(fast_sim());
  asio::io_context ioc;
  const std::string jwt = sim.default_jwt();
  struct bad_case {
    std::string api_key, bearer_jwt, expect;
  };
  const std::vector<bad_case> cases{
      {"", "", "no credentials"},
      {sim.default_api_key(), jwt, "exactly one"},
      {"", "only.two", "not a JWT"},
      {"", "a..c", "not a JWT"},
      {"", ".b.c", "not a JWT"},
      {"", "a.b.", "not a JWT"},
      {"", "a.b.c.d", "not a JWT"},
      {"", "a+b.c/d.e=", "not a JWT"},
      {"", jwt + "\r\nX-Injected: 1", "control"},
      {"", jwt + "\n", "control"},
      {"", " " + jwt, "control"},
      {"", std::string(3000, 'a') + "." + std::string(3000, 'b') + "." + std::string(3000, 'c'), "8192"},
      {"", sim.default_api_key(), "api_key instead"},
      {jwt, "", "bearer_jwt"},  // a JWT in api_key: refused with a hint
  };
  for (const auto& bc : cases) {
    CAPTURE(bc.expect);
    auto p = client_for(sim);
    p.api_key = bc.api_key;
    p.bearer_jwt = bc.bearer_jwt;
    cl::client c(ioc.get_executor(), p);
    auto o = run_callback<cl::whoami_response>(ioc, [&](cl::diagnostics& d, auto h) { c.async_whoami(d, std::move(h)); });
    CHECK(o.ec == cl::error::invalid_api_key);
    CHECK(o.diag.problem.find(bc.expect) != std::string::npos);
    // The message says what is wrong, never quotes the secret.
    if (!bc.bearer_jwt.empty()) CHECK(o.diag.problem.find(bc.bearer_jwt.substr(0, 20)) == std::string::npos);
    if (!bc.api_key.empty()) CHECK(o.diag.problem.find(bc.api_key.substr(0, 20)) == std::string::npos);
    auto o2 = run_callback<cl::create_api_key_response>(
        ioc, [&](cl::diagnostics& d, auto h) { c.async_create_api_key(cl::create_api_key_request{}, d, std::move(h)); });
    CHECK(o2.ec == cl::error::invalid_api_key);
    CHECK(c.stats().requests == 0);
  }
  CHECK(sim.stats().requests == 0);  // nothing reached the server

  // Control: the well-formed JWT is accepted and sent.
  cl::client ok(ioc.get_executor(), jwt_client_for(sim));
  auto o = run_callback<cl::whoami_response>(ioc, [&](cl::diagnostics& d, auto h) { ok.async_whoami(d, std::move(h)); });
  CHECK_FALSE(o.ec);
  CHECK(sim.stats().requests == 1);
}

TEST_CASE("the key-management operations with a clapi_ key: sent, and the server's 401 reported") {
  cleanlist::testing::simulator sim(fast_sim());
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), client_for(sim));
  auto create = run_callback<cl::create_api_key_response>(
      ioc, [&](cl::diagnostics& d, auto h) { c.async_create_api_key(cl::create_api_key_request{}, d, std::move(h)); });
  CHECK(create.ec == cl::error::unauthenticated);
  CHECK(create.diag.http_status == 401);
  CHECK(create.diag.problem.find("API keys cannot manage API keys") != std::string::npos);
  auto list = run_callback<cl::api_keys_response>(ioc, [&](cl::diagnostics& d, auto h) { c.async_list_account_api_keys(d, std::move(h)); });
  CHECK(list.ec == cl::error::unauthenticated);
  auto revoke = run_callback<cl::revoke_api_key_response>(ioc, [&](cl::diagnostics& d, auto h) { c.async_revoke_api_key("ak_00000000", d, std::move(h)); });
  CHECK(revoke.ec == cl::error::unauthenticated);
  CHECK(c.stats().requests == 3);  // each sent once: a 401 is not retried
  CHECK(c.stats().retries == 0);
  // The key itself still works where it belongs.
  auto who = run_callback<cl::whoami_response>(ioc, [&](cl::diagnostics& d, auto h) { c.async_whoami(d, std::move(h)); });
  CHECK_FALSE(who.ec);
}

TEST_CASE("key management: invalid arguments are refused before sending; server refusals are typed") {
  cleanlist::testing::simulator sim(fast_sim());
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), jwt_client_for(sim));

  cl::create_api_key_request bad_date;
  bad_date.expires_at = std::string("next week");
  auto o = run_callback<cl::create_api_key_response>(ioc, [&](cl::diagnostics& d, auto h) { c.async_create_api_key(bad_date, d, std::move(h)); });
  CHECK(o.ec == cl::error::invalid_argument);
  CHECK(o.diag.problem.find("create_api_key_request.expires_at") != std::string::npos);
  auto o2 = run_callback<cl::revoke_api_key_response>(ioc, [&](cl::diagnostics& d, auto h) { c.async_revoke_api_key("../lead-lists", d, std::move(h)); });
  CHECK(o2.ec == cl::error::invalid_argument);
  CHECK(sim.stats().requests == 0);

  // A date in the past: well-formed, refused by the server (400 validation_error).
  cl::create_api_key_request past;
  past.expires_at = std::string("2001-01-01");
  auto o3 = run_callback<cl::create_api_key_response>(ioc, [&](cl::diagnostics& d, auto h) { c.async_create_api_key(past, d, std::move(h)); });
  CHECK(o3.ec == cl::error::validation_failed);
  CHECK(o3.diag.http_status == 400);
  CHECK(o3.diag.code == "validation_error");
  // Unknown key id: 404.
  auto o4 = run_callback<cl::revoke_api_key_response>(ioc, [&](cl::diagnostics& d, auto h) { c.async_revoke_api_key("ak_ffffffff", d, std::move(h)); });
  CHECK(o4.ec == cl::error::not_found);

  // At most 10 active keys per organisation: the 11th is refused (403 api_key_limit_reached).
  callback_outcome last;
  int created = 0;
  for (int i = 0; i < 12; ++i) {
    last = run_callback<cl::create_api_key_response>(
        ioc, [&](cl::diagnostics& d, auto h) { c.async_create_api_key(cl::create_api_key_request{}, d, std::move(h)); });
    if (last.ec) break;
    ++created;
  }
  CHECK(created >= 1);
  CHECK(created < 12);
  CHECK(last.ec == cl::error::forbidden);
  CHECK(last.diag.http_status == 403);
  CHECK(last.diag.code == "api_key_limit_reached");
  CHECK(c.stats().retries == 0);
}

TEST_CASE("key management retries: a created key's lost answer is outcome_unknown, a revocation is retried") {
  auto sp = fast_sim(false);
  sp.faults.only_path = "/api/v1/api-keys";
  cleanlist::testing::simulator sim(sp);
  asio::io_context ioc;
  cl::client c(ioc.get_executor(), jwt_client_for(sim));

  // The POST is processed (a key is created), then the connection closes without an answer.
  auto f = sp.faults;
  f.p_reset_after = 1.0;
  sim.set_faults(f);
  cl::create_api_key_request cr;
  cr.name = std::string("lost answer");
  auto o = run_callback<cl::create_api_key_response>(ioc, [&](cl::diagnostics& d, auto h) { c.async_create_api_key(cr, d, std::move(h)); });
  CHECK(o.ec == cl::error::outcome_unknown);
  CHECK(c.stats().requests == 1);  // never sent again: a second POST would be a second key
  CHECK(c.stats().outcome_unknown == 1);
  sim.set_faults({});
  cl::api_keys_response listed;
  bool done = false;
  c.async_list_account_api_keys([&](cl::error_code ec, cl::api_keys_response r) {
    CHECK_FALSE(ec);
    listed = std::move(r);
    done = true;
  });
  ioc.restart();
  for (int i = 0; i < 1200 && !done; ++i) ioc.run_for(50ms);
  REQUIRE(done);
  CHECK(std::count_if(listed.keys.begin(), listed.keys.end(),
                      [](const cl::api_key_info& k) { return k.name == "lost answer" && k.is_active; }) == 1);

  // A 503 (not processed) on the DELETE: retried, the key revoked.
  std::string key_id;
  for (auto& k : listed.keys)
    if (k.name == "lost answer") key_id = k.key_id;
  REQUIRE_FALSE(key_id.empty());
  f = sp.faults;
  f.p_503 = 1.0;
  sim.set_faults(f);
  // A second client whose logger clears the faults when the retry is announced, just before
  // it is sent: the first attempt gets the 503, the retry goes through.
  cl::client_params p = jwt_client_for(sim);
  p.logger = [&sim](cl::log_level, std::string_view msg) {
    if (msg.starts_with("retrying DELETE")) sim.set_faults({});
  };
  cl::client c2(ioc.get_executor(), p);
  cl::revoke_api_key_response revoked;
  auto o2 = run_callback<cl::revoke_api_key_response>(ioc, [&](cl::diagnostics& d, auto h) {
    c2.async_revoke_api_key(key_id, d, [&revoked, h = std::move(h)](cl::error_code ec, cl::revoke_api_key_response r) mutable {
      revoked = r;
      h(ec, std::move(r));
    });
  });
  CHECK_FALSE(o2.ec);
  CHECK(revoked.revoked);
  CHECK(c2.stats().requests == 2);
  CHECK(c2.stats().retries == 1);
}
