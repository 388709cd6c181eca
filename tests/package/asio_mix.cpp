// A consumer's own Asio work beside the client's, as a service has it: the program's timers,
// strand, signal set and cancellation slots, and client calls that end by a deadline, by a
// cancellation and normally, on one io_context after another, each run by 2 threads. Built by
// tests/package/CMakeLists.txt in each Asio configuration a consumer may choose (default,
// its own separately compiled Asio, BOOST_ASIO_NO_DEPRECATED) and run under ASan+UBSan.
#include <cleanlist/client.hpp>
#include <cleanlist/testing/simulator.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <csignal>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace cl = cleanlist;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

struct round_result {
  int strand_ticks = 0;         // incremented on the program's strand only
  std::atomic<int> signals{0};  // SIGUSR1 deliveries seen by the program's signal set
  std::atomic<int> whoami_ok{0};
  std::atomic<int> deadline_unknown{0};  // paid POST stopped by its deadline after the write
  std::atomic<int> cancelled_ended{0};   // calls stopped by the program's cancellation signal
  std::atomic<int> coroutine_ok{0};
  std::atomic<int> calls_ended{0};
};

constexpr int strand_timers = 50;
constexpr int calls_per_kind = 3;

// One round: a fresh io_context, run by 2 threads until all work has ended.
void run_round(cl::testing::simulator& sim, int round, round_result& out) {
  asio::io_context io;
  auto program_strand = asio::make_strand(io);

  // The program's own timers, serialised by its strand (strand_ticks is not atomic on purpose).
  std::vector<std::unique_ptr<asio::steady_timer>> timers;
  for (int i = 0; i < strand_timers; ++i) {
    timers.push_back(std::make_unique<asio::steady_timer>(program_strand, std::chrono::milliseconds(i % 7)));
    timers.back()->async_wait([&](boost::system::error_code ec) {
      if (!ec) ++out.strand_ticks;
    });
  }
  // A signal set of the program's, raised from one of its timers.
  asio::signal_set signals(io, SIGUSR1);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec) ++out.signals;
  });
  asio::steady_timer raise_timer(io, 5ms);
  raise_timer.async_wait([](boost::system::error_code) { std::raise(SIGUSR1); });

  cl::client_params p;
  p.api_key = sim.default_api_key();
  p.base_url = sim.base_url();  // v1: enrichments default to the "MCP Results" list
  p.tls.ca_pem = sim.ca_pem();
  cl::client c(asio::make_strand(io), p);

  // Calls that end normally.
  for (int i = 0; i < calls_per_kind; ++i)
    c.async_whoami([&](cl::error_code ec, cl::whoami_response) {
      if (!ec) ++out.whoami_ok;
      ++out.calls_ended;
    });
  // Paid POSTs the server answers late: each stopped by its deadline after the write.
  cl::client_params short_deadline = p;
  short_deadline.request_timeout = 100ms;
  cl::client late(io.get_executor(), short_deadline);
  for (int i = 0; i < calls_per_kind; ++i) {
    cl::enrich_person_request r;
    r.email = "late" + std::to_string(round) + "-" + std::to_string(i) + "@acme.com";
    late.async_enrich_person(r, [&](cl::error_code ec, cl::enrich_person_response) {
      if (ec == cl::error::outcome_unknown) ++out.deadline_unknown;
      ++out.calls_ended;
    });
  }
  // Calls stopped by the program's cancellation signals: one before it starts (emitted
  // first), the others by the program's timers, from its strand.
  std::vector<std::unique_ptr<asio::cancellation_signal>> cancels;
  std::vector<std::unique_ptr<asio::steady_timer>> cancel_timers;
  for (int i = 0; i < calls_per_kind; ++i) {
    cancels.push_back(std::make_unique<asio::cancellation_signal>());
    auto& sig = *cancels.back();
    cl::enrich_person_request r;
    r.email = "cancelled" + std::to_string(round) + "-" + std::to_string(i) + "@acme.com";
    c.async_enrich_person(r, asio::bind_cancellation_slot(sig.slot(), [&](cl::error_code ec, cl::enrich_person_response) {
                            // Stopped before its write, or after it (then its outcome is unknown).
                            if (ec == asio::error::operation_aborted || ec == cl::error::outcome_unknown)
                              ++out.cancelled_ended;
                            ++out.calls_ended;
                          }));
    if (i == 0) {
      sig.emit(asio::cancellation_type::terminal);
      continue;
    }
    cancel_timers.push_back(std::make_unique<asio::steady_timer>(program_strand, std::chrono::milliseconds(20 * i)));
    cancel_timers.back()->async_wait([&sig](boost::system::error_code) { sig.emit(asio::cancellation_type::terminal); });
  }
  // A coroutine of the program's, awaiting its own timer and then the client.
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer t(co_await asio::this_coro::executor, 2ms);
        co_await t.async_wait(asio::use_awaitable);
        auto balance = co_await c.async_credits_balance();
        if (balance.organization_id == sim.default_org_id()) ++out.coroutine_ok;
        ++out.calls_ended;
      },
      asio::detached);

  std::thread second([&] { io.run(); });
  io.run();
  second.join();
}

}  // namespace

int main() {
  cl::testing::simulator_params sp;
  sp.rate_limits = false;
  sp.faults.p_latency = 1.0;
  sp.faults.latency = 400ms;  // every enrichment is answered after 400 ms
  sp.faults.only_path = "/enrichment/person";
  cl::testing::simulator sim(sp);

  constexpr int rounds = 3;
  int failures = 0;
  for (int round = 0; round < rounds; ++round) {
    round_result r;
    run_round(sim, round, r);
    const int expected_calls = 3 * calls_per_kind + 1;
    bool ok = r.strand_ticks == strand_timers && r.signals == 1 && r.whoami_ok == calls_per_kind &&
              r.deadline_unknown == calls_per_kind && r.cancelled_ended == calls_per_kind && r.coroutine_ok == 1 &&
              r.calls_ended == expected_calls;
    std::cout << "round " << round << ": strand ticks " << r.strand_ticks << "/" << strand_timers << ", signals "
              << r.signals << ", whoami ok " << r.whoami_ok << ", deadline -> outcome_unknown " << r.deadline_unknown
              << ", cancelled " << r.cancelled_ended << ", coroutine " << r.coroutine_ok << ", calls ended "
              << r.calls_ended << "/" << expected_calls << (ok ? "" : "  FAILED") << "\n";
    if (!ok) ++failures;
  }
  std::cout << (failures == 0 ? "asio_mix: ok\n" : "asio_mix: FAILED\n");
  return failures == 0 ? 0 : 1;
}
