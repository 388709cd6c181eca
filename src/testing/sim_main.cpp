// cleanlist-sim: the simulator as a standalone server.
// Prints two lines on start (base URL, default API key) and runs until SIGINT/SIGTERM.
#include <cleanlist/testing/simulator.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <iostream>
#include <string>

namespace ct = cleanlist::testing;

namespace {

const char* usage_text =
    "usage: cleanlist-sim [options]\n"
    "  --host H             listen address (default 127.0.0.1)\n"
    "  --port N             port (default 0 = ephemeral)\n"
    "  --http               plain HTTP instead of HTTPS\n"
    "  --ca-out FILE        write the generated CA certificate (PEM) to FILE\n"
    "  --no-tls-resumption  issue no session tickets/ids: every TLS handshake is full\n"
    "  --tls12              cap TLS at 1.2\n"
    "  --seed N             seed of every deterministic choice (default 42)\n"
    "  --no-rate-limit      never answer 429 for rate limits\n"
    "  --key-limit N        requests per window per API key (default 30)\n"
    "  --org-limit N        requests per window per organisation (default 60)\n"
    "  --window-ms N        rate-limit window (default 60000)\n"
    "  --pending-ms N       workflows stay pending this long (default 1000)\n"
    "  --running-ms N       then running this long (default 3000)\n"
    "  --quote-ttl-ms N     quote validity (default 300000)\n"
    "  --latency-ms N       added latency; applies to every request unless --p-latency is given\n"
    "  --p-latency P        probability of the added latency\n"
    "  --fault-429 P  --fault-500 P  --fault-502 P  --fault-503 P  --fault-504 P\n"
    "  --fault-reset-before P  --fault-reset-after P  --fault-truncate P\n"
    "  --fault-malformed P  --fault-stall P\n"
    "  --fault-path S       faults only on targets containing S\n"
    "  --accounts FILE      accounts JSON: {\"orgs\":[{org_id,name,tier,features,credits,\n"
    "                       users:[{user_id,email,name,keys:[{key,scopes}],jwts:[..]}]}]}\n"
    "  --admin              enable /__admin/{stats,ledger,enrich-posts,faults,cohort,credits,cancel}\n"
    "  --p-cancel P         share of workflows that end cancelled (default 0)\n"
    "  --print-jwt          also print the default account's Clerk JWT (third line)\n"
    "  --threads N          server threads (default 1)\n"
    "  --csv-max-rows N     rows one CSV import takes, the rest skipped as row_cap_exceeded (default 10000)\n"
    "  --export-fault K     export downloads answer K instead of the file: 500, garbage, oversized or stall\n"
    "  --help               this text\n";

[[noreturn]] void die(const std::string& msg) {
  std::cerr << "cleanlist-sim: " << msg << "\n" << usage_text;
  std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
  ct::simulator_params p;
  std::string ca_out;
  bool p_latency_given = false, print_jwt = false;
  auto need = [&](int& i) -> std::string {
    if (i + 1 >= argc) die(std::string("missing value for ") + argv[i]);
    return argv[++i];
  };
  auto num = [&](int& i) -> long long {
    std::string v = need(i);
    try { return std::stoll(v); } catch (...) { die("not a number: " + v); }
  };
  auto prob = [&](int& i) -> double {
    std::string v = need(i);
    try {
      double d = std::stod(v);
      if (d < 0 || d > 1) die("probability out of [0,1]: " + v);
      return d;
    } catch (const std::logic_error&) { die("not a number: " + v); }
  };
  try {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a == "--help" || a == "-h") { std::cout << usage_text; return 0; }
      else if (a == "--host") p.host = need(i);
      else if (a == "--port") p.port = static_cast<std::uint16_t>(num(i));
      else if (a == "--http") p.tls = false;
      else if (a == "--csv-max-rows") {
        const auto n = num(i);
        if (n < 1) die("--csv-max-rows must be at least 1");
        p.csv_max_rows = static_cast<std::size_t>(n);
      } else if (a == "--export-fault") {
        std::string k = need(i);
        if (k == "500") p.export_download = ct::export_fault::status_500;
        else if (k == "garbage") p.export_download = ct::export_fault::garbage;
        else if (k == "oversized") p.export_download = ct::export_fault::oversized;
        else if (k == "stall") p.export_download = ct::export_fault::stall;
        else if (k == "none") p.export_download = ct::export_fault::none;
        else die("--export-fault takes 500, garbage, oversized, stall or none");
      }
      else if (a == "--no-tls-resumption") p.tls_resumption = false;
      else if (a == "--tls12") p.tls12_only = true;
      else if (a == "--ca-out") ca_out = need(i);
      else if (a == "--seed") p.seed = static_cast<std::uint64_t>(num(i));
      else if (a == "--no-rate-limit") p.rate_limits = false;
      else if (a == "--key-limit") p.per_key_limit = static_cast<int>(num(i));
      else if (a == "--org-limit") p.per_org_limit = static_cast<int>(num(i));
      else if (a == "--window-ms") p.window = std::chrono::milliseconds(num(i));
      else if (a == "--pending-ms") p.pending_for = std::chrono::milliseconds(num(i));
      else if (a == "--running-ms") p.running_for = std::chrono::milliseconds(num(i));
      else if (a == "--quote-ttl-ms") p.quote_ttl = std::chrono::milliseconds(num(i));
      else if (a == "--latency-ms") p.faults.latency = std::chrono::milliseconds(num(i));
      else if (a == "--p-latency") { p.faults.p_latency = prob(i); p_latency_given = true; }
      else if (a == "--fault-429") p.faults.p_429 = prob(i);
      else if (a == "--fault-500") p.faults.p_500 = prob(i);
      else if (a == "--fault-502") p.faults.p_502 = prob(i);
      else if (a == "--fault-503") p.faults.p_503 = prob(i);
      else if (a == "--fault-504") p.faults.p_504 = prob(i);
      else if (a == "--fault-reset-before") p.faults.p_reset_before = prob(i);
      else if (a == "--fault-reset-after") p.faults.p_reset_after = prob(i);
      else if (a == "--fault-truncate") p.faults.p_truncate = prob(i);
      else if (a == "--fault-malformed") p.faults.p_malformed = prob(i);
      else if (a == "--fault-stall") p.faults.p_stall = prob(i);
      else if (a == "--fault-path") p.faults.only_path = need(i);
      else if (a == "--accounts") {
        try {
          p.orgs = ct::load_accounts(need(i));
        } catch (const std::invalid_argument& e) {
          die(e.what());
        }
      }
      else if (a == "--admin") p.admin_endpoint = true;
      else if (a == "--p-cancel") p.p_cancel = prob(i);
      else if (a == "--print-jwt") print_jwt = true;
      else if (a == "--threads") p.threads = static_cast<int>(num(i));
      else die("unknown option " + a);
    }
    if (p.faults.latency.count() > 0 && !p_latency_given) p.faults.p_latency = 1.0;

    ct::simulator sim(p);
    if (!ca_out.empty()) {
      std::ofstream f(ca_out);
      f << sim.ca_pem();
      if (!f) die("cannot write " + ca_out);
    }
    std::cout << sim.base_url() << "\n" << sim.default_api_key() << "\n";
    if (print_jwt) std::cout << sim.default_jwt() << "\n";
    std::cout << std::flush;

    boost::asio::io_context ioc;
    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) { ioc.stop(); });
    ioc.run();
    sim.stop();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "cleanlist-sim: " << e.what() << "\n";
    return 1;
  }
}
