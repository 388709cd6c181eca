// One io_context run by several threads, clients used from several threads at once.
// Built and run under ThreadSanitizer by scripts/test.sh (CLEANLIST_SANITIZE=thread).
#include "../io/test_support.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <map>
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
  for (int i = 0; i < 1200 && done < n; ++i) ioc.run_for(50ms);  // 60 s only guards a hang
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

// ---- chaos on the caller's side (issue 12) ----
//
// Faults on the server, and on the caller's side at once: cancellations of every type emitted
// at random moments from a thread that does not run the io_context, batch callbacks and a
// logger that throw, completion handlers that re-enter the client, a client destroyed with its
// calls in flight, and the io_context stopped and restarted mid-run. Every operation must
// complete exactly once; no contact is POSTed twice; every contact the server charged is a
// result, outcome_unknown or names its workflow; nothing the server did not accept is a result.

namespace {

enum class op_kind { person, whoami, batch, balance };

struct op_record {
  op_kind kind = op_kind::whoami;
  std::atomic<int> completions{0};
  cl::error_code ec;
  std::string workflow_id;
  std::vector<cl::enrich_person_request> contacts;  // person: one; batch: two
  std::vector<cl::enrich_item_result> items;        // batch
};

} // namespace

TEST_CASE("caller chaos: cancellations of every type from another thread, throwing callbacks, a client destroyed "
          "mid-flight, io_context restarts") {
  auto sp = fast_sim(false);
  sp.seed = 23;
  sp.faults.p_503 = 0.03;
  sp.faults.p_reset_before = 0.01;
  sp.faults.p_reset_after = 0.02;
  sp.faults.p_latency = 0.3;
  sp.faults.latency = 40ms;
  sp.faults.retry_after = 20ms;
  cleanlist::testing::simulator sim(sp);

  asio::io_context ioc(4);
  auto work = asio::make_work_guard(ioc);
  std::vector<std::thread> runners;
  auto start_runners = [&] {
    for (int i = 0; i < 4; ++i) runners.emplace_back([&] { ioc.run(); });
  };
  start_runners();

  cl::transport_params tp;
  tp.base_url = sim.base_url();
  tp.max_connections = 6;
  auto shared = std::make_shared<cl::http_transport>(ioc.get_executor(), tp);
  auto p = client_for(sim);
  p.shared_transport = shared;
  p.retry.max_attempts = 6;
  p.retry.max_retry_after = 1s;
  p.logger = [](cl::log_level, std::string_view) { throw std::runtime_error("logger throws"); };
  std::mutex clients_mu;
  std::vector<std::shared_ptr<cl::client>> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(std::make_shared<cl::client>(ioc.get_executor(), p));
  auto client_at = [&](std::size_t i) -> std::shared_ptr<cl::client> {
    std::lock_guard lk(clients_mu);
    return clients[i % clients.size()];
  };

  constexpr int threads = 4, per_thread = 80, n = threads * per_thread;
  std::vector<op_record> ops(n);
  std::vector<asio::cancellation_signal> signals(n);
  std::atomic<int> completed{0}, started{0}, reentrant_done{0}, reentrant_started{0};
  std::mutex queue_mu;
  std::vector<int> to_cancel;
  std::atomic<bool> callers_done{false};

  auto finish = [&](int k) {
    ops[k].completions.fetch_add(1);
    completed.fetch_add(1);
  };
  std::vector<std::thread> callers;
  for (int t = 0; t < threads; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        const int k = t * per_thread + i;
        auto& op = ops[k];
        op.kind = static_cast<op_kind>(i % 4);
        auto c = client_at(static_cast<std::size_t>(k));
        auto slot = signals[k].slot();
        switch (op.kind) {
        case op_kind::person: {
          cl::enrich_person_request r;
          r.email = "caller-chaos-" + std::to_string(k) + "@acme.com";
          op.contacts = {r};
          c->async_enrich_person(r, asio::bind_cancellation_slot(slot, [&, k](cl::error_code ec, cl::enrich_person_response w) {
            ops[k].ec = ec;
            ops[k].workflow_id = w.workflow_id;
            finish(k);
          }));
          break;
        }
        case op_kind::whoami:
          c->async_whoami(asio::bind_cancellation_slot(slot, [&, k, c](cl::error_code ec, cl::whoami_response) {
            ops[k].ec = ec;
            if (!ec) {  // re-enters the client from its completion handler
              ++reentrant_started;
              c->async_credits_balance([&](cl::error_code, cl::credits_balance_response) { ++reentrant_done; });
            }
            finish(k);
          }));
          break;
        case op_kind::batch: {
          for (int j = 0; j < 2; ++j) {
            cl::enrich_person_request r;
            r.email = "caller-chaos-" + std::to_string(k) + "-" + std::to_string(j) + "@acme.com";
            op.contacts.push_back(r);
          }
          cl::enrich_many_options o;
          o.path = cl::enrich_path::person_by_person;
          o.poll.initial = 20ms;
          o.poll.max_interval = 50ms;
          o.poll.deadline = 30s;
          o.on_progress = [](std::size_t done, std::size_t) {
            if (done % 2) throw std::runtime_error("progress callback throws");
          };
          c->async_enrich_many(op.contacts, o,
                               asio::bind_cancellation_slot(slot, [&, k](cl::error_code ec, std::vector<cl::enrich_item_result> r) {
                                 ops[k].ec = ec;
                                 ops[k].items = std::move(r);
                                 finish(k);
                               }));
          break;
        }
        case op_kind::balance:
          c->async_credits_balance(asio::bind_cancellation_slot(slot, [&, k](cl::error_code ec, cl::credits_balance_response) {
            ops[k].ec = ec;
            finish(k);
          }));
          break;
        }
        ++started;
        std::lock_guard lk(queue_mu);
        to_cancel.push_back(k);
      }
    });
  }
  std::thread canceller([&] {  // random types at random moments, from a thread outside the io_context
    std::mt19937 rng(29);
    std::size_t next = 0;
    for (;;) {
      std::unique_lock lk(queue_mu);
      if (next < to_cancel.size()) {
        const int k = to_cancel[next++];
        lk.unlock();
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));  // lands before, during or after
        switch (rng() % 5) {
        case 0: signals[k].emit(asio::cancellation_type::terminal); break;
        case 1: signals[k].emit(asio::cancellation_type::partial); break;
        case 2: signals[k].emit(asio::cancellation_type::total); break;
        default: break;  // not cancelled
        }
      } else if (callers_done) {
        break;
      } else {
        lk.unlock();
        std::this_thread::yield();
      }
    }
  });

  // Mid-run: a client is dropped with its calls in flight, and the io_context is stopped and
  // restarted (pending handlers must survive the stop and run after it).
  while (started < n / 2) std::this_thread::yield();
  {
    std::lock_guard lk(clients_mu);
    clients.pop_back();  // destroyed once the callers' last copies go
  }
  ioc.stop();
  for (auto& th : runners) th.join();
  runners.clear();
  ioc.restart();
  start_runners();

  for (auto& th : callers) th.join();
  callers_done = true;
  canceller.join();
  const auto until = std::chrono::steady_clock::now() + 120s;
  while ((completed < n || reentrant_done < reentrant_started) && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(10ms);  // waiting for the io threads' completions (bounded)

  // Exactly once, every one.
  int once = 0;
  for (auto& op : ops) once += op.completions.load() == 1;
  CHECK(once == n);
  CHECK(reentrant_done == reentrant_started);

  // The money: contact by contact.
  std::map<std::string, int> outcomes;
  std::size_t duplicates = 0, charged_plain_error = 0, result_not_accepted = 0, accepted = 0;
  auto check = [&](const cl::enrich_person_request& in, cl::error_code ec, const std::string& wf, bool result) {
    const auto posts = sim.enrich_posts_for(identity_of(in));
    duplicates += posts > 1;
    if (posts == 1) {
      ++accepted;
      if (!(result || ec == cl::error::outcome_unknown || !wf.empty())) ++charged_plain_error;
    } else if (result) {
      ++result_not_accepted;
    }
  };
  for (auto& op : ops) {
    outcomes[op.ec ? op.ec.message() : "ok"]++;
    if (op.kind == op_kind::person) check(op.contacts[0], op.ec, op.workflow_id, !op.ec);
    if (op.kind == op_kind::batch) {
      if (op.ec) continue;  // refused as a whole (shutdown before it started): nothing sent
      REQUIRE(op.items.size() == 2);
      for (std::size_t j = 0; j < 2; ++j)
        check(op.contacts[j], op.items[j].ec, op.items[j].workflow_id, op.items[j].ok() || ended_on_server(op.items[j]));
    }
  }
  for (auto& [what, count] : outcomes) MESSAGE("  " << count << " x " << what);
  MESSAGE("caller chaos: " << n << " operations, accepted POSTs " << accepted << ", re-entrant calls "
                           << reentrant_started.load() << ", faults injected " << sim.stats().faults_injected);
  CHECK(duplicates == 0);
  CHECK(charged_plain_error == 0);
  CHECK(result_not_accepted == 0);
  CHECK(accepted > 0);
  CHECK(outcomes["Operation canceled"] > 0);  // the cancellations really hit

  for (auto& c : clients) c->shutdown();
  clients.clear();
  work.reset();
  for (auto& th : runners) th.join();
}

TEST_CASE("an io_context destroyed with calls in flight runs none of their handlers (ASan: nothing touched after death)") {
  auto sp = fast_sim(false);
  sp.faults.p_latency = 0.5;
  sp.faults.latency = 200ms;
  cleanlist::testing::simulator sim(sp);
  int ran_after_stop = 0;
  {
    auto ioc = std::make_unique<asio::io_context>();
    {
      // Handlers point into `alive`, destroyed before the io_context: running one later would
      // be a use after free.
      auto alive = std::make_unique<std::vector<int>>(64, 0);
      auto p = client_for(sim);
      p.rate_limit.enabled = true;  // some wait in the limiter's queue
      p.rate_limit.per_key = 10;
      auto c = std::make_unique<cl::client>(ioc->get_executor(), p);
      for (int i = 0; i < 64; ++i) {
        int* slot = &(*alive)[static_cast<std::size_t>(i)];
        switch (i % 4) {
        case 0: {
          cl::enrich_person_request r;
          r.email = "dying-" + std::to_string(i) + "@acme.com";
          c->async_enrich_person(r, [slot](cl::error_code, cl::enrich_person_response) { ++*slot; });
          break;
        }
        case 1: c->async_whoami([slot](cl::error_code, cl::whoami_response) { ++*slot; }); break;
        case 2: {
          cl::poll_params pp;
          c->async_wait_for_workflow("wf-dying-" + std::to_string(i), pp, {},
                                     [slot](cl::error_code, cl::workflow_status_response) { ++*slot; });
          break;
        }
        default: {
          std::vector<cl::enrich_person_request> two(2);
          two[0].email = "dying-b" + std::to_string(i) + "@acme.com";
          two[1].email = "dying-c" + std::to_string(i) + "@acme.com";
          c->async_enrich_many(two, {}, [slot](cl::error_code, std::vector<cl::enrich_item_result>) { ++*slot; });
        }
        }
      }
      ioc->run_for(100ms);  // some calls done, some written and waiting for answers, some queued
      c.reset();            // the client goes first (its shutdown is queued, not run)
      for (int v : *alive) ran_after_stop += v;
    }
    ioc.reset();  // pending handlers are destroyed, never invoked
  }
  MESSAGE(ran_after_stop << " of 64 calls had completed before the io_context was destroyed");
  CHECK(ran_after_stop < 64);  // the test did destroy calls in flight
}

TEST_CASE("a handler that destroys its client and cancels another call: every call still ends exactly once") {
  auto sp = fast_sim(false);
  sp.faults.p_latency = 1.0;
  sp.faults.latency = 100ms;
  sp.faults.only_path = "/enrichment/";
  cleanlist::testing::simulator sim(sp);
  asio::io_context ioc;
  auto c = std::make_unique<cl::client>(ioc.get_executor(), client_for(sim));
  std::vector<int> completions(5, 0);
  asio::cancellation_signal other;
  cl::error_code other_ec, wait_ec, post_ec;
  // 1. a slow POST and a long wait are in flight
  cl::enrich_person_request r;
  r.email = "destroyer@acme.com";
  c->async_enrich_person(r, [&](cl::error_code ec, cl::enrich_person_response) {
    ++completions[0];
    post_ec = ec;
  });
  cl::poll_params pp;
  pp.deadline = 30s;
  c->async_wait_for_workflow("wf-never", pp, {}, [&](cl::error_code ec, cl::workflow_status_response) {
    ++completions[1];
    wait_ec = ec;
  });
  c->async_credits_balance(asio::bind_cancellation_slot(other.slot(), [&](cl::error_code ec, cl::credits_balance_response) {
    ++completions[2];
    other_ec = ec;
  }));
  // 2. a fast call whose handler cancels another call, destroys the client, then starts nothing
  c->async_whoami([&](cl::error_code, cl::whoami_response) {
    ++completions[3];
    other.emit(asio::cancellation_type::terminal);
    c.reset();
  });
  ioc.restart();
  for (int i = 0; i < 600 && (completions[0] + completions[1] + completions[2] + completions[3]) < 4; ++i) ioc.run_for(20ms);
  ioc.restart();
  ioc.run_for(300ms);  // anything that would complete twice has had its chance
  for (int k = 0; k < 4; ++k) CHECK(completions[static_cast<std::size_t>(k)] == 1);
  // The wait ended with the client (shutdown or not found); the POST got its answer or outcome_unknown.
  CHECK(wait_ec);
  CHECK((!post_ec || post_ec == cl::error::outcome_unknown || post_ec == cl::error::shutdown));
  CHECK(sim.enrich_posts_for(cltest::identity_of(r)) <= 1);
}
