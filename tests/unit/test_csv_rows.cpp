// The bulk path's CSV chunks (src/core/protocol/csv_rows.*): within both of the import's caps.
#include <doctest/doctest.h>

#include "protocol/csv_rows.hpp"

#include <algorithm>
#include <string>
#include <vector>

using namespace cleanlist;

namespace {
std::size_t rows_in(const std::string& csv) { return static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')) - 1; }
} // namespace

TEST_CASE("csv_chunks: at most 1000 rows and 150 KB per import, every contact once, in order") {
  std::vector<enrich_person_request> people(2500);
  for (std::size_t i = 0; i < people.size(); ++i) people[i].email = "p" + std::to_string(i) + "@acme.io";
  std::vector<const enrich_person_request*> rows;
  for (auto& p : people) rows.push_back(&p);
  auto chunks = api::csv_chunks(rows, api::max_csv_bytes);
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

  // Long rows: the byte cap decides.
  for (auto& p : people) p.company_name = std::string(400, 'x');
  auto big = api::csv_chunks(rows, api::max_csv_bytes);
  for (auto& c : big) {
    CHECK(c.size() <= api::max_csv_bytes);
    CHECK(rows_in(c) < 1000);
  }
}
