#pragma once
// Keep-alive connection pool with a maximum size. Lives on one executor (the client's strand).
//
// Waiters queue in FIFO order and are served by hand-off: a released connection, or a slot
// freed for a new connection, goes straight to the head waiter (it is never left idle while
// someone waits, so a new request cannot take it first), and a waiter stopped after something
// was handed to it passes it on to the next. A waiter parks on its own timer (cancelled to
// wake it, or by its call's cancellation slot), so no wake-up is shared between waiters and
// none can be lost.
#include "transport/connection.hpp"

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <memory>
#include <vector>

namespace cleanlist::transport {

class pool {
public:
  /// `strand`: where the pool lives; `io_ex`: what its sockets are bound to (see connection).
  /// `dns`: the transport's resolution cache; null: a cache of its own over the system resolver.
  pool(asio::any_io_executor strand, asio::any_io_executor io_ex, std::size_t max_connections,
       std::chrono::milliseconds idle_timeout = std::chrono::seconds(20), std::shared_ptr<resolve_cache> dns = nullptr);
  ~pool();
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  struct lease {
    boost::system::error_code ec;
    std::unique_ptr<connection> conn;
    int proxy_status = 0;  ///< the proxy's answer to CONNECT when a tunnel failed (see connection)
  };

  /// An idle live connection, else a new one when below the maximum, else waits (FIFO) for a
  /// connection or a slot handed over by release()/discard()/a failed connect. While others
  /// wait, a new acquire queues behind them. Stale idle connections (closed by the server
  /// while idle) are dropped before any byte is sent.
  asio::awaitable<lease> acquire(const endpoint& ep, call_context& cc);

  /// The common case without a coroutine frame: a live idle connection, or nullptr (then
  /// call acquire()). Nullptr while waiters are queued: they come first. Stale idle
  /// connections are dropped on the way.
  std::unique_ptr<connection> try_take_idle();

  /// A connection that has read this many responses is closed (gracefully) when released
  /// instead of kept: see client_params::max_requests_per_connection. Zero: no limit.
  void set_max_requests_per_connection(std::size_t n) noexcept { max_requests_ = n; }

  /// Returns a connection; it is kept only if still reusable. Handed to the head waiter if any
  /// (a connection, or its slot when it is not reusable).
  void release(std::unique_ptr<connection> c);

  /// Returns a connection that must not be reused (closed by the peer, protocol state unknown).
  void discard(std::unique_ptr<connection> c);

  /// Gracefully closes idle connections (bounded) and wakes waiters with error::shutdown.
  void shutdown();

  std::size_t open_connections() const noexcept { return total_; }
  std::size_t idle_connections() const noexcept { return idle_.size(); }
  std::size_t waiters() const noexcept { return waiting_; }
  std::uint64_t connections_created() const noexcept { return created_; }

private:
  struct waiter;
  void enqueue(waiter& w) noexcept;
  void unlink(waiter& w) noexcept;
  waiter* pop_head() noexcept;
  /// A slot (counted in total_) became free: to the head waiter, else total_ goes down.
  void free_slot();
  /// What a waiter that will not use it was handed goes to the next one.
  void pass_on(waiter& w);
  asio::awaitable<lease> connect_new(const endpoint& ep, call_context& cc);

  asio::any_io_executor ex_;
  asio::any_io_executor io_ex_;
  std::size_t max_;
  std::chrono::milliseconds idle_timeout_;
  std::size_t max_requests_ = 0;
  std::shared_ptr<resolve_cache> dns_;
  std::atomic<std::size_t> total_{0};  // written on the strand, read by stats from any thread
  std::atomic<std::uint64_t> created_{0};  // read by stats() from any thread
  bool shut_ = false;
  std::vector<std::unique_ptr<connection>> idle_;  // LIFO: the most recently used is the most likely alive
  waiter* head_ = nullptr;  // FIFO of parked acquires (intrusive: each lives in its coroutine frame)
  waiter* tail_ = nullptr;
  std::size_t waiting_ = 0;
};

} // namespace cleanlist::transport
