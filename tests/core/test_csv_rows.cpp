// The bulk path's CSV chunks (src/core/protocol/csv_rows.*): within both of the import's caps.
#include <doctest/doctest.h>

#include "protocol/csv_parse.hpp"
#include "protocol/csv_rows.hpp"

#include <algorithm>
#include <string>
#include <vector>

using namespace cleanlist;

namespace {
std::size_t rows_in(const std::string& csv) { return static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')) - 1; }
} // namespace

TEST_CASE("csv_chunks: at most 150 KB per import (and max_rows when given), every contact once, in order") {
  std::vector<enrich_person_request> people(2500);
  for (std::size_t i = 0; i < people.size(); ++i) people[i].email = "p" + std::to_string(i) + "@acme.io";
  std::vector<const enrich_person_request*> rows;
  for (auto& p : people) rows.push_back(&p);
  auto chunks = api::csv_chunks(rows, api::max_csv_bytes, 1000);
  REQUIRE(chunks.size() == 3);  // short rows: the row cap decides, not the byte cap
  CHECK(rows_in(chunks[0]) == 1000);
  CHECK(rows_in(chunks[1]) == 1000);
  CHECK(rows_in(chunks[2]) == 500);
  std::size_t total = 0;
  for (auto& c : chunks) {
    CHECK(c.size() <= api::max_csv_bytes);
    total += rows_in(c);
  }
  CHECK(total == people.size());
  CHECK(chunks[1].find("p1000@acme.io") != std::string::npos);
  CHECK(api::csv_chunks(rows, api::max_csv_bytes).size() == 1);  // no row cap by default: 2500 short rows fit

  // Long rows: the byte cap decides.
  for (auto& p : people) p.company_name = std::string(400, 'x');
  auto big = api::csv_chunks(rows, api::max_csv_bytes);
  for (auto& c : big) {
    CHECK(c.size() <= api::max_csv_bytes);
    CHECK(rows_in(c) < 1000);
  }
}

// ---- the adaptive import plan: bytes only, then the row cap the server reveals

namespace {
std::vector<std::string> data_rows(const std::string& csv) {
  std::vector<std::string> out;
  std::size_t pos = csv.find('\n') + 1;  // after the header
  while (pos < csv.size()) {
    auto nl = csv.find('\n', pos);
    out.push_back(csv.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

// A server that imports at most `cap` rows per upload and skips the rest as row_cap_exceeded,
// checking its cap first (as the simulator does): what it imported, in order.
struct capped_server {
  std::size_t cap;
  std::vector<std::string> imported;
  std::pair<std::int64_t, std::int64_t> import(const std::string& csv) {
    auto rows = data_rows(csv);
    const auto took = std::min(rows.size(), cap);
    imported.insert(imported.end(), rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(took));
    return {static_cast<std::int64_t>(took), static_cast<std::int64_t>(rows.size() - took)};
  }
};

std::vector<enrich_person_request> emails(std::size_t n, std::size_t pad = 0) {
  std::vector<enrich_person_request> people(n);
  for (std::size_t i = 0; i < n; ++i) {
    people[i].email = "p" + std::to_string(i) + "@acme.io";
    if (pad) people[i].company_name = std::string(pad, 'c');
  }
  return people;
}
std::vector<const enrich_person_request*> ptrs(const std::vector<enrich_person_request>& v) {
  std::vector<const enrich_person_request*> out;
  for (auto& p : v) out.push_back(&p);
  return out;
}
} // namespace

TEST_CASE("csv_import_plan: 20,000 contacts go in a handful of chunks cut by bytes only") {
  auto people = emails(20000);
  api::csv_import_plan plan(ptrs(people), api::max_csv_bytes);
  capped_server server{1000000, {}};
  std::size_t chunks = 0;
  while (!plan.done()) {
    auto csv = plan.next_chunk();
    CHECK(csv.size() <= api::max_csv_bytes);
    ++chunks;
    auto [imported, skipped] = server.import(csv);
    REQUIRE(plan.on_response(imported, skipped).empty());
  }
  MESSAGE("20,000 short contacts: " << chunks << " CSV imports (was 20 with the 1000-row cap)");
  CHECK(chunks < 20);
  CHECK(chunks <= 4);  // ~20 B per row: 400 KB in 150 KB chunks
  REQUIRE(server.imported.size() == people.size());
  for (std::size_t i = 0; i < people.size(); ++i) REQUIRE(server.imported[i].find("p" + std::to_string(i) + "@") != std::string::npos);
  CHECK(plan.resent_rows() == 0);
  CHECK(plan.row_cap() == api::no_row_cap);
}

TEST_CASE("csv_import_plan: a revealed row cap re-sends the skipped tail and caps later chunks") {
  for (std::size_t cap : {1u, 7u, 300u, 1000u}) {
    CAPTURE(cap);
    auto people = emails(2500);
    api::csv_import_plan plan(ptrs(people), api::max_csv_bytes);
    capped_server server{cap, {}};
    std::size_t chunks = 0, after_first_over = 0;
    bool capped = false;
    while (!plan.done()) {
      auto csv = plan.next_chunk();
      ++chunks;
      if (capped) {
        CHECK(plan.chunk_rows() <= cap);  // never over the cap once known
        ++after_first_over;
      }
      auto [imported, skipped] = server.import(csv);
      REQUIRE(plan.on_response(imported, skipped).empty());
      capped = capped || skipped > 0;
    }
    // Every contact imported exactly once, in order: nothing lost, nothing twice.
    REQUIRE(server.imported.size() == people.size());
    for (std::size_t i = 0; i < people.size(); ++i)
      REQUIRE(server.imported[i] == ",,p" + std::to_string(i) + "@acme.io,,,");
    if (cap < 2500) {
      CHECK(plan.row_cap() == cap);
      CHECK(plan.resent_rows() == 2500 - cap);  // the first chunk's tail, once
      CHECK(chunks == 1 + (2500 - cap + cap - 1) / cap);
    }
  }
}

TEST_CASE("csv_import_plan: the byte cap still holds after a row cap, and a huge row gets its own chunk") {
  auto people = emails(3000, 200);  // ~230 B per row: ~650 rows per 150 KB
  people[10].company_name = std::string(api::max_csv_bytes + 10, 'x');
  api::csv_import_plan plan(ptrs(people), api::max_csv_bytes);
  capped_server server{5000, {}};
  bool alone = false;
  while (!plan.done()) {
    auto csv = plan.next_chunk();
    if (csv.size() > api::max_csv_bytes) {
      CHECK(plan.chunk_rows() == 1);
      alone = true;
    }
    auto [imported, skipped] = server.import(csv);
    REQUIRE(plan.on_response(imported, skipped).empty());
  }
  CHECK(alone);
  CHECK(server.imported.size() == people.size());
}

TEST_CASE("csv_import_plan: answers that contradict the chunk stop the plan, never loop") {
  auto people = emails(50);
  {
    api::csv_import_plan plan(ptrs(people), api::max_csv_bytes);
    plan.next_chunk();
    CHECK_FALSE(plan.on_response(40, 20).empty());  // 60 > 50 sent
  }
  {
    api::csv_import_plan plan(ptrs(people), api::max_csv_bytes);
    plan.next_chunk();
    CHECK_FALSE(plan.on_response(-1, 0).empty());
  }
  {
    api::csv_import_plan plan(ptrs(people), api::max_csv_bytes);
    plan.next_chunk();
    auto bad = plan.on_response(0, 50);  // a cap of zero rows: no chunk can ever pass
    CHECK(bad.find("row_cap_exceeded") != std::string::npos);
  }
  {
    api::csv_import_plan plan(ptrs(people), api::max_csv_bytes);
    auto a = plan.next_chunk();
    auto b = plan.next_chunk();  // no answer in between: the same rows
    CHECK(a == b);
    CHECK(plan.on_response(50, 0).empty());
    CHECK(plan.done());
  }
  {
    std::vector<const enrich_person_request*> none;
    api::csv_import_plan plan(none, api::max_csv_bytes);
    CHECK(plan.done());
  }
}

// ---- reading the export back

TEST_CASE("parse_export_csv: quoted fields, empty cells as absent values, any column order") {
  const std::string csv =
      "\xEF\xBB\xBF" "provider,lead_id,first_name,last_name,email,company,agent_notes,linkedin_url\r\n"
      "hunter,l-1,Ada,\"Love, lace\",ada@x.io,\"Acme \"\"Labs\"\"\",\"two\nlines\",\r\n"
      ",l-2,Alan,Turing,,,,https://linkedin.com/in/alan\r\n";
  std::vector<lead_row> leads;
  std::string problem;
  REQUIRE_MESSAGE(api::parse_export_csv(csv, leads, problem), problem);
  REQUIRE(leads.size() == 2);
  CHECK(leads[0].lead_id == "l-1");
  CHECK(leads[0].provider == "hunter");
  CHECK(leads[0].last_name == "Love, lace");
  CHECK(leads[0].company == "Acme \"Labs\"");
  CHECK_FALSE(leads[0].linkedin_url);
  CHECK_FALSE(leads[1].provider);  // not enriched
  CHECK_FALSE(leads[1].email);
  CHECK(leads[1].linkedin_url == "https://linkedin.com/in/alan");
  // The columns the client asks for are all read.
  std::string head;
  for (auto& c : api::export_columns()) head += (head.empty() ? "" : ",") + c;
  REQUIRE(api::parse_export_csv(head + "\nl-9,A,B,A B,a@b.c,+1,CTO,Acme,Paris,https://li/x,prov\n", leads, problem));
  REQUIRE(leads.size() == 1);
  CHECK(leads[0].full_name == "A B");
  CHECK(leads[0].phone == "+1");
  CHECK(leads[0].title == "CTO");
  CHECK(leads[0].location == "Paris");
  CHECK(leads[0].provider == "prov");
  // An empty list: just the header.
  REQUIRE(api::parse_export_csv(head + "\r\n", leads, problem));
  CHECK(leads.empty());
}

TEST_CASE("parse_export_csv: hostile files are errors, never a crash") {
  std::vector<lead_row> leads;
  std::string problem;
  auto bad = [&](const std::string& text) {
    problem.clear();
    const bool ok = api::parse_export_csv(text, leads, problem);
    CHECK_FALSE(problem.empty());
    return !ok && leads.empty();
  };
  CHECK(bad(""));                                                   // no header
  CHECK(bad("lead_id,email\nl-1,a@b.c\n"));                         // no provider column
  CHECK(bad("provider,email\nx,a@b.c\n"));                          // no lead_id column
  CHECK(bad("lead_id,provider\nl-1,x\nl-2,\"torn"));                // torn quote (truncated download)
  CHECK(bad("lead_id,provider\nl-1\n"));                            // missing field
  CHECK(bad("lead_id,provider\nl-1,x,extra\n"));                    // extra field
  CHECK(bad("lead_id,provider\n,x\n"));                             // no lead_id
  CHECK(bad("lead_id,provider\nl-1,\"x\"y\n"));                     // text after a closing quote
  CHECK(bad("lead_id,provider\nl\"1,x\n"));                         // quote inside an unquoted field
  CHECK(bad("lead_id,provider\nl-1,\"" + std::string(1 << 20, 'a') + "\"\n"));  // huge quoted field
  CHECK(bad("lead_id,provider\nl-1," + std::string(1 << 20, 'a') + "\n"));      // huge plain field
  CHECK(bad("lead_id,provider" + std::string(2000, ',') + "\n"));  // too many columns
  CHECK(problem.find("line") != std::string::npos);
  // Arbitrary bytes: an answer either way, bounded, no crash.
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  const char alphabet[] = "lead_id,provider\"\r\n,\"x\xEF\xBB\xBF\0";
  for (int round = 0; round < 3000; ++round) {
    std::string s = round % 2 ? "lead_id,provider\n" : "";
    const auto len = static_cast<std::size_t>(x % 200);
    for (std::size_t i = 0; i < len; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      s += alphabet[x % (sizeof alphabet - 1)];
    }
    api::parse_export_csv(s, leads, problem);
  }
}

TEST_CASE("the strict and lenient CSV readings") {
  api::csv_table rows;
  std::string problem;
  REQUIRE(api::parse_csv_strict("a,\"b,c\"\r\n\r\n\"\"\n", rows, problem));
  REQUIRE(rows.size() == 2);  // the blank line is skipped, "" is one empty field
  CHECK(rows[0] == std::vector<std::string>{"a", "b,c"});
  CHECK(rows[1] == std::vector<std::string>{""});
  CHECK_FALSE(api::parse_csv_strict("a,\"b", rows, problem));
  CHECK(problem.find("unterminated") != std::string::npos);
  api::csv_limits lim;
  lim.max_rows = 2;
  CHECK_FALSE(api::parse_csv_strict("1\n2\n3\n", rows, problem, lim));
  // The simulator's (permissive) reading of an uploaded file: what it always did.
  auto lenient = api::parse_csv_lenient("a\"b,c\"d\n\"open,x");
  REQUIRE(lenient.size() == 2);
  CHECK(lenient[0] == std::vector<std::string>{"ab,cd"});
  CHECK(lenient[1] == std::vector<std::string>{"open,x"});
}

TEST_CASE("distinct_rows: each person imported once across chunks; a dropped duplicate's other key is not recorded") {
  std::vector<enrich_person_request> p(6);
  p[0].email = "Ada@X.io";
  p[1].email = " ada@x.io ";                                  // same email, other case/spaces
  p[2].linkedin_url = "https://www.linkedin.com/in/ada/";
  p[3].linkedin_url = "linkedin.com/in/ada";                  // same profile
  p[4].email = "ada@x.io";
  p[4].linkedin_url = "https://linkedin.com/in/other";        // dropped by its email...
  p[5].linkedin_url = "https://linkedin.com/in/other";        // ...so this one is still imported
  std::vector<const enrich_person_request*> rows;
  for (auto& c : p) rows.push_back(&c);
  auto kept = api::distinct_rows(rows);
  REQUIRE(kept.size() == 3);
  CHECK(kept[0] == &p[0]);
  CHECK(kept[1] == &p[2]);
  CHECK(kept[2] == &p[5]);
  // Name-only contacts are never merged (the server does not deduplicate them either).
  std::vector<enrich_person_request> n(2);
  for (auto& c : n) {
    c.first_name = "A";
    c.last_name = "B";
    c.company_name = "C";
  }
  std::vector<const enrich_person_request*> nr{&n[0], &n[1]};
  CHECK(api::distinct_rows(nr).size() == 2);
}
