// `cleanlist enrich-csv` on thousands of rows, sent as one bulk run (the default), interrupted
// by SIGINT (Ctrl-C) or SIGKILL (a crash) at moments the test picks from the simulator's
// request counter and the journal's content (before any request, during the imports, just
// after the run was dispatched, during the polls and the read-back, after every result was
// journaled), then run again until it exits 0. The simulator the test hosts then shows, from
// its ledger: one bulk run at most, holding every distinct contact once; the credits taken
// equal what that run charged and what the contacts' deterministic outcomes cost — nothing
// paid twice; OUT has every input row with the result the simulator gives its contact.
// A crash that cuts the batch after its list got leads and before its run was journaled
// leaves the contacts "outcome unknown" (the API cannot find a run by its list): accepted only
// for a kill in that window, and never paid twice; the test then does what the user would
// after finding that list not enriched (the ledger has no run): --resend-unknown, and checks
// the books again.
#include "cli_support.hpp"

#include <signal.h>
#include <time.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace cli_test;

namespace {

std::int64_t num(const json::object& o, const char* k) { return o.at(k).to_number<std::int64_t>(); }

std::size_t count_in(const std::string& path, const std::string& needle) {
  const std::string t = read_file(path);
  std::size_t n = 0;
  for (auto p = t.find(needle); p != std::string::npos; p = t.find(needle, p + needle.size())) ++n;
  return n;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// Waits until `ready()` holds, re-checking every 200 µs (the simulator's counter is in this
/// process; no file changes to wait on). Fails the test if the child exits first.
void spin_until(const child& c, const std::function<bool()>& ready) {
  while (!ready()) {
    int status = 0;
    if (waitpid(c.pid, &status, WNOHANG) == c.pid)
      FAIL("the child exited (code " << decode(status) << ") before the awaited moment:\n" << read_file(c.err_path));
    timespec ts{0, 200000};
    nanosleep(&ts, nullptr);
  }
}

/// Reaps a child that may already have exited before the signal reached it.
cli_result kill_and_wait(const child& c, int sig) {
  ::kill(c.pid, sig);
  return wait_cli(c);
}

enum class phase { intent, imports, dispatched, after_dispatch, journaled };
std::string name_of(phase p) {
  switch (p) {
  case phase::intent: return "before any request (intent journaled)";
  case phase::imports: return "during the imports";
  case phase::dispatched: return "just after the run was dispatched";
  case phase::after_dispatch: return "polls / read-back";
  case phase::journaled: return "after every result was journaled";
  }
  return "?";
}

struct input_file {
  std::string path;
  std::size_t rows = 0, invalid = 0;
  std::vector<std::string> row_email;  // per data row: lower-cased email ("" for invalid rows)
  std::set<std::string> distinct;
};

/// `n` rows: every 50th repeats the previous row's email in upper case (the same contact),
/// two have no identifier; other columns are kept through to OUT.
input_file make_input(const std::string& path, std::size_t n) {
  input_file f;
  f.path = path;
  std::string t = "first_name,last_name,company,email,note\n";
  std::string prev;
  for (std::size_t i = 0; i < n; ++i) {
    std::string email = "person" + std::to_string(i) + "@co" + std::to_string(i % 97) + ".example";
    if (i % 50 == 49) email = prev;
    std::string shown = email;
    if (i % 50 == 49) for (auto& c : shown) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (i == 7 || i == n / 2) {
      t += "Nobody,,,,\"no identifier, " + std::to_string(i) + "\"\n";
      f.row_email.emplace_back();
      ++f.invalid;
    } else {
      t += "First" + std::to_string(i) + ",Last" + std::to_string(i) + ",Co " + std::to_string(i % 97) + "," + shown +
           ",\"note " + std::to_string(i) + "\"\n";
      f.row_email.push_back(lower(email));
      f.distinct.insert(lower(email));
    }
    prev = email;
    ++f.rows;
  }
  write_file(path, t);
  return f;
}

void fresh(const std::string& out) {
  std::remove(out.c_str());
  std::remove((out + ".journal").c_str());
  std::remove((out + ".tmp").c_str());
}

struct books_t {
  std::size_t unknown = 0, enriched = 0, runs = 0;
  std::int64_t charged = 0, expected = 0;
};

/// OUT (every input row, in order, its columns kept, with a result or its own error) and the
/// simulator's books: every run holds every distinct contact; credits taken = what was charged.
books_t check_books(const input_file& in, std::uint64_t seed, hosted_sim& hs, std::int64_t credits_before,
                    const std::string& out) {
  books_t b;
  const auto input = read_csv(in.path);
  auto rows = read_csv(out);
  REQUIRE(rows.size() == in.rows + 1);
  REQUIRE(rows[0].size() == 5 + 8);
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    REQUIRE(row.size() == rows[0].size());
    const auto& email = in.row_email[r - 1];
    const std::string& status = row[5];
    const std::string& found_email = row[6];
    const std::string& error = row.back();
    CHECK(error.find("re-run") == std::string::npos);
    for (std::size_t c = 0; c < 5; ++c) CHECK(row[c] == input[r][c]);
    if (email.empty()) {
      CHECK(error.find("no identifier") != std::string::npos);
      continue;
    }
    if (error.find("outcome unknown") != std::string::npos) {
      ++b.unknown;
      continue;
    }
    INFO("row " << r << ": " << email);
    CHECK(!status.empty());
    ++b.enriched;
    // The simulator's deterministic outcome for this contact, read back into this row.
    const auto o = cleanlist::testing::predict_outcome(seed, email);
    CHECK(found_email.empty() == (o.workflow_fails || !o.email_found));
  }
  for (const auto& e : in.distinct) {
    const auto o = cleanlist::testing::predict_outcome(seed, e);
    b.expected += (!o.workflow_fails && o.email_found) ? 1 : 0;  // partial: 1 credit per email found
  }
  auto ledger = hs.sim.ledger_json().as_object();
  const auto& wfs = ledger.at("workflows").as_array();
  for (const auto& w : wfs) {
    CHECK(num(w.as_object(), "total") == static_cast<std::int64_t>(in.distinct.size()));
    b.charged += num(w.as_object(), "credits_charged");
  }
  b.runs = wfs.size();
  CHECK(b.runs <= 1);
  CHECK(hs.sim.stats().accepted_enrich_posts == 0);  // no contact went person by person
  CHECK(credits_before - hs.sim.credits(hs.sim.default_org_id()) == b.charged);
  return b;
}

struct scenario {
  int sig;
  phase when;
  unsigned seed;
};

void run_scenario(const input_file& in, const scenario& sc) {
  std::mt19937 rng(sc.seed);
  auto sp = hosted_sim::params();
  sp.pending_for = std::chrono::milliseconds(300);
  sp.running_for = std::chrono::milliseconds(900);
  // Every request takes >= 15 ms: a kill lands in the phase the counter says.
  sp.faults.p_latency = 1;
  sp.faults.latency = std::chrono::milliseconds(15);
  hosted_sim hs(sp);
  const std::string out = work_path("interrupt_out.csv");
  const std::string journal = out + ".journal";
  fresh(out);
  const auto org = hs.sim.default_org_id();
  const auto credits_before = hs.sim.credits(org);
  const std::vector<std::string> args{"enrich-csv", in.path, out, "--json"};

  auto c = spawn_cli(args, hs.env, "interrupt");
  std::uint64_t at_bulk = 0;
  switch (sc.when) {
  case phase::intent:
    wait_until(c, [&] { return count_in(journal, "\"bulk_intent\"") >= 1; });
    break;
  case phase::imports: {
    const auto n = 2 + rng() % 2;  // the list, then 1-2 imports
    spin_until(c, [&] { return hs.sim.stats().requests >= n; });
    break;
  }
  case phase::dispatched:
    wait_until(c, [&] { return count_in(journal, "\"bulk\":") >= 1; });
    break;
  case phase::after_dispatch: {
    wait_until(c, [&] { return count_in(journal, "\"bulk\":") >= 1; });
    at_bulk = hs.sim.stats().requests;
    const auto extra = 1 + rng() % 2;  // a poll, or a second poll / the export (the read-back is 1 request)
    spin_until(c, [&] { return hs.sim.stats().requests >= at_bulk + extra; });
    break;
  }
  case phase::journaled:
    wait_until(c, [&] { return count_in(journal, "\"status\"") >= in.distinct.size(); });
    break;
  }
  const bool bulk_at_kill = count_in(journal, "\"bulk\":") >= 1;
  const bool dispatching_at_kill = count_in(journal, "\"bulk_dispatching\"") >= 1;
  const auto requests_at_kill = hs.sim.stats().requests;
  auto first = kill_and_wait(c, sc.sig);
  INFO("signal " << sc.sig << ", " << name_of(sc.when) << ", seed " << sc.seed << ", " << requests_at_kill
                 << " requests at the kill, run journaled: " << bulk_at_kill << "\nfirst run stderr: " << first.err);
  // 0 only when the run ended before the signal reached it.
  CHECK((first.code == 0 || first.code == (sc.sig == SIGINT ? 130 : 128 + SIGKILL)));

  // Run again until it is done (each run resumes from the journal).
  cli_result again;
  int reruns = 0;
  do {
    again = run_cli(args, hs.env);
    ++reruns;
  } while (again.code != 0 && reruns < 3);
  INFO("re-run stderr: " << again.err);
  REQUIRE(again.code == 0);
  CHECK(reruns == 1);  // one re-run finishes the job
  auto s2 = again.doc().as_object();
  CHECK(s2.at("complete").as_bool());

  bool resent = false;
  auto books = check_books(in, sp.seed, hs, credits_before, out);
  if (books.unknown == 0) {
    CHECK(books.enriched == in.rows - in.invalid);
    REQUIRE(books.runs == 1);
    CHECK(books.charged == books.expected);
  } else {
    // Only a crash between "the paid run is sent next" and the run being journaled may leave
    // the contacts undecided, and then all of them (one batch): never paid twice.
    CHECK(sc.sig == SIGKILL);
    CHECK(!bulk_at_kill);
    CHECK(dispatching_at_kill);  // a crash before the paid POST was journaled is sent again, not unknown
    CHECK(books.unknown == in.rows - in.invalid);
    CHECK(books.charged <= books.expected);
    CHECK(again.err.find("--resend-unknown") == std::string::npos);  // stderr is not where rows speak
    if (books.runs == 0) {
      // What the user does after looking at the list the rows name and finding it not enriched.
      auto resend_args = args;
      resend_args.push_back("--resend-unknown");
      auto r = run_cli(resend_args, hs.env);
      INFO("--resend-unknown stderr: " << r.err);
      REQUIRE(r.code == 0);
      CHECK(num(r.doc().as_object(), "resent_unknown") == static_cast<std::int64_t>(in.distinct.size()));
      resent = true;
      books = check_books(in, sp.seed, hs, credits_before, out);
      CHECK(books.unknown == 0);
      CHECK(books.enriched == in.rows - in.invalid);
      REQUIRE(books.runs == 1);
      CHECK(books.charged == books.expected);
    }
  }
  if (bulk_at_kill) CHECK(num(s2, "requeued") == 0);  // the paid run was waited for, never sent again

  // Done: a further run sends nothing.
  auto third = run_cli(args, hs.env);
  REQUIRE(third.code == 0);
  CHECK(num(third.doc().as_object(), "requests") == 0);
  MESSAGE("signal " << sc.sig << " " << name_of(sc.when) << " (seed " << sc.seed << ", " << requests_at_kill
                    << " requests at the kill): first exit " << first.code << ", re-run " << num(s2, "requests")
                    << " requests" << (num(s2, "undecided") ? std::string(" (a crash mid-dispatch: list looked up)") : std::string())
                    << (resent ? std::string(", then --resend-unknown") : std::string()) << "; finally "
                    << books.enriched << " rows enriched, " << books.unknown << " outcome unknown, " << books.runs
                    << " run(s), " << books.charged << " credits charged (" << books.expected << " expected)");
  fresh(out);
}

} // namespace

TEST_SUITE_BEGIN("enrich_csv_interrupt");

TEST_CASE("enrich-csv, 3000 rows in one bulk run: SIGINT / SIGKILL at every phase, re-run: every row enriched once, paid once") {
  const input_file in = make_input(work_path("interrupt_in.csv"), 3000);
  REQUIRE(in.distinct.size() > 2900);
  // Seeds choose the moment within each phase (how many imports, polls or pages have passed).
  const unsigned base = 20261130;
  std::vector<scenario> all;
  unsigned k = 0;
  for (int sig : {SIGINT, SIGKILL})
    for (phase p : {phase::intent, phase::imports, phase::dispatched, phase::after_dispatch, phase::after_dispatch,
                    phase::journaled})
      all.push_back({sig, p, base + k++});
  for (const auto& sc : all) {
    CAPTURE(sc.seed);
    run_scenario(in, sc);
  }
  std::remove(in.path.c_str());
}

TEST_CASE("enrich-csv: Ctrl-C while the run POST is unanswered: outcome unknown journaled, never sent again, paid once") {
  const input_file in = make_input(work_path("unanswered_in.csv"), 3000);
  auto sp = hosted_sim::params();
  // The run POST waits 1.5 s in the simulator before it is processed (then processed even
  // though the client is gone, as a server that already read it would).
  sp.faults.only_path = "/enrichment/bulk";
  sp.faults.p_latency = 1;
  sp.faults.latency = std::chrono::milliseconds(1500);
  hosted_sim hs(sp);
  const std::string out = work_path("unanswered_out.csv");
  fresh(out);
  const auto credits_before = hs.sim.credits(hs.sim.default_org_id());
  const std::vector<std::string> args{"enrich-csv", in.path, out, "--json"};
  auto c = spawn_cli(args, hs.env, "unanswered");
  spin_until(c, [&] { return hs.sim.stats().faults_injected >= 1; });  // the run POST arrived
  auto first = kill_and_wait(c, SIGINT);
  INFO("first run stderr: " << first.err);
  REQUIRE(first.code == 130);
  CHECK(count_in(out + ".journal", "\"bulk\":") == 0);  // no run id: the answer never came
  // The simulator processes the POST once its latency is over: one run, dispatched and paid;
  // wait (at most 30 s) until it has ended and settled, to compare its charge.
  auto settled = [&] {
    auto l = hs.sim.ledger_json();
    const auto& w = l.as_object().at("workflows").as_array();
    return !w.empty() && w[0].as_object().at("settled").as_bool();
  };
  for (int i = 0; i < 300 && !settled(); ++i) {
    timespec ts{0, 100000000};
    nanosleep(&ts, nullptr);
  }
  auto again = run_cli(args, hs.env);
  INFO("re-run stderr: " << again.err);
  REQUIRE(again.code == 0);  // every row has its final (unknown) outcome: nothing sent again
  CHECK(num(again.doc().as_object(), "requests") == 0);
  auto books = check_books(in, sp.seed, hs, credits_before, out);
  CHECK(books.unknown == in.rows - in.invalid);
  CHECK(books.runs == 1);
  CHECK(books.charged == books.expected);  // paid once, for the run whose answer was lost
  auto rows = read_csv(out);
  CHECK(rows[1].back().find("list ") != std::string::npos);  // the row names the list to look at
  MESSAGE("run POST cut by Ctrl-C: " << books.unknown << " rows outcome unknown, " << books.runs << " run, "
                                     << books.charged << " credits (" << books.expected << " expected), re-run 0 requests");
  fresh(out);
  std::remove(in.path.c_str());
}

TEST_SUITE_END();
