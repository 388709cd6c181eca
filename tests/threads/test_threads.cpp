// One io_context run by several threads, clients used from several threads at once.
// Built and run under ThreadSanitizer by scripts/test.sh (CLEANLIST_SANITIZE=thread).
#include "../integration/test_support.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <random>
#include <thread>

using namespace cltest;
namespace cl = cleanlist;

namespace {

std::vector<cl::enrich_person_request> people(int n, const std::string& tag) {
  std::vector<cl::enrich_person_request> v(n);
  for (int i = 0; i < n; ++i) v[i].email = "t" + std::to_string(i) + "." + tag + "@acme.com";
  return v;
}

} // namespace

TEST_CASE("several threads run the io_context while several threads call the clients") {
  auto sp = fast_sim(false);
  sp.faults.p_503 = 0.02;  // some retries and limiter pauses in the mix
  sp.faults.p_reset_before = 0.01;
  cleanlist::testing::simulator sim(sp);

  asio::io_context ioc(4);
  auto work = asio::make_work_guard(ioc);
  std::vector<std::thread> runners;
  for (int i = 0; i < 4; ++i) runners.emplace_back([&] { ioc.run(); });

  cl::transport_params tp;
  tp.base_url = sim.base_url();
  tp.max_connections = 8;
  auto shared = std::make_shared<cl::http_transport>(ioc.get_executor(), tp);
  auto p = client_for(sim);
  p.shared_transport = shared;
  p.retry.max_attempts = 6;
  cl::client a(ioc.get_executor(), p);
  cl::client b(ioc.get_executor(), p);

  std::atomic<int> callbacks{0}, failures{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 3; ++t) {
    callers.emplace_back([&, t] {
      cl::client& c = t % 2 ? a : b;
      std::vector<std::future<cl::credits_balance_response>> futures;
      for (int i = 0; i < 30; ++i) {
        c.async_whoami([&](cl::error_code ec, cl::whoami_response) {
          ++callbacks;
          if (ec) ++failures;
        });
        futures.push_back(c.async_credits_balance(asio::use_future));
        (void)c.stats();  // safe from any thread
      }
      for (auto& f : futures) {
        try {
          f.get();
        } catch (const std::exception&) {
          ++failures;
        }
      }
    });
  }
  // Meanwhile a batch with waiting workflows on each client.
  cl::enrich_many_options o;
  o.path = cl::enrich_path::person_by_person;
  o.poll.initial = 20ms;
  o.poll.max_interval = 60ms;
  auto fa = a.async_enrich_many(people(60, "ta"), o, asio::use_future);
  auto fb = b.async_enrich_many(people(60, "tb"), o, asio::use_future);
  for (auto& th : callers) th.join();
  auto ra = fa.get();
  auto rb = fb.get();
  CHECK(callbacks == 90);
  CHECK(failures == 0);
  for (auto* rs : {&ra, &rb})
    for (auto& r : *rs)
      CHECK((r.ok() || r.ec == cl::error::outcome_unknown || (r.ec == cl::error::workflow_failed && r.status == "failed")));

  a.shutdown();
  b.shutdown();
  work.reset();
  for (auto& th : runners) th.join();
}

// ---- cancellation from any thread, and before the operation runs (issue 12) ----

TEST_CASE("a cancellation emitted before the operation runs is honoured: nothing is sent") {
  cleanlist::testing::simulator sim(fast_sim(false));
  asio::io_context ioc;  // not running yet: every call below is initiated, none has started
  cl::client c(ioc.get_executor(), client_for(sim));
  constexpr int n = 2000;
  std::vector<asio::cancellation_signal> signals(n);
  int aborted = 0, done = 0;
  for (int i = 0; i < n; ++i) {
    auto h = [&](cl::error_code ec, cl::whoami_response) {
      ++done;
      aborted += ec == asio::error::operation_aborted;
    };
    if (i % 2) {
      c.async_whoami(asio::bind_cancellation_slot(signals[i].slot(), h));
    } else {
      cl::poll_params pp;
      c.async_wait_for_workflow("wf-" + std::to_string(i), pp, {},
                                asio::bind_cancellation_slot(signals[i].slot(), [&](cl::error_code ec, cl::workflow_status_response) {
                                  ++done;
                                  aborted += ec == asio::error::operation_aborted;
                                }));
    }
    signals[i].emit(asio::cancellation_type::terminal);
  }
  ioc.run_for(10s);
  CHECK(done == n);
  CHECK(aborted == n);
  CHECK(c.stats().requests == 0);
  CHECK(sim.stats().requests == 0);
}

TEST_CASE("cancellations emitted from other threads while 4 threads run the io_context: each call ends once") {
  auto sp = fast_sim(false);
  sp.faults.p_latency = 0.5;
  sp.faults.latency = 20ms;
  cleanlist::testing::simulator sim(sp);
  asio::io_context ioc(4);
  auto work = asio::make_work_guard(ioc);
  std::vector<std::thread> runners;
  for (int i = 0; i < 4; ++i) runners.emplace_back([&] { ioc.run(); });

  cl::transport_params tp;
  tp.base_url = sim.base_url();
  tp.max_connections = 4;
  auto shared = std::make_shared<cl::http_transport>(ioc.get_executor(), tp);
  auto p = client_for(sim);
  p.shared_transport = shared;
  p.rate_limit.enabled = true;  // waits in the limiter's queue are cancelled too
  p.rate_limit.per_key = 50;
  p.rate_limit.window = 1s;
  cl::client c(ioc.get_executor(), p);

  constexpr int per_thread = 300;
  std::atomic<int> completions{0}, aborted{0};
  std::mutex m;
  std::vector<std::unique_ptr<asio::cancellation_signal>> to_cancel;  // handed to the canceller
  std::atomic<bool> callers_done{false};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) {
        auto sig = std::make_unique<asio::cancellation_signal>();
        auto h = [&](cl::error_code ec, auto) {
          ++completions;
          if (ec == asio::error::operation_aborted) ++aborted;
        };
        if (i % 3 == 0) {
          cl::poll_params pp;
          pp.initial = 5ms;
          pp.max_interval = 10ms;
          pp.deadline = 2s;
          c.async_wait_for_workflow("wf-missing-" + std::to_string(i), pp, {}, asio::bind_cancellation_slot(sig->slot(), h));
        } else {
          c.async_credits_balance(asio::bind_cancellation_slot(sig->slot(), h));
        }
        std::lock_guard lk(m);
        to_cancel.push_back(std::move(sig));
      }
    });
  }
  std::thread canceller([&] {  // emits from a thread that never runs the io_context
    std::mt19937 rng(3);
    std::size_t next = 0;
    for (;;) {
      std::unique_lock lk(m);
      if (next < to_cancel.size()) {
        auto* sig = to_cancel[next++].get();
        lk.unlock();
        if (rng() % 2) sig->emit(asio::cancellation_type::terminal);
      } else if (callers_done) {
        break;
      } else {
        lk.unlock();
        std::this_thread::yield();
      }
    }
  });
  for (auto& th : callers) th.join();
  callers_done = true;
  canceller.join();
  const auto until = std::chrono::steady_clock::now() + 60s;
  while (completions < 4 * per_thread && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(10ms);  // waiting for the other threads' completions (bounded)
  CHECK(completions == 4 * per_thread);
  MESSAGE(aborted.load() << " of " << 4 * per_thread << " calls cancelled from another thread");
  CHECK(aborted > 0);
  c.shutdown();
  work.reset();
  ioc.stop();
  for (auto& th : runners) th.join();
  std::lock_guard lk(m);
  to_cancel.clear();  // the signals outlive every operation that used them
}
