#pragma once
// One poll loop per client for every workflow being waited for. Waiting costs a scheduler
// entry and a small record, not a coroutine or a timer per workflow: the loop takes a slot
// from the rate limiter, then gives it to the workflow due longest (oldest due first), so
// polling never exceeds the budget and no workflow starves. All on the client's strand.
//
// The loop knows its client only through poll_host (the limiter, one status request, the
// terminal set, the log), and takes its clock as a parameter: the library runs it on
// std::chrono::steady_clock; tests run it on testing::manual_clock with a scripted host, so
// scheduling, budget and deadlines are checked exactly and without sleeping.
#include "client/stop_link.hpp"
#include "decisions/poll_scheduler.hpp"

#include <cleanlist/client.hpp>
#include <cleanlist/rate_limiter.hpp>
#include <cleanlist/testing/manual_clock.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <unordered_map>

namespace cleanlist {

/// The answer to one status poll.
struct poll_answer {
  error_code ec;
  workflow_status_response status;
  diagnostics diag;
};

/// What the poll loop needs from its client. Called on the strand.
template <class Clock>
class poll_host {
public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~poll_host() = default;
  virtual basic_rate_limiter<Clock>& poll_limiter() = 0;
  /// One GET /enrichment/status/{id}, on a limiter slot granted at `granted_at` (given back if
  /// the request is not sent). Retries are the host's (its client's retry rules).
  virtual boost::asio::awaitable<poll_answer> poll_status(std::string workflow_id, time_point granted_at) = 0;
  virtual bool poll_is_terminal(std::string_view status) const = 0;
  virtual bool poll_shut_down() const = 0;
  virtual void poll_log(log_level lvl, std::string_view msg) const = 0;
  /// Redacted from messages that quote server text.
  virtual std::string_view poll_secret() const = 0;
  /// A poll returned a status the library does not know (client_stats::unknown_statuses).
  virtual void poll_unknown_status() = 0;
};

template <class Clock>
class basic_poll_driver {
public:
  using host_ptr = std::shared_ptr<poll_host<Clock>>;
  using time_point = std::chrono::steady_clock::time_point;

  basic_poll_driver(const boost::asio::any_io_executor& strand, boost::asio::any_io_executor user_ex,
                    std::atomic<std::uint64_t>& waiting_counter);

  /// Registers a waiter (call on the strand). `host` owns this driver. `h` completes with the
  /// terminal status, an error (after the client's retries), error::timeout at pp.deadline,
  /// operation_aborted when its cancellation slot fires, or error::shutdown.
  void add(const host_ptr& host, std::string workflow_id, const poll_params& pp, progress_function on_progress,
           diagnostics* diag, detail::handler<workflow_status_response> h, std::shared_ptr<stop_link> stop = nullptr);

  /// Fails every waiter with error::shutdown (call on the strand).
  void shutdown();
  /// The io_context is being destroyed: drops every waiter's handler without invoking it.
  void abandon() noexcept;

  std::size_t waiting() const noexcept { return waiters_.size(); }

private:
  struct waiter {
    std::string workflow_id;
    progress_function on_progress;
    diagnostics* diag = nullptr;
    detail::handler<workflow_status_response> handler;
    std::string last_status;
    std::optional<std::int64_t> last_processed;
    std::uint8_t failures = 0;  // consecutive failed polls (each already retried by the client)
    bool unknown_status_logged = false;
    std::shared_ptr<stop_link> stop;  // the caller's cancellation, linked at initiation
  };
  /// A wait survives this many consecutive failed polls (5xx, timeouts, lost answers) before failing.
  static constexpr std::uint8_t max_poll_failures = 5;
  using id_type = core::poll_scheduler::id_type;

  boost::asio::awaitable<void> run(host_ptr host);
  boost::asio::awaitable<void> poll_once(host_ptr host, id_type id, time_point granted_at);
  void finish(id_type id, error_code ec, diagnostics* d, workflow_status_response status);
  void cancel(id_type id);

  core::poll_scheduler sched_;
  std::unordered_map<id_type, waiter> waiters_;
  boost::asio::any_io_executor strand_;
  boost::asio::basic_waitable_timer<Clock> wake_;  // the loop sleeps here until the next due time or a change
  // The loop's limiter wait is bounded by the next poll deadline (a server pause or a busy
  // key must not keep an expired wait from ending): this timer stops it then.
  boost::asio::basic_waitable_timer<Clock> acquire_deadline_;
  boost::asio::cancellation_signal acquire_stop_;
  std::uint64_t acquire_gen_ = 0;
  bool acquiring_ = false;
  time_point acquire_until_{};
  boost::asio::any_io_executor user_ex_;  // where handlers without an executor run
  std::atomic<std::uint64_t>& waiting_counter_;  // client_stats::waiting_workflows
  id_type next_id_ = 1;
  bool running_ = false;
};

/// The library's poll loop, on the steady clock.
using poll_driver = basic_poll_driver<std::chrono::steady_clock>;

extern template class basic_poll_driver<std::chrono::steady_clock>;
extern template class basic_poll_driver<testing::manual_clock>;

} // namespace cleanlist
