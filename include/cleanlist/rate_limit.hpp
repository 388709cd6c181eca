#pragma once
// Client-side rate limiting: parameters, the organisation budget shared by several keys, and
// the budget shared by processes (its Redis implementation: cleanlist/redis.hpp). The
// asynchronous per-key limiter is in cleanlist/rate_limiter.hpp.
//
// The Cleanlist API allows 30 requests/min per API key and 60/min per organisation, counted
// by the server in FIXED 60 s windows of unknown alignment; status polls count. The limiter
// guarantees at most `per_key` grants (and, with the shared org budget, at most `per_org`
// grants across all keys of the organisation) in ANY interval of length window + margin,
// which never exceeds the server's limit whatever its window alignment, while letting a
// fresh key burst its full budget at once (see src/core/decisions/window_budget.hpp for why GCRA
// would not be safe). A 429/503 Retry-After pauses the key and its organisation.
// No Asio here: client_params.hpp includes this header.

#include <chrono>
#include <memory>
#include <string>

namespace cleanlist {

struct rate_limit_params {
  int per_key = 30;                        ///< grants per window for one API key (<= 0: unlimited)
  int per_org = 60;                        ///< grants per window for the organisation (<= 0: unlimited)
  std::chrono::milliseconds window{60000}; ///< the server's window length
  std::chrono::milliseconds margin{100};   ///< added to the window to absorb latency jitter
  bool enabled = true;                     ///< false: no client-side limiting (server Retry-After still honoured)
};

/// Budget of one organisation, shared by the limiters of all its keys (possibly on different
/// executors / threads: it is internally synchronised). Opaque; create with make_org_budget.
class org_budget;

/// Creates an organisation budget of params.per_org grants per params.window (+ margin).
std::shared_ptr<org_budget> make_org_budget(const rate_limit_params& params);

/// A rate budget shared by several PROCESSES (e.g. replicas of a service) through Redis.
/// Opaque (no Redis type in public headers); create with make_redis_budget() (cleanlist/redis.hpp)
/// and put it in
/// client_params::shared_budget of every client of the process (like shared_org_budget).
///
/// What is promised (details: src/redis/README.md, "Shared budget behind the limiter"):
///  - Redis reachable: in any interval of window + margin, at most per_key grants per API key
///    and per_org per organisation, summed over every process sharing the Redis (one atomic
///    script per grant checks and records both budgets or neither, on Redis's clock). A
///    429/503 Retry-After seen by any process pauses every process for that key and
///    organisation.
///  - A grant never waits more than `op_timeout` for Redis. When Redis fails (down, slow,
///    refused) the process falls back to a local budget of `fallback_share` of each limit
///    (set it to 1 / number of processes) and probes Redis again with exponential backoff
///    (probe_initial doubling up to probe_max); while in fallback and for one window + margin
///    after its last fallback grant, grants also obey the local fallback budget (which records
///    every grant of the process), so a restarted, empty Redis does not let a burst through.
///  - Interval of window + margin overlapping a fallback period: at most
///    (1 + processes x fallback_share) x the limit (<= 2 x when fallback_share <= 1/processes):
///    the grants Redis recorded before it failed (or after it came back empty) plus the
///    fallback grants. Intervals entirely inside a fallback period: <= processes x share x limit.
///  - Fairness between processes: waiting queue heads of all processes are served in the
///    order they were first denied (a ticket queue in Redis): a waiting process gets a grant
///    after at most (processes - 1) + per_key grants to the others (README: bound and test).
/// Thread-safety: internally synchronised; may be shared by clients on several executors.
/// Its Redis connection keeps the executor busy until the last reference is dropped.
class shared_budget;

struct shared_budget_options {
  std::chrono::milliseconds op_timeout{250};      ///< bound on waiting for Redis per grant (and per release/pause)
  std::chrono::milliseconds connect_timeout{1000};///< TCP + TLS + AUTH + SELECT
  double fallback_share = 0.25;                   ///< local share of each limit while Redis fails (1 / processes)
  std::chrono::milliseconds probe_initial{250};   ///< first retry of Redis after a failure
  std::chrono::milliseconds probe_max{5000};      ///< cap of the doubling probe interval
  std::string key_prefix = "cleanlist:budget";    ///< namespace of the Redis keys
  std::string hash_salt = "cleanlist-budget-v1";  ///< HMAC key of the identity hashes (same in every process)
  std::string ca_file;                            ///< rediss://: extra trusted CA (PEM); system CAs otherwise
};

} // namespace cleanlist
