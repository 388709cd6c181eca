#include "transport/pool.hpp"

#include <cleanlist/error.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace cleanlist::transport {

pool::pool(asio::any_io_executor strand, asio::any_io_executor io_ex, std::size_t max_connections,
           std::chrono::milliseconds idle_timeout)
    : ex_(strand), io_ex_(std::move(io_ex)), max_(max_connections == 0 ? 1 : max_connections),
      idle_timeout_(idle_timeout), wakeup_(strand, asio::steady_timer::time_point::max()) {}

asio::awaitable<pool::lease> pool::acquire(const endpoint& ep, call_context& cc) {
  for (;;) {
    if (shut_) co_return lease{error::shutdown, nullptr};
    if (cc.stopped()) co_return lease{asio::error::operation_aborted, nullptr};
    if (auto c = try_take_idle()) co_return lease{{}, std::move(c)};
    if (total_ < max_) {
      ++total_;
      ++created_;
      auto c = std::make_unique<connection>(io_ex_);
      auto ec = co_await c->connect(ep, cc);
      if (ec) {
        --total_;
        wakeup_.cancel_one();  // a slot is free again
        co_return lease{ec, nullptr};
      }
      co_return lease{{}, std::move(c)};
    }
    co_await wakeup_.async_wait(cc.token());  // woken by release()/connect failure, or cancelled
  }
}

std::unique_ptr<connection> pool::try_take_idle() {
  if (shut_ || idle_.empty()) return nullptr;
  const auto now = std::chrono::steady_clock::now();
  while (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    // Idle too long: possibly dropped silently by a NAT or load balancer on the way, which
    // stale() cannot see. Closed by the server, or bytes left unread: not reusable either.
    if (now - c->idle_since < idle_timeout_ && !c->stale()) return c;
    --total_;  // nothing was sent on it
    wakeup_.cancel_one();  // its place is free for a waiter
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
  if (c->reusable() && !shut_) {
    c->reused = true;
    c->idle_since = std::chrono::steady_clock::now();
    idle_.push_back(std::move(c));
  } else {
    --total_;
  }
  wakeup_.cancel_one();
}

void pool::shutdown() {
  shut_ = true;
  for (auto& c : idle_)
    asio::co_spawn(ex_, connection::graceful_close(std::shared_ptr<connection>(std::move(c))), asio::detached);
  total_ -= idle_.size();
  idle_.clear();
  wakeup_.cancel();
}

} // namespace cleanlist::transport
