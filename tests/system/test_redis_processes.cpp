// Four OS processes (redis_budget_worker) acquire on one API key through one redis-server:
// no interval of window+margin holds more than N grants in total, and together they use
// the budget (rate reported; no timed assertion).
#include "redis_test_support.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>

using namespace cleanlist::redis;
using namespace cleanlist::redis::test;

TEST_CASE("4 processes share one key's budget: never more than N per window+margin") {
  redis_server srv;
  constexpr int procs = 4, per_proc = 20, n = 10, window_ms = 500, margin_ms = 20;
  std::vector<pid_t> pids;
  std::vector<std::string> outs;
  for (int i = 0; i < procs; ++i) {
    char path[] = "/tmp/redis_budget_worker_XXXXXX";
    const int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    outs.emplace_back(path);
    // Built before fork(): only async-signal-safe calls in the child before exec.
    const std::string port = std::to_string(srv.port()), count = std::to_string(per_proc), nn = std::to_string(n),
                      w = std::to_string(window_ms), m = std::to_string(margin_ms);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::dup2(fd, 1);
      ::execl(REDIS_BUDGET_WORKER, "redis_budget_worker", port.c_str(), "cl_live_shared_key", "org", count.c_str(),
              nn.c_str(), w.c_str(), m.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fd);
    pids.push_back(pid);
  }
  for (pid_t p : pids) {
    int st = 0;
    REQUIRE(::waitpid(p, &st, 0) == p);
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
  }
  std::vector<std::int64_t> times;
  for (const auto& path : outs) {
    std::ifstream in(path);
    long long t = 0;
    int lines = 0;
    while (in >> t) {
      times.push_back(t);
      ++lines;
    }
    CHECK(lines == per_proc);
    std::remove(path.c_str());
  }
  REQUIRE(times.size() == static_cast<std::size_t>(procs * per_proc));
  const std::int64_t span_us = (window_ms + margin_ms) * 1000;
  const std::int64_t gap = min_gap_of_n(times, n);
  CHECK(gap >= span_us);
  std::sort(times.begin(), times.end());
  // Aggregate rate: M grants need at least ceil(M / N - 1) spans; report how close we came.
  const double ideal_us = (static_cast<double>(times.size()) / n - 1) * static_cast<double>(span_us);
  const double took_us = static_cast<double>(times.back() - times.front());
  MESSAGE(procs << " processes, " << times.size() << " grants in " << took_us / 1000 << " ms; ideal "
                << ideal_us / 1000 << " ms (efficiency " << 100.0 * ideal_us / took_us << " %); smallest span of "
                << n + 1 << " consecutive grants " << gap << " us (bound " << span_us << ")");
  WARN(took_us < 1.5 * ideal_us);  // informative only: a loaded machine may be slower
}
