#pragma once
// Asio shell of the rate limiter: a FIFO of waiters, one steady_timer for the head, the
// arithmetic in core::window_budget (sans-io).
// The templates' definitions, instantiated for the steady clock in rate_limiter.cpp and for
// testing::manual_clock in the testing library (never in the production library).
#include <cleanlist/rate_limiter.hpp>

#include "decisions/window_budget.hpp"
#include "engine/org_budget.hpp"
#include "engine/shutdown_hooks.hpp"
#include "engine/shared_budget.hpp"

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/basic_waitable_timer.hpp>

#include <array>
#include <map>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <utility>

namespace cleanlist {

namespace detail {

using handler_type = boost::asio::any_completion_handler<void(boost::system::error_code)>;

template <class Clock>
class rate_limiter_impl : public std::enable_shared_from_this<rate_limiter_impl<Clock>>, public abandonable {
  using clock = Clock;
  using time_point = std::chrono::steady_clock::time_point;  // Clock shares steady_clock's time points

public:
  rate_limiter_impl(boost::asio::any_io_executor ex, rate_limit_params p, std::shared_ptr<org_budget> org)
      : ex_(std::move(ex)), params_(p),
        key_(p.enabled ? p.per_key : 0, p.window, p.margin),
        // Disabled: no client-side limit at all (a shared org budget is not consulted).
        org_(org && p.enabled ? std::move(org) : make_org_budget(p)) {}

  // Shared (Redis) budget: the local key_/org_ budgets only hold server pauses (unlimited);
  // fb_key_/fb_org_ are the fallback budgets (a share of the limits), which record EVERY
  // grant of this process so that a fallback period starts and ends conservatively.
  rate_limiter_impl(boost::asio::any_io_executor ex, rate_limit_params p, std::shared_ptr<shared_budget> shared,
                    std::string key_id, std::string org_id)
      : ex_(std::move(ex)), params_(p), key_(0, p.window, p.margin), org_(make_org_budget(unlimited(p))),
        remote_(p.enabled ? std::move(shared) : nullptr), key_id_(std::move(key_id)), org_id_(std::move(org_id)),
        fb_key_(remote_ ? remote_->fallback_limit(p.per_key) : 0, p.window, p.margin),
        fb_org_(remote_ ? remote_->fallback_org(org_id_, p) : nullptr) {
    std::random_device rd;
    ticket_ = std::to_string(rd()) + "-" + std::to_string(rd()) + "-" + std::to_string(rd());
  }

  static rate_limit_params unlimited(rate_limit_params p) {
    p.per_key = 0;
    p.per_org = 0;
    return p;
  }

  void acquire(handler_type h, time_point* granted_at) {
    const std::uint64_t id = next_id_++;
    auto slot = boost::asio::get_associated_cancellation_slot(h);
    queue_.emplace(id, waiter{std::move(h), clock::now(), granted_at});
    if (slot.is_connected()) slot.template emplace<cancel_handler>(this->weak_from_this(), id);
    if (queue_.size() == 1) pump();
  }

  bool try_acquire(time_point* granted_at) {
    if (remote_) return false;  // a shared grant needs a round trip: async_acquire
    if (!queue_.empty()) return false;  // FIFO: whoever waits goes first
    const auto now = clock::now();
    {
      std::lock_guard lk(org_->mu);
      const std::array<core::window_budget*, 2> budgets{&key_, &org_->budget};
      const auto t = core::try_grant_all_at(budgets, now);
      if (!t) return false;
      if (granted_at) *granted_at = *t;
    }
    ++stats_.granted;
    return true;
  }

  void release(time_point granted_at) {
    {
      std::lock_guard lk(org_->mu);
      key_.release(granted_at);
      org_->budget.release(granted_at);
    }
    if (remote_) {
      {
        std::lock_guard lk(fb_org_->mu);
        fb_key_.release(granted_at);
        fb_org_->budget.release(granted_at);
      }
      // Times are unique per limiter (stamp()): this is exactly the grant given at granted_at,
      // and a fallback grant (not in tokens_) gives nothing back in the shared budget.
      auto it = tokens_.find(granted_at);
      if (it != tokens_.end()) {
        remote_->release(key_id_, org_id_, std::move(it->second));
        tokens_.erase(it);
      }
    }
    if (stats_.granted > 0) --stats_.granted;
    pump();  // the freed place may let the queue head through now
  }

  void cancel_one(std::uint64_t id) {
    auto it = queue_.find(id);
    if (it == queue_.end()) return; // already granted or cancelled
    const bool was_head = it == queue_.begin();
    handler_type h = std::move(it->second.handler);
    queue_.erase(it);
    // Called from inside the slot's handler: do not clear the slot here (that would destroy
    // the running handler); it is inert once the id is gone.
    post_completion(std::move(h), boost::asio::error::operation_aborted);
    if (was_head) pump(); // the slot it did not take goes to the next waiter
  }

  // The io_context is being destroyed: the waiters' handlers (coroutine frames that may hold
  // this limiter's owner) are dropped, not invoked (see shutdown_hooks).
  void abandon() noexcept override {
    auto q = std::move(queue_);
    queue_.clear();
    armed_ = false;
  }

  void cancel_all() {
    auto q = std::move(queue_);
    queue_.clear();
    for (auto& [id, w] : q) {
      w.handler.get_cancellation_slot().clear();
      post_completion(std::move(w.handler), boost::asio::error::operation_aborted);
    }
    disarm();
  }

  void on_server_retry_after(std::chrono::milliseconds d) {
    const auto until = clock::now() + d;
    key_.set_not_before(until);
    {
      std::lock_guard lk(org_->mu);
      org_->budget.set_not_before(until);
    }
    if (remote_) {
      fb_key_.set_not_before(until);
      {
        std::lock_guard lk(fb_org_->mu);
        fb_org_->budget.set_not_before(until);
      }
      remote_->pause(key_id_, org_id_, d);
    }
    pump();
  }

  rate_limiter_stats stats() const {
    rate_limiter_stats s = stats_;
    s.waiting = queue_.size();
    return s;
  }

  boost::asio::any_io_executor ex_;
  // Created by the first wait: most keys of a process holding thousands never wait.
  std::unique_ptr<boost::asio::basic_waitable_timer<Clock>> timer_;
  rate_limit_params params_;
  core::window_budget key_;
  std::shared_ptr<org_budget> org_;
  std::shared_ptr<shared_budget> remote_;
  std::string key_id_, org_id_;
  std::string ticket_;  // this limiter's place among the waiters of all processes
  core::window_budget fb_key_{0, std::chrono::milliseconds(60000)};
  std::shared_ptr<org_budget> fb_org_;

private:
  struct waiter {
    handler_type handler;
    time_point enqueued;
    time_point* granted_at = nullptr;  // in the waiting caller's frame, written before completion
  };

  struct cancel_handler {
    std::weak_ptr<rate_limiter_impl> self;
    std::uint64_t id;
    void operator()(boost::asio::cancellation_type_t type) const {
      if (type == boost::asio::cancellation_type::none) return;
      if (auto s = self.lock()) s->cancel_one(id);
    }
  };

  // Completes the queue head with a grant recorded at `granted`.
  void grant_head(time_point now, time_point granted) {
    auto it = queue_.begin();
    waiter w = std::move(it->second);
    queue_.erase(it);
    if (w.granted_at) *w.granted_at = granted;
    const auto waited = now - w.enqueued;
    ++stats_.granted;
    // "waited": the grant was not possible when the request arrived (queued behind others
    // or behind the budget). The tolerance absorbs the time spent in this function.
    if (waited > std::chrono::milliseconds(1)) ++stats_.waited;
    stats_.total_wait += std::chrono::duration_cast<std::chrono::nanoseconds>(waited);
    w.handler.get_cancellation_slot().clear();
    post_completion(std::move(w.handler), boost::system::error_code{});
  }

  // Shared budget: the queue head asks the backend (one request in flight at most), or uses
  // the fallback budgets while the backend fails (until a probe is due).
  void pump_shared() {
    while (!queue_.empty()) {
      if (in_flight_) return;  // the head's answer comes back to on_shared()
      const auto now = clock::now();
      // A server pause seen by this process (also set in Redis, which may be down).
      if (const auto pause = std::max(key_.not_before(), fb_key_.not_before()); pause > now) {
        arm(pause);
        return;
      }
      const bool ask = remote_->should_ask(now);
      if (!ask || now < conservative_until_) {
        std::optional<time_point> granted;
        core::acquire_plan plan;
        {
          std::lock_guard lk(fb_org_->mu);
          const std::array<core::window_budget*, 2> budgets{&fb_key_, &fb_org_->budget};
          plan = core::plan_acquire(budgets, now);
          if (!ask && plan.ready(now)) granted = stamp(budgets, now);
        }
        if (!plan.ready(now)) {
          arm(plan.at);
          return;
        }
        if (!ask) {  // fallback grant
          conservative_until_ = now + fb_key_.span();
          ++stats_.fallback_grants;
          grant_head(now, *granted);
          continue;
        }
      }
      in_flight_ = true;
      disarm();
      remote_->acquire(key_id_, org_id_, params_, ticket_,
                       boost::asio::bind_executor(ex_, [self = this->shared_from_this()](shared_acquire_result r) {
                         self->on_shared(std::move(r));
                       }));
      return;
    }
    disarm();
  }

  void on_shared(shared_acquire_result r) {
    in_flight_ = false;
    const auto now = clock::now();
    if (r.ec) {
      ++stats_.shared_errors;
      remote_->on_failure(now);
      conservative_until_ = std::max(conservative_until_, now + fb_key_.span());
      return pump_shared();  // the head falls back at once: no further wait for Redis
    }
    remote_->on_success();
    if (!r.granted) {
      if (queue_.empty()) return;
      arm(now + std::max<std::chrono::steady_clock::duration>(r.wait, std::chrono::microseconds(1)));
      return;
    }
    if (queue_.empty()) {  // the waiter it was for is gone (cancelled, destroyed)
      remote_->release(key_id_, org_id_, std::move(r.token));
      return;
    }
    time_point at;
    {
      // Every grant is recorded in the fallback budgets too (see the constructor).
      std::lock_guard lk(fb_org_->mu);
      const std::array<core::window_budget*, 2> budgets{&fb_key_, &fb_org_->budget};
      at = stamp(budgets, now);
    }
    // Tokens for release(): only grants younger than span can still be given back usefully.
    while (!tokens_.empty() && tokens_.begin()->first + fb_key_.span() < now) tokens_.erase(tokens_.begin());
    tokens_.emplace(at, std::move(r.token));
    ++stats_.shared_grants;
    grant_head(now, at);
    pump_shared();
  }

  // Shared budget: records a grant allowed at `now` in the fallback budgets at a time no
  // other grant of this limiter has (now, or one clock tick after this limiter's previous
  // grant when both fall in the same tick), so that the time handed to the caller identifies
  // the grant for release(): a shared grant and a fallback grant (or two shared grants) of one
  // tick must not be confused — releasing the wrong one would free a Redis slot whose request
  // did go out. Also not before the budgets' last grants (another limiter of the process may
  // have stamped one tick later), so every budget records exactly this time.
  time_point stamp(std::span<core::window_budget* const> budgets, time_point now) {
    time_point t = now;
    if (stamped_ && t <= last_stamp_) t = last_stamp_ + time_point::duration(1);
    for (core::window_budget* b : budgets)
      if (b->total_grants() > 0) t = std::max(t, b->last_grant());
    for (core::window_budget* b : budgets) b->grant(t);
    stamped_ = true;
    last_stamp_ = t;
    return t;
  }

  // Grants as many queue heads as the budgets allow now, then arms the timer for the next.
  void pump() {
    if (remote_) return pump_shared();
    while (!queue_.empty()) {
      const auto now = clock::now();
      core::acquire_plan plan;
      std::optional<time_point> granted;
      {
        std::lock_guard lk(org_->mu);
        const std::array<core::window_budget*, 2> budgets{&key_, &org_->budget};
        plan = core::plan_acquire(budgets, now);
        if (plan.ready(now)) granted = core::try_grant_all_at(budgets, now);
      }
      if (!granted) {
        arm(plan.at);
        return;
      }
      grant_head(now, *granted);
    }
    disarm(); // nothing waits: do not keep the io_context busy with a pending timer
  }

  void arm(time_point at) {
    if (armed_ && armed_at_ == at) return;
    armed_ = true;
    armed_at_ = at;
    const std::uint64_t gen = ++gen_;
    if (!timer_) timer_ = std::make_unique<boost::asio::basic_waitable_timer<Clock>>(ex_);
    timer_->expires_at(at); // cancels a previous wait; its handler sees a stale generation
    timer_->async_wait([self = this->shared_from_this(), gen](const boost::system::error_code&) {
      if (gen != self->gen_) return;
      self->armed_ = false;
      self->pump();
    });
  }

  void disarm() {
    if (!armed_) return;
    armed_ = false;
    ++gen_;
    timer_->cancel();  // armed_: the timer exists
  }

  void post_completion(handler_type h, boost::system::error_code ec) {
    auto hex = boost::asio::get_associated_executor(h, ex_);
    boost::asio::post(ex_, boost::asio::bind_executor(hex, [h = std::move(h), ec]() mutable {
                        std::move(h)(ec);
                      }));
  }

  std::map<std::uint64_t, waiter> queue_; // ordered by arrival id: FIFO, O(log n) cancellation
  bool in_flight_ = false;                // shared budget: the head's request is out
  time_point conservative_until_{};       // shared budget: fallback budgets apply until then
  std::map<time_point, std::string> tokens_;  // shared grants: time (unique, stamp()) -> id, for release
  time_point last_stamp_{};                  // the last time stamp() handed out
  bool stamped_ = false;
  std::uint64_t next_id_ = 0;
  std::uint64_t gen_ = 0;
  bool armed_ = false;
  time_point armed_at_{};
  rate_limiter_stats stats_{};
};

} // namespace detail

template <class Clock>
basic_rate_limiter<Clock>::basic_rate_limiter(executor_type ex, rate_limit_params p, std::shared_ptr<org_budget> org)
    : impl_(std::make_shared<detail::rate_limiter_impl<Clock>>(std::move(ex), p, std::move(org))) {
  detail::shutdown_hooks::watch(impl_->ex_, impl_);
}

template <class Clock>
basic_rate_limiter<Clock>::basic_rate_limiter(executor_type ex, rate_limit_params p, std::shared_ptr<shared_budget> shared,
                                              std::string key_identity, std::string org_identity)
    : impl_(shared ? std::make_shared<detail::rate_limiter_impl<Clock>>(std::move(ex), p, std::move(shared),
                                                                        std::move(key_identity), std::move(org_identity))
                   : std::make_shared<detail::rate_limiter_impl<Clock>>(std::move(ex), p, nullptr)) {
  detail::shutdown_hooks::watch(impl_->ex_, impl_);
}

template <class Clock>
basic_rate_limiter<Clock>::~basic_rate_limiter() {
  if (impl_) impl_->cancel_all();
}

template <class Clock>
typename basic_rate_limiter<Clock>::executor_type basic_rate_limiter<Clock>::get_executor() const noexcept { return impl_->ex_; }

template <class Clock>
void basic_rate_limiter<Clock>::initiate_acquire::operator()(
    boost::asio::any_completion_handler<completion_signature> handler) const {
  impl->acquire(std::move(handler), granted_at);
}

template <class Clock>
bool basic_rate_limiter<Clock>::try_acquire(time_point* granted_at) { return impl_->try_acquire(granted_at); }

template <class Clock>
void basic_rate_limiter<Clock>::release(time_point granted_at) { impl_->release(granted_at); }

template <class Clock>
void basic_rate_limiter<Clock>::on_server_retry_after(std::chrono::milliseconds d) { impl_->on_server_retry_after(d); }

template <class Clock>
void basic_rate_limiter<Clock>::cancel_all() { impl_->cancel_all(); }

template <class Clock>
typename basic_rate_limiter<Clock>::stats_t basic_rate_limiter<Clock>::stats() const { return impl_->stats(); }

template <class Clock>
const rate_limit_params& basic_rate_limiter<Clock>::params() const noexcept { return impl_->params_; }

template <class Clock>
const std::shared_ptr<org_budget>& basic_rate_limiter<Clock>::org() const noexcept { return impl_->org_; }

} // namespace cleanlist
