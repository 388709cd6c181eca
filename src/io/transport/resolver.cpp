#include "transport/resolver.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>

namespace cleanlist::transport {

namespace asio = boost::asio;
using boost::system::error_code;
using asio::ip::tcp;

resolver_function system_resolver(asio::any_io_executor io_ex) {
  return [io_ex](const std::string& host, std::uint16_t port, resolve_handler done) {
    // The resolver object lives as long as its operation (its handler owns it).
    auto r = std::make_shared<tcp::resolver>(io_ex);
    r->async_resolve(host, std::to_string(port),
                     [r, done = std::move(done)](error_code ec, tcp::resolver::results_type res) {
                       std::vector<tcp::endpoint> eps;
                       for (const auto& e : res) eps.push_back(e.endpoint());
                       done(ec, std::move(eps));
                     });
  };
}

// A caller waiting for a resolution. Lives in its coroutine's frame; parks on its own timer,
// cancelled by the answer (after filling it in) or by the call's cancellation slot.
struct resolve_cache::waiter {
  waiter(entry& en, const asio::any_io_executor& ex) : e(&en), timer(ex, asio::steady_timer::time_point::max()) {
    e->waiters.push_back(this);
  }
  ~waiter() { leave(); }
  waiter(const waiter&) = delete;
  waiter& operator=(const waiter&) = delete;

  void leave() noexcept {
    if (!e) return;
    auto& ws = e->waiters;
    ws.erase(std::remove(ws.begin(), ws.end(), this), ws.end());
    e = nullptr;
  }

  entry* e;  ///< the entry whose answer this waits for; null once answered or gone
  asio::steady_timer timer;
  bool answered = false;
  error_code ec;
  endpoints eps;
};

resolve_cache::resolve_cache(asio::any_io_executor strand, resolver_function fn, std::chrono::milliseconds ttl,
                             now_function now)
    : strand_(std::move(strand)), fn_(std::move(fn)), ttl_(std::max(ttl, std::chrono::milliseconds::zero())),
      now_(now) {}

resolve_cache::~resolve_cache() {
  for (auto& [k, e] : entries_)
    for (waiter* w : e.waiters) w->e = nullptr;
}

asio::awaitable<std::pair<error_code, resolve_cache::endpoints>> resolve_cache::resolve(const std::string& host,
                                                                                       std::uint16_t port,
                                                                                       call_context& cc) {
  auto it = entries_.try_emplace(key{host, port}).first;
  entry& e = it->second;
  if (!e.eps.empty() && now_() < e.expires) co_return std::pair{error_code{}, e.eps};
  if (cc.stopped() || cc.attempt_expired) co_return std::pair{error_code{asio::error::operation_aborted}, endpoints{}};
  waiter w(e, strand_);
  if (!e.pending) start(it->first, e);  // else: one is running, its answer is ours too
  // Ends with the answer (the timer is cancelled after w is filled in) or with the call's stop
  // (the cancellation slot cancels the timer): whichever comes first.
  co_await w.timer.async_wait(cc.token());
  w.leave();
  if (!w.answered) co_return std::pair{error_code{asio::error::operation_aborted}, endpoints{}};
  co_return std::pair{w.ec, std::move(w.eps)};
}

void resolve_cache::start(const key& k, entry& e) {
  e.pending = true;
  ++resolutions_;
  // The answer may come from any thread, after the transport is gone: a weak reference, and
  // posted to the strand where the cache lives.
  auto done = [self = weak_from_this(), strand = strand_, k](error_code ec, endpoints eps) {
    asio::post(strand, [self, k, ec, eps = std::move(eps)]() mutable {
      if (auto s = self.lock()) s->on_answer(k, ec, std::move(eps));
    });
  };
  try {
    fn_(k.first, k.second, std::move(done));
  } catch (...) {
    e.pending = false;
    throw;
  }
}

void resolve_cache::on_answer(const key& k, error_code ec, endpoints eps) {
  auto it = entries_.find(k);
  if (it == entries_.end()) return;
  entry& e = it->second;
  e.pending = false;
  if (!ec && eps.empty()) ec = asio::error::host_not_found;
  if (!ec) {
    e.eps = std::move(eps);
    const auto now = now_();
    e.expires = ttl_ >= std::chrono::duration_cast<std::chrono::milliseconds>(time_point::max() - now)
                    ? time_point::max()
                    : now + ttl_;
  }
  // Everyone waiting gets the answer (those stopped meanwhile have left already).
  auto waiters = std::move(e.waiters);
  e.waiters.clear();
  for (waiter* w : waiters) {
    w->e = nullptr;
    w->answered = true;
    w->ec = ec;
    if (!ec) w->eps = e.eps;
    w->timer.cancel();
  }
}

} // namespace cleanlist::transport
