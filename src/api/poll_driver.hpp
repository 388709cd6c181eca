#pragma once
// One poll loop per client for every workflow being waited for. Waiting costs a scheduler
// entry and a small record, not a coroutine or a timer per workflow: the loop takes a slot
// from the rate limiter, then gives it to the workflow due longest (oldest due first), so
// polling never exceeds the budget and no workflow starves. All on the client's strand.
#include "api/stop_link.hpp"
#include "core/poll_scheduler.hpp"

#include <cleanlist/client.hpp>

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <unordered_map>

namespace cleanlist {

class poll_driver;
boost::asio::awaitable<void> run_poll_driver(std::shared_ptr<client::impl> self);
boost::asio::awaitable<void> poll_once(std::shared_ptr<client::impl> self, std::uint64_t id,
                                       std::chrono::steady_clock::time_point granted_at);

class poll_driver {
public:
  poll_driver(const boost::asio::any_io_executor& strand, boost::asio::any_io_executor user_ex,
              std::atomic<std::uint64_t>& waiting_counter);

  /// Registers a waiter (call on the strand). `h` completes with the terminal status, an
  /// error (after the client's retries), error::timeout at pp.deadline, operation_aborted
  /// when its cancellation slot fires, or error::shutdown.
  void add(std::shared_ptr<client::impl> self, std::string workflow_id, const poll_params& pp,
           progress_function on_progress, diagnostics* diag, detail::handler<workflow_status_response> h,
           std::shared_ptr<stop_link> stop = nullptr);

  /// Fails every waiter with error::shutdown (call on the strand).
  void shutdown();

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

  friend boost::asio::awaitable<void> run_poll_driver(std::shared_ptr<client::impl> self);
  friend boost::asio::awaitable<void> poll_once(std::shared_ptr<client::impl> self, id_type id,
                                                std::chrono::steady_clock::time_point granted_at);

  void finish(id_type id, error_code ec, diagnostics* d, workflow_status_response status);
  void cancel(id_type id);

  core::poll_scheduler sched_;
  std::unordered_map<id_type, waiter> waiters_;
  boost::asio::steady_timer wake_;  // the loop sleeps here until the next due time or a change
  // The loop's limiter wait is bounded by the next poll deadline (a server pause or a busy
  // key must not keep an expired wait from ending): this timer stops it then.
  boost::asio::steady_timer acquire_deadline_;
  boost::asio::cancellation_signal acquire_stop_;
  std::uint64_t acquire_gen_ = 0;
  bool acquiring_ = false;
  std::chrono::steady_clock::time_point acquire_until_{};
  boost::asio::any_io_executor user_ex_;  // where handlers without an executor run
  std::atomic<std::uint64_t>& waiting_counter_;  // client_stats::waiting_workflows
  id_type next_id_ = 1;
  bool running_ = false;
};

} // namespace cleanlist
