#include "api/poll_driver.hpp"
#include "api/client_impl.hpp"

#include <boost/asio/cancellation_type.hpp>

namespace cleanlist {

using clock = std::chrono::steady_clock;

namespace {
// A status as server text in a message: bounded (a hostile server chooses it).
std::string quoted_status(std::string_view s) {
  constexpr std::size_t max = 64;
  return "\"" + std::string(s.substr(0, max)) + (s.size() > max ? "...\"" : "\"");
}
// The caller's progress callback; false (and the reason in `d`) if it threw: the wait then
// completes with error::callback_failed instead of dying with the exception (which a detached
// coroutine would swallow, leaving the wait without an end).
bool call_progress(const progress_function& f, const workflow_status_response& st, diagnostics& d) {
  try {
    f(st);
    return true;
  } catch (const std::exception& e) {
    d.problem = std::string("on_progress threw: ") + e.what();
  } catch (...) {
    d.problem = "on_progress threw a non-standard exception";
  }
  return false;
}
} // namespace

poll_driver::poll_driver(const asio::any_io_executor& strand, asio::any_io_executor user_ex,
                         std::atomic<std::uint64_t>& waiting_counter)
    : wake_(strand, asio::steady_timer::time_point::max()), acquire_deadline_(strand), user_ex_(std::move(user_ex)), waiting_counter_(waiting_counter) {}

void poll_driver::add(std::shared_ptr<client::impl> self, std::string workflow_id, const poll_params& pp,
                      progress_function on_progress, diagnostics* diag, detail::handler<workflow_status_response> h,
                      std::shared_ptr<stop_link> stop) {
  const id_type id = next_id_++;
  if (!stop) stop = stop_link::attach(asio::get_associated_cancellation_slot(h), self->strand());
  if (diag) diag->clear();
  // Built in place: Boost 1.81's any_completion_handler move-assignment recurses without end.
  waiters_.emplace(id, waiter{std::move(workflow_id), std::move(on_progress), diag, std::move(h), {}, {}, 0, false, stop});
  const auto now = clock::now();
  sched_.add(id, now, pp);
  // After the waiter exists: a cancellation that came before is honoured at once.
  if (stop)
    stop->bind([weak = std::weak_ptr<client::impl>(self), id](asio::cancellation_type) {
      if (auto s = weak.lock()) s->driver().cancel(id);  // polls change nothing: every type is honoured
      return true;
    });
  if (waiters_.find(id) == waiters_.end()) return;  // cancelled already
  waiting_counter_ = waiters_.size();
  // A wait with an earlier deadline than the loop's limiter wait: re-plan now.
  if (acquiring_ && now + pp.deadline < acquire_until_) acquire_stop_.emit(asio::cancellation_type::terminal);
  if (!running_) {
    running_ = true;
    asio::co_spawn(self->strand(), run_poll_driver(self), asio::detached);
  } else {
    wake_.cancel();  // the new waiter may be due before what the loop sleeps for
  }
}

void poll_driver::finish(id_type id, error_code ec, diagnostics* d, workflow_status_response status) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return;
  sched_.remove(id);
  waiter w = std::move(it->second);
  waiters_.erase(it);
  if (w.stop) w.stop->unbind();  // the caller's slot is left alone (see stop_link)
  if (w.diag && d) *w.diag = *d;
  if (ec) status = workflow_status_response{};
  waiting_counter_ = waiters_.size();
  asio::post(user_ex_, asio::append(std::move(w.handler), ec, std::move(status)));
  wake_.cancel();
}

void poll_driver::cancel(id_type id) { finish(id, asio::error::operation_aborted, nullptr, {}); }

void poll_driver::shutdown() {
  std::vector<id_type> ids;
  for (auto& [id, w] : waiters_) ids.push_back(id);
  diagnostics d;
  d.problem = "client shut down";
  for (auto id : ids) finish(id, error::shutdown, &d, {});
}

// The one loop: sleep until something is due (or a deadline), take a limiter slot (waiting
// no later than the next deadline), give it to the workflow due longest, start its poll
// without waiting for the answer.
asio::awaitable<void> run_poll_driver(std::shared_ptr<client::impl> self) {
  auto& drv = self->driver();
  while (!drv.waiters_.empty() && !self->shut_down()) {
    auto now = clock::now();
    for (auto id : drv.sched_.expired(now)) {
      diagnostics d;
      const auto& w = drv.waiters_.at(id);
      d.problem = "workflow still not terminal at the poll deadline (last status: " +
                  (w.last_status.empty() ? std::string("none received") : quoted_status(w.last_status)) +
                  (w.unknown_status_logged ? ", a status the library does not know" : "") + ")";
      protocol::redact(d.problem, self->secret());
      drv.finish(id, error::timeout, &d, {});
    }
    auto due = drv.sched_.next_due();
    if (!due || *due > now) {
      auto until = asio::steady_timer::time_point::max();
      if (due) until = *due;
      if (auto dl = drv.sched_.next_deadline(); dl && *dl < until) until = *dl;
      if (drv.waiters_.empty()) break;
      drv.wake_.expires_at(until);
      co_await drv.wake_.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    const std::uint64_t gen = ++drv.acquire_gen_;
    drv.acquire_until_ = drv.sched_.next_deadline().value_or(clock::time_point::max());
    drv.acquire_deadline_.expires_at(drv.acquire_until_);
    drv.acquire_deadline_.async_wait([self, gen](const error_code& ec) {
      if (!ec && gen == self->driver().acquire_gen_) self->driver().acquire_stop_.emit(asio::cancellation_type::terminal);
    });
    drv.acquiring_ = true;
    client::impl::grant_time granted{};
    auto [ec] = co_await self->limiter().async_acquire(
        &granted, asio::bind_cancellation_slot(drv.acquire_stop_.slot(), asio::as_tuple(asio::use_awaitable)));
    drv.acquiring_ = false;
    ++drv.acquire_gen_;
    drv.acquire_stop_.slot().clear();
    drv.acquire_deadline_.cancel();
    if (self->shut_down()) break;
    if (ec) continue;  // stopped at a deadline (or re-planned): expire what is due, then wait again
    // Chosen only now that the slot is ours: the workflow due longest gets it.
    if (auto id = drv.sched_.pop_due(clock::now())) asio::co_spawn(self->strand(), poll_once(self, *id, granted), asio::detached);
    else self->limiter().release(granted);  // the waiter it was for is gone (cancelled)
  }
  drv.running_ = false;
  if (self->shut_down()) drv.shutdown();
}

asio::awaitable<void> poll_once(std::shared_ptr<client::impl> self, poll_driver::id_type id,
                                clock::time_point granted_at) {
  auto& drv = self->driver();
  auto it = drv.waiters_.find(id);
  if (it == drv.waiters_.end()) {
    self->limiter().release(granted_at);
    co_return;
  }
  const auto spec = api::workflow_status(self->paths(), it->second.workflow_id);
  transport::call_context cc;
  diagnostics d;
  auto r = co_await self->execute(spec, cc, d, granted_at);
  it = drv.waiters_.find(id);  // it may have been cancelled meanwhile
  if (it == drv.waiters_.end()) co_return;
  workflow_status_response st;
  error_code ec = r.ec ? r.ec : convert(r.json, st, d, self->secret());
  auto& w = it->second;
  if (ec) {
    // A poll is free and idempotent: a server-side hiccup (even one the server marks not
    // retryable, such as a 500) only costs this poll; the wait goes on until the deadline.
    // Client-side and permanent answers (401, 403, 404, shutdown...) end the wait at once.
    const bool transient = is_transient(ec) || ec == error::bad_response || ec == error::outcome_unknown ||
                           ec == error::retry_budget_exhausted || ec.category() != error_category();
    if (!transient || ec == asio::error::operation_aborted || ++w.failures >= poll_driver::max_poll_failures)
      co_return drv.finish(id, ec, &d, {});
    drv.sched_.reschedule(id, clock::now());
    drv.wake_.cancel();
    co_return;
  }
  w.failures = 0;
  const bool changed = st.status != w.last_status || st.processed != w.last_processed;
  w.last_status = st.status;
  w.last_processed = st.processed;
  if (self->is_terminal(st.status)) {
    if (changed && w.on_progress && !call_progress(w.on_progress, st, d)) co_return drv.finish(id, error::callback_failed, &d, {});
    co_return drv.finish(id, {}, &d, std::move(st));
  }
  if (!is_known_status(st.status)) {
    // The set is open: keep polling, but never silently.
    ++self->counters().unknown_statuses;
    if (!w.unknown_status_logged) {
      w.unknown_status_logged = true;
      self->log(log_level::warning, "workflow " + w.workflow_id + " reports status " + quoted_status(st.status) +
                                        ", which the library does not know: still polling (add it to "
                                        "client_params::extra_terminal_statuses if it is terminal)");
    }
  }
  if (changed && w.on_progress) {
    const bool ok = call_progress(w.on_progress, st, d);
    it = drv.waiters_.find(id);  // the callback may have cancelled this wait
    if (it == drv.waiters_.end()) co_return;
    if (!ok) co_return drv.finish(id, error::callback_failed, &d, {});
  }
  std::optional<core::poll_scheduler::progress_sample> sample;
  if (st.processed && st.total) sample = core::poll_scheduler::progress_sample{*st.processed, *st.total};
  drv.sched_.reschedule(id, clock::now(), sample);
  drv.wake_.cancel();
}

} // namespace cleanlist
