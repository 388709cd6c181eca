#include "decisions/poll_scheduler.hpp"

#include <algorithm>
#include <cmath>

namespace cleanlist::core {

bool poll_scheduler::add(id_type id, time_point now) {
  return add(id, now, std::chrono::duration_cast<duration>(params_.deadline));
}

bool poll_scheduler::add(id_type id, time_point now, duration deadline) {
  poll_params p = params_;
  p.deadline = std::chrono::duration_cast<std::chrono::milliseconds>(deadline);
  return add(id, now, p);
}

bool poll_scheduler::add(id_type id, time_point now, const poll_params& p) {
  auto [it, inserted] = entries_.try_emplace(id);
  if (!inserted) return false;
  entry& e = it->second;
  e.interval = std::chrono::duration_cast<duration>(p.initial);
  e.max_interval = std::chrono::duration_cast<duration>(p.max_interval);
  e.multiplier = static_cast<float>(p.multiplier);
  e.deadline = now + std::chrono::duration_cast<duration>(p.deadline);
  e.added = now;
  deadlines_.emplace(e.deadline, id);
  schedule(id, e, now + e.interval);
  return true;
}

void poll_scheduler::schedule(id_type id, entry& e, time_point due) {
  e.due = due;
  e.seq = next_seq_++;
  e.in_flight = false;
  due_.emplace(e.due, e.seq, id);
}

bool poll_scheduler::remove(id_type id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  const entry& e = it->second;
  if (!e.in_flight) due_.erase(due_key{e.due, e.seq, id});
  deadlines_.erase(deadline_key{e.deadline, id});
  entries_.erase(it);
  return true;
}

std::optional<poll_scheduler::time_point> poll_scheduler::next_due() const {
  if (due_.empty()) return std::nullopt;
  return std::get<0>(*due_.begin());
}

std::optional<poll_scheduler::id_type> poll_scheduler::pop_due(time_point now) {
  if (due_.empty()) return std::nullopt;
  auto first = due_.begin();
  if (std::get<0>(*first) > now) return std::nullopt;
  const id_type id = std::get<2>(*first);
  due_.erase(first);
  entries_.at(id).in_flight = true;
  return id;
}

poll_scheduler::duration poll_scheduler::grow(const entry& e) {
  const auto cap = e.max_interval;
  const double m = e.multiplier > 1.0f ? e.multiplier : 1.0;
  const double grown = std::ceil(static_cast<double>(e.interval.count()) * m);
  if (grown >= static_cast<double>(cap.count())) return cap;
  return duration(static_cast<duration::rep>(grown));
}

std::optional<poll_scheduler::time_point> poll_scheduler::estimate_completion(const entry& e, time_point now,
                                                                                progress_sample sample) {
  const auto p = sample.processed, total = sample.total;
  if (total <= 0 || p <= 0 || p >= total || now <= e.added) return std::nullopt;
  // Rate from the last sample if the counter moved since, else from the start of the wait.
  time_point t0 = e.added;
  std::int64_t p0 = 0;
  if (e.last_processed >= 0 && e.last_processed < p && e.last_at < now) {
    t0 = e.last_at;
    p0 = e.last_processed;
  }
  const double per_item = static_cast<double>((now - t0).count()) / static_cast<double>(p - p0);
  const double left = per_item * static_cast<double>(total - p);
  if (!(left < static_cast<double>((time_point::max() - now).count()))) return std::nullopt;
  return now + duration(static_cast<duration::rep>(left));
}

bool poll_scheduler::reschedule(id_type id, time_point now, std::optional<progress_sample> sample) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  entry& e = it->second;
  if (!e.in_flight) due_.erase(due_key{e.due, e.seq, id});
  e.interval = grow(e);
  auto due = now + e.interval;
  if (sample) {
    if (auto eta = estimate_completion(e, now, *sample)) {
      const auto margin = (now - e.added) / 100;  // a poll just before the end costs one more
      const auto earliest = now + e.interval / 8;
      const auto at_end = std::max(earliest, *eta + margin);
      if (at_end <= due) {
        due = at_end;
      } else if (sample->may_delay) {
        // Only the end matters: approach the estimate by halves, so a wrong one (the run
        // speeds up) costs at most half the remaining time, and a steady run few polls.
        const auto left = *eta - now;
        due = left <= 2 * e.interval ? at_end : std::max(due, now + left / 2);
      }
    }
    e.last_at = now;
    e.last_processed = sample->processed;
  }
  schedule(id, e, due);
  return true;
}

std::vector<poll_scheduler::id_type> poll_scheduler::expired(time_point now) {
  std::vector<id_type> out;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const id_type id = deadlines_.begin()->second;
    out.push_back(id);
    remove(id); // erases the deadlines_ entry too
  }
  return out;
}

std::optional<poll_scheduler::time_point> poll_scheduler::next_deadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

const poll_scheduler::entry* poll_scheduler::find(id_type id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second;
}

std::size_t poll_scheduler::approx_bytes_per_entry() noexcept {
  // libstdc++: hash node = next pointer + value (+ cached hash not stored for integer keys);
  // one bucket pointer per element at load factor 1; rb-tree node = 3 pointers + colour
  // (32 bytes header) + value.
  constexpr std::size_t map_node = sizeof(void*) + sizeof(std::pair<const id_type, entry>);
  constexpr std::size_t bucket = sizeof(void*);
  constexpr std::size_t tree_header = 4 * sizeof(void*);
  constexpr std::size_t due_node = tree_header + sizeof(due_key);
  constexpr std::size_t deadline_node = tree_header + sizeof(deadline_key);
  return map_node + bucket + due_node + deadline_node;
}

} // namespace cleanlist::core
