// diagnostics as data: credit fields, suggested_actions, details, 422 field_errors parsed by
// protocol::classify from the three error shapes; bounds, wrong types, secret redaction.
#include "protocol/response.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace cl = cleanlist;
using namespace cleanlist::protocol;
using strings = std::vector<std::string>;

namespace {

cl::diagnostics diag(int status, const std::string& body, std::string_view secret = {}) {
  return classify({status, "", "", body}, secret).diag;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

// Every string a diagnostics holds, the new fields included.
strings all_strings(const cl::diagnostics& d) {
  strings all{d.code, d.problem, d.cause, d.fix, d.docs_url, d.request_id, d.body_excerpt, d.to_string()};
  for (const auto& a : d.suggested_actions) all.push_back(a);
  for (const auto& [k, v] : d.details) {
    all.push_back(k);
    all.push_back(v);
  }
  for (const auto& fe : d.field_errors) {
    all.push_back(fe.type);
    all.push_back(fe.msg);
    for (const auto& l : fe.loc) all.push_back(l);
  }
  return all;
}

} // namespace

TEST_CASE("diagnostics: default construction and clear() leave the new fields empty") {
  cl::diagnostics d;
  CHECK_FALSE(d.estimated_cost_credits);
  CHECK_FALSE(d.available_credits);
  CHECK_FALSE(d.shortfall_credits);
  CHECK(d.suggested_actions.empty());
  CHECK(d.details.empty());
  CHECK(d.field_errors.empty());
  CHECK(d.detail("x") == nullptr);
  d.available_credits = 3;
  d.suggested_actions.push_back("a");
  d.details.emplace_back("k", "1");
  d.field_errors.push_back({{"body"}, "missing", "Field required"});
  d.clear();
  CHECK_FALSE(d.available_credits);
  CHECK(d.suggested_actions.empty());
  CHECK(d.details.empty());
  CHECK(d.field_errors.empty());
}

TEST_CASE("envelope: the credit fields of insufficient_credits (reference §4.1)") {
  auto r = classify({400, "", "",
                     R"({"error":{"code":"insufficient_credits",
                        "problem":"This enrich_list call requires 110 credits; organization has 40.","cause":null,
                        "fix":"Top up at app.cleanlist.ai/billing, or reduce the scope of the call.","retryable":false,
                        "retry_after_ms":null,"docs_url":"https://docs.cleanlist.ai/errors/insufficient-credits",
                        "request_id":"req_4f1c2a9b3d6e7f80","estimated_cost_credits":110,"available_credits":40,
                        "shortfall_credits":70}})"});
  CHECK(r.ec == cl::error::insufficient_credits);
  const auto& d = r.diag;
  CHECK(d.estimated_cost_credits == std::optional<std::int64_t>(110));
  CHECK(d.available_credits == std::optional<std::int64_t>(40));
  CHECK(d.shortfall_credits == std::optional<std::int64_t>(70));
  CHECK(d.details.empty());  // every member has a typed field; nulls are not kept
  CHECK(d.suggested_actions.empty());
  CHECK(d.field_errors.empty());
  CHECK(d.to_string() == "HTTP 400 insufficient_credits: This enrich_list call requires 110 credits; organization has 40."
                         " [credits: estimated 110, available 40, shortfall 70] (request_id=req_4f1c2a9b3d6e7f80)");
}

TEST_CASE("envelope: spend_cap_exceeded keeps the estimate typed and the undocumented cap in details") {
  auto d = diag(400, R"({"error":{"code":"spend_cap_exceeded","problem":"p","retryable":false,
                         "estimated_cost_credits":130.0,"quote_cap_credits":110}})");
  CHECK(d.estimated_cost_credits == std::optional<std::int64_t>(130));  // an integral double is accepted
  CHECK_FALSE(d.available_credits);
  REQUIRE(d.details.size() == 1);
  CHECK(d.details[0].first == "quote_cap_credits");
  CHECK(d.details[0].second == "110");
  CHECK(d.detail_int("quote_cap_credits") == std::optional<std::int64_t>(110));
  CHECK(d.to_string() == "HTTP 400 spend_cap_exceeded: p [credits: estimated 130]");
}

TEST_CASE("envelope: credit fields of a wrong type are ignored") {
  for (const char* v : {"110.5", "\"110\"", "true", "null", "[110]", "{\"v\":110}", "1e30", "-1e300",
                        "9223372036854775808", "18446744073709551615"}) {
    auto d = diag(400, std::string(R"({"error":{"code":"insufficient_credits","problem":"p","estimated_cost_credits":)") + v +
                           R"(,"available_credits":)" + v + R"(,"shortfall_credits":)" + v + "}}");
    CHECK_MESSAGE(!d.estimated_cost_credits, v);
    CHECK_MESSAGE(!d.available_credits, v);
    CHECK_MESSAGE(!d.shortfall_credits, v);
  }
  auto d = diag(400, R"({"error":{"code":"insufficient_credits","problem":"p","estimated_cost_credits":1e2,
                        "available_credits":-3,"shortfall_credits":9223372036854775807}})");
  CHECK(d.estimated_cost_credits == std::optional<std::int64_t>(100));
  CHECK(d.available_credits == std::optional<std::int64_t>(-3));
  CHECK(d.shortfall_credits == std::optional<std::int64_t>(INT64_MAX));
}

TEST_CASE("envelope: details of insufficient_scope and missing_column") {
  auto scope = diag(403, R"({"error":{"code":"insufficient_scope",
      "problem":"This call requires the 'enrich:write' scope, which is not granted to the authenticating credential.",
      "fix":"Re-issue the API key with the required scope, ...","retryable":false,
      "details":{"required_scope":"enrich:write","granted_scopes":["lists:read", "credits:read"]}}})");
  REQUIRE(scope.details.size() == 2);
  CHECK(scope.details[0] == std::pair<std::string, std::string>("required_scope", "\"enrich:write\""));
  CHECK(scope.details[1] == std::pair<std::string, std::string>("granted_scopes", R"(["lists:read","credits:read"])"));
  CHECK(scope.detail_string("required_scope") == std::optional<std::string>("enrich:write"));
  CHECK_FALSE(scope.detail_string("granted_scopes"));  // not a string
  CHECK_FALSE(scope.detail_int("required_scope"));
  CHECK_FALSE(scope.detail("nope"));

  auto col = diag(400, R"({"error":{"code":"missing_column",
      "problem":"column_mapping names the header 'E-mail \"work\"', which is not in the CSV.","retryable":false,
      "details":{"column":"E-mail \"work\"","field":"email"}}})");
  CHECK(col.code == "missing_column");
  CHECK(col.detail_string("column") == std::optional<std::string>("E-mail \"work\""));
  CHECK(*col.detail("column") == R"("E-mail \"work\"")");
  CHECK(col.detail_string("field") == std::optional<std::string>("email"));
}

TEST_CASE("envelope: undocumented members of a 429 land in details, after the details object") {
  auto d = diag(429, R"({"error":{"code":"rate_limited","problem":"Rate limit exceeded for this API key.",
      "retryable":true,"retry_after_ms":1500,"docs_url":"https://docs.cleanlist.ai/errors/rate-limited",
      "request_id":"req_1","limit_scope":"api_key","limit":30,"window_ms":60000,"extra_null":null,
      "details":{"limit":31,"hint":{"a":[1,2.5,true,null]}}}})");
  CHECK(d.retry_after == std::optional(std::chrono::milliseconds(1500)));
  strings keys;
  for (const auto& kv : d.details) keys.push_back(kv.first);
  CHECK(keys == strings{"limit", "hint", "limit_scope", "window_ms"});  // `limit` of details wins
  CHECK(d.detail_int("limit") == std::optional<std::int64_t>(31));
  CHECK(*d.detail("hint") == R"({"a":[1,2.5E0,true,null]})");
  CHECK(d.detail_string("limit_scope") == std::optional<std::string>("api_key"));
  CHECK(d.detail_int("window_ms") == std::optional<std::int64_t>(60000));
  CHECK_FALSE(d.detail("retry_after_ms"));  // typed members never go to details
  CHECK_FALSE(d.detail("extra_null"));
}

TEST_CASE("envelope: details that is not an object, suggested_actions of mixed types") {
  auto s = diag(400, R"({"error":{"code":"x","problem":"p","details":"free text",
                         "suggested_actions":["top_up", 5, {"a":1}, null, "reduce_scope"]}})");
  REQUIRE(s.details.size() == 1);
  CHECK(s.detail_string("details") == std::optional<std::string>("free text"));
  CHECK(s.suggested_actions == strings{"top_up", "reduce_scope"});

  auto a = diag(400, R"({"error":{"code":"x","problem":"p","details":[1,"two"],"suggested_actions":"top_up"}})");
  CHECK(*a.detail("details") == R"([1,"two"])");
  CHECK(a.suggested_actions.empty());  // not an array: ignored

  auto n = diag(400, R"({"error":{"code":"x","problem":"p","details":null,"suggested_actions":null}})");
  CHECK(n.details.empty());
  CHECK(n.suggested_actions.empty());
}

TEST_CASE("FastAPI 422: detail[] as field_errors, loc items of several shapes") {
  auto r = classify({422, "", "", R"({"detail":[
      {"type":"missing","loc":["body","contacts",0,"email"],"msg":"Field required","input":{}},
      {"type":"value_error","loc":["body","contacts",12],
       "msg":"Each contact must include linkedin_url OR first_name + last_name + (company_domain or company_name).",
       "input":{"first_name":"John"},"ctx":{"error":{}}},
      {"type":"int_parsing","loc":["query","limit"],"msg":"Input should be a valid integer"},
      {"type":"string_type","loc":["path","list_id"],"msg":"Input should be a valid string"},
      {"type":"x","loc":[null,1.5,true,{"a":1},["b"],"kept",-1,18446744073709551615],"msg":7},
      {"loc":"not-a-list","type":["no"],"msg":"only msg"},
      42, "text", {}, {"unrelated":1}
    ]})"});
  CHECK(r.ec == cl::error::validation_failed);
  const auto& d = r.diag;
  CHECK(d.code == "validation_error");
  CHECK(d.problem.rfind("body.contacts.0.email: Field required; body.contacts.12: Each contact", 0) == 0);
  REQUIRE(d.field_errors.size() == 6);
  CHECK(d.field_errors[0].loc == strings{"body", "contacts", "0", "email"});
  CHECK(d.field_errors[0].type == "missing");
  CHECK(d.field_errors[0].msg == "Field required");
  CHECK(d.field_errors[1].loc == strings{"body", "contacts", "12"});
  CHECK(d.field_errors[1].type == "value_error");
  CHECK(d.field_errors[2].loc == strings{"query", "limit"});
  CHECK(d.field_errors[3].loc == strings{"path", "list_id"});
  CHECK(d.field_errors[4].loc == strings{"kept", "-1", "18446744073709551615"});  // other types left out
  CHECK(d.field_errors[4].msg.empty());  // wrong type
  CHECK(d.field_errors[5].loc.empty());
  CHECK(d.field_errors[5].type.empty());
  CHECK(d.field_errors[5].msg == "only msg");
  CHECK(d.details.empty());
  CHECK_FALSE(d.estimated_cost_credits);
}

TEST_CASE("legacy detail string: no structured fields") {
  auto d = diag(402, R"({"detail":"Insufficient credits","estimated_cost_credits":5})");
  CHECK(d.problem == "Insufficient credits");
  CHECK_FALSE(d.estimated_cost_credits);  // only the envelope carries them
  CHECK(d.details.empty());
  CHECK(d.field_errors.empty());
  CHECK(d.to_string() == "HTTP 402: Insufficient credits");
}

TEST_CASE("bounds: huge arrays, long strings, many members") {
  namespace json = boost::json;
  json::array actions;
  for (int i = 0; i < 1000; ++i) actions.emplace_back("action_" + std::to_string(i));
  actions.emplace(actions.begin(), std::string(10000, 'a'));
  json::object details;
  for (int i = 0; i < 200; ++i) details["k" + std::to_string(i)] = i;
  json::object err{{"code", "x"}, {"problem", "p"}, {"suggested_actions", actions}, {"details", details}};
  for (int i = 0; i < 100; ++i) err["extra" + std::to_string(i)] = i;
  auto d = diag(400, json::serialize(json::object{{"error", err}}));
  CHECK(d.suggested_actions.size() == cl::diagnostics::max_suggested_actions);
  CHECK(d.suggested_actions[0] == std::string(cl::diagnostics::max_item_text, 'a'));
  CHECK(d.suggested_actions[1] == "action_0");
  CHECK(d.details.size() == cl::diagnostics::max_details);
  CHECK(d.details.back().first == "k31");

  // Long key, long string value (shortened, still valid JSON), huge array value (left out),
  // a string full of control characters (escaped: six times longer, shortened again),
  // multi-byte characters (never split).
  json::array big;
  for (int i = 0; i < 100000; ++i) big.emplace_back(i);
  std::string eacute;
  for (int i = 0; i < 2000; ++i) eacute += "\xc3\xa9";
  json::object det{{std::string(300, 'K'), "v"}, {"long", std::string(100000, 's')}, {"big", big},
                   {"ctl", std::string(3000, '\x01')}, {"utf8", eacute}};
  auto b = diag(400, json::serialize(json::object{{"error", json::object{{"code", "x"}, {"problem", "p"}, {"details", det}}}}));
  REQUIRE(b.details.size() == 4);
  CHECK(b.details[0].first == std::string(cl::diagnostics::max_detail_key, 'K'));
  CHECK_FALSE(b.detail("big"));
  for (const auto& [k, v] : b.details) {
    CHECK(v.size() <= cl::diagnostics::max_detail_value);
    CHECK(valid_utf8(v));
    CHECK(json::parse(v).is_string());
  }
  CHECK(b.detail_string("long")->size() == cl::diagnostics::max_detail_value - 2);
  CHECK_FALSE(b.detail_string("ctl")->empty());
  CHECK(b.detail_string("utf8")->size() % 2 == 0);

  // 422: at most max_field_errors entries, max_loc_parts loc items, bounded strings; the
  // problem summary stays short.
  json::array items;
  json::array long_loc;
  for (int i = 0; i < 100; ++i) long_loc.emplace_back(i);
  items.emplace_back(json::object{{"loc", long_loc}, {"type", std::string(5000, 't')}, {"msg", std::string(5000, 'm')}});
  for (int i = 0; i < 5000; ++i)
    items.emplace_back(json::object{{"loc", json::array{"body", i}}, {"type", "missing"}, {"msg", "Field required"}});
  auto v = diag(422, json::serialize(json::object{{"detail", items}}));
  CHECK(v.field_errors.size() == cl::diagnostics::max_field_errors);
  CHECK(v.field_errors[0].loc.size() == cl::diagnostics::max_loc_parts);
  CHECK(v.field_errors[0].type.size() == cl::diagnostics::max_item_text);
  CHECK(v.field_errors[0].msg.size() == cl::diagnostics::max_item_text);
  CHECK(v.field_errors.back().loc == strings{"body", "48"});
  CHECK(v.problem.size() < 12000);
}

TEST_CASE("deep or odd JSON is ignored gracefully") {
  std::string deep = "1";
  for (int i = 0; i < 60; ++i) deep = "[" + deep + "]";
  auto d = diag(400, R"({"error":{"code":"x","problem":"p","details":{"deep":)" + deep + R"(},"nested":)" + deep + "}}");
  CHECK(*d.detail("deep") == deep);
  CHECK(*d.detail("nested") == deep);
  std::string too_deep = "1";
  for (int i = 0; i < 200; ++i) too_deep = "[" + too_deep + "]";
  auto t = classify({400, "", "", R"({"error":{"code":"x","problem":"p","details":)" + too_deep + "}}"});
  CHECK(t.ec == cl::error::validation_failed);  // refused by the parser: nothing read, no throw
  CHECK(t.diag.details.empty());
  for (const char* body : {R"({"error":{"details":{"":1},"suggested_actions":[[]]}})", R"({"error":{"details":{}}})",
                           R"({"detail":[{"loc":[],"msg":"","type":""}]})", R"({"detail":[[{"loc":["a"]}]]})",
                           R"({"error":{"code":"x","estimated_cost_credits":-0.0}})"}) {
    auto r = classify({400, "", "", body});
    CHECK(r.ec);
    CHECK(r.diag.field_errors.empty());
  }
  CHECK(diag(400, R"({"error":{"details":{"":1}}})").details.size() == 1);
  CHECK(diag(400, R"({"error":{"estimated_cost_credits":-0.0}})").estimated_cost_credits == std::optional<std::int64_t>(0));
}

TEST_CASE("the API key is redacted from every new field") {
  const std::string key = "clapi_TEST_SECRET_0123456789abcdef";
  auto d = diag(400,
                R"({"error":{"code":"x","problem":"p","suggested_actions":["use )" + key + R"(", ")" + std::string(505, 'x') + key + R"("],
      "details":{")" + key + R"(":1,"v":")" + key + R"(","n":{"k":[")" + key + R"("]},"long":")" + std::string(1015, 'y') + key +
                    R"("},")" + key + R"(_extra":"a","echo":")" + key + R"("}})",
                key);
  CHECK(d.suggested_actions.size() == 2);
  CHECK(d.suggested_actions[0] == "use [REDACTED]");
  CHECK(d.details.size() == 6);
  CHECK(d.detail_string("v") == std::optional<std::string>("[REDACTED]"));
  CHECK(*d.detail("n") == R"({"k":["[REDACTED]"]})");
  CHECK(d.detail("[REDACTED]"));
  CHECK(d.detail("[REDACTED]_extra"));

  auto v = diag(422, R"({"detail":[{"loc":["body",")" + key + R"(",0],"type":")" + key + R"(","msg":"bad key )" + key + R"("}]})",
                key);
  REQUIRE(v.field_errors.size() == 1);
  CHECK(v.field_errors[0].loc == strings{"body", "[REDACTED]", "0"});
  CHECK(v.field_errors[0].msg == "bad key [REDACTED]");

  // No prefix of the key survives a cut either (not even "clapi_").
  for (const auto& dd : {d, v})
    for (const auto& s : all_strings(dd)) CHECK_MESSAGE(s.find("clapi_") == std::string::npos, s);
}

TEST_CASE("the excerpt keeps no prefix of the key when an earlier occurrence shortens it") {
  // Redacting a cut copy shifted a second, partly copied occurrence under the limit.
  const std::string key = "clapi_TEST_SECRET_0123456789abcdef";
  std::string body = key + std::string(490, 'y') + key + "tail";
  auto r = classify({500, "", "req_" + key + std::string(100, 'r') + key, body}, key);
  CHECK(r.diag.body_excerpt.size() <= cl::diagnostics::max_excerpt);
  CHECK(r.diag.body_excerpt.rfind("[REDACTED]yyy", 0) == 0);
  CHECK(r.diag.body_excerpt.find("clapi") == std::string::npos);
  CHECK(r.diag.body_excerpt.find("cla") == std::string::npos);
  CHECK(r.diag.request_id.size() <= 128);
  CHECK(r.diag.request_id.find("cla") == std::string::npos);
}

TEST_CASE("mutated error bodies: classify never throws, new fields stay bounded and key-free") {
  // A small deterministic fuzz loop (the libFuzzer target covers the older fields).
  const std::string key = "clapi_TEST_SECRET_0123456789abcdef";
  const std::vector<std::string> seeds = {
      R"({"error":{"code":"insufficient_credits","problem":"p","estimated_cost_credits":110,"available_credits":40.0,"shortfall_credits":70,"suggested_actions":["a","b"],"details":{"column":"E-mail","n":[1,{"x":"y"}]},"limit_scope":"api_key"}})",
      R"({"detail":[{"type":"missing","loc":["body","contacts",0],"msg":"Field required"},{"loc":[1,"a"],"msg":"m","type":"t"}]})",
      R"({"detail":"Not authenticated"})",
  };
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const std::string alphabet = "{}[]\":,0123456789.-eE truefalsenull\\u00e9abc";
  for (int i = 0; i < 3000; ++i) {
    std::string body = seeds[next() % seeds.size()];
    for (int m = static_cast<int>(next() % 6); m >= 0; --m) {
      const std::size_t pos = next() % (body.size() + 1);
      switch (next() % 4) {
      case 0: body.insert(pos, 1, alphabet[next() % alphabet.size()]); break;
      case 1: if (pos < body.size()) body.erase(pos, 1); break;
      case 2: body.insert(pos, key); break;
      default: if (pos < body.size()) body.insert(pos, body.substr(pos, next() % 64)); break;
      }
    }
    cl::diagnostics d;
    CHECK_NOTHROW(d = classify({400, "", "", body}, key).diag);
    CHECK(d.suggested_actions.size() <= cl::diagnostics::max_suggested_actions);
    CHECK(d.details.size() <= cl::diagnostics::max_details);
    CHECK(d.field_errors.size() <= cl::diagnostics::max_field_errors);
    for (const auto& a : d.suggested_actions) CHECK(a.size() <= cl::diagnostics::max_item_text);
    for (const auto& [k, v] : d.details) {
      CHECK(k.size() <= cl::diagnostics::max_detail_key);
      CHECK(v.size() <= cl::diagnostics::max_detail_value);
    }
    for (const auto& fe : d.field_errors) {
      CHECK(fe.loc.size() <= cl::diagnostics::max_loc_parts);
      CHECK(fe.type.size() <= cl::diagnostics::max_item_text);
      CHECK(fe.msg.size() <= cl::diagnostics::max_item_text);
    }
    for (const auto& s : all_strings(d))
      if (s.find(key) != std::string::npos) FAIL_CHECK("key in diagnostics: " << s << " body: " << body);
  }
}
