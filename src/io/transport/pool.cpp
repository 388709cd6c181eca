#include "transport/pool.hpp"

#include <cleanlist/error.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace cleanlist::transport {

// A parked acquire. Lives in its coroutine's frame; linked in the pool's FIFO while queued.
// Whoever takes it off the queue (a hand-off, shutdown) fills it in, then cancels its timer
// to wake it; a stop of its call cancels the timer through the call's slot instead, and the
// waiter leaves the queue itself when it resumes.
struct pool::waiter {
  waiter(pool& p, const asio::any_io_executor& ex) : owner(&p), timer(ex, asio::steady_timer::time_point::max()) {}
  ~waiter() {
    if (queued && owner) owner->unlink(*this);  // frame destroyed without resuming (io_context teardown)
  }
  waiter(const waiter&) = delete;
  waiter& operator=(const waiter&) = delete;

  pool* owner;
  asio::steady_timer timer;
  std::unique_ptr<connection> conn;  ///< handed a live connection
  bool slot = false;                 ///< handed a free slot (already counted in total_): may connect
  bool shut = false;                 ///< the pool shut down
  bool queued = false;
  waiter* prev = nullptr;
  waiter* next = nullptr;
};

pool::pool(asio::any_io_executor strand, asio::any_io_executor io_ex, std::size_t max_connections,
           std::chrono::milliseconds idle_timeout, std::shared_ptr<resolve_cache> dns)
    : ex_(std::move(strand)), io_ex_(std::move(io_ex)), max_(max_connections == 0 ? 1 : max_connections),
      idle_timeout_(idle_timeout),
      dns_(dns ? std::move(dns)
               : std::make_shared<resolve_cache>(ex_, system_resolver(io_ex_), std::chrono::seconds(30))) {}

pool::~pool() {
  // Waiters' frames hold the pool's owner alive, so none should be left; never point at a dead pool.
  for (waiter* w = head_; w; w = w->next) {
    w->queued = false;
    w->owner = nullptr;
  }
}

void pool::enqueue(waiter& w) noexcept {
  w.queued = true;
  w.next = nullptr;
  w.prev = tail_;
  if (tail_) tail_->next = &w;
  else head_ = &w;
  tail_ = &w;
  ++waiting_;
}

void pool::unlink(waiter& w) noexcept {
  if (!w.queued) return;
  if (w.prev) w.prev->next = w.next;
  else head_ = w.next;
  if (w.next) w.next->prev = w.prev;
  else tail_ = w.prev;
  w.prev = w.next = nullptr;
  w.queued = false;
  --waiting_;
}

pool::waiter* pool::pop_head() noexcept {
  waiter* w = head_;
  if (w) unlink(*w);
  return w;
}

asio::awaitable<pool::lease> pool::connect_new(const endpoint& ep, call_context& cc) {
  // The caller holds a slot (counted in total_).
  ++created_;
  auto c = std::make_unique<connection>(io_ex_);
  auto ec = co_await c->connect(ep, *dns_, cc);
  if (ec) {
    free_slot();
    co_return lease{ec, nullptr, c->proxy_status()};
  }
  co_return lease{{}, std::move(c)};
}

asio::awaitable<pool::lease> pool::acquire(const endpoint& ep, call_context& cc) {
  for (;;) {
    if (shut_) co_return lease{error::shutdown, nullptr};
    if (cc.stopped()) co_return lease{asio::error::operation_aborted, nullptr};
    if (!head_) {  // nobody queued first: an idle connection, else a new one if there is room
      if (auto c = try_take_idle()) co_return lease{{}, std::move(c)};
      if (total_ < max_) {
        ++total_;
        co_return co_await connect_new(ep, cc);
      }
    }
    waiter w(*this, ex_);
    enqueue(w);
    co_await w.timer.async_wait(cc.token());  // a hand-off or shutdown cancels it; so does a stop of the call
    unlink(w);                                // still queued: woken by a stop, nothing handed over
    if (w.shut) co_return lease{error::shutdown, nullptr};
    if (cc.stopped()) {
      // Stopped, possibly in the same strand turn something was handed over: the next waiter gets it.
      pass_on(w);
      co_return lease{asio::error::operation_aborted, nullptr};
    }
    if (w.conn) {
      if (!w.conn->stale()) co_return lease{{}, std::move(w.conn)};
      w.conn.reset();  // closed by the server meanwhile: nothing was sent on it; its slot is ours
      w.slot = true;
    }
    if (w.slot) co_return co_await connect_new(ep, cc);
    // Woken with nothing (a cancellation that did not stop the call): queue again.
  }
}

std::unique_ptr<connection> pool::try_take_idle() {
  // Waiters first: while any is queued, idle connections are theirs (release() hands them
  // over directly, so this is also the rare case of none being idle).
  if (shut_ || idle_.empty() || head_) return nullptr;
  const auto now = std::chrono::steady_clock::now();
  while (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    // Idle too long: possibly dropped silently by a NAT or load balancer on the way, which
    // stale() cannot see. Closed by the server, or bytes left unread: not reusable either.
    if (now - c->idle_since < idle_timeout_ && !c->stale()) return c;
    --total_;  // nothing was sent on it; no waiter is queued (checked above)
  }
  return nullptr;
}

void pool::discard(std::unique_ptr<connection> c) {
  if (!c) return;
  c->close();
  release(std::move(c));
}

void pool::release(std::unique_ptr<connection> c) {
  if (!c) return;
  if (c->reusable() && !shut_ && max_requests_ != 0 && c->exchanges() >= max_requests_) {
    // Done with its share: closed with close_notify (bounded, off the books like shutdown's),
    // and its slot goes on at once.
    asio::co_spawn(ex_, connection::graceful_close(std::shared_ptr<connection>(std::move(c))), asio::detached);
    free_slot();
    return;
  }
  if (c->reusable() && !shut_) {
    c->reused = true;
    c->idle_since = std::chrono::steady_clock::now();
    if (waiter* w = pop_head()) {
      w->conn = std::move(c);
      w->timer.cancel();
      return;
    }
    idle_.push_back(std::move(c));
    return;
  }
  c.reset();
  free_slot();
}

void pool::free_slot() {
  if (waiter* w = pop_head()) {
    w->slot = true;  // total_ unchanged: the slot changes hands
    w->timer.cancel();
    return;
  }
  --total_;
}

void pool::pass_on(waiter& w) {
  if (w.conn) release(std::move(w.conn));
  if (w.slot) {
    w.slot = false;
    free_slot();
  }
}

void pool::shutdown() {
  shut_ = true;
  for (auto& c : idle_)
    asio::co_spawn(ex_, connection::graceful_close(std::shared_ptr<connection>(std::move(c))), asio::detached);
  total_ -= idle_.size();
  idle_.clear();
  while (waiter* w = pop_head()) {
    w->shut = true;
    w->timer.cancel();
  }
}

} // namespace cleanlist::transport
