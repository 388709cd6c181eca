// Response models are values: a copy owns its memory (the default resource), whatever arena
// the original was parsed into; copies of one const response from several threads are safe
// (this file also runs in the TSan tree); dropped copies give their memory back (counted by
// ../live_heap.cpp, linked into this file's executables).
#include <doctest/doctest.h>

#include "../live_heap.hpp"
#include "models/workflow_status_read.hpp"
#include "protocol/response.hpp"

#include <cleanlist/models.hpp>

#include <boost/json/value_to.hpp>

#include <thread>
#include <vector>

using namespace cleanlist;
namespace json = boost::json;

namespace {

// What the client does with a body: parsed into one arena (protocol::parse_json), then
// converted; the model's JSON members start out in that arena.
template <class T> T parsed(std::string_view body) {
  error_code ec;
  json::value v = protocol::parse_json(body, ec);
  REQUIRE_FALSE(ec);
  return json::value_to<T>(v);
}

const char* whoami_body =
    R"({"user_email":"dev@acme.com","organization_id":"org_1","auth_type":"api_key","scopes":["read","enrich"],)"
    R"("tier":"pro","features":["bulk"],"unknown_field":{"nested":[1,2,3],"text":"kept in raw"}})";
const char* status_body =
    R"({"workflow_id":"wf_1","status":"completed","summary":{"found":3,"not_found":1,"note":"a summary"},)"
    R"("credits_charged":4})";
const char* export_body =
    R"({"list_id":"l_1","leads":[{"email":"a@acme.com","company":"Acme"},{"email":"b@acme.com"}],"total":2})";

bool on_default_resource(const json::object& o) { return o.storage().get() == json::storage_ptr().get(); }

}  // namespace

TEST_CASE("a copied response owns its memory: the default resource, not the original's arena") {
  const auto who = parsed<whoami_response>(whoami_body);
  CHECK_FALSE(on_default_resource(*who.raw));  // the original lives in its parsing arena
  const whoami_response copy = who;
  CHECK(on_default_resource(*copy.raw));
  CHECK(copy.raw == who.raw);
  CHECK(copy.raw.at("unknown_field").at("text") == "kept in raw");
  whoami_response assigned;
  assigned = who;
  CHECK(on_default_resource(*assigned.raw));
  CHECK(assigned.raw == who.raw);

  const auto st = parsed<workflow_status_response>(status_body);
  REQUIRE(st.summary);
  CHECK(on_default_resource(*st.summary));
  const workflow_status_response st_copy = st;
  CHECK(on_default_resource(*st_copy.summary));
  CHECK(st_copy.summary->at("note") == "a summary");

  const auto ex = parsed<export_json_response>(export_body);
  REQUIRE(ex.leads.size() == 2);
  const export_json_response ex_copy = ex;
  CHECK(on_default_resource(ex_copy.leads[0]));
  CHECK(ex_copy.leads[0].at("company") == "Acme");
}

TEST_CASE("the hot path's status reader builds a summary that copies as a value") {
  std::string body = status_body;
  workflow_status_response st;
  REQUIRE(models_detail::read_workflow_status(body, st));
  REQUIRE(st.summary);
  CHECK(on_default_resource(*st.summary));
  const workflow_status_response copy = st;
  CHECK(copy.summary->at("found") == 3);
  CHECK(copy.raw.at("workflow_id") == "wf_1");
}

TEST_CASE("two threads copy one const response 200,000 times each") {
  const auto who = parsed<whoami_response>(whoami_body);
  const auto st = parsed<workflow_status_response>(status_body);
  constexpr int copies = 200'000;
  std::vector<int> mismatches(2, 0);
  auto copier = [&](int slot) {
    for (int i = 0; i < copies; ++i) {
      whoami_response a = who;
      workflow_status_response b = st;
      if (a.raw.size() != who.raw.size() || b.summary->size() != 3) ++mismatches[slot];
    }
  };
  std::thread t0(copier, 0), t1(copier, 1);
  t0.join();
  t1.join();
  CHECK(mismatches[0] == 0);
  CHECK(mismatches[1] == 0);
}

TEST_CASE("200,000 dropped copies leave the heap within 1 MiB of where it started") {
  const auto who = parsed<whoami_response>(whoami_body);
  const auto st = parsed<workflow_status_response>(status_body);
  const auto ex = parsed<export_json_response>(export_body);
  const long long before = test_heap::live_bytes();
  std::size_t kept_fields = 0;
  for (int i = 0; i < 200'000; ++i) {
    whoami_response a = who;
    workflow_status_response b = st;
    export_json_response c = ex;
    kept_fields += a.raw.size() + b.summary->size() + c.leads.size();
  }
  const long long after = test_heap::live_bytes();
  INFO("live heap before ", before, " bytes, after ", after);
  CHECK(kept_fields == 200'000u * (who.raw.size() + 3 + 2));
  CHECK(after <= before + (1 << 20));
}
