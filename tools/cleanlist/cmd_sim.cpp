// sim — the simulator as a standalone server, as `cleanlist-sim` runs it.
#include "commands.hpp"
#include "csv.hpp"

#include <cleanlist/testing/simulator.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <fstream>
#include <stdexcept>
#include <iostream>
#include <memory>

namespace ct = cleanlist::testing;

namespace cleanlist_cli {

namespace {

struct sim_opts {
  ct::simulator_params p;
  std::string ca_out, accounts;
  int port = 0;
  long long window_ms = 60000, pending_ms = 1000, running_ms = 3000, quote_ttl_ms = 300000, latency_ms = 0,
            retry_after_ms = 1000;
  double p_latency = -1;
  bool http = false, no_rate_limit = false, print_jwt = false;
};

int run_sim(const global_options& g, sim_opts o) {
  auto& p = o.p;
  p.port = static_cast<std::uint16_t>(o.port);
  p.tls = !o.http;
  p.rate_limits = !o.no_rate_limit;
  p.window = std::chrono::milliseconds(o.window_ms);
  p.pending_for = std::chrono::milliseconds(o.pending_ms);
  p.running_for = std::chrono::milliseconds(o.running_ms);
  p.quote_ttl = std::chrono::milliseconds(o.quote_ttl_ms);
  p.faults.latency = std::chrono::milliseconds(o.latency_ms);
  p.faults.retry_after = std::chrono::milliseconds(o.retry_after_ms);
  p.faults.p_latency = o.p_latency >= 0 ? o.p_latency : (o.latency_ms > 0 ? 1.0 : 0.0);
  if (!o.accounts.empty()) {
    try {
      p.orgs = ct::load_accounts(o.accounts);
    } catch (const std::invalid_argument& e) {
      throw input_error(e.what());
    }
  }
  try {
    // Signals are caught from before the first line is printed: whoever reads the lines may
    // stop the server at once.
    boost::asio::io_context ioc;
    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) { ioc.stop(); });
    ct::simulator sim(p);
    if (!o.ca_out.empty()) {
      std::ofstream f(o.ca_out);
      f << sim.ca_pem();
      if (!f) throw input_error("cannot write " + o.ca_out);
    }
    std::cout << sim.base_url() << "\n" << sim.default_api_key() << "\n";
    if (o.print_jwt) std::cout << sim.default_jwt() << "\n";
    std::cout << std::flush;
    if (!g.quiet)
      std::cerr << "cleanlist sim: serving " << sim.base_url() << " and " << sim.base_url("/api/v2")
                << " until Ctrl-C or SIGTERM (exit 0)\n  CLEANLIST_API_KEY=" << sim.default_api_key()
                << " CLEANLIST_BASE_URL=" << sim.base_url()
                << (o.ca_out.empty() ? std::string{} : " CLEANLIST_CA_FILE=" + o.ca_out) << "\n";
    ioc.run();
    sim.stop();
    return exit_ok;  // stopping the server is its normal end
  } catch (const input_error&) {
    throw;
  } catch (const std::exception& e) {
    std::cerr << "cleanlist sim: " << e.what() << "\n";
    return exit_api_error;
  }
}

} // namespace

void add_sim_command(CLI::App& app, action_fn& action) {
  auto o = std::make_shared<sim_opts>();
  auto& p = o->p;
  auto& f = p.faults;
  auto* cmd = app.add_subcommand("sim", "Run the local Cleanlist simulator (HTTPS with a throw-away CA unless --http) until "
                                        "Ctrl-C; prints its base URL and API key (as cleanlist-sim does)");
  cmd->add_option("--host", p.host, "Listen address (default 127.0.0.1)");
  cmd->add_option("--port", o->port, "Port (default 0 = ephemeral)")->check(CLI::Range(0, 65535));
  cmd->add_flag("--http", o->http, "Plain HTTP instead of HTTPS");
  cmd->add_option("--ca-out", o->ca_out, "Write the generated CA certificate (PEM) to FILE (for CLEANLIST_CA_FILE)");
  cmd->add_option("--seed", p.seed, "Seed of every deterministic choice (default 42)");
  cmd->add_flag("--no-rate-limit", o->no_rate_limit, "Never answer 429 for rate limits");
  cmd->add_option("--key-limit", p.per_key_limit, "Requests per window per API key (default 30)");
  cmd->add_option("--org-limit", p.per_org_limit, "Requests per window per organisation (default 60)");
  cmd->add_option("--window-ms", o->window_ms, "Rate-limit window (default 60000)")->check(CLI::PositiveNumber);
  cmd->add_option("--pending-ms", o->pending_ms, "Workflows stay pending this long (default 1000)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--running-ms", o->running_ms, "Then running this long (default 3000)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--quote-ttl-ms", o->quote_ttl_ms, "Quote validity (default 300000)")->check(CLI::PositiveNumber);
  cmd->add_option("--latency-ms", o->latency_ms, "Added latency (every request unless --p-latency)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--p-latency", o->p_latency, "Probability of the added latency")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--fault-429", f.p_429, "Probability of an injected 429")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--fault-500", f.p_500, "... 500")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--fault-502", f.p_502, "... 502")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--fault-503", f.p_503, "... 503")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--fault-504", f.p_504, "... 504")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--fault-reset-before", f.p_reset_before, "... connection reset before processing")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--fault-reset-after", f.p_reset_after, "... reset after processing")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--fault-truncate", f.p_truncate, "... truncated body")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--fault-malformed", f.p_malformed, "... malformed JSON")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--fault-stall", f.p_stall, "... no answer at all")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--fault-path", f.only_path, "Faults only on targets containing this");
  cmd->add_option("--retry-after-ms", o->retry_after_ms, "retry_after_ms of an injected 429 (default 1000)");
  cmd->add_flag("--admin", p.admin_endpoint, "Enable /__admin/{stats,ledger,enrich-posts,faults,cohort,credits,cancel}");
  cmd->add_option("--p-cancel", p.p_cancel, "Share of workflows that end cancelled")->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--print-jwt", o->print_jwt, "Also print the default account's Clerk JWT (third line)");
  cmd->add_option("--threads", p.threads, "Server threads (default 1)")->check(CLI::Range(1, 64));
  cmd->add_option("--accounts", o->accounts, "Accounts JSON: {\"orgs\":[{org_id,name,tier,features,credits,users:"
                                             "[{user_id,email,name,keys:[{key,scopes}],jwts:[..]}]}]}");
  cmd->callback([&action, o] {
    auto opts = *o;
    action = [opts](const global_options& g) { return run_sim(g, opts); };
  });
}

} // namespace cleanlist_cli
