#pragma once
// The backend interface behind cleanlist::shared_budget (opaque in the public header): one
// grant attempt per round trip, release, shared pause, plus the process-wide health state
// (healthy / failing with probe backoff) and the per-organisation fallback budgets used by
// the limiters while the backend fails. The Redis implementation is in
// src/redis/shared_budget.cpp (library cleanlist_redis); tests may provide others.
#include <cleanlist/rate_limit.hpp>

#include "engine/org_budget.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/system/error_code.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace cleanlist {

struct shared_acquire_result {
  boost::system::error_code ec;       ///< the backend failed (the caller falls back)
  bool granted = false;
  std::chrono::microseconds wait{0};  ///< not granted: retry no earlier than now + wait
  std::string token;                  ///< granted: the grant's id, for release
};

class shared_budget {
public:
  using acquire_handler = boost::asio::any_completion_handler<void(shared_acquire_result)>;
  using time_point = std::chrono::steady_clock::time_point;

  explicit shared_budget(shared_budget_options o) : opts_(std::move(o)) {}
  virtual ~shared_budget() = default;
  shared_budget(const shared_budget&) = delete;
  shared_budget& operator=(const shared_budget&) = delete;

  /// One attempt: grant in the key's and the organisation's budget, or neither and the wait.
  /// `ticket`: the caller's place among the waiters (stable while its queue head waits;
  /// unique across processes): waiters are served in the order of their first denial.
  /// Completes within options().op_timeout, never inline, on the handler's associated executor.
  virtual void acquire(const std::string& key_id, const std::string& org_id, const rate_limit_params& p,
                       const std::string& ticket, acquire_handler h) = 0;
  /// Fire and forget (bounded by op_timeout).
  virtual void release(const std::string& key_id, const std::string& org_id, std::string token) = 0;
  virtual void pause(const std::string& key_id, const std::string& org_id, std::chrono::milliseconds d) = 0;

  const shared_budget_options& options() const noexcept { return opts_; }

  /// Ask the backend now? True while healthy, and once the next probe is due while failing.
  bool should_ask(time_point now) const {
    std::lock_guard lk(mu_);
    return healthy_ || now >= next_probe_;
  }
  bool healthy() const {
    std::lock_guard lk(mu_);
    return healthy_;
  }
  void on_success() {
    std::lock_guard lk(mu_);
    healthy_ = true;
    attempt_ = 0;
  }
  /// A failed request: fall back, next probe after probe_initial * 2^k (capped at probe_max).
  void on_failure(time_point now) {
    std::lock_guard lk(mu_);
    if (healthy_) attempt_ = 0;
    else if (attempt_ < 30) ++attempt_;
    healthy_ = false;
    auto d = std::max(opts_.probe_initial, std::chrono::milliseconds(1));
    for (unsigned i = 0; i < attempt_ && d < opts_.probe_max; ++i) d *= 2;
    next_probe_ = now + std::min(d, std::max(opts_.probe_max, std::chrono::milliseconds(1)));
    ++failures_;
  }
  std::uint64_t failures() const {
    std::lock_guard lk(mu_);
    return failures_;
  }

  /// The limit a process uses alone while the backend fails: share of `limit` (at least 1).
  int fallback_limit(int limit) const noexcept {
    if (limit <= 0) return 0;
    const double share = std::clamp(opts_.fallback_share, 0.0, 1.0);
    return std::max(1, static_cast<int>(std::floor(share * limit)));
  }

  /// This process's fallback budget of the organisation (fallback_limit(per_org)), shared by
  /// the limiters of its keys.
  std::shared_ptr<org_budget> fallback_org(const std::string& org_id, const rate_limit_params& p) {
    std::lock_guard lk(mu_);
    auto& b = orgs_[org_id];
    if (!b) {
      rate_limit_params q = p;
      q.per_org = fallback_limit(p.per_org);
      b = std::make_shared<org_budget>(q);
    }
    return b;
  }

private:
  shared_budget_options opts_;
  mutable std::mutex mu_;
  bool healthy_ = true;
  unsigned attempt_ = 0;
  time_point next_probe_{};
  std::uint64_t failures_ = 0;
  std::map<std::string, std::shared_ptr<org_budget>> orgs_;
};

} // namespace cleanlist
