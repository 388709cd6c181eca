#pragma once
// The poll driver's definitions, instantiated for the steady clock in poll_driver.cpp and for
// testing::manual_clock in the testing library.
#include "client/poll_driver.hpp"

#include "protocol/response.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace cleanlist {

namespace asio = boost::asio;

namespace poll_driver_detail {
// A status as server text in a message: bounded (a hostile server chooses it).
inline std::string quoted_status(std::string_view s) {
  constexpr std::size_t max = 64;
  return "\"" + std::string(s.substr(0, max)) + (s.size() > max ? "...\"" : "\"");
}
// The caller's progress callback; false (and the reason in `d`) if it threw: the wait then
// completes with error::callback_failed instead of dying with the exception (which a detached
// coroutine would swallow, leaving the wait without an end).
inline bool call_progress(const progress_function& f, const workflow_status_response& st, diagnostics& d) {
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
} // namespace poll_driver_detail

template <class Clock>
basic_poll_driver<Clock>::basic_poll_driver(const asio::any_io_executor& strand, asio::any_io_executor user_ex,
                                            std::atomic<std::uint64_t>& waiting_counter)
    : strand_(strand), wake_(strand, time_point::max()), acquire_deadline_(strand), user_ex_(std::move(user_ex)),
      waiting_counter_(waiting_counter) {}

template <class Clock>
void basic_poll_driver<Clock>::add(const host_ptr& host, std::string workflow_id, const poll_params& pp,
                                   progress_function on_progress, diagnostics* diag,
                                   detail::handler<workflow_status_response> h, std::shared_ptr<stop_link> stop) {
  const id_type id = next_id_++;
  if (!stop) stop = stop_link::attach(asio::get_associated_cancellation_slot(h), strand_);
  if (diag) diag->clear();
  // Built in place: Boost 1.81's any_completion_handler move-assignment recurses without end.
  waiters_.emplace(id, waiter{std::move(workflow_id), std::move(on_progress), diag, std::move(h), {}, {}, 0, false, stop});
  const auto now = Clock::now();
  sched_.add(id, now, pp);
  // After the waiter exists: a cancellation that came before is honoured at once. The host
  // owns this driver: while it lives, so does `this`.
  if (stop)
    stop->bind([weak = std::weak_ptr<poll_host<Clock>>(host), this, id](asio::cancellation_type) {
      if (auto h = weak.lock()) cancel(id);  // polls change nothing: every type is honoured
      return true;
    });
  if (waiters_.find(id) == waiters_.end()) return;  // cancelled already
  waiting_counter_ = waiters_.size();
  // A wait with an earlier deadline than the loop's limiter wait: re-plan now.
  if (acquiring_ && now + pp.deadline < acquire_until_) acquire_stop_.emit(asio::cancellation_type::terminal);
  if (!running_) {
    running_ = true;
    asio::co_spawn(strand_, run(host), asio::detached);
  } else {
    wake_.cancel();  // the new waiter may be due before what the loop sleeps for
  }
}

template <class Clock>
void basic_poll_driver<Clock>::finish(id_type id, error_code ec, diagnostics* d, workflow_status_response status) {
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

template <class Clock>
void basic_poll_driver<Clock>::cancel(id_type id) {
  finish(id, asio::error::operation_aborted, nullptr, {});
}

template <class Clock>
void basic_poll_driver<Clock>::shutdown() {
  std::vector<id_type> ids;
  for (auto& [id, w] : waiters_) ids.push_back(id);
  diagnostics d;
  d.problem = "client shut down";
  for (auto id : ids) finish(id, error::shutdown, &d, {});
}

template <class Clock>
void basic_poll_driver<Clock>::abandon() noexcept {
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& [id, w] : waiters) {
    sched_.remove(id);
    if (w.stop) w.stop->unbind();
  }
  waiting_counter_ = 0;
}

// The one loop: sleep until something is due (or a deadline), take a limiter slot (waiting
// no later than the next deadline), give it to the workflow due longest, start its poll
// without waiting for the answer.
template <class Clock>
asio::awaitable<void> basic_poll_driver<Clock>::run(host_ptr host) {
  while (!waiters_.empty() && !host->poll_shut_down()) {
    auto now = Clock::now();
    for (auto id : sched_.expired(now)) {
      diagnostics d;
      const auto& w = waiters_.at(id);
      d.problem = "workflow still not terminal at the poll deadline (last status: " +
                  (w.last_status.empty() ? std::string("none received") : poll_driver_detail::quoted_status(w.last_status)) +
                  (w.unknown_status_logged ? ", a status the library does not know" : "") + ")";
      protocol::redact(d.problem, host->poll_secret());
      finish(id, error::timeout, &d, {});
    }
    auto due = sched_.next_due();
    if (!due || *due > now) {
      auto until = time_point::max();
      if (due) until = *due;
      if (auto dl = sched_.next_deadline(); dl && *dl < until) until = *dl;
      if (waiters_.empty()) break;
      wake_.expires_at(until);
      co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    const std::uint64_t gen = ++acquire_gen_;
    acquire_until_ = sched_.next_deadline().value_or(time_point::max());
    acquire_deadline_.expires_at(acquire_until_);
    acquire_deadline_.async_wait([host, this, gen](const error_code& ec) {
      if (!ec && gen == acquire_gen_) acquire_stop_.emit(asio::cancellation_type::terminal);
    });
    acquiring_ = true;
    time_point granted{};
    auto [ec] = co_await host->poll_limiter().async_acquire(
        &granted, asio::bind_cancellation_slot(acquire_stop_.slot(), asio::as_tuple(asio::use_awaitable)));
    acquiring_ = false;
    ++acquire_gen_;
    acquire_stop_.slot().clear();
    acquire_deadline_.cancel();
    if (host->poll_shut_down()) break;
    if (ec) continue;  // stopped at a deadline (or re-planned): expire what is due, then wait again
    // Chosen only now that the slot is ours: the workflow due longest gets it.
    if (auto id = sched_.pop_due(Clock::now())) asio::co_spawn(strand_, poll_once(host, *id, granted), asio::detached);
    else host->poll_limiter().release(granted);  // the waiter it was for is gone (cancelled)
  }
  running_ = false;
  if (host->poll_shut_down()) shutdown();
}

template <class Clock>
asio::awaitable<void> basic_poll_driver<Clock>::poll_once(host_ptr host, id_type id, time_point granted_at) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) {
    host->poll_limiter().release(granted_at);
    co_return;
  }
  auto answer = co_await host->poll_status(it->second.workflow_id, granted_at);
  it = waiters_.find(id);  // it may have been cancelled meanwhile
  if (it == waiters_.end()) co_return;
  auto& [ec, st, d] = answer;
  auto& w = it->second;
  if (ec) {
    // A poll is free and idempotent: a server-side hiccup (even one the server marks not
    // retryable, such as a 500) only costs this poll; the wait goes on until the deadline.
    // Client-side and permanent answers (401, 403, 404, shutdown...) end the wait at once.
    const bool transient = is_transient(ec) || ec == error::bad_response || ec == error::outcome_unknown ||
                           ec == error::retry_budget_exhausted || ec.category() != error_category();
    if (!transient || ec == asio::error::operation_aborted || ++w.failures >= max_poll_failures)
      co_return finish(id, ec, &d, {});
    sched_.reschedule(id, Clock::now());
    wake_.cancel();
    co_return;
  }
  w.failures = 0;
  const bool changed = st.status != w.last_status || st.processed != w.last_processed;
  w.last_status = st.status;
  w.last_processed = st.processed;
  if (host->poll_is_terminal(st.status)) {
    if (changed && w.on_progress && !poll_driver_detail::call_progress(w.on_progress, st, d)) co_return finish(id, error::callback_failed, &d, {});
    co_return finish(id, {}, &d, std::move(st));
  }
  if (!is_known_status(st.status)) {
    // The set is open: keep polling, but never silently.
    host->poll_unknown_status();
    if (!w.unknown_status_logged) {
      w.unknown_status_logged = true;
      host->poll_log(log_level::warning, "workflow " + w.workflow_id + " reports status " + poll_driver_detail::quoted_status(st.status) +
                                             ", which the library does not know: still polling (add it to "
                                             "client_params::extra_terminal_statuses if it is terminal)");
    }
  }
  if (changed && w.on_progress) {
    const bool ok = poll_driver_detail::call_progress(w.on_progress, st, d);
    it = waiters_.find(id);  // the callback may have cancelled this wait
    if (it == waiters_.end()) co_return;
    if (!ok) co_return finish(id, error::callback_failed, &d, {});
  }
  std::optional<core::poll_scheduler::progress_sample> sample;
  // Without a progress callback only the end matters: the scheduler may space polls by the
  // estimated completion rather than by the backoff (a long bulk run: a handful of polls).
  if (st.processed && st.total)
    sample = core::poll_scheduler::progress_sample{*st.processed, *st.total, !w.on_progress};
  sched_.reschedule(id, Clock::now(), sample);
  wake_.cancel();
}

} // namespace cleanlist
