// "Done when" of issue 13: four OS processes (limiter_client_worker), each with a client on
// the SAME key (variant: two keys of one organisation), against ONE simulator enforcing
// 30/60 per (scaled) window. With the shared budget on Redis: zero 429s and an aggregate
// rate well above a per-process split of the budget (the figure itself is printed; speed is
// measured in benchmarks/bench_redis_budget, not asserted here); without it: the 429s it avoids. Then Redis killed and restarted
// mid-run: every call ends, no process hangs, 429s within the documented bound.
#include "redis_test_support.hpp"

#include <cleanlist/testing/simulator.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

using namespace cleanlist::redis::test;
using namespace std::chrono_literals;
namespace ct = cleanlist::testing;

namespace {

constexpr int procs = 4, per_proc = 44, per_key = 30, per_org = 60, window_ms = 2000, margin_ms = 200;

struct worker_out {
  int ok = 0, err = 0;
  unsigned long long rl429 = 0;
  long long t0 = 0, t1 = 0;
  unsigned long long redis_failures = 0, attempts = 0, retries = 0;
};

struct run_result {
  std::vector<worker_out> workers;
  std::uint64_t sim_429 = 0, sim_requests = 0;
  double seconds = 0;
};

std::string write_ca(const ct::simulator& sim) {
  char path[] = "/tmp/limiter_ca_XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  const auto& pem = sim.ca_pem();
  REQUIRE(::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size()));
  ::close(fd);
  return path;
}

// Starts the workers; `during` runs in the parent while they work (e.g. kills Redis).
template <class During>
run_result run_workers(ct::simulator& sim, const std::vector<std::string>& keys, const std::string& org,
                       const std::string& redis_url, During during) {
  const std::string ca = write_ca(sim);
  std::vector<pid_t> pids;
  std::vector<std::string> outs;
  // Start barrier: each worker writes one byte to `ready` after its warm-up call, then reads
  // `go` until EOF, which comes to all of them at once when the parent closes it.
  int ready[2], go[2];
  REQUIRE(::pipe(ready) == 0);
  REQUIRE(::pipe(go) == 0);
  for (int i = 0; i < procs; ++i) {
    char path[] = "/tmp/limiter_worker_XXXXXX";
    const int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    outs.emplace_back(path);
    // Built before fork(): only async-signal-safe calls in the child before exec.
    const std::string base = sim.base_url(), key = keys[i % keys.size()], count = std::to_string(per_proc),
                      pk = std::to_string(per_key), po = std::to_string(per_org), w = std::to_string(window_ms),
                      m = std::to_string(margin_ms), share = std::to_string(1.0 / procs);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::dup2(fd, 1);
      ::dup2(go[0], 0);
      ::dup2(ready[1], 3);
      ::close(go[1]);
      ::close(ready[0]);
      ::execl(LIMITER_CLIENT_WORKER, "limiter_client_worker", base.c_str(), ca.c_str(), key.c_str(), org.c_str(),
              redis_url.c_str(), count.c_str(), pk.c_str(), po.c_str(), w.c_str(), m.c_str(), share.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fd);
    pids.push_back(pid);
  }
  ::close(ready[1]);
  ::close(go[0]);
  for (int i = 0; i < procs; ++i) {
    char b = 0;
    REQUIRE(::read(ready[0], &b, 1) == 1);  // blocks until that worker is ready (or fails: EOF)
  }
  ::close(go[1]);  // go
  ::close(ready[0]);
  during();
  run_result r;
  for (pid_t p : pids) {
    int st = 0;
    REQUIRE(::waitpid(p, &st, 0) == p);  // no hang: each worker ends (ctest TIMEOUT is the backstop)
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
  }
  long long t0 = LLONG_MAX, t1 = 0;
  for (const auto& path : outs) {
    std::ifstream in(path);
    worker_out w;
    in >> w.ok >> w.err >> w.rl429 >> w.t0 >> w.t1 >> w.redis_failures >> w.attempts >> w.retries;
    r.workers.push_back(w);
    t0 = std::min(t0, w.t0);
    t1 = std::max(t1, w.t1);
    std::remove(path.c_str());
  }
  std::remove(ca.c_str());
  r.seconds = static_cast<double>(t1 - t0) / 1e9;
  const auto s = sim.stats();
  r.sim_429 = s.rate_limited_429;
  r.sim_requests = s.requests;
  return r;
}

ct::simulator_params sim_params(int nkeys, bool tls = true) {
  ct::simulator_params sp;
  sp.tls = tls;
  sp.rate_limits = true;
  sp.per_key_limit = per_key;
  sp.per_org_limit = per_org;
  sp.window = std::chrono::milliseconds(window_ms);
  ct::organisation_config org;
  org.org_id = "org_shared";
  org.name = "Shared";
  ct::user_config u;
  u.user_id = "user_1";
  u.email = "u@example.com";
  u.name = "U";
  for (int i = 0; i < nkeys; ++i) u.keys.push_back({"clapi_shared_key_" + std::to_string(i), {}});
  org.users.push_back(u);
  sp.orgs.push_back(org);
  return sp;
}

void report(const std::string& what, const run_result& r, double budget_per_s) {
  int ok = 0, err = 0;
  unsigned long long failures = 0, attempts = 0, retries = 0;
  for (const auto& w : r.workers) {
    ok += w.ok;
    err += w.err;
    failures += w.redis_failures;
    attempts += w.attempts;
    retries += w.retries;
  }
  const double rate = static_cast<double>(ok + err) / r.seconds;
  MESSAGE(what << ": " << ok << " ok, " << err << " errors, simulator 429s " << r.sim_429 << ", requests "
               << r.sim_requests << ", " << r.seconds << " s, rate " << rate << "/s = " << rate / budget_per_s
               << " x budget (" << budget_per_s << "/s); Redis failures seen by the workers " << failures
               << "; client attempts " << attempts << ", retries " << retries);
}

// Aggregate rate from the first to the last completion of the run (all processes), against
// the budget N per window. The sliding log lets N through at once then N per window + margin,
// so M requests take about (M / N - 1) spans. Each worker makes one warm-up call before the
// barrier: 4 x (44 + 1) = 180 = 6 N requests, 5 spans (11 s with a 2.2 s span): 176 / 11 s
// = 16/s = 1.07 x the budget of 15/s. The tests only require > 0.5 x: a budget split per process
// would give about 0.25 x, and a loaded CI machine must not fail a correct limiter on timing.
double rate_of(const run_result& r) {
  int n = 0;
  for (const auto& w : r.workers) n += w.ok + w.err;
  return n / r.seconds;
}

} // namespace

TEST_CASE("4 processes, one key, one simulator: Redis -> zero 429s, more than half the budget; none -> 429s") {
  const double budget = per_key / (window_ms / 1000.0);
  {
    redis_server srv;
    ct::simulator sim(sim_params(1));
    auto r = run_workers(sim, {"clapi_shared_key_0"}, "org_shared", srv.url(), [] {});
    report("one key, Redis", r, budget);
    CHECK(r.sim_429 == 0);
    for (const auto& w : r.workers) CHECK(w.ok == per_proc);
    CHECK(rate_of(r) > 0.5 * budget);
  }
  {
    // The same over plain HTTP.
    redis_server srv;
    ct::simulator sim(sim_params(1, false));
    auto r = run_workers(sim, {"clapi_shared_key_0"}, "org_shared", srv.url(), [] {});
    report("one key, Redis, plain HTTP", r, budget);
    CHECK(r.sim_429 == 0);
    for (const auto& w : r.workers) CHECK(w.ok == per_proc);
    CHECK(rate_of(r) > 0.5 * budget);
  }
  {
    ct::simulator sim(sim_params(1));
    auto r = run_workers(sim, {"clapi_shared_key_0"}, "org_shared", "-", [] {});
    report("one key, no Redis", r, budget);
    CHECK(r.sim_429 > 0);
  }
}

TEST_CASE("4 processes, two keys of one organisation: Redis -> zero 429s, more than half the org budget") {
  const double budget = per_org / (window_ms / 1000.0);
  {
    redis_server srv;
    ct::simulator sim(sim_params(2));
    auto r = run_workers(sim, {"clapi_shared_key_0", "clapi_shared_key_1"}, "org_shared", srv.url(), [] {});
    report("two keys, Redis", r, budget);
    CHECK(r.sim_429 == 0);
    CHECK(rate_of(r) > 0.5 * budget);
  }
  {
    redis_server srv;
    ct::simulator sim(sim_params(2, false));
    auto r = run_workers(sim, {"clapi_shared_key_0", "clapi_shared_key_1"}, "org_shared", srv.url(), [] {});
    report("two keys, Redis, plain HTTP", r, budget);
    CHECK(r.sim_429 == 0);
    CHECK(rate_of(r) > 0.5 * budget);
  }
  {
    ct::simulator sim(sim_params(2));
    auto r = run_workers(sim, {"clapi_shared_key_0", "clapi_shared_key_1"}, "org_shared", "-", [] {});
    report("two keys, no Redis", r, budget);
    CHECK(r.sim_429 > 0);
  }
}

TEST_CASE("4 processes, Redis killed and restarted mid-run: every call ends, 429s within the documented bound") {
  redis_server srv;
  ct::simulator sim(sim_params(1));
  std::chrono::steady_clock::duration outage{};
  auto r = run_workers(sim, {"clapi_shared_key_0"}, "org_shared", srv.url(), [&] {
    // A scheduled fault, not a wait for a state: kill after 3 s, restart 2 s later.
    std::this_thread::sleep_for(3s);
    const auto k = std::chrono::steady_clock::now();
    srv.stop();
    std::this_thread::sleep_for(2s);
    srv.start();
    outage = std::chrono::steady_clock::now() - k;
  });
  report("one key, Redis killed and restarted", r, per_key / (window_ms / 1000.0));
  int ended = 0;
  for (const auto& w : r.workers) ended += w.ok + w.err;
  CHECK(ended == procs * per_proc);
  // Documented bound (rate_limit.hpp, src/redis/README.md): only server windows overlapping
  // [kill - span, recovery + span] may see more than the limit, at most 2 x the limit each, so
  // at most per_key 429s per such window. Recovery: restart + connection backoff cap (2 s) +
  // probe_max (5 s).
  const double span_s = (window_ms + margin_ms) / 1000.0;
  const double affected_s = std::chrono::duration<double>(outage).count() + 2 + 5 + 2 * span_s;
  const auto windows = static_cast<std::uint64_t>(std::ceil(affected_s / (window_ms / 1000.0))) + 1;
  MESSAGE("429 bound: " << windows << " windows x " << per_key << " = " << windows * per_key);
  CHECK(r.sim_429 <= windows * per_key);
}
