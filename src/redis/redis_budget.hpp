#pragma once
// A rate budget shared by processes through Redis: per-API-key and per-organisation sliding
// logs checked and recorded by one Lua script run (see redis/budget_logic.hpp for the rule,
// the keys and why they never hold the API key).
//
// async_acquire is ONE round trip: it grants now (and records the grant in both budgets) or
// says how long to wait before the next possible slot; it never waits for the slot itself
// (the caller, e.g. a rate limiter, owns the waiting and the FIFO).
//
// Failure mode: every operation completes within params.op_timeout (a deadline on the
// commands, including a script reload after NOSCRIPT) with an error when Redis is down,
// unreachable, slow or answers nonsense: errc::timeout, errc::not_connected (fail fast while
// the connection is down), errc::connection_lost, errc::server_error, errc::unexpected_reply,
// errc::closed. The caller then falls back to a conservative local budget (e.g. its own
// core::window_budget with a share of the limit). A failed acquire may still have been
// recorded by Redis (connection lost/timeout after the script ran): that only makes the
// shared budget more conservative, never less.
//
// Executor: operations run on the connection's strand; completions go to the handler's
// associated executor. Member functions are thread-safe.
#include "redis/budget_logic.hpp"
#include "redis/connection.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace cleanlist::redis {

struct redis_budget_params {
  std::string key_prefix = "cleanlist:budget";     ///< namespace of every key
  std::string hash_salt = "cleanlist-budget-v1";   ///< HMAC key of the identity hashes (same in all processes)
  std::chrono::milliseconds op_timeout{250};       ///< bound on one acquire / release / pause
};

/// A grant recorded in Redis: its time (µs since the epoch, Redis's clock) and its id in the logs.
struct budget_grant {
  std::int64_t granted_at_us = 0;
  std::string member;
};

struct acquire_result {
  bool granted = false;
  budget_grant grant;                   ///< granted
  std::chrono::microseconds wait{0};    ///< not granted: retry no earlier than this from now
  limited_by reason = limited_by::none; ///< not granted: key, org or pause
  std::int64_t server_now_us = 0;       ///< Redis's TIME when the script ran
};

class budget_impl;

class redis_budget {
public:
  using acquire_signature = void(boost::system::error_code, acquire_result);
  using release_signature = void(boost::system::error_code, bool);
  using pause_signature = void(boost::system::error_code);

  redis_budget(std::shared_ptr<connection> conn, redis_budget_params params = {});
  ~redis_budget();
  redis_budget(const redis_budget&) = delete;
  redis_budget& operator=(const redis_budget&) = delete;

  /// One attempt: grant now in both the key's and the organisation's budget, or neither and
  /// the wait until the next possible slot (pause included). `key_id` identifies the API key
  /// (e.g. the key itself: it is only hashed); `org_id` its organisation.
  template <class CompletionToken = boost::asio::use_awaitable_t<>>
  auto async_acquire(std::string_view key_id, std::string_view org_id, budget_limits limits,
                     CompletionToken&& token = CompletionToken{}) {
    return boost::asio::async_initiate<CompletionToken, acquire_signature>(
        [this](auto h, budget_keys k, budget_limits l) {
          acquire_impl(std::move(k), l, std::string(), std::chrono::milliseconds(0), std::move(h));
        },
        token,
        keys(key_id, org_id), limits);
  }

  /// Fair variant (budget_logic.hpp, acquire_fair_script): `ticket` names the waiting caller
  /// (unique per waiting queue head, stable while it waits); waiting callers are granted in
  /// the order of their first denial. `grace`: how late after the announced wait the caller
  /// may retry before its place is given up.
  template <class CompletionToken = boost::asio::use_awaitable_t<>>
  auto async_acquire_fair(std::string_view key_id, std::string_view org_id, budget_limits limits, std::string ticket,
                          std::chrono::milliseconds grace, CompletionToken&& token = CompletionToken{}) {
    return boost::asio::async_initiate<CompletionToken, acquire_signature>(
        [this](auto h, budget_keys k, budget_limits l, std::string t, std::chrono::milliseconds g) {
          acquire_impl(std::move(k), l, std::move(t), g, std::move(h));
        },
        token, keys(key_id, org_id), limits, std::move(ticket), grace);
  }

  /// Gives back a grant whose request was never sent. Completes with true if the grant was
  /// still in a log (false: it had aged out, nothing to give back).
  template <class CompletionToken = boost::asio::use_awaitable_t<>>
  auto async_release(std::string_view key_id, std::string_view org_id, budget_grant g,
                     CompletionToken&& token = CompletionToken{}) {
    return boost::asio::async_initiate<CompletionToken, release_signature>(
        [this](auto h, budget_keys k, budget_grant gr) { release_impl(std::move(k), std::move(gr), std::move(h)); },
        token, keys(key_id, org_id), std::move(g));
  }

  /// Shared pause (429/503 Retry-After): no grant for this key nor its organisation, in any
  /// process, before Redis's now + retry_after. Only moves forward; expires by itself.
  template <class CompletionToken = boost::asio::use_awaitable_t<>>
  auto async_pause(std::string_view key_id, std::string_view org_id, std::chrono::milliseconds retry_after,
                   CompletionToken&& token = CompletionToken{}) {
    return boost::asio::async_initiate<CompletionToken, pause_signature>(
        [this](auto h, budget_keys k, std::chrono::milliseconds d) { pause_impl(std::move(k), d, std::move(h)); },
        token, keys(key_id, org_id), retry_after);
  }

  /// The Redis keys of a (key, organisation) pair (for tests and operators).
  budget_keys keys(std::string_view key_id, std::string_view org_id) const;
  const redis_budget_params& params() const noexcept;

private:
  void acquire_impl(budget_keys k, budget_limits l, std::string ticket, std::chrono::milliseconds grace,
                    boost::asio::any_completion_handler<acquire_signature> h);
  void release_impl(budget_keys k, budget_grant g, boost::asio::any_completion_handler<release_signature> h);
  void pause_impl(budget_keys k, std::chrono::milliseconds d, boost::asio::any_completion_handler<pause_signature> h);

  std::shared_ptr<budget_impl> impl_;
};

} // namespace cleanlist::redis
