// bench_parallel_enrich — the client under load, against cleanlist-sim in ANOTHER process.
// URL and key come from CLEANLIST_BASE_URL / CLEANLIST_API_KEY (benchmarks/run_all.sh starts
// the simulator). Everything runs on ONE thread. Each mode prints one machine-readable line:
//   RESULT name=... key=value ...
//
// --mode enrich (default): N person enrichments (POST /enrichment/person, then GET status until
//     terminal), `--concurrency` workers, rate limiter off, max_connections = concurrency. The
//     same loop as the Python/Node peers. Reports wall time, requests/s, client CPU seconds per
//     1,000 requests (getrusage), p50/p99 request latency, peak RSS.
// --mode status: the load wrk puts on the server (GET status of one workflow, N times), to
//     compare with wrk on the same endpoint.
// --mode waiting: N workflows started (POSTs with bounded concurrency, then
//     async_wait_for_workflow with a far first poll) and all waiting at once on one thread;
//     reports RSS and heap in use per waiting workflow (run the simulator with long durations).
// --mode budget --path person|bulk|naive: the documented limits on a scaled window (start the
//     simulator with --window-ms W --key-limit K --org-limit O, rate limits ON): wall time vs
//     the theoretical minimum (requests needed / allowed rate), requests per contact, 429s.
//     naive = the docs' loop: one person at a time, poll every 5 s scaled to the window, no
//     client-side limiter.
//
// Over HTTPS (a https:// CLEANLIST_BASE_URL; CLEANLIST_CA_FILE: the simulator's CA), enrich and
// status also take --max-requests-per-connection K (connection churn: a new connection and TLS
// handshake every K requests), --no-resumption (every handshake full) and --name (the RESULT
// name); their RESULT lines then count connections and resumed handshakes.
#include "bench_measure.hpp"

#include <cleanlist/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace cl = cleanlist;
using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

namespace {

using bench::cpu_seconds;
using bench::current_rss_kb;
using bench::peak_rss_kb;

struct args {
  std::string mode = "enrich", path = "person", tag = "run";
  std::size_t n = 10000, concurrency = 64;
  std::size_t connections = 8;  // budget: the client's max_connections
  long poll_ms = 0;          // enrich: pause between polls of one workflow (0: poll again at once)
  long window_ms = 2000;     // budget: the simulator's window
  int key_limit = 30, org_limit = 60;
  long workflow_ms = 1200;   // budget: pending + running of the simulator (for the minimum)
  long poll_initial_ms = 0;  // budget: first poll (0: person workflow_ms + 100, bulk the library default)
  std::size_t max_requests_per_connection = 0;  // enrich/status: churn (0: keep-alive)
  bool resumption = true;                        // enrich/status: TLS session resumption
  std::string name;                              // enrich/status: RESULT name (default ours / ours_status)
};




double percentile(std::vector<std::uint32_t>& v, double p) {
  if (v.empty()) return 0;
  auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k] / 1000.0;
}

cl::client_params base_params(std::size_t connections) {
  auto p = cl::client_params::from_env();
  if (p.api_key.empty()) {
    std::cerr << "set CLEANLIST_BASE_URL and CLEANLIST_API_KEY (cleanlist-sim prints them)\n";
    std::exit(2);
  }
  p.max_connections = connections;
  return p;
}

std::string email_of(const std::string& tag, std::size_t i) {
  return "p" + std::to_string(i) + "." + tag + "@bench.example";
}

// ---------------------------------------------------------------- mode enrich

struct enrich_state {
  cl::client* c = nullptr;
  args a;
  std::size_t next = 0, done = 0, errors = 0;
  std::vector<std::uint32_t> lat_us;  // one per request
};

asio::awaitable<void> enrich_worker(enrich_state* st) {
  auto tok = asio::as_tuple(asio::use_awaitable);
  asio::steady_timer pause(co_await asio::this_coro::executor);
  while (st->next < st->a.n) {
    const std::size_t i = st->next++;
    cl::enrich_person_request req;
    req.email = email_of(st->a.tag, i);
    auto t0 = clk::now();
    auto [ec, started] = co_await st->c->async_enrich_person(std::move(req), tok);
    st->lat_us.push_back(static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(clk::now() - t0).count()));
    if (ec) { ++st->errors; continue; }
    for (;;) {
      t0 = clk::now();
      auto [ec2, s] = co_await st->c->async_workflow_status(started.workflow_id, tok);
      st->lat_us.push_back(static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(clk::now() - t0).count()));
      if (ec2) { ++st->errors; break; }
      if (s.is_terminal()) break;
      if (st->a.poll_ms > 0) {
        pause.expires_after(std::chrono::milliseconds(st->a.poll_ms));
        co_await pause.async_wait(tok);
      }
    }
    ++st->done;
  }
}

int run_enrich(const args& a) {
  asio::io_context ioc(1);
  auto p = base_params(a.concurrency);
  p.rate_limit.enabled = false;
  p.max_requests_per_connection = a.max_requests_per_connection;
  p.tls.session_resumption = a.resumption;
  cl::client c(ioc.get_executor(), p);
  enrich_state st;
  st.c = &c;
  st.a = a;
  st.lat_us.reserve(a.n * 3);
  const double cpu0 = cpu_seconds();
  const auto t0 = clk::now();
  for (std::size_t w = 0; w < std::min(a.concurrency, a.n); ++w) asio::co_spawn(ioc, enrich_worker(&st), asio::detached);
  ioc.run();
  const double wall = std::chrono::duration<double>(clk::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  const auto s = c.stats();
  std::printf("RESULT name=%s mode=enrich n=%zu concurrency=%zu churn_k=%zu requests=%llu errors=%zu wall_s=%.3f rps=%.0f "
              "cpu_s_per_1k=%.4f p50_ms=%.3f p99_ms=%.3f peak_rss_kb=%ld connections=%llu resumed=%llu r429=%llu\n",
              a.name.empty() ? "ours" : a.name.c_str(), a.n, a.concurrency, a.max_requests_per_connection, static_cast<unsigned long long>(s.requests), st.errors, wall,
              static_cast<double>(s.requests) / wall, cpu * 1000.0 / static_cast<double>(std::max<std::uint64_t>(1, s.requests)),
              percentile(st.lat_us, 0.50), percentile(st.lat_us, 0.99), peak_rss_kb(),
              static_cast<unsigned long long>(s.connections_created), static_cast<unsigned long long>(s.tls_resumed_handshakes),
              static_cast<unsigned long long>(s.rate_limited_429));
  return st.errors == 0 ? 0 : 1;
}

// ---------------------------------------------------------------- mode status
// The exact load wrk puts on the server: GET /enrichment/status/{id} of one workflow, N times.

asio::awaitable<void> status_worker(enrich_state* st, std::string wf) {
  auto tok = asio::as_tuple(asio::use_awaitable);
  while (st->next < st->a.n) {
    ++st->next;
    auto t0 = clk::now();
    auto [ec, s] = co_await st->c->async_workflow_status(wf, tok);
    st->lat_us.push_back(static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(clk::now() - t0).count()));
    if (ec) ++st->errors;
  }
}

int run_status(const args& a) {
  asio::io_context ioc(1);
  auto p = base_params(a.concurrency);
  p.rate_limit.enabled = false;
  p.max_requests_per_connection = a.max_requests_per_connection;
  p.tls.session_resumption = a.resumption;
  cl::client c(ioc.get_executor(), p);
  std::string wf;
  cl::enrich_person_request req;
  req.email = "status." + a.tag + "@bench.example";
  c.async_enrich_person(req, [&](cl::error_code ec, cl::enrich_person_response r) {
    if (!ec) wf = r.workflow_id;
  });
  ioc.run();
  ioc.restart();
  if (wf.empty()) { std::cerr << "could not start a workflow\n"; return 1; }
  enrich_state st;
  st.c = &c;
  st.a = a;
  st.lat_us.reserve(a.n);
  const auto req0 = c.stats().requests;
  const auto conn0 = c.stats().connections_created;
  const auto res0 = c.stats().tls_resumed_handshakes;
  const double cpu0 = cpu_seconds();
  const auto t0 = clk::now();
  for (std::size_t w = 0; w < std::min(a.concurrency, a.n); ++w) asio::co_spawn(ioc, status_worker(&st, wf), asio::detached);
  ioc.run();
  const double wall = std::chrono::duration<double>(clk::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  const auto n = c.stats().requests - req0;
  const auto conns = c.stats().connections_created - conn0;
  const auto resumed = c.stats().tls_resumed_handshakes - res0;
  std::printf("RESULT name=%s mode=status n=%zu concurrency=%zu churn_k=%zu requests=%llu errors=%zu wall_s=%.3f rps=%.0f "
              "cpu_s_per_1k=%.4f p50_ms=%.3f p99_ms=%.3f peak_rss_kb=%ld connections=%llu resumed=%llu "
              "conn_per_s=%.0f cpu_ms_per_conn=%.4f\n",
              a.name.empty() ? "ours_status" : a.name.c_str(), a.n, a.concurrency, a.max_requests_per_connection,
              static_cast<unsigned long long>(n), st.errors, wall, static_cast<double>(n) / wall,
              cpu * 1000.0 / static_cast<double>(std::max<std::uint64_t>(1, n)), percentile(st.lat_us, 0.50),
              percentile(st.lat_us, 0.99), peak_rss_kb(), static_cast<unsigned long long>(conns),
              static_cast<unsigned long long>(resumed), static_cast<double>(conns) / wall,
              cpu * 1000.0 / static_cast<double>(std::max<std::uint64_t>(1, conns)));
  return st.errors == 0 ? 0 : 1;
}

// ---------------------------------------------------------------- mode waiting

struct waiting_state {
  cl::client* c = nullptr;
  args a;
  std::size_t next = 0, posted = 0, errors = 0, wait_errors = 0;
  cl::poll_params far;
};

void post_next(waiting_state* st) {
  if (st->next >= st->a.n) return;
  const std::size_t i = st->next++;
  cl::enrich_person_request req;
  req.email = email_of(st->a.tag, i);
  st->c->async_enrich_person(std::move(req), [st](cl::error_code ec, cl::enrich_person_response r) {
    if (ec) ++st->errors;
    else
      st->c->async_wait_for_workflow(std::move(r.workflow_id), st->far, {}, [st](cl::error_code ec2, cl::workflow_status_response) {
        if (ec2 && ec2 != cl::error::shutdown && ec2 != asio::error::operation_aborted) ++st->wait_errors;
      });
    ++st->posted;
    post_next(st);
  });
}

int run_waiting(const args& a) {
  asio::io_context ioc(1);
  auto p = base_params(a.concurrency);
  p.rate_limit.enabled = false;
  p.overall_timeout = std::chrono::hours(3);
  cl::client c(ioc.get_executor(), p);
  // Warm up (connections, TLS context, first allocations) before the baseline.
  {
    cl::enrich_person_request req;
    req.email = "warmup." + a.tag + "@bench.example";
    c.async_enrich_person(req, [](cl::error_code, cl::enrich_person_response) {});
    ioc.run();
    ioc.restart();
  }
  malloc_trim(0);
  const long rss0 = current_rss_kb();
  const auto heap0 = mallinfo2().uordblks;
  waiting_state st;
  st.c = &c;
  st.a = a;
  st.far.initial = std::chrono::minutes(30);
  st.far.max_interval = std::chrono::minutes(30);
  st.far.deadline = std::chrono::hours(2);
  const auto t0 = clk::now();
  for (std::size_t w = 0; w < a.concurrency; ++w) post_next(&st);
  asio::steady_timer check(ioc);
  long rss1 = 0;
  std::size_t heap1 = 0, waiting = 0;
  double ready_s = 0;
  std::size_t checks = 0;
  std::function<void(boost::system::error_code)> on_check = [&](boost::system::error_code) {
    auto cs = c.stats();
    waiting = cs.waiting_workflows;
    if (++checks % 40 == 0)
      std::fprintf(stderr, "  waiting mode: posted %zu/%zu, waiting %zu, in flight %llu, errors %zu\n", st.posted, a.n,
                   waiting, static_cast<unsigned long long>(cs.in_flight), st.errors);
    if (st.posted + 0 >= a.n && (waiting + st.errors >= a.n || clk::now() - t0 > 10min)) {
      ready_s = std::chrono::duration<double>(clk::now() - t0).count();
      malloc_trim(0);
      rss1 = current_rss_kb();
      heap1 = mallinfo2().uordblks;
      c.shutdown();  // the waits complete with error::shutdown
      return;
    }
    check.expires_after(50ms);
    check.async_wait(on_check);
  };
  check.expires_after(50ms);
  check.async_wait(on_check);
  ioc.run();
  const double n = static_cast<double>(std::max<std::size_t>(1, waiting));
  std::printf("RESULT name=ours mode=waiting n=%zu waiting=%zu post_errors=%zu wait_errors=%zu setup_s=%.2f rss_delta_kb=%ld "
              "rss_bytes_per_wf=%.0f heap_bytes_per_wf=%.0f peak_rss_kb=%ld\n",
              a.n, waiting, st.errors, st.wait_errors, ready_s, rss1 - rss0, static_cast<double>(rss1 - rss0) * 1024.0 / n,
              static_cast<double>(heap1 - heap0) / n, peak_rss_kb());
  return waiting == a.n ? 0 : 1;
}

// ---------------------------------------------------------------- mode budget

struct naive_state {
  cl::client* c = nullptr;
  args a;
  std::size_t ok = 0, errors = 0;
};

asio::awaitable<void> naive_loop(naive_state* st) {
  // The docs' loop: for each person: POST, then poll every 5 s (scaled) until terminal.
  auto tok = asio::as_tuple(asio::use_awaitable);
  asio::steady_timer t(co_await asio::this_coro::executor);
  const auto every = std::chrono::milliseconds(5000 * st->a.window_ms / 60000);
  for (std::size_t i = 0; i < st->a.n; ++i) {
    cl::enrich_person_request req;
    req.email = email_of(st->a.tag, i);
    auto [ec, started] = co_await st->c->async_enrich_person(std::move(req), tok);
    if (ec) { ++st->errors; continue; }
    for (;;) {
      t.expires_after(every);
      co_await t.async_wait(tok);
      auto [ec2, s] = co_await st->c->async_workflow_status(started.workflow_id, tok);
      if (ec2) { ++st->errors; break; }
      if (s.is_terminal()) { ++st->ok; break; }
    }
  }
}

int run_budget(const args& a) {
  asio::io_context ioc(1);
  auto p = base_params(a.connections);
  p.rate_limit.per_key = a.key_limit;
  p.rate_limit.per_org = a.org_limit;
  p.rate_limit.window = std::chrono::milliseconds(a.window_ms);
  const double rate = static_cast<double>(a.key_limit) / (static_cast<double>(a.window_ms) / 1000.0);  // one key
  std::size_t ok = 0, errors = 0;
  double min_requests = 0;
  const auto t0 = clk::now();
  std::unique_ptr<cl::client> c;
  if (a.path == "naive") {
    p.rate_limit.enabled = false;  // the SDK has no client-side limiter
    c = std::make_unique<cl::client>(ioc.get_executor(), p);
    naive_state st;
    st.c = c.get();
    st.a = a;
    asio::co_spawn(ioc, naive_loop(&st), asio::detached);
    ioc.run();
    ok = st.ok;
    errors = st.errors;
    min_requests = 2.0 * static_cast<double>(a.n);
  } else {
    c = std::make_unique<cl::client>(ioc.get_executor(), p);
    cl::enrich_many_options mo;
    mo.path = a.path == "bulk" ? cl::enrich_path::bulk : cl::enrich_path::person_by_person;
    // Person: first poll when a workflow should be done (it reports no partial progress).
    // Bulk: the library's default first poll (1 s); the run's progress counters then place
    // the next poll at its estimated end (poll_scheduler::estimate_completion).
    if (a.poll_initial_ms > 0) mo.poll.initial = std::chrono::milliseconds(a.poll_initial_ms);
    else if (a.path != "bulk") mo.poll.initial = std::chrono::milliseconds(a.workflow_ms + 100);
    mo.poll.max_interval = std::chrono::milliseconds(std::max<long>(a.window_ms / 4, 250));
    std::vector<cl::enrich_person_request> contacts(a.n);
    for (std::size_t i = 0; i < a.n; ++i) contacts[i].email = email_of(a.tag, i);
    c->async_enrich_many(std::move(contacts), mo, [&](cl::error_code ec, std::vector<cl::enrich_item_result> rs) {
      if (ec) { errors = a.n; return; }
      // A workflow the server itself ended failed, or a lead a run with errors did not enrich,
      // is an answer, not a client error.
      for (auto& r : rs)
        (r.ok() || r.ec == cl::error::workflow_failed || r.ec == cl::error::lead_not_enriched ? ok : errors)++;
    });
    ioc.run();
    // Fewest requests possible: person = POST + one poll per contact; bulk = create list,
    // CSV import (150 KB chunks), estimate, run, one poll, read back (500 leads a page).
    min_requests = a.path == "bulk" ? 4.0 + 1.0 + std::ceil(static_cast<double>(a.n) / 500.0) +
                                          std::ceil(static_cast<double>(a.n) * 40.0 / 150000.0)
                                    : 2.0 * static_cast<double>(a.n);
  }
  const double wall = std::chrono::duration<double>(clk::now() - t0).count();
  const auto s = c->stats();
  // Theoretical minimum: the requests needed at the allowed rate, and never less than one
  // workflow's duration (the server's own work).
  const double t_min = std::max(min_requests / rate, static_cast<double>(a.workflow_ms) / 1000.0);
  std::printf("RESULT name=%s mode=budget n=%zu ok=%zu errors=%zu wall_s=%.2f t_min_s=%.2f ratio=%.3f requests=%llu "
              "req_per_contact=%.2f r429=%llu limiter_wait_s=%.2f\n",
              a.path.c_str(), a.n, ok, errors, wall, t_min, wall / t_min, static_cast<unsigned long long>(s.requests),
              static_cast<double>(s.requests) / static_cast<double>(a.n), static_cast<unsigned long long>(s.rate_limited_429),
              std::chrono::duration<double>(s.limiter_wait).count());
  return errors == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto v = [&]() -> std::string {
      if (i + 1 >= argc) { std::cerr << "missing value for " << k << "\n"; std::exit(2); }
      return argv[++i];
    };
    if (k == "--mode") a.mode = v();
    else if (k == "--path") a.path = v();
    else if (k == "--tag") a.tag = v();
    else if (k == "--n") a.n = std::stoul(v());
    else if (k == "--concurrency") a.concurrency = std::max<std::size_t>(1, std::stoul(v()));
    else if (k == "--connections") a.connections = std::max<std::size_t>(1, std::stoul(v()));
    else if (k == "--poll-ms") a.poll_ms = std::stol(v());
    else if (k == "--window-ms") a.window_ms = std::stol(v());
    else if (k == "--key-limit") a.key_limit = std::stoi(v());
    else if (k == "--org-limit") a.org_limit = std::stoi(v());
    else if (k == "--workflow-ms") a.workflow_ms = std::stol(v());
    else if (k == "--poll-initial-ms") a.poll_initial_ms = std::stol(v());
    else if (k == "--max-requests-per-connection") a.max_requests_per_connection = std::stoul(v());
    else if (k == "--no-resumption") a.resumption = false;
    else if (k == "--name") a.name = v();
    else if (k == "--help") {
      std::cout << "bench_parallel_enrich [--mode enrich|status|waiting|budget] [--n N] [--concurrency C] [--connections K (budget)] [--poll-ms MS]\n"
                   "  [--path person|bulk|naive] [--window-ms W] [--key-limit K] [--org-limit O] [--workflow-ms MS]\n"
                   "  [--poll-initial-ms MS] [--tag T] [--max-requests-per-connection K] [--no-resumption] [--name NAME]\n"
                   "  (CLEANLIST_BASE_URL, CLEANLIST_API_KEY from cleanlist-sim; CLEANLIST_CA_FILE for https)\n";
      return 0;
    } else { std::cerr << "unknown option " << k << "\n"; return 2; }
  }
  try {
    if (a.mode == "enrich") return run_enrich(a);
    if (a.mode == "waiting") return run_waiting(a);
    if (a.mode == "status") return run_status(a);
    if (a.mode == "budget") return run_budget(a);
    std::cerr << "unknown mode " << a.mode << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "bench_parallel_enrich: " << e.what() << "\n";
    return 1;
  }
}
