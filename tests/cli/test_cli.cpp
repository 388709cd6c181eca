// `cleanlist` subcommands end to end: --help on every level, usage errors (exit 2), every
// subcommand against a simulator (the child's embedded one, or one hosted by the test when
// several commands must share state), --json output parsed back with Boost.JSON.
#include "cli_support.hpp"

#include <filesystem>

#include <cleanlist/models/common.hpp>

#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace cli_test;

TEST_SUITE_BEGIN("commands");

TEST_CASE("--help on every level, exit 0, documents the exit codes") {
  auto top = run_cli({"--help"});
  INFO(top.err);
  CHECK(top.code == 0);
  for (const char* s : {"whoami", "balance", "enrich", "status", "estimate", "bulk", "lists", "enrich-csv", "sim",
                        "Exit codes", "130", "CLEANLIST_API_KEY", "--api-key-file", "--json"})
    CHECK_MESSAGE(top.out.find(s) != std::string::npos, s);
  const std::vector<std::vector<std::string>> subs = {
      {"whoami"}, {"balance"}, {"estimate"}, {"enrich"}, {"enrich", "person"}, {"enrich", "company"}, {"status"},
      {"bulk"}, {"lists"}, {"lists", "create"}, {"lists", "list"}, {"lists", "show"}, {"lists", "import"},
      {"lists", "export"}, {"enrich-csv"}, {"sim"}};
  for (auto args : subs) {
    args.push_back("--help");
    auto r = run_cli(args);
    INFO(args[0] << (args.size() > 2 ? " " + args[1] : "") << ": " << r.err);
    CHECK(r.code == 0);
    CHECK(r.out.find("Usage:") != std::string::npos);
  }
  auto p = run_cli({"enrich", "person", "--help"});
  for (const char* f : {"--email", "--linkedin-url", "--phone", "--first-name", "--last-name", "--company-name", "--domain",
                        "--person-id", "--list", "--type", "--include-phone", "--quote-id", "--wait"})
    CHECK_MESSAGE(p.out.find(f) != std::string::npos, f);
  auto csv = run_cli({"enrich-csv", "--help"});
  for (const char* f : {"--path", "--type", "--chunk", "resume"}) CHECK_MESSAGE(csv.out.find(f) != std::string::npos, f);
}

TEST_CASE("usage errors exit 2 without any request") {
  const std::vector<std::vector<std::string>> bad = {
      {},                                                   // no subcommand
      {"frobnicate"},                                       // unknown subcommand
      {"whoami", "--no-such-flag"},                         // unknown flag
      {"status"},                                           // missing workflow id
      {"estimate"},                                         // missing --tool
      {"enrich"},                                           // missing person|company
      {"enrich", "person", "--email", "a@b.co", "--type", "bogus"},
      {"enrich", "company"},                                // no identifier
      {"estimate", "--tool", "enrich_list", "--filters", "[1,2]"},
      {"lists", "import", "L"},                             // missing file
      {"enrich-csv", SAMPLE_CSV},                           // missing OUT
      {"enrich-csv", SAMPLE_CSV, "/tmp/x.csv", "--chunk", "-1"},   // 0 (default): one bulk run
      {"enrich-csv", SAMPLE_CSV, "/tmp/x.csv", "--chunk", "many"},
      {"enrich-csv", SAMPLE_CSV, "/tmp/x.csv", "--path", "sideways"},
      {"--api-key", "clapi_x", "whoami"},                   // the key is never a flag
  };
  for (const auto& args : bad) {
    auto r = run_cli(args);
    std::string cmd;
    for (auto& a : args) cmd += a + " ";
    INFO("cleanlist " << cmd << "\nstderr: " << r.err);
    CHECK(r.code == 2);
    CHECK(r.err.find("embedded simulator") == std::string::npos);  // refused before any connection
  }
  auto j = run_cli({"--json", "status", "--wait"});
  CHECK(j.code == 2);
  CHECK(j.doc().as_object().at("error").as_object().at("kind").as_string() == "usage");
  CHECK(j.err.find("--help") != std::string::npos);
}

TEST_CASE("no credentials: exit 2 naming CLEANLIST_API_KEY and --api-key-file; the simulator only on request") {
  const env_map no_sim{{"CLEANLIST_SIM", std::nullopt}};
  std::filesystem::remove(work_path("never.csv"));
  std::filesystem::remove(work_path("never.csv.journal"));
  for (const auto& args : std::vector<std::vector<std::string>>{{"whoami"}, {"--json", "balance"},
                                                                {"enrich-csv", SAMPLE_CSV, work_path("never.csv")}}) {
    auto r = run_cli(args, no_sim);
    INFO(args[0] << ": " << r.err);
    CHECK(r.code == 2);
    CHECK(r.err.find("CLEANLIST_API_KEY") != std::string::npos);
    CHECK(r.err.find("--api-key-file") != std::string::npos);
    CHECK(r.err.find("simulated") == std::string::npos);
  }
  CHECK_FALSE(std::filesystem::exists(work_path("never.csv")));
  CHECK_FALSE(std::filesystem::exists(work_path("never.csv.journal")));

  // A hosted simulator stands for the user's API: CLEANLIST_BASE_URL points at it.
  hosted_sim hs;
  env_map env = hs.env;
  env["CLEANLIST_API_KEY"] = std::nullopt;
  env["CLEANLIST_SIM"] = "1";
  auto quiet = run_cli({"-q", "--json", "whoami"}, env);
  INFO(quiet.err);
  REQUIRE(quiet.code == 0);
  CHECK(quiet.err.find("cleanlist: simulated: the embedded simulator") != std::string::npos);  // even with -q
  CHECK(quiet.doc().as_object().at("simulated") == true);
  auto text = run_cli({"--sim", "balance"}, {{"CLEANLIST_SIM", "0"}, {"CLEANLIST_BASE_URL", hs.env["CLEANLIST_BASE_URL"]}});
  CHECK(text.code == 0);
  CHECK(text.err.find("simulated") != std::string::npos);
  CHECK(hs.sim.stats().requests == 0);  // the simulator's key never left the process
  // --sim with the user's own URL or key file is a usage error, not a guess.
  CHECK(run_cli({"--sim", "--base-url", "https://api.cleanlist.ai/api/v2", "whoami"}).code == 2);
  CHECK(run_cli({"whoami"}, {{"CLEANLIST_SIM", "yes"}}).code == 2);
  // With the key set and no --sim, the API answers and nothing says "simulated".
  auto real = run_cli({"--json", "whoami"}, hs.env);
  CHECK(real.code == 0);
  CHECK(real.err.find("simulated") == std::string::npos);
  CHECK_FALSE(real.doc().as_object().contains("simulated"));
  CHECK(hs.sim.stats().requests == 1);
}

TEST_CASE("exit codes and messages as README's table: arguments 2, local files 3, one prefix, unknown commands named") {
  hosted_sim hs;
  struct expect {
    std::vector<std::string> args;
    env_map env;
    int code;
    std::string says;
  };
  auto ca_env = hs.env;
  ca_env["CLEANLIST_CA_FILE"] = "/nonexistent.pem";
  auto no_key = hs.env;
  no_key["CLEANLIST_API_KEY"] = std::nullopt;
  const std::vector<expect> cases = {
      {{"status", ""}, hs.env, 2, "must not be empty"},
      {{"enrich", "person"}, hs.env, 2, ""},
      {{"lists", "create", ""}, hs.env, 2, ""},
      {{"enrich-csv", work_path("missing.csv"), work_path("o.csv")}, hs.env, 3, "cannot read"},
      {{"whoami"}, ca_env, 3, "CLEANLIST_CA_FILE: cannot read /nonexistent.pem"},
      {{"--base-url", "not a url", "balance"}, hs.env, 2, "from --base-url"},
      {{"--base-url", "https://api.cleanlist.ai", "balance"}, hs.env, 2, "must end in /api/v1/public or /api/v2"},
      {{"whoami", "--api-key-file", work_dir()}, no_key, 3, "is a directory"},
      {{"who"}, {}, 2, "unknown command 'who' (did you mean 'whoami'?)"},
      {{"lists", "delete", "x"}, {}, 2, "unknown command 'lists delete'"},
      {{"lists"}, {}, 2, "'lists' needs a command: create, list"},
      {{"lists", "import", "L", SAMPLE_CSV, "--dispatch"}, hs.env, 2, "say which with --type"},
      {{"lists", "import", "L", SAMPLE_CSV, "--type", "full"}, hs.env, 2, "applies to --dispatch only"},
  };
  for (const auto& c : cases) {
    const auto requests_before = hs.sim.stats().requests;
    auto r = run_cli(c.args, c.env);
    std::string cmd;
    for (auto& a : c.args) cmd += a + " ";
    INFO("cleanlist " << cmd << "\nstderr: " << r.err);
    CHECK(r.code == c.code);
    CHECK(r.err.find(c.says) != std::string::npos);
    CHECK(r.err.rfind("cleanlist: ", 0) == 0);
    CHECK(r.err.find("cleanlist: cleanlist:") == std::string::npos);
    CHECK(hs.sim.stats().requests == requests_before);  // refused before any request
  }
}

TEST_CASE("-v shows the client's retries on stderr; without it they are not shown") {
  auto p = hosted_sim::params();
  p.faults.p_503 = 1.0;  // every balance read answered 503: retried, then given up
  p.faults.only_path = "/credits/balance";
  hosted_sim hs(p);
  auto verbose = run_cli({"-v", "balance"}, hs.env);
  INFO(verbose.err);
  CHECK(verbose.code == 1);
  CHECK(verbose.err.find("cleanlist: info: retrying GET") != std::string::npos);
  CHECK(verbose.err.find(hs.sim.default_api_key()) == std::string::npos);
  auto plain = run_cli({"balance"}, hs.env);
  CHECK(plain.code == 1);
  CHECK(plain.err.find("retrying") == std::string::npos);
}

TEST_CASE("tables cut and pad UTF-8 text by characters, never inside one") {
  hosted_sim hs;
  std::string name;
  for (int i = 0; i < 60; ++i) name += "\xc5\xbb";  // 60 x U+017B, two bytes each
  REQUIRE(run_cli({"lists", "create", name}, hs.env).code == 0);
  REQUIRE(run_cli({"lists", "create", "plain"}, hs.env).code == 0);
  auto r = run_cli({"lists", "list"}, hs.env);
  INFO(r.out);
  REQUIRE(r.code == 0);
  std::string cut;
  for (int i = 0; i < 45; ++i) cut += "\xc5\xbb";
  CHECK(r.out.find(cut + "...") != std::string::npos);
  CHECK(r.out.find(cut + "\xc5\xbb") == std::string::npos);
  // Every line's third column (LEAD_COUNT) starts at the same character position.
  std::istringstream lines(r.out);
  std::string line;
  std::set<std::size_t> starts;
  while (std::getline(lines, line)) {
    if (line.find("plain") == std::string::npos && line.find(cut) == std::string::npos) continue;
    std::size_t chars = 0, fields = 0;
    bool in_gap = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const auto c = static_cast<unsigned char>(line[i]);
      if ((c & 0xC0) == 0x80) continue;
      if (c == ' ' && i + 1 < line.size() && line[i + 1] == ' ') in_gap = true;
      else if (in_gap && c != ' ') {
        in_gap = false;
        if (++fields == 2) break;
      }
      ++chars;
    }
    starts.insert(chars);
  }
  CHECK(starts.size() == 1);
}

TEST_CASE("whoami, balance, estimate, enrich company on the embedded simulator (--json)") {
  auto who = run_cli({"whoami", "--json"});
  INFO(who.err);
  REQUIRE(who.code == 0);
  CHECK(who.err.find("embedded simulator") != std::string::npos);
  auto w = who.doc().as_object();
  CHECK(!w.at("organization_id").as_string().empty());
  CHECK(w.at("auth_type").as_string() == "api_key");
  CHECK(w.at("scopes").as_array().size() > 0);

  auto bal = run_cli({"--json", "balance"});  // global flag before the subcommand too
  REQUIRE(bal.code == 0);
  CHECK(bal.doc().as_object().at("credits").to_number<std::int64_t>() == 100000);

  auto table = run_cli({"balance", "--quiet"});
  REQUIRE(table.code == 0);
  CHECK(table.out.find("credits") != std::string::npos);
  CHECK(table.out.find("100000") != std::string::npos);
  CHECK(table.err.rfind("cleanlist: simulated:", 0) == 0);  // the only line -q keeps
  CHECK(std::count(table.err.begin(), table.err.end(), '\n') == 1);

  auto est = run_cli({"estimate", "--json", "--tool", "bulk_import_csv", "--rows", "10", "--type", "partial"});
  INFO(est.err);
  REQUIRE(est.code == 0);
  auto e = est.doc().as_object();
  CHECK(!e.at("quote_id").as_string().empty());
  CHECK(e.at("row_count").to_number<std::int64_t>() == 10);
  CHECK(e.at("estimated_cost").to_number<std::int64_t>() >= 0);

  auto co = run_cli({"enrich", "company", "--domain", "acme.com", "--json"});
  INFO(co.err);
  REQUIRE(co.code == 0);
  auto c = co.doc().as_object();
  CHECK(c.at("company").is_object());
  CHECK(c.at("credits_charged").to_number<std::int64_t>() == 1);
}

TEST_CASE("enrich person --wait, status, API errors exit 1 with a JSON error") {
  hosted_sim hs;
  auto started = run_cli({"enrich", "person", "--email", "ada+all@acme.com", "--first-name", "Ada", "--json"}, hs.env);
  INFO(started.err);
  REQUIRE(started.code == 0);
  const std::string wf(started.doc().as_object().at("workflow_id").as_string());
  CHECK(!wf.empty());

  auto st = run_cli({"status", wf, "--wait", "--json"}, hs.env);
  INFO(st.err);
  REQUIRE(st.code == 0);
  auto s = st.doc().as_object();
  CHECK(s.at("status").as_string() == "completed");
  CHECK(s.at("workflow_id").as_string() == wf);
  CHECK(!s.at("result").as_object().at("email").as_string().empty());
  CHECK(st.err.find("progress") != std::string::npos);  // plain progress lines (not a terminal)

  auto once = run_cli({"status", wf, "--json"}, hs.env);
  REQUIRE(once.code == 0);
  CHECK(once.doc().as_object().at("status").as_string() == "completed");

  auto waited = run_cli({"enrich", "person", "--first-name", "Grace", "--last-name", "Hopper", "--domain", "navy.mil",
                         "--type", "partial", "--wait", "--json"},
                        hs.env);
  INFO(waited.err);
  CHECK((waited.code == 0 || waited.code == 4));  // 4: the workflow ended failed (deterministic per seed)
  CHECK(cleanlist::is_terminal_status(std::string(waited.doc().as_object().at("status").as_string())));

  // A workflow that fails exits 4 (the simulator's +fail tag).
  auto failed = run_cli({"enrich", "person", "--email", "bob+fail@acme.com", "--wait", "--json"}, hs.env);
  CHECK(failed.code == 4);
  CHECK(failed.doc().as_object().at("status").as_string() == "failed");

  auto unknown = run_cli({"status", "wf_does_not_exist", "--json"}, hs.env);
  CHECK(unknown.code == 1);
  CHECK(unknown.doc().as_object().at("error").as_object().at("code").as_string() == "not_found");

  auto env = hs.env;
  env["CLEANLIST_API_KEY"] = "clapi_not_a_known_key_0000000000";
  auto denied = run_cli({"whoami", "--json"}, env);
  CHECK(denied.code == 1);
  auto err = denied.doc().as_object().at("error").as_object();
  CHECK(err.at("code").as_string() == "unauthenticated");
  CHECK(err.at("http_status").to_number<int>() == 401);
  CHECK(denied.out.find("clapi_not_a_known_key") == std::string::npos);  // never echoed
}

TEST_CASE("status --wait stopped by Ctrl-C: exit 130, says how to follow the workflow again") {
  auto sp = hosted_sim::params();
  sp.running_for = std::chrono::hours(1);  // never ends while the test runs
  hosted_sim hs(sp);
  auto started = run_cli({"enrich", "person", "--email", "ada+all@acme.com", "--json"}, hs.env);
  REQUIRE(started.code == 0);
  const std::string wf(started.doc().as_object().at("workflow_id").as_string());
  auto c = spawn_cli({"status", wf, "--wait", "--json"}, hs.env, "wait");
  // Interrupted once it has reported the workflow running (a progress line on stderr).
  wait_until(c, [&] { return read_file(c.err_path).find("running") != std::string::npos; });
  kill(c.pid, SIGINT);
  auto r = wait_cli(c);
  INFO(r.err);
  CHECK(r.code == 130);
  CHECK(r.err.find("cleanlist status " + wf + " --wait") != std::string::npos);
  CHECK(r.doc().as_object().at("error").as_object().at("kind").as_string() == "interrupted");
}

TEST_CASE("--api-key-file: the key from a file; a missing file is exit 3") {
  hosted_sim hs;
  const std::string key_file = work_path("key.txt");
  write_file(key_file, hs.sim.default_api_key() + "\n");
  auto env = hs.env;
  env["CLEANLIST_API_KEY"] = std::nullopt;
  auto who = run_cli({"whoami", "--json", "--api-key-file", key_file}, env);
  INFO(who.err);
  CHECK(who.code == 0);
  CHECK(who.err.find("embedded simulator") == std::string::npos);
  CHECK(who.doc().as_object().at("organization_id").as_string() == hs.sim.default_org_id());
  auto missing = run_cli({"whoami", "--api-key-file", work_path("no-such-key.txt")}, env);
  CHECK(missing.code == 3);
  std::remove(key_file.c_str());
}

TEST_CASE("lists create, import, list, show, bulk --wait, status, export") {
  hosted_sim hs;
  auto created = run_cli({"lists", "create", "cli test list", "--description", "from the tests", "--json"}, hs.env);
  INFO(created.err);
  REQUIRE(created.code == 0);
  const std::string list_id(created.doc().as_object().at("list_id").as_string());

  auto imported = run_cli({"lists", "import", list_id, SAMPLE_CSV, "--json"}, hs.env);
  INFO(imported.err);
  REQUIRE(imported.code == 0);
  auto im = imported.doc().as_object();
  CHECK(im.at("rows_imported").to_number<std::int64_t>() > 40);
  CHECK(im.at("column_mapping").as_object().at("email").as_string() == "E-mail");

  auto listed = run_cli({"lists", "list", "--all", "--json"}, hs.env);
  REQUIRE(listed.code == 0);
  bool found = false;
  const auto lists_doc = listed.doc();
  for (auto& l : lists_doc.as_object().at("lists").as_array())
    found = found || l.as_object().at("list_id").as_string() == list_id;
  CHECK(found);
  auto table = run_cli({"lists", "list"}, hs.env);
  CHECK(table.code == 0);
  CHECK(table.out.find("LIST_ID") != std::string::npos);
  CHECK(table.out.find(list_id) != std::string::npos);

  auto shown = run_cli({"lists", "show", list_id, "--leads", "--json"}, hs.env);
  REQUIRE(shown.code == 0);
  auto sh = shown.doc().as_object();
  CHECK(sh.at("leads").as_array().size() == static_cast<std::size_t>(im.at("rows_imported").to_number<std::int64_t>()));

  auto too_dear = run_cli({"bulk", list_id, "--max-cost", "0", "--json"}, hs.env);
  CHECK(too_dear.code == 1);
  CHECK(too_dear.doc().as_object().at("error").as_object().at("code").as_string() == "max_cost_exceeded");

  // A quote saying the balance is short: stopped before the run is sent, said on stderr.
  const auto credits = hs.sim.credits(hs.sim.default_org_id());
  hs.sim.set_credits(hs.sim.default_org_id(), 1);
  const auto posts_before = hs.sim.stats().requests;
  auto short_of = run_cli({"-q", "bulk", list_id, "--json"}, hs.env);
  hs.sim.set_credits(hs.sim.default_org_id(), credits);
  INFO(short_of.err);
  CHECK(short_of.code == 1);
  CHECK(short_of.err.find("the balance is insufficient") != std::string::npos);
  CHECK(short_of.doc().as_object().at("error").as_object().at("code").as_string() == "insufficient_credits");
  CHECK(hs.sim.stats().requests == posts_before + 1);  // the estimate only: no run sent
  CHECK(hs.sim.credits(hs.sim.default_org_id()) == credits);

  auto bulk = run_cli({"bulk", list_id, "--wait", "--json"}, hs.env);
  INFO(bulk.err);
  REQUIRE(bulk.code == 0);
  auto b = bulk.doc().as_object();
  const std::string status(b.at("status").as_string());
  CHECK((status == "completed" || status == "completed_with_errors"));
  CHECK(b.at("processed").to_number<std::int64_t>() == b.at("total").to_number<std::int64_t>());
  const std::string wf(b.at("workflow_id").as_string());
  auto st = run_cli({"status", wf, "--json"}, hs.env);
  REQUIRE(st.code == 0);
  CHECK(st.doc().as_object().at("status").as_string() == status);

  const std::string out = work_path("export.json");
  auto ex = run_cli({"lists", "export", list_id, "--format", "json", "--out", out, "--json"}, hs.env);
  INFO(ex.err);
  REQUIRE(ex.code == 0);
  CHECK(ex.doc().as_object().at("rows").to_number<std::int64_t>() == im.at("rows_imported").to_number<std::int64_t>());
  auto rows = json::parse(read_file(out));
  CHECK(rows.as_array().size() == static_cast<std::size_t>(im.at("rows_imported").to_number<std::int64_t>()));
  std::remove(out.c_str());
  auto csv = run_cli({"lists", "export", list_id, "--columns", "first_name,email"}, hs.env);
  REQUIRE(csv.code == 0);
  CHECK(csv.out.rfind("first_name,email\r\n", 0) == 0);
  auto url = run_cli({"lists", "export", list_id, "--signed-url", "--json"}, hs.env);
  REQUIRE(url.code == 0);
  CHECK(!url.doc().as_object().at("download_url").as_string().empty());
}

TEST_CASE("lists, status, bulk, export on the embedded simulator (one command each)") {
  auto created = run_cli({"lists", "create", "embedded", "--json"});
  INFO(created.err);
  REQUIRE(created.code == 0);
  CHECK(created.err.find("embedded simulator") != std::string::npos);
  CHECK(!created.doc().as_object().at("list_id").as_string().empty());
  auto listed = run_cli({"lists", "list", "--json"});
  REQUIRE(listed.code == 0);
  CHECK(listed.doc().as_object().at("lists").is_array());
  // Each command has its own throw-away server: ids from elsewhere are unknown there (exit 1).
  for (std::vector<std::string> args : {std::vector<std::string>{"status", "wf_unknown", "--wait"},
                                        {"lists", "show", "list_unknown"},
                                        {"lists", "import", "list_unknown", SAMPLE_CSV},
                                        {"lists", "export", "list_unknown"},
                                        {"bulk", "list_unknown"}}) {
    args.push_back("--json");
    auto r = run_cli(args);
    INFO(args[0] << " " << args[1] << ": " << r.out << r.err);
    CHECK(r.code == 1);
    CHECK(r.doc().as_object().at("error").as_object().at("code").as_string() == "not_found");
  }
  auto person = run_cli({"enrich", "person", "--linkedin-url", "https://www.linkedin.com/in/ada", "--wait", "--json"});
  INFO(person.err);
  CHECK((person.code == 0 || person.code == 4));
  CHECK(cleanlist::is_terminal_status(std::string(person.doc().as_object().at("status").as_string())));
  auto table = run_cli({"enrich", "person", "--email", "ada+all@acme.com", "--wait"});
  CHECK(table.code == 0);
  CHECK(table.out.find("result.email") != std::string::npos);
  CHECK(run_cli({"lists", "import", "L", work_path("no-such.csv")}).code == 3);
}

TEST_CASE("lists import: above 150 KB / 1000 rows in several imports; --map chooses the columns") {
  hosted_sim hs;
  const std::string big = work_path("big.csv");
  std::string text = "First Name,Last Name,Email,Company\n";
  for (int i = 0; i < 3000; ++i)
    text += "Person" + std::to_string(i) + ",Surname" + std::to_string(i) + ",person" + std::to_string(i) +
            "@example-company.com,Example Company Incorporated\n";
  REQUIRE(text.size() > 150000);
  write_file(big, text);
  auto created = run_cli({"lists", "create", "big import", "--json"}, hs.env);
  REQUIRE(created.code == 0);
  const std::string list_id(created.doc().as_object().at("list_id").as_string());
  auto imported = run_cli({"lists", "import", list_id, big, "--json"}, hs.env);
  INFO(imported.err);
  REQUIRE(imported.code == 0);
  auto im = imported.doc().as_object();
  CHECK(im.at("chunks").to_number<int>() == 3);  // 180 KB, 3000 rows: at most 1000 rows per import
  CHECK(im.at("rows_imported").to_number<int>() == 3000);

  auto other = run_cli({"lists", "create", "mapped import", "--json"}, hs.env);
  REQUIRE(other.code == 0);
  const std::string other_id(other.doc().as_object().at("list_id").as_string());
  auto mapped = run_cli({"lists", "import", other_id, big, "--map", "email=Email", "--json"}, hs.env);
  INFO(mapped.err);
  REQUIRE(mapped.code == 0);
  auto m = mapped.doc().as_object().at("column_mapping").as_object();
  CHECK(m.size() == 1);
  CHECK(m.at("email").as_string() == "Email");
  CHECK(run_cli({"lists", "import", other_id, big, "--map", "email"}).code == 2);
  std::remove(big.c_str());
}

TEST_CASE("sim: serves until SIGTERM (exit 0); other commands use it") {
  const std::string ca = work_path("sim-cmd-ca.pem");
  const std::string accounts = work_path("sim-accounts.json");
  write_file(accounts, R"({"orgs":[{"org_id":"org_cli","name":"CLI","credits":777,
    "users":[{"user_id":"u1","email":"u1@example.com","name":"U","keys":["clapi_cli_test_key_0001"]}]}]})");
  auto c = spawn_cli({"sim", "--ca-out", ca, "--seed", "7", "--accounts", accounts}, {}, "sim");
  // Ready when both lines (base URL, API key) are on its stdout.
  wait_until(c, [&] {
    auto t = read_file(c.out_path);
    return std::count(t.begin(), t.end(), '\n') >= 2;
  });
  std::istringstream lines(read_file(c.out_path));
  std::string url, key;
  std::getline(lines, url);
  std::getline(lines, key);
  CHECK(url.rfind("https://127.0.0.1:", 0) == 0);
  CHECK(key.rfind("clapi_", 0) == 0);
  env_map env{{"CLEANLIST_API_KEY", key}, {"CLEANLIST_BASE_URL", url}, {"CLEANLIST_CA_FILE", ca}};
  auto bal = run_cli({"balance", "--json"}, env);
  INFO(bal.err);
  CHECK(bal.code == 0);
  CHECK(bal.err.find("embedded simulator") == std::string::npos);
  CHECK(key == "clapi_cli_test_key_0001");
  CHECK(bal.doc().as_object().at("credits").to_number<std::int64_t>() == 777);
  CHECK(bal.doc().as_object().at("organization_id").as_string() == "org_cli");
  kill(c.pid, SIGTERM);
  auto r = wait_cli(c);
  CHECK(r.code == 0);
  std::remove(ca.c_str());
  std::remove(accounts.c_str());
  write_file(accounts, "{not json");
  CHECK(run_cli({"sim", "--accounts", accounts}).code == 3);
  std::remove(accounts.c_str());
}

TEST_SUITE_END();
