#include "decisions/window_budget.hpp"

#include <algorithm>

namespace cleanlist::core {

window_budget::window_budget(int limit, duration window, duration margin)
    : limit_(limit), window_(window), margin_(margin) {}  // the log: at the first grant

window_budget::time_point window_budget::earliest(time_point now) const noexcept {
  time_point t = std::max(now, not_before_);
  if (full()) t = std::max(t, oldest() + span());
  return t;
}

window_budget::time_point window_budget::grant(time_point t) {
  if (total_ > 0 && t < last_) t = last_;
  if (limit_ > 0 && !log_) {  // first grant since construction or set_limit(); count_ is 0
    log_ = std::make_unique<time_point[]>(size());
    head_ = 0;
  }
  last_ = t;
  ++total_;
  if (!log_) return t; // unlimited
  const std::size_t n = size();
  if (count_ < n) {
    log_[(head_ + count_) % n] = t;
    ++count_;
  } else {
    log_[head_] = t; // overwrite the oldest; the next one becomes the oldest
    head_ = static_cast<std::uint32_t>((head_ + 1) % n);
  }
  return t;
}

bool window_budget::release(time_point t) noexcept {
  if (!log_) return false;
  const std::size_t n = size();
  // Newest first: a grant given back is almost always one of the last few.
  for (std::size_t k = count_; k-- > 0;) {
    if (log_[(head_ + k) % n] != t) continue;
    for (std::size_t j = k; j + 1 < count_; ++j) log_[(head_ + j) % n] = log_[(head_ + j + 1) % n];
    --count_;
    return true;
  }
  return false;
}

void window_budget::set_not_before(time_point t) noexcept { not_before_ = std::max(not_before_, t); }

void window_budget::set_limit(int limit) {
  std::vector<time_point> recent;
  recent.reserve(count_);
  for (std::size_t i = 0; i < count_; ++i) recent.push_back(log_[(head_ + i) % size()]);
  limit_ = limit;
  head_ = 0;
  count_ = 0;
  log_.reset();
  if (limit <= 0 || recent.empty()) return;  // nothing to keep: the next grant allocates
  log_ = std::make_unique<time_point[]>(size());
  const std::size_t keep = std::min(recent.size(), size());
  for (std::size_t i = recent.size() - keep; i < recent.size(); ++i) log_[count_++] = recent[i];
}

std::size_t window_budget::recent_grants(time_point now) const noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < count_; ++i) {
    const time_point g = log_[(head_ + i) % size()];
    if (g > now - span() && g <= now) ++n;
  }
  return n;
}

steady_time earliest_all(std::span<window_budget* const> budgets, steady_time now) noexcept {
  return plan_acquire(budgets, now).at;
}

acquire_plan plan_acquire(std::span<window_budget* const> budgets, steady_time now) noexcept {
  acquire_plan plan{now, budgets.size()};
  for (std::size_t i = 0; i < budgets.size(); ++i) {
    if (budgets[i] == nullptr) continue;
    const steady_time t = budgets[i]->earliest(plan.at);
    if (t > plan.at) {
      plan.at = t;
      plan.limiting = i;
    }
  }
  return plan;
}

bool try_grant_all(std::span<window_budget* const> budgets, steady_time now) {
  return try_grant_all_at(budgets, now).has_value();
}

std::optional<steady_time> try_grant_all_at(std::span<window_budget* const> budgets, steady_time now) {
  if (!plan_acquire(budgets, now).ready(now)) return std::nullopt;
  // Each budget clamps to its own last grant: record the latest of those in all of them, so
  // one time identifies the grant everywhere (release()).
  steady_time t = now;
  for (window_budget* b : budgets)
    if (b != nullptr && b->total_grants() > 0) t = std::max(t, b->last_grant());
  for (window_budget* b : budgets)
    if (b != nullptr) b->grant(t);
  return t;
}

} // namespace cleanlist::core
