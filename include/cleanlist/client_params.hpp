#pragma once
// Configuration of a cleanlist::client. Plain struct with documented defaults.
#include <cleanlist/poll.hpp>
#include <cleanlist/proxy.hpp>
#include <cleanlist/rate_limit.hpp>
#include <cleanlist/retry.hpp>
#include <cleanlist/version.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cleanlist {

/// TLS settings. Certificate and host-name verification are always on: there is deliberately
/// no switch to turn them off. Trust a private CA (such as the simulator's) with ca_file/ca_pem.
struct tls_params {
  bool use_system_ca = true;  ///< trust the system's CA store
  std::string ca_file;        ///< extra trusted CA file (PEM), e.g. from CLEANLIST_CA_FILE
  std::string ca_pem;         ///< extra trusted CA given inline (PEM)
  /// Resume TLS sessions on reconnect (TLS 1.3 tickets, TLS 1.2 session ids): a resumed
  /// handshake skips the certificate exchange and its signature checks. The sessions live in
  /// the transport (a bounded cache, each session kept at most its ticket's lifetime) and a
  /// session is only offered to the host:port it came from, with the same SNI and through the
  /// same proxy; a TLS 1.3 ticket is used once. A server that refuses a ticket costs nothing
  /// more than a full handshake. False: every connection makes a full handshake.
  bool session_resumption = true;
};

enum class log_level { debug, info, warning, error };

/// Logging hook. Messages never contain the API key or JWT (nor the Authorization header).
using log_function = std::function<void(log_level, std::string_view)>;

struct client_params {
  // Credentials: set exactly one of api_key and bearer_jwt. Neither, both, or a malformed one:
  // every operation completes with error::invalid_api_key and nothing is sent (the message
  // says what is wrong, never quoting the secret). The credential in use is redacted
  // ("[REDACTED]") from diagnostics, exceptions and log messages, even when a server echoes it.

  /// API key ("clapi_..."). Default: the CLEANLIST_API_KEY environment variable (see from_env()).
  std::string api_key;
  /// Clerk session JWT (the portal's session token), sent as "Authorization: Bearer <jwt>"
  /// instead of an API key. A separate field, not guessed from api_key's shape: a JWT put in
  /// api_key (or a clapi_ key put here) is refused with a hint. Checked before sending: three
  /// non-empty base64url segments ("xxx.yyy.zzz", [A-Za-z0-9_-], no padding), at most 8192
  /// bytes, no spaces or control characters; its signature and expiry are not (an expired
  /// session gets error::unauthenticated). Accepted by every endpoint of the public API
  /// (whoami reports auth_type "clerk_jwt"), and the only credential of the API-key
  /// management operations (async_create_api_key, async_list_account_api_keys,
  /// async_revoke_api_key). Never read from the environment: with from_env() and
  /// CLEANLIST_API_KEY set, clear api_key when setting this.
  std::string bearer_jwt;
  /// Base URL. Default: https://api.cleanlist.ai/api/v1/public; ".../api/v2" works too.
  std::string base_url = "https://api.cleanlist.ai/api/v1/public";

  // Deadlines are checked by one timer per transport, so one fires at most a twentieth of the
  // shortest of these three late (never more than 100 ms late), never early.
  std::chrono::milliseconds connect_timeout{10000};   ///< TCP connect (+ proxy CONNECT) + TLS handshake
  std::chrono::milliseconds request_timeout{30000};   ///< one attempt: write request + read response
  std::chrono::milliseconds overall_timeout{120000};  ///< one operation including retries and rate-limit waits

  std::size_t max_connections = 4;  ///< keep-alive connection pool size
  /// A pooled connection idle longer than this is closed instead of reused: NATs and load
  /// balancers drop idle flows silently, and a request written on such a connection gets no
  /// answer (for a non-idempotent POST: outcome_unknown). Zero: never reuse a connection.
  std::chrono::milliseconds idle_timeout{20000};
  /// A connection that has carried this many requests is closed instead of reused (its last
  /// response is still read in full); the next request opens a new one. Behind a load balancer
  /// that balances connections, not requests, this spreads a long-running client over the
  /// backends as they come and go. Zero: no limit. Cheap with TLS session resumption.
  std::size_t max_requests_per_connection = 0;
  tls_params tls;
  /// HTTP proxy for every connection to the API (see proxy.hpp); default: none. Not read
  /// from the environment by from_env(): call proxy_from_env(base_url) to follow
  /// HTTPS_PROXY / NO_PROXY. connect_timeout covers the whole path: the connection to the
  /// proxy, the CONNECT exchange and the TLS handshake through the tunnel.
  proxy_params proxy;
  std::string user_agent = "cleanlist-cpp/" CLEANLIST_VERSION_STRING;

  std::uint32_t max_header_bytes = 16 * 1024;       ///< response header limit
  std::uint64_t max_body_bytes = 16 * 1024 * 1024;  ///< response body limit

  retry_params retry;            ///< retries with backoff (idempotency-aware)
  rate_limit_params rate_limit;  ///< client-side budget: 30/min per key, 60/min per organisation
  /// Organisation budget shared with other clients (keys) of the same organisation; null = own.
  std::shared_ptr<org_budget> shared_org_budget;
  /// Budget shared by PROCESSES through Redis (make_redis_budget), shared by every client of
  /// the process like shared_org_budget; null = in-process budget only (the default). When
  /// set, shared_org_budget is not used: the organisation's budget is the one in Redis.
  /// See cleanlist::shared_budget (rate_limit.hpp) for what it guarantees when Redis fails.
  std::shared_ptr<cleanlist::shared_budget> shared_budget;
  /// Organisation id naming the organisation's budget in the shared budget (only hashed).
  /// Empty: the credential (api_key or bearer_jwt) stands for the organisation too, so two
  /// keys of one organisation then share no organisation budget: set it when several keys
  /// of an organisation run in different processes.
  std::string organization_id;

  /// Connection pool + TLS context shared with other clients (see transport.hpp); null = own.
  /// When set, tls, proxy, max_connections, idle_timeout and max_requests_per_connection come from the transport, and so does name resolution
  /// (transport_params::resolver, a customization point for service discovery and tests, and
  /// resolve_ttl). A client's own transport uses the system resolver with a 30 s cache.
  std::shared_ptr<class http_transport> shared_transport;

  log_function logger;  ///< optional
  /// Workflow statuses to treat as terminal besides completed, completed_with_errors, failed
  /// and cancelled (the API documents the set as open). A status that is neither terminal
  /// nor one the library knows (pending, queued, running, processing) keeps being polled,
  /// but is reported: progress callback, client_stats::unknown_statuses, a warning in the log
  /// and the timeout's diagnostics.
  std::vector<std::string> extra_terminal_statuses;

  /// Defaults overridden by CLEANLIST_API_KEY, CLEANLIST_BASE_URL and CLEANLIST_CA_FILE.
  static client_params from_env();
};

} // namespace cleanlist
