#pragma once
// Host name resolution that a call can abandon, with a per-host cache. Lives on the transport's
// strand (one per http_transport).
//
// Why: Asio's async_resolve (Boost 1.81) has no per-operation cancellation, so a call awaiting
// it cannot end before getaddrinfo returns: a resolver taking 3 s beat a 300 ms connect
// timeout, and held its pool slot (blocking the waiters behind it) all along. Here the
// resolution runs on its own; callers wait for its answer OR their stop (deadline, cancel),
// whichever comes first. The answer is never lost: it fills the cache even when nobody waits
// any more, so the next call (the retry) finds it. One resolution per host:port at a time:
// callers arriving while it runs wait for the same answer.
//
// TTL: getaddrinfo gives none, so answers are kept for a configured time
// (transport_params::resolve_ttl, 30 s by default). Errors are not cached.
#include "transport/call_context.hpp"

#include <cleanlist/transport.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace cleanlist::transport {

/// The system resolver as a resolver_function: getaddrinfo on Asio's resolver thread, bound
/// to `io_ex` (completions run there, then the answer is posted to the cache's strand).
resolver_function system_resolver(boost::asio::any_io_executor io_ex);

class resolve_cache : public std::enable_shared_from_this<resolve_cache> {
public:
  using endpoints = std::vector<boost::asio::ip::tcp::endpoint>;
  using time_point = call_context::clock::time_point;
  using now_function = time_point (*)();

  /// `now`: the clock of the TTL (a test passes testing::manual_clock::now).
  resolve_cache(boost::asio::any_io_executor strand, resolver_function fn, std::chrono::milliseconds ttl,
                now_function now = &call_context::clock::now);
  ~resolve_cache();
  resolve_cache(const resolve_cache&) = delete;
  resolve_cache& operator=(const resolve_cache&) = delete;

  /// On the strand. host:port's endpoints, from the cache while fresh, else from the resolver.
  /// Ends with operation_aborted as soon as `cc` is stopped (or its attempt expires); the
  /// resolution goes on and fills the cache.
  boost::asio::awaitable<std::pair<boost::system::error_code, endpoints>> resolve(const std::string& host,
                                                                                   std::uint16_t port,
                                                                                   call_context& cc);

  /// How many times the resolver function was called (tests, statistics).
  std::uint64_t resolutions() const noexcept { return resolutions_; }

  struct waiter;

private:
  struct entry {
    endpoints eps;
    time_point expires{};   ///< eps are fresh before this
    bool pending = false;   ///< a resolution is running
    std::vector<waiter*> waiters;
  };
  using key = std::pair<std::string, std::uint16_t>;

  void start(const key& k, entry& e);
  void on_answer(const key& k, boost::system::error_code ec, endpoints eps);
  friend struct waiter;

  boost::asio::any_io_executor strand_;
  resolver_function fn_;
  std::chrono::milliseconds ttl_;
  now_function now_;
  std::map<key, entry> entries_;  // a transport serves one origin: in practice one entry
  std::uint64_t resolutions_ = 0;
};

} // namespace cleanlist::transport
