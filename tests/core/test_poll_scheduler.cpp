// Poll scheduler (sans-io): oldest-due first, no starvation under a scarce budget, deadlines,
// interval growth and cap, memory per entry.
#include <doctest/doctest.h>

#include "decisions/poll_scheduler.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <new>
#include <vector>

// Counts heap bytes requested by this process (for the memory-per-entry test).
namespace {
std::atomic<std::size_t> g_alloc_bytes{0};
}
void* operator new(std::size_t n) {
  g_alloc_bytes += n;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace std::chrono_literals;
using cleanlist::poll_params;
using cleanlist::core::poll_scheduler;
using tp = poll_scheduler::time_point;

namespace {
const tp t0 = tp{} + 1000h;
}

TEST_CASE("poll_scheduler: first poll after the initial interval; oldest due first") {
  poll_scheduler s; // 1 s initial
  CHECK_FALSE(s.next_due());
  CHECK(s.add(1, t0 + 300ms));
  CHECK(s.add(2, t0));
  CHECK(s.add(3, t0 + 100ms));
  CHECK_FALSE(s.add(2, t0)); // duplicate
  CHECK(s.size() == 3);
  REQUIRE(s.next_due());
  CHECK(*s.next_due() == t0 + 1s);
  CHECK_FALSE(s.pop_due(t0 + 999ms)); // nothing due yet
  // At t0+2s all are due: popped in due order 2, 3, 1.
  CHECK(s.pop_due(t0 + 2s) == std::optional<std::uint64_t>(2));
  CHECK(s.pop_due(t0 + 2s) == std::optional<std::uint64_t>(3));
  CHECK(s.pop_due(t0 + 2s) == std::optional<std::uint64_t>(1));
  CHECK_FALSE(s.pop_due(t0 + 2s)); // all in flight
  CHECK_FALSE(s.next_due());
  CHECK(s.size() == 3);
}

TEST_CASE("poll_scheduler: ties broken by insertion order") {
  poll_scheduler s;
  // Ids deliberately not in numeric order.
  const std::vector<std::uint64_t> ids{42, 7, 1000, 3, 99};
  for (auto id : ids) s.add(id, t0);
  std::vector<std::uint64_t> got;
  while (auto id = s.pop_due(t0 + 1s)) got.push_back(*id);
  CHECK(got == ids);
}

TEST_CASE("poll_scheduler: interval grows by the multiplier up to the cap") {
  poll_params p;
  p.initial = 1000ms;
  p.multiplier = 1.5;
  p.max_interval = 4000ms;
  poll_scheduler s(p);
  s.add(1, t0);
  tp now = t0;
  std::vector<std::chrono::milliseconds> gaps;
  for (int i = 0; i < 8; ++i) {
    const tp due = *s.next_due();
    gaps.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(due - now));
    now = due;
    REQUIRE(s.pop_due(now) == std::optional<std::uint64_t>(1));
    s.reschedule(1, now);
  }
  const std::vector<std::chrono::milliseconds> expected{1000ms, 1500ms, 2250ms, 3375ms,
                                                        4000ms, 4000ms, 4000ms, 4000ms};
  CHECK(gaps == expected);
  // reschedule also works for an entry that was not popped (moves it).
  poll_scheduler r(p);
  r.add(5, t0);
  CHECK(r.reschedule(5, t0 + 10s));
  CHECK(*r.next_due() == t0 + 10s + 1500ms);
  CHECK(r.due_queue_size() == 1);
  CHECK_FALSE(r.reschedule(6, t0));
}

TEST_CASE("poll_scheduler: deadlines expire workflows, in flight or not") {
  poll_params p;
  p.deadline = 10s;
  poll_scheduler s(p);
  s.add(1, t0);
  s.add(2, t0 + 5s);
  s.add(3, t0 + 1s, 2s); // explicit deadline t0+3s
  REQUIRE(s.next_deadline());
  CHECK(*s.next_deadline() == t0 + 3s);
  CHECK(s.expired(t0 + 2999ms).empty());
  CHECK(s.expired(t0 + 3s) == std::vector<std::uint64_t>{3});
  CHECK_FALSE(s.contains(3));
  CHECK(s.pop_due(t0 + 9s) == std::optional<std::uint64_t>(1)); // 1 in flight
  CHECK(s.expired(t0 + 20s) == std::vector<std::uint64_t>{1, 2});
  CHECK(s.size() == 0);
  CHECK(s.due_queue_size() == 0);
  CHECK_FALSE(s.reschedule(1, t0 + 20s)); // gone
  CHECK_FALSE(s.next_due());
  CHECK_FALSE(s.next_deadline());
}

TEST_CASE("poll_scheduler: remove in every state") {
  poll_scheduler s;
  s.add(1, t0);
  s.add(2, t0);
  CHECK(s.pop_due(t0 + 1s) == std::optional<std::uint64_t>(1));
  CHECK(s.remove(1)); // in flight
  CHECK(s.remove(2)); // queued
  CHECK_FALSE(s.remove(2));
  CHECK(s.size() == 0);
  CHECK(s.due_queue_size() == 0);
  CHECK_FALSE(s.next_deadline());
}

TEST_CASE("poll_scheduler: no starvation when the budget is scarce (1000 workflows, 1 poll per tick)") {
  poll_params p;
  p.initial = 1000ms;
  p.multiplier = 1.5;
  p.max_interval = 10000ms;
  p.deadline = std::chrono::hours(100);
  poll_scheduler s(p);
  const std::uint64_t n = 1000;
  // Added over the first second.
  for (std::uint64_t id = 0; id < n; ++id) s.add(id, t0 + std::chrono::microseconds(id * 1000));
  // Budget: one poll per tick of 100 ms (far below the 1000 workflows' demand).
  const auto tick = 100ms;
  std::map<std::uint64_t, tp> became_due;
  std::map<std::uint64_t, int> polls;
  std::uint64_t max_wait_ticks = 0;
  tp now = t0;
  const int ticks = 20000;
  for (int k = 0; k < ticks; ++k) {
    now += tick;
    const auto due = s.next_due();
    const auto id = s.pop_due(now);
    if (!id) continue;
    REQUIRE(due);
    // Oldest-due first: what we got is the smallest due time.
    const auto waited = static_cast<std::uint64_t>((now - *due) / tick);
    max_wait_ticks = std::max(max_wait_ticks, waited);
    ++polls[*id];
    s.reschedule(*id, now);
  }
  // Every workflow polled; none waited longer than n ticks after becoming due.
  CHECK(polls.size() == n);
  CHECK(max_wait_ticks <= n);
  int min_polls = ticks, max_polls = 0;
  for (auto& [id, c] : polls) {
    min_polls = std::min(min_polls, c);
    max_polls = std::max(max_polls, c);
  }
  MESSAGE("polls per workflow: min " << min_polls << " max " << max_polls << ", max wait " << max_wait_ticks
                                     << " ticks");
  // Fair share: 20000 polls over 1000 workflows, +-1.
  CHECK(max_polls - min_polls <= 1);
}

TEST_CASE("poll_scheduler: per-entry poll_params override the scheduler's") {
  poll_scheduler s;  // defaults: 1 s initial, x1.5, 10 s cap
  poll_params fast;
  fast.initial = 10ms;
  fast.multiplier = 2.0;
  fast.max_interval = 40ms;
  fast.deadline = 1s;
  REQUIRE(s.add(1, t0, fast));
  REQUIRE(s.add(2, t0));
  CHECK(*s.next_due() == t0 + 10ms);
  auto now = t0 + 10ms;
  REQUIRE(s.pop_due(now) == std::optional<poll_scheduler::id_type>(1));
  s.reschedule(1, now);
  CHECK(s.find(1)->due == now + 20ms);
  now += 20ms;
  REQUIRE(s.pop_due(now) == std::optional<poll_scheduler::id_type>(1));
  s.reschedule(1, now);
  CHECK(s.find(1)->due == now + 40ms);
  s.pop_due(now + 40ms);
  s.reschedule(1, now + 40ms);
  CHECK(s.find(1)->interval == std::chrono::duration_cast<poll_scheduler::duration>(40ms));  // capped
  CHECK(s.find(2)->due == t0 + 1s);  // the other entry keeps the scheduler's defaults
  auto gone = s.expired(t0 + 1s);
  CHECK(gone == std::vector<poll_scheduler::id_type>{1});  // its own 1 s deadline
}

TEST_CASE("poll_scheduler: memory per waiting workflow") {
  MESSAGE("sizeof(entry) = " << sizeof(poll_scheduler::entry)
                             << " B; approx heap per workflow = " << poll_scheduler::approx_bytes_per_entry()
                             << " B");
  CHECK(sizeof(poll_scheduler::entry) <= 96);  // times, interval, cap, multiplier, last progress sample
  CHECK(poll_scheduler::approx_bytes_per_entry() <= 256);
  // Measured: bytes requested from the heap while adding 10000 workflows (includes the hash
  // table's rehash growth, so it over-counts the steady state).
  poll_scheduler s;
  const std::size_t n = 10000;
  const std::size_t before = g_alloc_bytes.load();
  for (std::uint64_t id = 0; id < n; ++id) s.add(id * 7919, t0);
  const std::size_t per = (g_alloc_bytes.load() - before) / n;
  MESSAGE("measured heap bytes requested per workflow (10000 adds) = " << per << " B");
  CHECK(per > 0);
  CHECK(per <= 1024); // target: <= 1 KiB per waiting workflow
}

// ---- progress-aware scheduling: poll when the workflow should be done, not a backoff later

namespace {
using sample = poll_scheduler::progress_sample;
using dur = poll_scheduler::duration;
dur d(std::chrono::nanoseconds n) { return std::chrono::duration_cast<dur>(n); }
}

TEST_CASE("poll_scheduler: one sample extrapolates from the start of the wait") {
  poll_scheduler s;  // initial 1 s, x1.5
  s.add(1, t0);
  REQUIRE(s.pop_due(t0 + 1s));
  s.reschedule(1, t0 + 1s, sample{48, 60});  // 80 % in 1 s: done at 1.25 s
  // due = 1.25 s + 1 % of the 1 s elapsed, instead of 1 s + 1.5 s
  CHECK(s.find(1)->due == t0 + d(1250ms + 10ms));
  CHECK(s.find(1)->interval == d(1500ms));  // the backoff still grows for later polls
}

TEST_CASE("poll_scheduler: two samples give the current rate") {
  poll_scheduler s;
  s.add(1, t0);
  s.pop_due(t0 + 1s);
  s.reschedule(1, t0 + 1s, sample{20, 60});  // from the start: done at 3 s; capped by the interval (2.5 s)
  CHECK(s.find(1)->due == t0 + 2500ms);
  s.pop_due(t0 + 2s);  // (polled early, e.g. by the caller)
  s.reschedule(1, t0 + 2s, sample{50, 60});  // 30 per s since the last sample: 10 left -> +1/3 s
  const auto eta = t0 + 2s + d(std::chrono::nanoseconds(333333333));
  const auto due = s.find(1)->due;
  CHECK(due >= eta + 20ms - 1ms);
  CHECK(due <= eta + 20ms + 1ms);
}

TEST_CASE("poll_scheduler: no usable progress keeps the backoff; estimates are clamped") {
  poll_scheduler s;
  for (poll_scheduler::id_type id : {1, 2, 3, 4, 5}) s.add(id, t0);
  for (int i = 0; i < 5; ++i) REQUIRE(s.pop_due(t0 + 1s));
  s.reschedule(1, t0 + 1s, sample{0, 60});   // nothing processed yet
  s.reschedule(2, t0 + 1s, sample{60, 60});  // counters full but not terminal yet
  s.reschedule(3, t0 + 1s, sample{5, 0});    // no total
  s.reschedule(4, t0 + 1s, sample{1, 100});  // done in 100 s: the backoff comes first
  s.reschedule(5, t0 + 1s, sample{599, 600});  // done in ~2 ms: not sooner than interval / 8
  CHECK(s.find(1)->due == t0 + 2500ms);
  CHECK(s.find(2)->due == t0 + 2500ms);
  CHECK(s.find(3)->due == t0 + 2500ms);
  CHECK(s.find(4)->due == t0 + 2500ms);
  CHECK(s.find(5)->due == t0 + 1s + d(1500ms) / 8);
}

TEST_CASE("poll_scheduler: a stalled counter falls back to the rate since the start") {
  poll_scheduler s;
  s.add(1, t0);
  s.pop_due(t0 + 1s);
  s.reschedule(1, t0 + 1s, sample{30, 60});  // from the start: done at 2 s
  CHECK(s.find(1)->due == t0 + 2s + 10ms);
  s.pop_due(t0 + 2010ms);
  s.reschedule(1, t0 + 2010ms, sample{30, 60});  // no progress since: 30 in 2.01 s from the start
  CHECK(s.find(1)->due == t0 + 2010ms + 2010ms + d(20100us));
}

TEST_CASE("poll_scheduler: without a progress callback a far estimate spaces polls by halves") {
  // A run of 600 s with a steady rate, polled by a wait that only needs the end.
  poll_scheduler s;  // initial 1 s, x1.5, max 10 s
  s.add(1, t0);
  const auto run_ends = t0 + 600s;
  int polls = 0;
  auto now = t0;
  for (;;) {
    auto due = s.find(1)->due;
    REQUIRE(s.pop_due(due));
    now = due;
    ++polls;
    if (now >= run_ends) break;
    const auto done_share = static_cast<double>((now - t0).count()) / static_cast<double>((run_ends - t0).count());
    const auto processed = static_cast<std::int64_t>(done_share * 6000);
    s.reschedule(1, now, sample{processed, 6000, true});
    REQUIRE(polls < 100);
  }
  MESSAGE("600 s run: " << polls << " polls placed by progress (one per max_interval would be ~60)");
  CHECK(polls <= 12);
  CHECK(now - run_ends < 20s);  // the end is noticed soon after it happens

  // With a callback (may_delay false) the backoff still bounds the gap.
  poll_scheduler w;
  w.add(2, t0);
  w.pop_due(t0 + 1s);
  w.reschedule(2, t0 + 1s, sample{1, 600, false});
  CHECK(w.find(2)->due == t0 + 2500ms);
  // And a run that speeds up is noticed at most half the estimated remaining time late.
  poll_scheduler f;
  f.add(3, t0);
  f.pop_due(t0 + 1s);
  f.reschedule(3, t0 + 1s, sample{1, 100, true});  // estimate: done at 100 s
  CHECK(f.find(3)->due == t0 + 1s + (d(99s)) / 2);
}
