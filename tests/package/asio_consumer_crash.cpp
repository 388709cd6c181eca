// A default consumer of the installed package (find_package(cleanlist)): three non-idempotent
// POSTs stopped after their write, the third by a steady_timer of the program itself. Built
// against a library whose Asio was compiled with other macros than the program's, it died with
// SIGSEGV in Asio's handler allocation at that timer's async_wait; it must run to the end.
#include <cleanlist/client.hpp>
#include <cleanlist/testing/simulator.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <iostream>
#include <thread>

namespace cl = cleanlist;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

static double secs(clk::time_point a, clk::time_point b) { return std::chrono::duration<double>(b - a).count(); }

static cl::client_params params_for(const cl::testing::simulator& sim) {
  cl::client_params p;
  p.api_key = sim.default_api_key();
  p.base_url = sim.base_url();
  p.tls.use_system_ca = false;
  return p;
}

static int failures = 0;

static void probe_outcome_unknown() {
  std::cout << "== probe 1: non-idempotent POST stopped after it was written\n";
  cl::testing::simulator_params sp;
  sp.tls = false;
  sp.rate_limits = false;
  sp.faults.p_latency = 1.0;
  sp.faults.latency = 1500ms;  // server takes 1.5 s before processing (and then processes)
  sp.faults.only_path = "/enrichment/person";
  cl::testing::simulator sim(sp);

  auto one = [&](const char* label, std::string email, auto tweak, bool cancel_at_500ms) {
    asio::io_context io;
    auto p = params_for(sim);
    tweak(p);
    cl::error_code got;
    auto t0 = clk::now();
    double took = 0;
    std::uint64_t ou = 0;
    {
      cl::client c(io.get_executor(), p);
      cl::enrich_person_request r;
      r.email = email;
      asio::cancellation_signal sig;
      asio::steady_timer t(io, 500ms);
      if (cancel_at_500ms) t.async_wait([&](auto) { sig.emit(asio::cancellation_type::terminal); });
      c.async_enrich_person(r, asio::bind_cancellation_slot(sig.slot(), [&](cl::error_code ec, cl::enrich_person_response) {
                              got = ec;
                              took = secs(t0, clk::now());
                            }));
      io.run();
      ou = c.stats().outcome_unknown;
    }
    // The server processes the POST after its 1.5 s delay: wait for it, with a deadline.
    auto id = cl::testing::person_identity(email, "", "", "", "");
    for (auto until = clk::now() + 20s; sim.enrich_posts_for(id) == 0 && clk::now() < until;)
      std::this_thread::sleep_for(10ms);
    std::cout << "  " << label << ": ec=" << got.message() << " after " << took << " s; client outcome_unknown=" << ou
              << "; server accepted POSTs for this contact=" << sim.enrich_posts_for(id)
              << "; is_transient(ec)=" << cl::is_transient(got) << "\n";
    if (got != cl::error::outcome_unknown || ou != 1 || sim.enrich_posts_for(id) != 1) ++failures;
  };
  one("overall_timeout=500ms ", "a1@acme.com", [](cl::client_params& p) { p.overall_timeout = 500ms; }, false);
  one("request_timeout=500ms ", "a2@acme.com", [](cl::client_params& p) { p.request_timeout = 500ms; }, false);
  one("user cancel at 500ms  ", "a3@acme.com", [](cl::client_params&) {}, true);
}


int main() {
  probe_outcome_unknown();
  std::cout << (failures == 0 ? "asio_consumer_crash: ok\n" : "asio_consumer_crash: FAILED\n");
  return failures == 0 ? 0 : 1;
}
