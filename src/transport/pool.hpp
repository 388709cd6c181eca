#pragma once
// Keep-alive connection pool with a maximum size. Lives on one executor (the client's strand).
#include "transport/connection.hpp"

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <deque>
#include <memory>
#include <vector>

namespace cleanlist::transport {

class pool {
public:
  /// `strand`: where the pool lives; `io_ex`: what its sockets are bound to (see connection).
  pool(asio::any_io_executor strand, asio::any_io_executor io_ex, std::size_t max_connections,
       std::chrono::milliseconds idle_timeout = std::chrono::seconds(20));

  struct lease {
    boost::system::error_code ec;
    std::unique_ptr<connection> conn;
  };

  /// An idle live connection, else a new one when below the maximum, else waits for a release.
  /// Stale idle connections (closed by the server while idle) are dropped before any byte is sent.
  asio::awaitable<lease> acquire(const endpoint& ep, call_context& cc);

  /// The common case without a coroutine frame: a live idle connection, or nullptr (then
  /// call acquire()). Stale idle connections are dropped on the way.
  std::unique_ptr<connection> try_take_idle();

  /// Returns a connection; it is kept only if still reusable.
  void release(std::unique_ptr<connection> c);

  /// Returns a connection that must not be reused (closed by the peer, protocol state unknown).
  void discard(std::unique_ptr<connection> c);

  /// Gracefully closes idle connections (bounded) and wakes waiters with error::shutdown.
  void shutdown();

  std::size_t open_connections() const noexcept { return total_; }
  std::size_t idle_connections() const noexcept { return idle_.size(); }
  std::uint64_t connections_created() const noexcept { return created_; }

private:
  asio::any_io_executor ex_;
  asio::any_io_executor io_ex_;
  std::size_t max_;
  std::chrono::milliseconds idle_timeout_;
  std::atomic<std::size_t> total_{0};  // written on the strand, read by stats from any thread
  std::atomic<std::uint64_t> created_{0};  // read by stats() from any thread
  bool shut_ = false;
  std::vector<std::unique_ptr<connection>> idle_;  // LIFO: the most recently used is the most likely alive
  asio::steady_timer wakeup_;                      // waiters park here; release() cancels one
};

} // namespace cleanlist::transport
