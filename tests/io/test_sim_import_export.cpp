// Lists in and out: the CSV import cap, open column_mapping keys, mode-A adds of unknown ids,
// the documented default export columns.
#include "sim_test_util.hpp"

#include <set>

using namespace simtest;

namespace {

/// A CSV of exactly `size` bytes: header "Email,Note" and one row whose unmapped note pads it.
std::string csv_of_size(std::size_t size) {
  std::string head = "Email,Note\nbig@acme.io,";
  std::string csv = head + std::string(size - head.size() - 1, 'x') + "\n";
  REQUIRE(csv.size() == size);
  return csv;
}

const char* const default_columns[] = {"lead_id", "first_name", "last_name", "email", "title",
                                       "company", "domain", "linkedin_url", "phone", "location"};

} // namespace

TEST_CASE("CSV import cap: 150,000 bytes of raw CSV pass, 150,001 are 413") {
  ct::simulator sim(fast_params());
  client c(sim.base_url(), sim.default_api_key());
  auto list = S(c.post("/lead-lists", {{"name", "cap"}}).json(), "list_id");
  auto body = [&](std::size_t n) {
    return json::value{{"csv_content_base64", b64(csv_of_size(n))}, {"column_mapping", {{"email", "Email"}}}, {"dispatch_enrichment", false}};
  };
  auto at = c.post("/lead-lists/" + list + "/csv-import", body(150000));
  CHECK(at.status == 201);
  CHECK(I(at.json(), "rows_imported") == 1);
  auto above = c.post("/lead-lists/" + list + "/csv-import", body(150001));
  CHECK(above.status == 413);
  CHECK(above.code() == "payload_too_large");
  // 150 KiB (the generous reading) is refused too
  CHECK(c.post("/lead-lists/" + list + "/csv-import", body(153600)).status == 413);
}

TEST_CASE("column_mapping keys are open: aliases fill the lead, unknown keys are checked then ignored") {
  ct::simulator sim(fast_params());
  client c(sim.base_url(), sim.default_api_key());
  auto list = S(c.post("/lead-lists", {{"name", "mapping"}}).json(), "list_id");
  std::string csv = "Email,Title,Org,Site,Where,Nick\njo@acme.io,CTO,Acme,acme.io,\"Paris, FR\",JJ\n";
  auto r = c.post("/lead-lists/" + list + "/csv-import",
                  {{"csv_content_base64", b64(csv)},
                   {"column_mapping", {{"email", "Email"}, {"title", "Title"}, {"company", "Org"}, {"domain", "Site"},
                                       {"location", "Where"}, {"nickname", "Nick"}}},
                   {"dispatch_enrichment", false}});
  REQUIRE_MESSAGE(r.status == 201, r.body);
  CHECK(I(r.json(), "rows_imported") == 1);
  auto lead = c.get("/lead-lists/" + list + "/leads").json().at("leads").as_array()[0];
  CHECK(S(lead, "title") == "CTO");
  CHECK(S(lead, "company") == "Acme");
  CHECK(S(lead, "location") == "Paris, FR");
  CHECK(lead.as_object().if_contains("nickname") == nullptr); // ignored, not stored
  auto row = c.get("/export/json?list_id=" + list + "&columns=domain,nickname").json().at("leads").as_array()[0];
  CHECK(S(row, "domain") == "acme.io");
  CHECK(row.at("nickname").is_null());
  // an open key must still name a header of the CSV
  auto miss = c.post("/lead-lists/" + list + "/csv-import",
                     {{"csv_content_base64", b64(csv)}, {"column_mapping", {{"email", "Email"}, {"nickname", "Nope"}}},
                      {"dispatch_enrichment", false}});
  CHECK(miss.status == 400);
  CHECK(miss.code() == "missing_column");
  // /api/v2 follows the official schema: its column_mapping keys are a closed set.
  client v2(sim.base_url("/api/v2"), sim.default_api_key());
  auto closed = v2.post("/lead-lists/" + list + "/csv-import",
                        {{"csv_content_base64", b64(csv)}, {"column_mapping", {{"email", "Email"}, {"title", "Title"}}},
                         {"dispatch_enrichment", false}});
  CHECK(closed.status == 422);
}

TEST_CASE("add-leads mode A: unknown lead ids are refused with 404, all or nothing, naming no other tenant's data") {
  auto p = fast_params();
  ct::organisation_config a{"org_a", "A", "pro", {"API_ACCESS"}, 1000, {}};
  a.users.push_back({"user_a", "a@a.io", "A", {{"clapi_a", {}}}, {}});
  ct::organisation_config b{"org_b", "B", "pro", {"API_ACCESS"}, 1000, {}};
  b.users.push_back({"user_b", "b@b.io", "B", {{"clapi_b", {}}}, {}});
  p.orgs = {a, b};
  ct::simulator sim(p);
  client ca(sim.base_url(), "clapi_a");
  client cb(sim.base_url(), "clapi_b");
  auto src = make_list(ca, "src", 3);
  auto dst = S(ca.post("/lead-lists", {{"name", "dst"}}).json(), "list_id");
  std::vector<std::string> mine;
  const auto src_leads = ca.get("/lead-lists/" + src + "/leads").json();
  for (auto& l : src_leads.at("leads").as_array()) mine.push_back(S(l, "lead_id"));
  auto theirs_list = make_list(cb, "secret-list", 1);
  auto theirs = S(cb.get("/lead-lists/" + theirs_list + "/leads").json().at("leads").as_array()[0], "lead_id");
  // a mix of known and unknown ids: nothing is added
  const std::string ghost = "11111111-2222-4333-8444-555555555555";
  auto r = ca.post("/lead-lists/" + dst + "/leads", {{"lead_ids", {mine[0], ghost, mine[1]}}});
  CHECK(r.status == 404);
  CHECK(r.code() == "not_found");
  CHECK(r.json().at("error").at("details").at("unknown_lead_ids") == json::value(json::array{json::value(ghost)}));
  CHECK(I(ca.get("/lead-lists/" + dst).json(), "lead_count") == 0);
  // another tenant's lead is as unknown as a made-up one, and nothing of theirs leaks
  auto x = ca.post("/lead-lists/" + dst + "/leads", {{"lead_ids", {theirs}}});
  CHECK(x.status == 404);
  CHECK(x.body.find(theirs_list) == std::string::npos);
  CHECK(x.body.find("secret-list") == std::string::npos);
  CHECK(x.body.find("@acme.io") == std::string::npos);
  CHECK(I(ca.get("/lead-lists/" + dst).json(), "lead_count") == 0);
  // known ids only: added; `created` is null for mode A
  auto ok = ca.post("/lead-lists/" + dst + "/leads", {{"lead_ids", {mine[0], mine[1]}}});
  REQUIRE(ok.status == 200);
  CHECK(I(ok.json(), "added") == 2);
  CHECK(ok.json().at("created").is_null());
  CHECK(I(ca.get("/lead-lists/" + dst).json(), "lead_count") == 2);
}

TEST_CASE("export: the documented default columns, in order, on both the CSV and the JSON export") {
  ct::simulator sim(fast_params());
  client c(sim.base_url(), sim.default_api_key());
  auto list = make_list(c, "cols", 2);
  auto exp = c.post("/export/csv/signed-url", {{"list_id", list}});
  REQUIRE(exp.status == 200);
  std::string url = S(exp.json(), "download_url");
  std::string origin = sim.base_url("");
  REQUIRE(url.starts_with(origin));
  auto dl = c.get(client::absolute(url.substr(origin.size())));
  REQUIRE(dl.status == 200);
  CHECK(dl.body.substr(0, dl.body.find("\r\n")) == "lead_id,first_name,last_name,email,title,company,domain,linkedin_url,phone,location");
  auto js = c.get("/export/json?list_id=" + list);
  REQUIRE(js.status == 200);
  std::set<std::string> want(std::begin(default_columns), std::end(default_columns));
  const auto page = js.json();
  for (auto& l : page.at("leads").as_array()) {
    std::set<std::string> got;
    for (auto& kv : l.as_object()) got.insert(std::string(kv.key()));
    CHECK(got == want);
    CHECK(!S(l, "email").empty());
    CHECK(S(l, "domain").empty()); // imported without a domain: null
  }
}

TEST_CASE("CSV import row cap: a simulator option, checked before the other skip reasons (the upload's tail)") {
  auto p = fast_params();
  p.csv_max_rows = 3;
  ct::simulator sim(p);
  client c(sim.base_url(), sim.default_api_key());
  auto list = S(c.post("/lead-lists", {{"name", "rowcap"}}).json(), "list_id");
  // Row 2 is a duplicate, row 6 lacks every identity: only rows before the cap are judged.
  std::string csv = "Email\na@acme.io\na@acme.io\nb@acme.io\nc@acme.io\nd@acme.io\n\"\"\n";
  auto r = c.post("/lead-lists/" + list + "/csv-import",
                  {{"csv_content_base64", b64(csv)}, {"column_mapping", {{"email", "Email"}}}, {"dispatch_enrichment", false}});
  REQUIRE(r.status == 201);
  const auto body = r.json();
  CHECK(I(body, "rows_imported") == 3);
  const auto& reasons = body.at("skip_reasons");
  CHECK(I(reasons, "duplicate_email") == 1);
  CHECK(I(reasons, "row_cap_exceeded") == 2);  // d@ and the empty row: the last two rows
  CHECK_FALSE(reasons.as_object().contains("missing_required"));
  // The default takes far more than the documented ~600 typical rows of a 150 KB upload.
  CHECK(ct::simulator_params{}.csv_max_rows == 10000);
}

TEST_CASE("export download: the schema's exp and sig parameters, the signature checked, counted apart from API requests") {
  ct::simulator sim(fast_params());
  client c(sim.base_url(), sim.default_api_key());
  auto list = make_list(c, "dl", 2);
  auto exp = c.post("/export/csv/signed-url", {{"list_id", list}});
  REQUIRE(exp.status == 200);
  std::string url = S(exp.json(), "download_url");
  std::string origin = sim.base_url("");
  REQUIRE(url.find("?exp=") != std::string::npos);
  REQUIRE(url.find("&sig=") != std::string::npos);
  const auto before = sim.stats();
  auto dl = c.get(client::absolute(url.substr(origin.size())));  // this test client sends its key: counted
  CHECK(dl.status == 200);
  auto forged = url.substr(origin.size());
  forged.back() = forged.back() == '0' ? '1' : '0';
  CHECK(c.get(client::absolute(forged)).status == 403);
  const auto after = sim.stats();
  CHECK(after.requests == before.requests);  // downloads are not API requests
  CHECK(after.export_downloads == before.export_downloads + 2);
  CHECK(after.export_downloads_with_authorization == before.export_downloads_with_authorization + 2);
}
