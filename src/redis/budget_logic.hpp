#pragma once
// Sans-io part of the shared budget on Redis: the Lua scripts, key naming, argument building
// and reply decoding. No sockets here.
//
// The rule is core::window_budget's sliding log (see src/core/decisions/window_budget.hpp): a grant at
// time t is allowed iff fewer than N grants lie in (t - span, t], span = window + margin; so
// no interval of length span, hence no fixed server window of any alignment, holds more than
// N grants. Each budget (one per API key, one per organisation) is a ZSET of the last N grant
// times (like window_budget's ring buffer) in microseconds of REDIS's clock (TIME), so the
// callers' clocks do not matter. One script run (atomic in Redis) reads the N-th most recent
// grant of both logs and the shared pauses, and records the grant in both (trimming each log
// to its last N: the entry dropped is older than span, so it no longer matters) or in neither.
//
// Keys (all in one hash slot, the organisation's hash tag, for Redis Cluster):
//   <prefix>:{<org hash>}:org              ZSET  organisation grant log
//   <prefix>:{<org hash>}:key:<key hash>   ZSET  API-key grant log
//   <prefix>:{<org hash>}:org:pause        STRING "not before" (µs, Redis clock), PX TTL
//   <prefix>:{<org hash>}:key:<key hash>:pause
// Hashes are HMAC-SHA256(salt, identity) truncated to 128 bits (hex): the API key itself is
// never stored nor sent as a key name. Logs get a PEXPIRE of span on every grant, so an idle
// budget disappears once its last grant no longer matters.
#include "redis/error.hpp"
#include "redis/resp.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cleanlist::redis {

/// Limits of one acquisition (what cleanlist::rate_limit_params holds; passed on each call, so
/// processes agree on the rule without configuring Redis).
struct budget_limits {
  int per_key = 30;                        ///< <= 0: the key is not limited
  int per_org = 60;                        ///< <= 0: the organisation is not limited
  std::chrono::milliseconds window{60000};
  std::chrono::milliseconds margin{100};
  std::chrono::milliseconds span() const noexcept { return window + margin; }
};

struct budget_keys {
  std::string key_log, org_log, key_pause, org_pause;
};

/// HMAC-SHA256(salt, identity), first 16 bytes, lower-case hex (32 characters).
std::string identity_hash(std::string_view salt, std::string_view identity);

budget_keys make_budget_keys(std::string_view prefix, std::string_view salt, std::string_view key_identity,
                             std::string_view org_identity);

/// Lower-case hex SHA-1 of a script (what SCRIPT LOAD returns and EVALSHA takes).
std::string script_sha1(std::string_view script);

/// The scripts (Lua, Redis 7: effects replication, TIME allowed before writes).
extern const std::string_view acquire_script;  // KEYS: key_log org_log key_pause org_pause; ARGV: nkey norg span_us member
/// Same rule plus a ticket queue: waiting callers are granted in the order of their first
/// denial (see budget_logic.cpp). KEYS: the four above + key_log:q org_log:q key_log:q:dl
/// org_log:q:dl; ARGV: nkey norg span_us member ticket grace_us.
extern const std::string_view acquire_fair_script;
extern const std::string_view release_script;  // KEYS: key_log org_log; ARGV: member
extern const std::string_view pause_script;    // KEYS: key_pause org_pause; ARGV: retry_after_ms

/// Why an acquisition has to wait.
enum class limited_by { none = 0, key = 1, org = 2, pause = 3 };

/// Outcome of one acquire script run. Times are microseconds since the Unix epoch on Redis's
/// clock (server_now is the script's TIME).
struct acquire_decision {
  bool granted = false;
  std::int64_t granted_at_us = 0;         ///< granted: the time recorded in the logs
  std::int64_t wait_us = 0;               ///< not granted: earliest next chance is server_now + wait
  limited_by reason = limited_by::none;   ///< not granted: the budget (or pause) that set the wait
  std::int64_t server_now_us = 0;
};

/// EVALSHA arguments for an acquisition; `member` is a unique id for the grant (its ZSET
/// member, used by release).
std::vector<std::string> acquire_args(std::string_view sha, const budget_keys& k, const budget_limits& l,
                                      std::string_view member);
/// EVALSHA arguments of the fair acquisition; `ticket` identifies the waiting caller (one per
/// limiter: its queue head), `grace` how late after its announced retry time it may come back
/// before its ticket is dropped.
std::vector<std::string> acquire_fair_args(std::string_view sha, const budget_keys& k, const budget_limits& l,
                                           std::string_view member, std::string_view ticket,
                                           std::chrono::milliseconds grace);
std::vector<std::string> release_args(std::string_view sha, const budget_keys& k, std::string_view member);
std::vector<std::string> pause_args(std::string_view sha, const budget_keys& k, std::chrono::milliseconds retry_after);

/// Decodes the acquire script's reply: {1, granted_at, now} or {0, wait, reason, now}.
/// errc::server_error for an error reply, errc::unexpected_reply for any other shape.
acquire_decision decode_acquire(const reply& r, boost::system::error_code& ec);

} // namespace cleanlist::redis
