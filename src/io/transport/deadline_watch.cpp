#include "transport/deadline_watch_impl.hpp"

#include <algorithm>

namespace cleanlist::transport {

void deadline_watch_base::add(call_context& cc, std::chrono::milliseconds shortest_timeout) {
  using std::chrono::milliseconds;
  tick_ = std::min(tick_, std::clamp(shortest_timeout / 20, milliseconds(1), milliseconds(100)));
  cc.watch = this;
  cc.prev = nullptr;
  cc.next = head_;
  if (head_) head_->prev = &cc;
  head_ = &cc;
  ++size_;
  arm();
}

void deadline_watch_base::remove(call_context& cc) noexcept {
  if (cc.watch != this) return;
  if (cc.prev) cc.prev->next = cc.next;
  else head_ = cc.next;
  if (cc.next) cc.next->prev = cc.prev;
  cc.watch = nullptr;
  cc.prev = cc.next = nullptr;
  --size_;
  // Nothing left to watch: a pending tick would keep io_context::run() busy for up to a tick.
  if (!head_) disarm();
}

std::size_t deadline_watch_base::sweep(time_point now) {
  // An expired call is signalled again at every tick until it is done: an emission that
  // lands between two operations (a completion queued, the next not started) reaches nothing.
  std::size_t stopped = 0;
  for (call_context* c = head_; c;) {
    call_context* next = c->next;  // stop() only posts completions, but do not rely on it
    if (now >= c->overall_deadline) {
      c->timed_out = true;
      c->stop();
      ++stopped;
    } else if (now >= c->attempt_deadline) {
      c->attempt_expired = true;  // the pending connect/write/read fails; the call may retry
      c->stop();
      ++stopped;
    }
    c = next;
  }
  return stopped;
}

template class basic_deadline_watch<std::chrono::steady_clock>;

} // namespace cleanlist::transport
