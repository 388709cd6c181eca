// cleanlist — the command-line client of the Cleanlist API, built on the public library.
// Dispatch only: each subcommand group lives in its own cmd_*.cpp; see README.md.
#include "commands.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace cleanlist_cli {
namespace {

const char* footer_text =
    "Credentials: the API key is read from CLEANLIST_API_KEY (or --api-key-file PATH), never from a\n"
    "flag; without one a command stops (exit 2). --sim (or CLEANLIST_SIM=1) runs it against an\n"
    "embedded simulator instead: offline, invented results, said on stderr even with -q and as\n"
    "\"simulated\": true in --json.\n"
    "Also read: CLEANLIST_BASE_URL, CLEANLIST_CA_FILE, CLEANLIST_API_PREFIX (embedded simulator),\n"
    "CLEANLIST_REDIS_URL (enrich-csv: the rate budget shared by shards, like --redis).\n"
    "\n"
    "Output: a table (stdout) for people; --json prints exactly one JSON document on stdout\n"
    "(errors too: {\"error\": {...}}). Notes and progress go to stderr.\n"
    "\n"
    "Exit codes:\n"
    "  0    success\n"
    "  1    API error (refused, failed, or unreachable; see stderr / the JSON error);\n"
    "       enrich-csv: some contacts were refused for now (OUT written; run again to retry them)\n"
    "  2    usage error (unknown flag or subcommand, missing or invalid argument)\n"
    "  3    input/output error (a local file could not be read or written, invalid CSV)\n"
    "  4    a waited-for workflow ended failed or cancelled (status --wait, enrich person --wait, bulk --wait)\n"
    "  130  interrupted (Ctrl-C / SIGTERM): stopped cleanly; enrich-csv resumes when run again";

std::string shell_quote(const std::string& a) {
  if (!a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-") ==
                        std::string::npos)
    return a;
  std::string q = "'";
  for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string command_names(const std::vector<const CLI::App*>& subs) {
  std::string names;
  for (const auto* s : subs) names += (names.empty() ? "" : ", ") + s->get_name();
  return names;
}

/// When the command line names a command that does not exist (or stops before a group's
/// command), the message to give instead of CLI11's "A subcommand is required".
std::optional<std::string> command_problem(const CLI::App& app, int argc, char** argv) {
  static const std::set<std::string> valued = {"--api-key-file", "--base-url"};
  std::vector<std::string> words;  // the positional words, in order
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("-", 0) == 0) {
      if (valued.count(a)) ++i;
      continue;
    }
    words.push_back(a);
  }
  const CLI::App* level = &app;
  std::string path;
  for (const auto& w : words) {
    auto subs = level->get_subcommands([](const CLI::App*) { return true; });
    if (subs.empty()) return std::nullopt;  // a command's own arguments: CLI11's message stands
    const CLI::App* next = nullptr;
    std::string best;
    std::size_t best_d = 3;  // suggest within 2 edits, or a command the word starts
    for (const auto* s : subs) {
      if (s->get_name() == w) next = s;
      const std::size_t d = s->get_name().rfind(w, 0) == 0 ? 0 : edit_distance(w, s->get_name());
      if (d < best_d) best_d = d, best = s->get_name();
    }
    if (!next)
      return "unknown command '" + (path.empty() ? w : path + " " + w) + "'" +
             (best.empty() ? "" : " (did you mean '" + (path.empty() ? best : path + " " + best) + "'?)") +
             "; commands" + (path.empty() ? "" : " of '" + path + "'") + ": " + command_names(subs);
    path += (path.empty() ? "" : " ") + w;
    level = next;
  }
  auto subs = level->get_subcommands([](const CLI::App*) { return true; });
  if (level != &app && !subs.empty()) return "'" + path + "' needs a command: " + command_names(subs);
  return std::nullopt;
}

} // namespace
} // namespace cleanlist_cli

int main(int argc, char** argv) {
  using namespace cleanlist_cli;
  global_options g;
  for (int i = 0; i < argc; ++i) g.command_line += (i ? " " : "") + shell_quote(i ? argv[i] : "cleanlist");

  CLI::App app{"cleanlist — command-line client of the Cleanlist enrichment API", "cleanlist"};
  app.footer(footer_text);
  app.require_subcommand(1);
  app.fallthrough();  // global flags are accepted after the subcommand too
  app.add_flag("--json", g.json, "Print one JSON document on stdout (for scripts)");
  app.add_flag("-q,--quiet", g.quiet, "No notes nor progress on stderr");
  app.add_option("--api-key-file", g.api_key_file, "Read the API key from this file instead of CLEANLIST_API_KEY");
  app.add_option("--base-url", g.base_url, "API base URL (default: CLEANLIST_BASE_URL, else the public API)");
  app.add_flag("-v,--verbose", g.verbose, "The client's log on stderr: retries and what they wait for (-vv: debug lines too)");
  app.add_flag("--sim", g.sim, "Run against the embedded simulator (offline, invented results; also CLEANLIST_SIM=1)");
  app.set_version_flag("--version", std::string("cleanlist ") + CLEANLIST_VERSION_STRING);

  action_fn action;
  add_account_commands(app, action);
  add_enrich_commands(app, action);
  add_lists_commands(app, action);
  add_enrich_csv_command(app, action);
  add_sim_command(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // The message and a hint on stderr (and {"error": {"kind": "usage"}} with --json); exit 2.
    const auto problem = command_problem(app, argc, argv);
    return report_failure(output(g.json, g.quiet), std::make_exception_ptr(usage_error(problem ? *problem : e.what())), false);
  } catch (...) {
    return report_failure(output(g.json, g.quiet), std::current_exception(), false);
  }
  if (!action) {
    std::cerr << app.help();
    return exit_usage;
  }
  try {
    return action(g);
  } catch (...) {
    return report_failure(output(g.json, g.quiet), std::current_exception(), false);
  }
}
