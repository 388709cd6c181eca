// `cleanlist enrich-csv --shard I/N --redis URL`: three shard processes run at once on one CSV,
// with one API key, against one simulator that enforces the per-key limit (30 per scaled
// 2 s window) and one redis-server of the test's own. Every row comes back in exactly one
// shard's output; every distinct contact was POSTed and paid exactly once (the simulator's
// ledger); no 429 although the three together send several windows' worth of requests.
#include "cli_support.hpp"
#include "../system/redis_test_support.hpp"

#include <map>
#include <set>
#include <string>
#include <vector>

using namespace cli_test;

namespace {

std::int64_t num(const json::object& o, const char* k) { return o.at(k).to_number<std::int64_t>(); }

void fresh(const std::string& out) {
  std::remove(out.c_str());
  std::remove((out + ".journal").c_str());
}

} // namespace

TEST_SUITE_BEGIN("enrich_csv_shards");

TEST_CASE("enrich-csv: three shards, one key, one Redis: every row once, nothing paid twice, no 429") {
  cleanlist::redis::test::redis_server redis;
  auto sp = hosted_sim::params();
  sp.rate_limits = true;  // the server refuses what exceeds the key's window: the budget must be shared
  sp.per_key_limit = 30;
  sp.per_org_limit = 60;
  sp.window = std::chrono::milliseconds(2000);
  hosted_sim hs(sp);

  // 60 distinct contacts (one person workflow each: a POST and its polls, i.e. several times
  // the key's 30 per window over the three processes), a duplicate row and a row without an
  // identifier.
  const std::string in = work_path("shards_in.csv");
  std::string csv = "email,first_name,last_name,company\n";
  for (int i = 1; i <= 60; ++i)
    csv += "s" + std::to_string(i) + (i % 4 == 0 ? "+none" : "+all") + "@acme.com,F" + std::to_string(i) + ",L,Acme\n";
  csv += "s7+all@acme.com,F7,L,Acme\n";  // row 61: the same contact as row 7
  csv += ",Nobody,,\n";                  // row 62: no identifier
  write_file(in, csv);
  const int input_rows = 62, contacts = 60;
  const auto credits_before = hs.sim.credits(hs.sim.default_org_id());

  std::vector<std::string> outs;
  std::vector<child> kids;
  for (int i = 1; i <= 3; ++i) {
    outs.push_back(work_path("shards_out." + std::to_string(i) + ".csv"));
    fresh(outs.back());
  }
  for (int i = 1; i <= 3; ++i)
    kids.push_back(spawn_cli({"enrich-csv", in, outs[static_cast<std::size_t>(i - 1)], "--shard", std::to_string(i) + "/3",
                              "--redis", redis.url(), "--path", "person", "--rate-window-ms", "2000", "--rate-margin-ms",
                              "300", "--json"},
                             hs.env, "shard"));
  std::vector<cli_result> res;
  for (auto& k : kids) res.push_back(wait_cli(k));

  std::int64_t rows_total = 0, contacts_total = 0, requests = 0;
  for (std::size_t i = 0; i < res.size(); ++i) {
    INFO("shard " << i + 1 << " stderr: " << res[i].err);
    REQUIRE(res[i].code == 0);
    auto s = res[i].doc().as_object();
    CHECK(s.at("shard").as_string() == std::to_string(i + 1) + "/3");
    CHECK(s.at("shared_budget").as_bool());
    CHECK(num(s, "input_rows") == input_rows);
    CHECK(num(s, "rate_limited_429") == 0);
    CHECK(s.at("complete").as_bool());
    CHECK(res[i].err.find("warning") == std::string::npos);  // the budget is shared: no warning
    rows_total += num(s, "rows");
    contacts_total += num(s, "contacts");
    requests += num(s, "requests");
  }
  CHECK(rows_total == input_rows);
  CHECK(contacts_total == contacts);
  MESSAGE("three shards: " << requests << " requests in all, sim 429s: " << hs.sim.stats().rate_limited_429);
  CHECK(requests > 3 * 30);  // more than one window's budget per shard: the sharing was needed
  CHECK(hs.sim.stats().rate_limited_429 == 0);

  // Every input row in exactly one output, with its own columns, a status (or, for the row
  // without identifier, an error), and its row number.
  const auto input = read_csv(in);
  std::map<int, std::string> shard_of_row;
  std::map<std::string, std::set<std::string>> shards_of_email;
  for (std::size_t i = 0; i < outs.size(); ++i) {
    const auto rows = read_csv(outs[i]);
    REQUIRE(!rows.empty());
    const auto& h = rows[0];
    REQUIRE(h.size() == input[0].size() + 9);
    CHECK(h.back() == "input_row");
    for (std::size_t r = 1; r < rows.size(); ++r) {
      REQUIRE(rows[r].size() == h.size());
      const int n = std::stoi(rows[r].back());
      INFO("shard " << i + 1 << ", input row " << n);
      REQUIRE((n >= 1 && n <= input_rows));
      CHECK(shard_of_row.emplace(n, std::to_string(i + 1)).second);  // not in two outputs
      for (std::size_t c = 0; c < input[0].size(); ++c) CHECK(rows[r][c] == input[static_cast<std::size_t>(n)][c]);
      const auto& status = rows[r][input[0].size()];
      const auto& error = rows[r][input[0].size() + 7];
      if (n == 62) CHECK((status.empty() && !error.empty()));
      else CHECK(!status.empty());
      CHECK(error.find("re-run") == std::string::npos);
      if (!rows[r][0].empty()) shards_of_email[rows[r][0]].insert(std::to_string(i + 1));
    }
  }
  CHECK(shard_of_row.size() == static_cast<std::size_t>(input_rows));
  CHECK(shards_of_email["s7+all@acme.com"].size() == 1);  // identical contacts share a shard
  std::set<std::string> used;
  for (auto& [n, s] : shard_of_row) used.insert(s);
  CHECK(used.size() == 3);  // the split is not degenerate

  // The ledger: one POST and one workflow per distinct contact, the books balance.
  for (int i = 1; i <= 60; ++i) {
    const std::string email = "s" + std::to_string(i) + (i % 4 == 0 ? "+none" : "+all") + "@acme.com";
    INFO(email);
    CHECK(hs.sim.enrich_posts_for(cleanlist::testing::person_identity(email, "", "", "", "")) == 1);
  }
  CHECK(hs.sim.stats().accepted_enrich_posts == static_cast<std::uint64_t>(contacts));
  auto ledger = hs.sim.ledger_json().as_object();
  std::int64_t workflows = 0, leads = 0, charged = 0;
  for (auto& w : ledger.at("workflows").as_array()) {
    ++workflows;
    leads += num(w.as_object(), "total");
    charged += num(w.as_object(), "credits_charged");
  }
  CHECK(workflows == contacts);
  CHECK(leads == contacts);
  CHECK(credits_before - hs.sim.credits(hs.sim.default_org_id()) == charged);

  // Run again (the same settings): every shard resumes from its own journal and sends nothing.
  for (int i = 1; i <= 3; ++i) {
    auto again = run_cli({"enrich-csv", in, outs[static_cast<std::size_t>(i - 1)], "--shard", std::to_string(i) + "/3",
                          "--redis", redis.url(), "--path", "person", "--json"},
                         hs.env);
    INFO(again.err);
    REQUIRE(again.code == 0);
    CHECK(num(again.doc().as_object(), "requests") == 0);
  }
  CHECK(hs.sim.stats().accepted_enrich_posts == static_cast<std::uint64_t>(contacts));
  for (auto& o : outs) fresh(o);
  std::remove(in.c_str());
}

TEST_SUITE_END();
