// Sliding-window budget arithmetic (sans-io): exactness, safety against fixed server windows,
// server not-before, limit changes, combined key + organisation budgets.
#include <doctest/doctest.h>

#include "decisions/window_budget.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <random>
#include <vector>

using namespace std::chrono_literals;
using cleanlist::core::window_budget;
using tp = window_budget::time_point;
using dur = window_budget::duration;

namespace {

const tp t0 = tp{} + 1000h; // arbitrary origin far from the clock's epoch

// Largest number of grants in any half-open interval [a, a + len).
std::size_t max_in_any_interval(const std::vector<tp>& sorted, dur len) {
  std::size_t best = 0, j = 0;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    while (sorted[i] - sorted[j] >= len) ++j;
    best = std::max(best, i - j + 1);
  }
  return best;
}

// Largest count in fixed windows [offset + k*w, offset + (k+1)*w).
std::size_t max_in_fixed_windows(const std::vector<tp>& times, tp offset, dur w) {
  std::map<long long, std::size_t> counts;
  std::size_t best = 0;
  for (tp t : times) {
    const auto k = static_cast<long long>(std::floor(std::chrono::duration<double>(t - offset) /
                                                     std::chrono::duration<double>(w)));
    best = std::max(best, ++counts[k]);
  }
  return best;
}

} // namespace

TEST_CASE("window_budget: earliest times are exact") {
  window_budget b(3, 1000ms, 0ms);
  CHECK(b.earliest(t0) == t0);
  b.grant(t0);
  b.grant(t0 + 10ms);
  CHECK(b.earliest(t0 + 10ms) == t0 + 10ms);
  b.grant(t0 + 20ms);
  // 3 grants in the window: the 4th waits until the oldest leaves it.
  CHECK(b.earliest(t0 + 20ms) == t0 + 1000ms);
  CHECK_FALSE(b.can_grant(t0 + 999ms));
  CHECK(b.can_grant(t0 + 1000ms));
  b.grant(t0 + 1000ms);
  CHECK(b.earliest(t0 + 1000ms) == t0 + 1010ms);
  // Asking later than the constraint returns "now".
  CHECK(b.earliest(t0 + 5000ms) == t0 + 5000ms);
  CHECK(b.total_grants() == 4);
}

TEST_CASE("window_budget: margin widens the window") {
  window_budget b(2, 60s); // default margin 100 ms
  CHECK(b.margin() == dur(100ms));
  b.grant(t0);
  b.grant(t0);
  CHECK(b.earliest(t0) == t0 + 60s + 100ms);
}

TEST_CASE("window_budget: a saturated key gets exactly N per window, never N+1") {
  const int n = 30;
  window_budget b(n, 60s, 100ms);
  std::vector<tp> grants;
  tp now = t0;
  for (int i = 0; i < 10 * n; ++i) {
    now = b.earliest(now);
    b.grant(now);
    grants.push_back(now);
  }
  CHECK(max_in_any_interval(grants, b.span()) == static_cast<std::size_t>(n));
  // Bursts of N at 0, span, 2*span...: the first N immediately, then exactly one span later.
  CHECK(grants[n - 1] == t0);
  CHECK(grants[n] == t0 + 60s + 100ms);
  CHECK(grants[10 * n - 1] == t0 + 9 * (60s + 100ms));
  // Time for M requests: (M/N - 1) spans, within 1.1x of the theoretical minimum M/(N/W).
  const double elapsed = std::chrono::duration<double>(grants.back() - grants.front()).count();
  const double minimum = (10.0 * n - n) / n * 60.0; // the first N are free in both cases
  CHECK(elapsed <= 1.1 * minimum);
}

TEST_CASE("window_budget: property: random streams never exceed N in any window") {
  std::mt19937_64 rng(12345);
  struct cfg { int n; dur w; dur margin; };
  const std::array<cfg, 4> cfgs{{{30, 60s, 100ms}, {60, 60s, 100ms}, {5, 50ms, 0ms}, {1, 1s, 10ms}}};
  for (const cfg& c : cfgs) {
    for (int run = 0; run < 20; ++run) {
      window_budget b(c.n, c.w, c.margin);
      std::exponential_distribution<double> gap(1.0 / (std::chrono::duration<double>(c.w).count() /
                                                       (c.n * (0.5 + run * 0.1))));
      std::vector<tp> arrivals, grants;
      tp a = t0;
      for (int i = 0; i < 40 * c.n; ++i) {
        a += std::chrono::duration_cast<dur>(std::chrono::duration<double>(gap(rng)));
        arrivals.push_back(a);
      }
      tp last = t0;
      for (std::size_t i = 0; i < arrivals.size(); ++i) {
        const tp ask = std::max(arrivals[i], last); // FIFO: not before the previous grant
        const tp g = b.earliest(ask);
        // Exactness: the grant is delayed only by the window (N grants ago + span).
        if (g != ask) {
          REQUIRE(i >= static_cast<std::size_t>(c.n));
          CHECK(g == grants[i - static_cast<std::size_t>(c.n)] + b.span());
        }
        b.grant(g);
        grants.push_back(g);
        last = g;
      }
      INFO("n=" << c.n << " run=" << run);
      CHECK(max_in_any_interval(grants, b.span()) <= static_cast<std::size_t>(c.n));
      // Server view: fixed windows of W at random alignments, network delays jittering by up
      // to `margin` -> never more than N per server window.
      std::uniform_real_distribution<double> u(0.0, 1.0);
      for (int k = 0; k < 5; ++k) {
        std::vector<tp> arrive;
        for (tp g : grants)
          arrive.push_back(g + 30ms + std::chrono::duration_cast<dur>(c.margin * u(rng)));
        std::sort(arrive.begin(), arrive.end());
        const tp offset = t0 + std::chrono::duration_cast<dur>(c.w * u(rng));
        CHECK(max_in_fixed_windows(arrive, offset, c.w) <= static_cast<std::size_t>(c.n));
      }
    }
  }
}

TEST_CASE("window_budget: without the margin, jitter could break a server window (margin matters)") {
  // Grants exactly W apart; the first arrives late (jitter), the N+1th on time: one fixed
  // server window then holds N+1 requests. This is the failure the margin prevents.
  const int n = 3;
  window_budget b(n, 1000ms, 0ms);
  std::vector<tp> grants;
  tp now = t0;
  for (int i = 0; i < n + 1; ++i) {
    now = b.earliest(now);
    b.grant(now);
    grants.push_back(now);
  }
  std::vector<tp> arrive = {grants[0] + 50ms, grants[1] + 50ms, grants[2] + 50ms, grants[3] + 0ms};
  CHECK(max_in_fixed_windows(arrive, t0 + 40ms, 1000ms) == static_cast<std::size_t>(n + 1));
  // With a 100 ms margin the same jitter stays within N.
  window_budget m(n, 1000ms, 100ms);
  std::vector<tp> g2;
  now = t0;
  for (int i = 0; i < n + 1; ++i) {
    now = m.earliest(now);
    m.grant(now);
    g2.push_back(now);
  }
  arrive = {g2[0] + 50ms, g2[1] + 50ms, g2[2] + 50ms, g2[3] + 0ms};
  for (int off = 0; off < 1000; off += 10)
    CHECK(max_in_fixed_windows(arrive, t0 + std::chrono::milliseconds(off), 1000ms) <= std::size_t(n));
}

TEST_CASE("window_budget: GCRA with burst N would put ~2N in one window (why we do not use it)") {
  // Minimal GCRA: emission interval T = W/N, tolerance tau = (N-1)*T.
  const int n = 30;
  const dur w = 60s, T = w / n, tau = (n - 1) * T;
  tp tat = t0;
  std::vector<tp> gcra;
  tp now = t0;
  for (int i = 0; i < 2 * n; ++i) {
    const tp allowed = std::max(now, tat - tau);
    gcra.push_back(allowed);
    tat = std::max(tat, allowed) + T;
    now = allowed;
  }
  CHECK(max_in_any_interval(gcra, w) >= static_cast<std::size_t>(2 * n - 2));
  // The sliding window never does.
  window_budget b(n, w, 0ms);
  std::vector<tp> ours;
  now = t0;
  for (int i = 0; i < 2 * n; ++i) {
    now = b.earliest(now);
    b.grant(now);
    ours.push_back(now);
  }
  CHECK(max_in_any_interval(ours, w) == static_cast<std::size_t>(n));
}

TEST_CASE("window_budget: server not_before delays every grant and only moves forward") {
  window_budget b(30, 60s);
  b.set_not_before(t0 + 5s);
  CHECK(b.earliest(t0) == t0 + 5s);
  CHECK_FALSE(b.can_grant(t0 + 4999ms));
  b.set_not_before(t0 + 1s); // earlier: ignored
  CHECK(b.earliest(t0) == t0 + 5s);
  CHECK(b.earliest(t0 + 6s) == t0 + 6s);
  // not_before combines with the window constraint (max of both).
  window_budget c(1, 10s, 0ms);
  c.grant(t0);
  c.set_not_before(t0 + 3s);
  CHECK(c.earliest(t0) == t0 + 10s);
  c.set_not_before(t0 + 12s);
  CHECK(c.earliest(t0) == t0 + 12s);
}

TEST_CASE("window_budget: limit and window changes") {
  window_budget b(4, 1000ms, 0ms);
  for (int i = 0; i < 4; ++i) b.grant(t0 + std::chrono::milliseconds(100 * i));
  CHECK(b.earliest(t0 + 300ms) == t0 + 1000ms);
  b.set_limit(2); // keeps the 2 most recent grants (t0+200, t0+300)
  CHECK(b.limit() == 2);
  CHECK(b.earliest(t0 + 300ms) == t0 + 1200ms);
  b.set_limit(6); // room for 4 more
  CHECK(b.earliest(t0 + 300ms) == t0 + 300ms);
  for (int i = 0; i < 4; ++i) b.grant(t0 + 400ms);
  CHECK(b.earliest(t0 + 400ms) == t0 + 1200ms);
  b.set_window(2000ms);
  CHECK(b.earliest(t0 + 400ms) == t0 + 2200ms);
  // Unlimited: only not_before applies.
  window_budget u(0, 1000ms);
  for (int i = 0; i < 1000; ++i) u.grant(t0);
  CHECK(u.earliest(t0) == t0);
  u.set_not_before(t0 + 1s);
  CHECK(u.earliest(t0) == t0 + 1s);
}

TEST_CASE("window_budget: grants earlier than the last one are clamped (log stays sorted)") {
  window_budget b(2, 1000ms, 0ms);
  b.grant(t0 + 500ms);
  b.grant(t0); // clamped to t0+500
  CHECK(b.earliest(t0) == t0 + 1500ms);
}

namespace {

// Saturated demand on several keys sharing one org budget. At each step the key whose
// combined earliest time is smallest (ties: round-robin) is granted.
struct multi_result {
  std::vector<std::vector<tp>> per_key;
  std::vector<tp> all;
};

multi_result run_shared(int keys, int per_key, int per_org, int total, dur w, dur margin) {
  std::vector<window_budget> kb;
  for (int k = 0; k < keys; ++k) kb.emplace_back(per_key, w, margin);
  window_budget org(per_org, w, margin);
  multi_result r;
  r.per_key.resize(static_cast<std::size_t>(keys));
  tp now = t0;
  int rr = 0;
  for (int i = 0; i < total; ++i) {
    tp best = tp::max();
    int pick = -1;
    for (int j = 0; j < keys; ++j) {
      const int k = (rr + j) % keys;
      const std::array<window_budget*, 2> bs{&kb[static_cast<std::size_t>(k)], &org};
      const tp at = cleanlist::core::earliest_all(bs, now);
      if (at < best) { best = at; pick = k; }
    }
    rr = (pick + 1) % keys;
    now = best;
    const std::array<window_budget*, 2> bs{&kb[static_cast<std::size_t>(pick)], &org};
    REQUIRE(cleanlist::core::try_grant_all(bs, now));
    r.per_key[static_cast<std::size_t>(pick)].push_back(now);
    r.all.push_back(now);
  }
  return r;
}

} // namespace

TEST_CASE("earliest_all: two keys of 30 sharing an org of 60") {
  const auto r = run_shared(2, 30, 60, 600, 60s, 100ms);
  const dur span = 60s + 100ms;
  CHECK(max_in_any_interval(r.all, span) == 60);
  for (const auto& k : r.per_key) CHECK(max_in_any_interval(k, span) <= 30);
  // Both keys get their full budget: 600 requests in 9 spans.
  CHECK(r.all.back() == t0 + 9 * span);
  CHECK(r.per_key[0].size() == 300);
  CHECK(r.per_key[1].size() == 300);
}

TEST_CASE("earliest_all: three keys of 30 sharing an org of 60") {
  const auto r = run_shared(3, 30, 60, 600, 60s, 100ms);
  const dur span = 60s + 100ms;
  CHECK(max_in_any_interval(r.all, span) == 60); // the org is the constraint
  for (const auto& k : r.per_key) {
    CHECK(max_in_any_interval(k, span) <= 30);
    CHECK(k.size() >= 150); // round-robin: nobody is starved
  }
  CHECK(r.all.back() == t0 + 9 * span);
}

TEST_CASE("plan_acquire / try_grant_all: limiting budget and all-or-nothing") {
  window_budget key(2, 1000ms, 0ms), org(3, 1000ms, 0ms);
  org.grant(t0);
  org.grant(t0);
  org.grant(t0);
  const std::array<window_budget*, 2> bs{&key, &org};
  auto plan = cleanlist::core::plan_acquire(bs, t0);
  CHECK(plan.at == t0 + 1000ms);
  CHECK(plan.limiting == 1);
  CHECK_FALSE(plan.ready(t0));
  CHECK_FALSE(cleanlist::core::try_grant_all(bs, t0 + 500ms));
  CHECK(key.total_grants() == 0); // nothing recorded in the key either
  CHECK(cleanlist::core::try_grant_all(bs, t0 + 1000ms));
  CHECK(key.total_grants() == 1);
  CHECK(org.total_grants() == 4);
  // Null entries are skipped; no constraint -> now.
  const std::array<window_budget*, 1> none{nullptr};
  plan = cleanlist::core::plan_acquire(none, t0);
  CHECK(plan.at == t0);
  CHECK(plan.limiting == 1);
}

TEST_CASE("window_budget: a grant given back frees its place, never more") {
  window_budget b(3, 1000ms, 0ms);
  b.grant(t0);
  const tp g1 = b.grant(t0 + 10ms);
  b.grant(t0 + 20ms);
  CHECK(b.earliest(t0 + 20ms) == t0 + 1000ms);
  CHECK(b.release(g1));               // the request granted at +10 ms never went out
  CHECK(b.can_grant(t0 + 20ms));      // its place is free again
  CHECK_FALSE(b.release(t0 + 15ms));  // nothing was granted then
  b.grant(t0 + 30ms);
  CHECK(b.earliest(t0 + 30ms) == t0 + 1000ms);  // t0 is still the oldest of three

  // Full log: a grant displaces a record already older than the span; giving the new grant
  // back must not let a fourth request into any interval of the span.
  window_budget f(2, 1000ms, 0ms);
  f.grant(t0);
  f.grant(t0 + 500ms);
  const tp late = f.grant(t0 + 1000ms);  // t0 displaced (exactly one span old)
  CHECK(f.release(late));
  std::vector<tp> sent{t0, t0 + 500ms};
  const tp next = f.earliest(t0 + 1000ms);
  f.grant(next);
  sent.push_back(next);
  CHECK(max_in_any_interval(sent, 1000ms) <= 2);
}

TEST_CASE("try_grant_all_at: one time recorded in every budget, releasable everywhere") {
  window_budget key(2, 1000ms, 0ms), org(3, 1000ms, 0ms);
  std::array<window_budget*, 2> both{&key, &org};
  org.grant(t0 + 50ms);  // another key of the organisation, later than this key's clock
  auto g = cleanlist::core::try_grant_all_at(both, t0 + 40ms);
  REQUIRE(g);
  CHECK(*g == t0 + 50ms);  // clamped to the latest grant of either budget
  CHECK(key.release(*g));
  CHECK(org.release(*g));
  CHECK(org.recent_grants(t0 + 60ms) == 1);
  CHECK(key.recent_grants(t0 + 60ms) == 0);
}

TEST_CASE("window_budget: the log is allocated by the first grant, not before (thousands of idle keys)") {
  window_budget b(30, 60000ms);
  CHECK(b.log_capacity() == 0);
  CHECK(b.earliest(t0) == t0);
  CHECK(b.recent_grants(t0) == 0);
  CHECK_FALSE(b.release(t0));  // nothing granted: nothing to give back, nothing allocated
  CHECK(b.log_capacity() == 0);
  b.set_not_before(t0 + 5ms);  // a server pause needs no log either
  CHECK(b.log_capacity() == 0);
  CHECK(b.grant(t0 + 5ms) == t0 + 5ms);
  CHECK(b.log_capacity() == 30);
  // Same arithmetic as an eagerly allocated log: the 31st grant waits for the first to age out.
  for (int i = 1; i < 30; ++i) b.grant(t0 + 5ms);
  CHECK(b.earliest(t0 + 5ms) == t0 + 5ms + 60100ms);
  CHECK(b.log_capacity() == 30);

  window_budget unlimited(0, 60000ms);
  unlimited.grant(t0);
  CHECK(unlimited.log_capacity() == 0);

  // A limit change before any grant keeps nothing and allocates nothing; after grants it keeps
  // the most recent ones.
  window_budget c(10, 1000ms, 0ms);
  c.set_limit(20);
  CHECK(c.log_capacity() == 0);
  for (int i = 0; i < 3; ++i) c.grant(t0 + std::chrono::milliseconds(i));
  c.set_limit(2);
  CHECK(c.log_capacity() == 2);
  CHECK(c.recent_grants(t0 + 2ms) == 2);
  CHECK(c.earliest(t0 + 2ms) == t0 + 1ms + 1000ms);
}
