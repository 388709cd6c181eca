#pragma once
// One function per subcommand group: each adds its subcommands (flags, --help text) to the
// CLI11 application and, when one of them is chosen, sets `action` to the code that runs it.
#include "session.hpp"

#include <functional>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace cleanlist_cli {

using action_fn = std::function<int(const global_options&)>;

void add_account_commands(CLI::App& app, action_fn& action);    // whoami, balance, estimate
void add_enrich_commands(CLI::App& app, action_fn& action);     // enrich person|company, status, bulk
void add_lists_commands(CLI::App& app, action_fn& action);      // lists create|list|show|import|export
void add_enrich_csv_command(CLI::App& app, action_fn& action);  // enrich-csv IN OUT
void add_sim_command(CLI::App& app, action_fn& action);         // sim

/// An optional request field from a string flag: set only when the flag was given (non-empty).
inline void set_if_given(std::optional<std::string>& field, const std::string& flag) {
  if (!flag.empty()) field = flag;
}

/// Runs `make(session)`'s coroutine in a fresh session; failures become exit codes.
int run_in_session(const global_options& g, const std::function<boost::asio::awaitable<int>(session&)>& make);

} // namespace cleanlist_cli
