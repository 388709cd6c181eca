#pragma once
// Sans-io poll scheduler: which of many waiting workflows to poll next.
//
// Each workflow has a due time (next poll), an interval (grows x multiplier up to
// max_interval after every poll) and a deadline. The consumer loop is:
//
//   for (id : sched.expired(now)) fail(id, timeout);
//   wait until sched.next_due(), then acquire one rate-limiter slot;
//   if (auto id = sched.pop_due(now)) { poll(*id); sched.reschedule(*id, now, progress)
//                                      or sched.remove(*id) when terminal; }
//
// Budget and starvation: the consumer takes ONE due workflow per limiter grant, so polling
// can never send more requests than the limiter allows, however many workflows wait.
// pop_due returns the workflow that has been due the longest (smallest due time; ties by the
// order in which entries were (re)scheduled, a monotonic sequence number). A workflow that is
// due therefore waits behind at most the other n - 1 workflows (each one is behind it at most
// once, because a polled workflow is rescheduled to now + interval, i.e. after every entry
// already due): with one grant per tick every due workflow is polled within n ticks. Polls
// are rarer than the intervals ask only when the budget is the constraint.
//
// Complexity: add / remove / pop_due / reschedule are O(log n); expired(now) is
// O(k log n) for k expired entries; next_due O(1).
// Memory: one hash-map node + two ordered-set nodes per workflow (about 200 bytes on
// 64-bit libstdc++; see the unit test that prints the figures).

#include <cleanlist/poll.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace cleanlist::core {

class poll_scheduler {
public:
  using id_type = std::uint64_t;
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;

  struct entry {
    time_point due;         ///< next poll (meaningless while in flight)
    time_point deadline;    ///< give up after this
    duration interval;      ///< gap used for the last scheduling
    std::uint64_t seq;      ///< (re)scheduling order, breaks ties between equal due times
    bool in_flight = false; ///< popped, waiting for reschedule()/remove()
    duration max_interval;  ///< this entry's cap (per-call poll_params)
    float multiplier;       ///< this entry's growth factor
    time_point added;       ///< when the wait started (about when the workflow was dispatched)
    time_point last_at;     ///< time of the last progress sample
    std::int64_t last_processed = -1;  ///< its `processed` counter (-1: no sample yet)
  };

  /// A poll's progress counters (GET /enrichment/status: processed of total).
  struct progress_sample {
    std::int64_t processed = 0;
    std::int64_t total = 0;
    /// Nobody watches the counters (no progress callback), only the end matters: a far
    /// estimate may also push the next poll beyond the backoff (see reschedule).
    bool may_delay = false;
  };

  /// When a workflow reporting `sample` at `now` should be done, extrapolating its progress
  /// linearly: from the last sample when the counter moved since, else from the start of the
  /// wait (which includes any queueing, so that estimate is late rather than early).
  /// nullopt when there is nothing to extrapolate (no progress yet, done, or no total).
  static std::optional<time_point> estimate_completion(const entry& e, time_point now, progress_sample sample);

  explicit poll_scheduler(poll_params p = {}) : params_(p) {}

  /// Starts tracking `id`: first poll at now + initial, deadline now + params.deadline
  /// (or now + deadline when given). Returns false if id is already tracked.
  bool add(id_type id, time_point now);
  bool add(id_type id, time_point now, duration deadline);
  /// Adds with this entry's own intervals and deadline (per-call poll_params).
  bool add(id_type id, time_point now, const poll_params& p);

  /// Stops tracking `id` (terminal state, cancelled, expired). Returns false if unknown.
  bool remove(id_type id);

  /// Earliest due time among the workflows not in flight; nullopt when none.
  std::optional<time_point> next_due() const;

  /// Removes from the due order and returns the workflow due the longest (due <= now),
  /// marking it in flight; nullopt when none is due. The caller then calls reschedule()
  /// or remove(). Expired workflows are returned too unless expired() removed them first.
  std::optional<id_type> pop_due(time_point now);

  /// After a poll: interval = min(max_interval, interval * multiplier), due = now + interval.
  /// With a progress sample, the next poll comes earlier when the workflow should be done
  /// before that: due = estimated completion (+1% of the elapsed time), but never sooner than
  /// an eighth of the interval from now, so a wrong estimate costs few extra polls. With
  /// `may_delay` a far estimate also spaces polls beyond the backoff: halfway to the estimated
  /// completion while it is more than two intervals away, then at it; a long run then costs
  /// about log2(duration / interval) polls instead of one per max_interval, and finishing
  /// earlier than estimated is noticed at most half the estimated remaining time late.
  /// Polls still go through the limiter. Returns false if unknown.
  bool reschedule(id_type id, time_point now, std::optional<progress_sample> sample = std::nullopt);

  /// Removes and returns (in deadline order) the workflows whose deadline is <= now,
  /// in flight or not.
  std::vector<id_type> expired(time_point now);

  /// The next deadline, to arm a timer for expired(); nullopt when empty.
  std::optional<time_point> next_deadline() const;

  bool contains(id_type id) const { return entries_.count(id) != 0; }
  const entry* find(id_type id) const;
  std::size_t size() const noexcept { return entries_.size(); }
  std::size_t due_queue_size() const noexcept { return due_.size(); }
  const poll_params& params() const noexcept { return params_; }

  /// Approximate heap bytes per tracked workflow (node sizes, libstdc++ layout).
  static std::size_t approx_bytes_per_entry() noexcept;

private:
  using due_key = std::tuple<time_point, std::uint64_t, id_type>;     // (due, seq, id)
  using deadline_key = std::pair<time_point, id_type>;                 // (deadline, id)

  void schedule(id_type id, entry& e, time_point due);
  static duration grow(const entry& e);

  poll_params params_;
  std::uint64_t next_seq_ = 0;
  std::unordered_map<id_type, entry> entries_;
  std::set<due_key> due_;
  std::set<deadline_key> deadlines_;
};

} // namespace cleanlist::core
