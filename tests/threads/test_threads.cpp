// One io_context run by several threads, clients used from several threads at once.
// Built and run under ThreadSanitizer by scripts/test.sh (CLEANLIST_SANITIZE=thread).
#include "../integration/test_support.hpp"

#include <doctest/doctest.h>

#include <atomic>
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
