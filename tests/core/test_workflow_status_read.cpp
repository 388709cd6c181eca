// The hot path's reader of GET /enrichment/status (models_detail::read_workflow_status): it
// must give exactly what the general reader gives (value_to of the parsed body), raw included,
// or decline and leave the body to it. Differential: hand-written bodies, the schema's
// example, and random mutations of them.
#include "models/workflow_status_read.hpp"
#include "protocol/response.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace json = boost::json;
using namespace cleanlist;

namespace {

const std::string completed_body =
    R"({"task_id":"cl-task_f19c4dd20ca6","timestamp_ms":1796048639393,"workflow_id":"enrich-5f844ebc-a43e-424f-b9e4-09526a192a1c",)"
    R"("status":"completed","progress":100,"total":1,"processed":1,"completed":1,"failed":0,"enrichment_type":"partial",)"
    R"("lead_list_id":"f82f78f5-696b-4c73-91bb-09fa3c342a85","summary":{"total":1,"successful":1,"failed":0,"emails_found":1,)"
    R"("phones_found":0},"refund_status":"not_applicable","refund_message":null,"credits_charged":1,"credits_refunded":0,)"
    R"("result":{"lead_id":"6f435c15-7119-4715-857f-ffc587d18b96","status":"completed","full_name":null,"first_name":null,)"
    R"("last_name":null,"email":"a@b.example","email_status":"valid","phone":null,"linkedin_url":null,"title":null,)"
    R"("company":null,"enrichment_type":"partial","provider":"cleanlist-sim"}})";

std::string schema_example() {
  std::ifstream in(CLEANLIST_SCHEMA_PATH);
  std::stringstream ss;
  ss << in.rdbuf();
  auto doc = json::parse(ss.str());
  return json::serialize(doc.at("components").at("schemas").at("WorkflowStatusResponse").at("example"));
}

// The general reader's verdict: the model, or nullopt when it reports an error.
std::optional<workflow_status_response> general(const std::string& body) {
  error_code ec;
  json::value v = protocol::parse_json(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  try {
    return json::value_to<workflow_status_response>(v);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void check_envelope(const envelope& a, const envelope& b) {
  CHECK(a.task_id == b.task_id);
  CHECK(a.timestamp_ms == b.timestamp_ms);
  CHECK(a.agent_instructions == b.agent_instructions);
  CHECK(a.usage == b.usage);
  CHECK(a.message == b.message);
  CHECK(a.raw == b.raw);
}

void check_same(const workflow_status_response& a, const workflow_status_response& b) {
  check_envelope(a, b);
  CHECK(a.workflow_id == b.workflow_id);
  CHECK(a.status == b.status);
  CHECK(a.progress == b.progress);
  CHECK(a.total == b.total);
  CHECK(a.processed == b.processed);
  CHECK(a.completed == b.completed);
  CHECK(a.failed == b.failed);
  CHECK(a.enrichment_type == b.enrichment_type);
  CHECK(a.lead_list_id == b.lead_list_id);
  CHECK(a.summary == b.summary);
  CHECK(a.refund_status == b.refund_status);
  CHECK(a.refund_message == b.refund_message);
  CHECK(a.credits_charged == b.credits_charged);
  CHECK(a.credits_refunded == b.credits_refunded);
  REQUIRE(a.result.has_value() == b.result.has_value());
  if (!a.result) return;
  const auto &x = *a.result, &y = *b.result;
  check_envelope(x, y);
  CHECK(x.lead_id == y.lead_id);
  CHECK(x.status == y.status);
  for (auto f : {&single_enrichment_result::full_name, &single_enrichment_result::first_name,
                 &single_enrichment_result::last_name, &single_enrichment_result::email,
                 &single_enrichment_result::email_status, &single_enrichment_result::phone,
                 &single_enrichment_result::linkedin_url, &single_enrichment_result::title,
                 &single_enrichment_result::company, &single_enrichment_result::enrichment_type,
                 &single_enrichment_result::provider})
    CHECK(x.*f == y.*f);
}

enum class expect { fast, declined, either };

// Returns whether the fast reader took the body.
bool differential(const std::string& body, expect e = expect::either) {
  auto ref = general(body);
  std::string copy = body;
  workflow_status_response fast;
  const bool took = models_detail::read_workflow_status(copy, fast);
  if (took) {
    REQUIRE_MESSAGE(ref.has_value(), "the fast reader accepted what the general reader refuses: ", body);
    check_same(fast, *ref);
  } else {
    CHECK(copy == body);  // declined: the body is left for the general reader
  }
  if (e == expect::fast) CHECK_MESSAGE(took, body);
  if (e == expect::declined) CHECK_MESSAGE(!took, body);
  return took;
}

std::string with(std::string body, const std::string& from, const std::string& to) {
  const auto p = body.find(from);
  REQUIRE_MESSAGE(p != std::string::npos, from);
  body.replace(p, from.size(), to);
  return body;
}

} // namespace

TEST_CASE("the fast status reader gives what the general reader gives") {
  differential(completed_body, expect::fast);
  differential(schema_example(), expect::fast);
  differential(R"({"workflow_id":"w","status":"pending"})", expect::fast);
  differential(R"({"workflow_id":"w","status":"running","result":null,"summary":null,"progress":null})", expect::fast);
  // unknown fields, whatever their shape, anywhere: raw keeps them
  differential(with(completed_body, R"("status":"completed",)",
                    R"("status":"completed","new":{"a":[1,{"b":[[],{}]}],"c":"d"},"list":[1,2,{"x":null}],"flag":true,)"),
               expect::fast);
  differential(with(completed_body, R"("provider":"cleanlist-sim")", R"("provider":"cleanlist-sim","extra":{"deep":[1,2,3]})"),
               expect::fast);
  // escapes in values and keys, non-ASCII text
  differential(with(completed_body, R"("email":"a@b.example")", R"("email":"J\u00e9r\u00f4me \"Q\" \\ \n\t\/ \ud83d\ude00@x.io")"),
               expect::fast);
  differential(with(completed_body, R"("workflow_id")", R"("work\u0066low_id")"), expect::fast);
  differential(with(completed_body, R"("summary":{"total":1,)", R"("summary":{"t\u00f6tal":-1.5e3,"s":"x","b":false,"n":null,"u":18446744073709551615,)"),
               expect::fast);
  // integers at the int64 limits
  differential(with(completed_body, R"("timestamp_ms":1796048639393)", R"("timestamp_ms":-9223372036854775808)"), expect::fast);
  differential(with(completed_body, R"("credits_charged":1)", R"("credits_charged":9223372036854775807)"), expect::fast);
  // whitespace everywhere JSON allows it
  differential(" \n{ \"workflow_id\" : \"w\" ,\r\n\t\"status\" :\"done\" } \n", expect::fast);
}

TEST_CASE("what the fast status reader declines, the general reader decides (errors included)") {
  // numbers the general reader converts (or refuses) by its own rules
  differential(with(completed_body, R"("progress":100)", R"("progress":100.0)"), expect::declined);
  differential(with(completed_body, R"("progress":100)", R"("progress":1.5)"), expect::declined);
  differential(with(completed_body, R"("progress":100)", R"("progress":18446744073709551615)"), expect::declined);
  differential(with(completed_body, R"("progress":100)", R"("progress":9223372036854775807)"), expect::fast);
  // wrong types of typed fields
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {R"("workflow_id":"enrich-5f844ebc-a43e-424f-b9e4-09526a192a1c")", R"("workflow_id":7)"},
           {R"("status":"completed","progress")", R"("status":null,"progress")"},
           {R"("progress":100)", R"("progress":"100")"},
           {R"("total":1)", R"("total":true)"},
           {R"("summary":{)", R"("summary":[],"x":{)"},
           {R"("summary":{"total":1,)", R"("summary":{"total":{"deep":1},)"},
           {R"("summary":{"total":1,)", R"("summary":{"total":1,"total":2,)"},
           {R"("refund_message":null)", R"("refund_message":{})"},
           {R"("result":{)", R"("result":"x","r":{)"},
           {R"("lead_id":"6f435c15-7119-4715-857f-ffc587d18b96",)", ""},
           {R"("email":"a@b.example")", R"("email":["a@b.example"])"},
           {R"("email":"a@b.example")", R"("email":{"v":1})"},
           {R"("task_id":"cl-task_f19c4dd20ca6",)", R"("task_id":5,)"},
       }) {
    CAPTURE(to);
    differential(with(completed_body, from, to), expect::declined);
  }
  // a typed key given twice
  differential(with(completed_body, R"("status":"completed",)", R"("status":"pending","status":"completed",)"), expect::declined);
  // required fields missing
  differential(R"({"status":"pending"})", expect::declined);
  differential(R"({"workflow_id":"w"})", expect::declined);
  // not a JSON object, or not JSON
  for (std::string b : {"", "[]", "5", "\"x\"", "null", "{", R"({"workflow_id":"w","status":"p")", R"({"workflow_id":"w","status":"p"} x)",
                        R"({"workflow_id":"w","status":"p",})", R"({"workflow_id":"w",/*c*/"status":"p"})", "{\"workflow_id\":\"w\xff\",\"status\":\"p\"}"}) {
    CAPTURE(b);
    differential(b, expect::declined);
    CHECK_FALSE(general(b).has_value());
  }
  // nesting beyond the library's depth limit, under an unknown key
  std::string deep = R"({"workflow_id":"w","status":"p","x":)" + std::string(100, '[') + std::string(100, ']') + "}";
  differential(deep, expect::declined);
  CHECK_FALSE(general(deep).has_value());
}

TEST_CASE("the fast status reader on random mutations of real bodies: never accepts what the general reader refuses") {
  std::mt19937_64 rng(20261130);
  const std::string seeds[] = {completed_body, schema_example(), R"({"workflow_id":"w","status":"pending","result":null})"};
  const char alphabet[] = "{}[]\":,0123456789-+.eE \\ntrufalsu\xc3\xa9\xff";
  int took = 0, total = 0;
  for (const auto& seed : seeds) {
    for (int i = 0; i < 4000; ++i) {
      std::string b = seed;
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int k = 0; k < edits && !b.empty(); ++k) {
        const std::size_t pos = rng() % b.size();
        const char c = alphabet[rng() % (sizeof(alphabet) - 1)];
        switch (rng() % 3) {
        case 0: b[pos] = c; break;
        case 1: b.insert(b.begin() + static_cast<std::ptrdiff_t>(pos), c); break;
        default: b.erase(pos, 1 + rng() % 4); break;
        }
      }
      took += differential(b);
      ++total;
    }
  }
  MESSAGE("fast reader took " << took << " of " << total << " mutated bodies (the rest went to the general reader)");
  CHECK(took > total / 20);  // mutations inside string values keep bodies readable: the fast path was exercised
}

TEST_CASE("raw built from the body: once, the same from every copy and thread; assigning an object replaces it") {
  std::string body = completed_body;
  workflow_status_response r;
  REQUIRE(models_detail::read_workflow_status(body, r));
  const workflow_status_response copy = r;  // copies share the text
  std::vector<std::thread> ts;
  std::vector<const json::object*> seen(4);
  for (int i = 0; i < 4; ++i) ts.emplace_back([&, i] { seen[static_cast<std::size_t>(i)] = &(i % 2 ? copy : r).raw.get(); });
  for (auto& t : ts) t.join();
  CHECK(seen[0] == seen[2]);
  CHECK(seen[1] == seen[3]);
  CHECK(r.raw.at("workflow_id") == "enrich-5f844ebc-a43e-424f-b9e4-09526a192a1c");
  CHECK(r.raw->size() == 17);
  CHECK(r.result->raw.at("provider") == "cleanlist-sim");
  CHECK(r.result->raw.contains("lead_id"));
  CHECK_FALSE(r.result->raw.contains("workflow_id"));
  json::object mine{{"k", 1}};
  r.raw = std::move(mine);
  CHECK(r.raw.size() == 1);
  CHECK(copy.raw.size() == 17);  // the copy kept its own
  raw_object empty;
  CHECK(empty.empty());
  CHECK(raw_object::deferred(std::make_shared<const std::string>("not json")).empty());
}
