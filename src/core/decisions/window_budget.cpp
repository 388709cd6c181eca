#include "decisions/window_budget.hpp"

#include <algorithm>

namespace cleanlist::core {

window_budget::window_budget(int limit, duration window, duration margin)
    : limit_(limit), window_(window), margin_(margin) {
  if (limit_ > 0) log_.resize(static_cast<std::size_t>(limit_));
}

window_budget::time_point window_budget::earliest(time_point now) const noexcept {
  time_point t = std::max(now, not_before_);
  if (limit_ > 0 && count_ == log_.size()) t = std::max(t, oldest() + span());
  return t;
}

window_budget::time_point window_budget::grant(time_point t) noexcept {
  if (total_ > 0 && t < last_) t = last_;
  last_ = t;
  ++total_;
  if (log_.empty()) return t; // unlimited
  if (count_ < log_.size()) {
    log_[(head_ + count_) % log_.size()] = t;
    ++count_;
  } else {
    log_[head_] = t; // overwrite the oldest; the next one becomes the oldest
    head_ = (head_ + 1) % log_.size();
  }
  return t;
}

bool window_budget::release(time_point t) noexcept {
  if (log_.empty()) return false;
  // Newest first: a grant given back is almost always one of the last few.
  for (std::size_t k = count_; k-- > 0;) {
    if (log_[(head_ + k) % log_.size()] != t) continue;
    for (std::size_t j = k; j + 1 < count_; ++j) log_[(head_ + j) % log_.size()] = log_[(head_ + j + 1) % log_.size()];
    --count_;
    return true;
  }
  return false;
}

void window_budget::set_not_before(time_point t) noexcept { not_before_ = std::max(not_before_, t); }

void window_budget::set_limit(int limit) {
  std::vector<time_point> recent;
  recent.reserve(count_);
  for (std::size_t i = 0; i < count_; ++i) recent.push_back(log_[(head_ + i) % log_.size()]);
  limit_ = limit;
  log_.assign(limit > 0 ? static_cast<std::size_t>(limit) : 0U, time_point{});
  head_ = 0;
  count_ = 0;
  if (log_.empty()) return;
  const std::size_t keep = std::min(recent.size(), log_.size());
  for (std::size_t i = recent.size() - keep; i < recent.size(); ++i) log_[count_++] = recent[i];
}

std::size_t window_budget::recent_grants(time_point now) const noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < count_; ++i) {
    const time_point g = log_[(head_ + i) % log_.size()];
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

bool try_grant_all(std::span<window_budget* const> budgets, steady_time now) noexcept {
  return try_grant_all_at(budgets, now).has_value();
}

std::optional<steady_time> try_grant_all_at(std::span<window_budget* const> budgets, steady_time now) noexcept {
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
