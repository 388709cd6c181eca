#pragma once
// The connection of one `cleanlist` run: client parameters from the environment (the API key
// from CLEANLIST_API_KEY or --api-key-file, never from a flag), or the embedded simulator when
// asked for (--sim, CLEANLIST_SIM=1; never in place of a missing key); the io_context; Ctrl-C (SIGINT/SIGTERM through asio::signal_set)
// cancelling the running command; errors mapped to exit codes.
#include "output.hpp"

#include <cleanlist/client.hpp>
#include <cleanlist/testing/simulator.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>

namespace cleanlist_cli {

/// Flags every subcommand understands (given before or after the subcommand).
struct global_options {
  bool json = false;
  bool quiet = false;
  std::string api_key_file;
  std::string base_url;     ///< overrides CLEANLIST_BASE_URL
  bool sim = false;         ///< --sim: the embedded simulator (also CLEANLIST_SIM=1)
  int verbose = 0;          ///< -v: the library's log (retries, ...) on stderr; -vv: its debug lines too
  std::string command_line; ///< the whole command, for "run it again to resume" hints
  // Set by commands that share a rate budget (enrich-csv --redis / --shard), not global flags:
  std::string redis_url;    ///< non-empty: the key's rate budget is shared through this Redis
  int processes = 1;        ///< processes sharing the budget (each falls back to 1/processes of it)
  std::chrono::milliseconds rate_window{0};  ///< >0: the server's rate window (a simulator's scaled one)
  std::chrono::milliseconds rate_margin{-1}; ///< >=0: the limiter's margin on that window
};

/// --sim, or CLEANLIST_SIM=1 (0 or unset: no; anything else: usage_error).
bool simulator_requested(const global_options& g);
/// The API key of this run (from --api-key-file, else CLEANLIST_API_KEY; empty with --sim).
/// Throws what the session would (usage_error: no key and no --sim, --sim with --base-url or
/// --api-key-file; usage_error / input_error: a bad key file), before anything is created.
std::string require_credentials(const global_options& g);

class session {
public:
  /// Throws usage_error without credentials (and without --sim), usage_error / input_error for a
  /// bad --api-key-file.
  explicit session(const global_options& g);
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  boost::asio::io_context& ioc() { return ioc_; }
  cleanlist::client& client() { return *client_; }
  const cleanlist::client_params& params() const { return params_; }
  cleanlist::testing::simulator* sim() { return sim_.get(); }
  const output& out() const { return out_; }
  const global_options& globals() const { return g_; }
  /// The base URL serves the official v2 contract (lead_list_id required for a person).
  bool v2() const;

  /// Runs `task` to its end on the io_context. SIGINT/SIGTERM: the task's operations are
  /// cancelled (terminal cancellation), on_interrupt hooks run, and the task finishes what it
  /// must (e.g. flush its journal); a second signal exits at once with 130. Exceptions are
  /// reported (stderr, plus a JSON error object on stdout with --json) and mapped to exit codes.
  int run(boost::asio::awaitable<int> task);
  bool interrupted() const { return interrupted_; }
  /// Called on the first signal (after the main task's cancellation was emitted).
  std::function<void()> on_interrupt;
  /// Called every 250 ms while a task runs (progress redraws).
  std::function<void()> on_tick;
  /// Requests the client may still send in the current rate-limit window (estimate from the
  /// client's own counters: per-key budget minus the requests of the last window).
  int budget_left();

private:
  global_options g_;
  output out_;
  cleanlist::client_params params_;
  std::unique_ptr<cleanlist::testing::simulator> sim_;
  boost::asio::io_context ioc_;
  std::unique_ptr<cleanlist::client> client_;
  boost::asio::cancellation_signal cancel_;
  bool interrupted_ = false;
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::uint64_t>> samples_;
};

/// Clears session::on_tick when a coroutine's progress display goes out of scope.
struct tick_guard {
  session* s;
  ~tick_guard() { s->on_tick = nullptr; }
};

/// What a failed command says: its exit code, the text for stderr (empty after Ctrl-C) and
/// the `error` object of --json output.
struct failure_info {
  int code = exit_api_error;
  std::string text;
  boost::json::object error;
};
failure_info describe_failure(std::exception_ptr e, bool interrupted);

/// Reports an exception of a command (stderr, JSON on stdout with --json); returns its exit code.
int report_failure(const output& out, std::exception_ptr e, bool interrupted);

} // namespace cleanlist_cli
