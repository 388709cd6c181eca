#pragma once
// cleanlist::testing::simulator — a local, in-process Cleanlist API server for tests, examples
// and benchmarks. It serves the 24 operations of the v2 schema under both /api/v1/public and
// /api/v2, plus the legacy v1-only endpoints and the Clerk-JWT-only key management
// (/api/v1/api-keys), over HTTPS (throw-away CA generated at start) or
// plain HTTP, with accounts, credits, quotes, workflows progressing over time, rate limits and
// injectable faults. Everything random is deterministic from `simulator_params::seed`.
//
// Thread safety: every public member function may be called from any thread while the server
// runs. The server itself runs on its own thread (first constructor) or on the caller's
// executor (second constructor; the caller runs the io_context).
//
// See src/testing/README.md for the behaviours chosen where the API documentation is silent.

#include <cleanlist/asio_config.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cleanlist::testing {

/// Fault injection. Probabilities are 0..1, drawn per request, deterministic from the seed and
/// the order in which requests arrive. At most one of the "kind" faults applies to a request
/// (they are drawn from one uniform number); latency is drawn independently and adds to it.
struct fault_params {
  double p_429 = 0, p_500 = 0, p_502 = 0, p_503 = 0, p_504 = 0; ///< answered without processing
  double p_reset_before = 0; ///< close the connection before processing (no effect)
  double p_reset_after = 0;  ///< process the request (state changes!) then close without answering
  double p_truncate = 0;     ///< process, then send Content-Length larger than the bytes sent, close
  double p_malformed = 0;    ///< process, then answer 200 with malformed JSON
  double p_stall = 0;        ///< never answer (keep the connection open, send nothing, no effect)
  double p_latency = 0;
  std::chrono::milliseconds latency{0}; ///< added delay (timer, not sleep)
  std::string only_path; ///< if non-empty: faults apply only to request targets containing this
  /// retry_after_ms of an injected 429 (Retry-After header: the value rounded up to seconds).
  std::chrono::milliseconds retry_after{1000};
};

struct api_key_config {
  std::string key;                 ///< must start with "clapi_"
  std::vector<std::string> scopes; ///< empty = all scopes
};

struct user_config {
  std::string user_id, email, name;
  std::vector<api_key_config> keys;
  /// Clerk session JWTs accepted as `Authorization: Bearer <jwt>` for this user (three
  /// non-empty base64url parts `xxx.yyy.zzz`). A JWT carries all scopes and is the only
  /// credential accepted by the key-management endpoints `/api/v1/api-keys`.
  std::vector<std::string> jwts;
};

struct organisation_config {
  std::string org_id, name;
  std::string tier = "pro"; ///< free | starter | pro | enterprise
  std::vector<std::string> features{"API_ACCESS"}; ///< without API_ACCESS: 403 feature_gated
  std::int64_t credits = 100000;
  std::vector<user_config> users;
};

/// Parses an accounts document (the format of `cleanlist-sim --accounts` and `cleanlist sim
/// --accounts`): `{"orgs":[{org_id,name,tier,features,credits,users:[{user_id,email,name,
/// keys:[{key,scopes}] or ["clapi_..."],jwts:[..]}]}]}` (or the bare array). Throws
/// std::invalid_argument saying what is wrong (never echoing a key); the first organisation
/// needs a user with a key.
std::vector<organisation_config> parse_accounts(std::string_view json_text);
/// parse_accounts() of a file; std::invalid_argument also when it cannot be read (message
/// prefixed with the path).
std::vector<organisation_config> load_accounts(const std::string& path);

/// What the export download (the `download_url` of POST /export/csv/signed-url) answers
/// instead of the file: for tests of a client's fallback.
enum class export_fault {
  none,
  status_500, ///< 500 with a JSON error body
  garbage,    ///< 200 with a torn CSV (an unterminated quoted field)
  oversized,  ///< 200 with the file padded to several times its announced `file_size_bytes`
  stall,      ///< never answers (the connection stays open until the simulator stops)
};

struct simulator_params {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0; ///< 0 = ephemeral
  bool tls = true;
  /// The TLS server issues session tickets (TLS 1.3: two after a full handshake, one after a
  /// resumption; TLS 1.2: a ticket) and keeps session ids, so clients can resume; false: every
  /// handshake is full. See sim_stats::tls_resumed_handshakes.
  bool tls_resumption = true;
  bool tls12_only = false; ///< cap the TLS server at TLS 1.2 (tests of session-id/ticket resumption there)
  std::uint64_t seed = 42;
  bool rate_limits = true; ///< false: never 429 (windows still counted: see sim_stats)
  int per_key_limit = 30;
  int per_org_limit = 60;
  std::chrono::milliseconds window{60000}; ///< fixed windows, aligned to the simulator start
  std::chrono::milliseconds pending_for{1000}; ///< workflow stays pending this long
  std::chrono::milliseconds running_for{3000}; ///< then running this long (bulk: whole run)
  std::chrono::milliseconds quote_ttl{300000};
  fault_params faults;
  std::vector<organisation_config> orgs; ///< empty -> one default org/user/key with all scopes
  bool admin_endpoint = false;           ///< GET /__admin/stats etc. (cleanlist-sim --admin)
  int threads = 1; ///< threads running the own io_context (first constructor only)
  /// Legacy webhooks: first retry after this, doubled per attempt, 5 attempts in all.
  std::chrono::milliseconds webhook_backoff{1000};
  /// Share (0..1) of workflows (single-person, bulk, by-task, CSV, legacy) that end `cancelled`,
  /// drawn per workflow id (deterministic from the seed and the dispatch order). A drawn
  /// single-person workflow is cancelled at the end of its pending phase; a bulk run partway
  /// through its running phase. See also the `+cancel` tag and simulator::cancel_workflow.
  double p_cancel = 0;
  /// Rows one CSV import takes; the rest of the upload is skipped as `row_cap_exceeded` (the
  /// cap is checked before any other skip reason). The API documents only the 150 KB byte
  /// cap ("~600 rows" of typical rows), no row count: the default lets the byte cap decide
  /// for any realistic row, and a low value tests a client's handling of the skip reason.
  std::size_t csv_max_rows = 10000;
  export_fault export_download = export_fault::none;
  /// Host name put in an export's download_url (the port stays the simulator's); empty: the
  /// listening host. E.g. "localhost" (in the certificate) or a name it lacks, to test a
  /// client's TLS checks of a download host other than the API's.
  std::string export_host;
};

struct sim_stats {
  std::uint64_t requests = 0;           ///< every API request received (admin requests and export downloads excluded)
  std::uint64_t served_above_limit = 0; ///< served although over a key/org window (rate_limits off)
  std::uint64_t rate_limited_429 = 0;   ///< genuine 429s (not injected ones)
  std::uint64_t faults_injected = 0;
  std::uint64_t accepted_enrich_posts = 0;
  std::uint64_t export_downloads = 0;   ///< GETs of an export's download_url (not API requests)
  /// Export downloads that carried an Authorization header (a client must never send its
  /// credential to a download host).
  std::uint64_t export_downloads_with_authorization = 0;
  std::uint64_t tls_full_handshakes = 0;    ///< completed TLS handshakes without resumption
  std::uint64_t tls_resumed_handshakes = 0; ///< completed TLS handshakes resuming a session (ticket or id)
};

/// Outcome of enriching one identity, as the simulator will decide it (deterministic).
struct person_outcome {
  bool email_found = false;
  bool phone_found = false;
  /// The enrichment of this identity fails (~3 % by hash, or the `+fail` / `+error` tags): a
  /// single-person workflow ends `failed`; in a bulk run (bulk, by-task, CSV, legacy) only this
  /// lead fails — counted in `failed`, not charged, not enriched — and the run ends
  /// `completed_with_errors` (or `failed` when every lead of the run fails).
  bool workflow_fails = false;
  /// `+cancel` tag: a single-person workflow ends `cancelled` at the end of its pending phase; a
  /// bulk run containing this lead ends `cancelled` when it reaches it (earlier leads processed).
  bool cancels = false;
};

/// The outcome the simulator with `seed` gives to `identity` (see enrich_posts_for for the
/// identity rule). Magic tags in an email's local part override the hash: "+fail" or "+error"
/// (the lead fails), "+cancel" (the workflow is cancelled), "+none" (nothing found), "+all"
/// (email and phone), "+email", "+phone".
person_outcome predict_outcome(std::uint64_t seed, std::string_view identity);

/// Identity of a person as the simulator counts it: lower-cased email, else linkedin_url,
/// else "first last@company_name_or_domain", else person_id.
std::string person_identity(std::string_view email, std::string_view linkedin_url,
                            std::string_view first_name, std::string_view last_name,
                            std::string_view company_or_domain, std::string_view person_id = {});

class simulator {
public:
  /// Starts the server on its own thread(s); returns when it listens.
  explicit simulator(simulator_params p = {});
  /// Starts listening on the caller's executor; the caller runs the io_context.
  simulator(boost::asio::any_io_executor ex, simulator_params p = {});
  ~simulator(); ///< stops cleanly
  simulator(const simulator&) = delete;
  simulator& operator=(const simulator&) = delete;

  void stop();
  std::uint16_t port() const;
  /// "https://127.0.0.1:PORT/api/v1/public" (http:// when !tls).
  std::string base_url(std::string_view prefix = "/api/v1/public") const;
  const std::string& ca_pem() const; ///< PEM of the throw-away CA (empty when !tls)
  std::string default_api_key() const; ///< first key of the first user of the first org
  /// First Clerk JWT of the first user of the first org (for the default account: a
  /// deterministic JWT derived from the seed); empty when that user has none.
  std::string default_jwt() const;
  /// Cancels a non-terminal workflow (any kind, by workflow id) now: its status is `cancelled`
  /// at the next poll, counters frozen at what was processed, credits settled (processed and
  /// found leads charged, the rest refunded). False if unknown or already terminal.
  bool cancel_workflow(std::string_view workflow_id);
  std::string default_org_id() const;
  sim_stats stats() const;
  void set_faults(fault_params f); ///< takes effect for the next requests
  std::int64_t credits(std::string_view org_id) const;
  void set_credits(std::string_view org_id, std::int64_t credits);
  /// Accepted POST /enrichment/person (and legacy bulk contacts) per identity.
  std::uint64_t enrich_posts_for(std::string_view identity) const;
  /// {"orgs":[{org_id, credits, ledger:[...]}], "workflows":[...], "stats":{...}}
  boost::json::value ledger_json() const;
  /// A person ("person") or company ("company") search cohort of n synthetic entities for the
  /// organisation; returns its `cl-task_...` handle (usable by by-task and add-leads mode B).
  std::string create_cohort(std::string_view org_id, std::string_view kind, int n);

  class impl;

private:
  std::shared_ptr<impl> impl_;
};

} // namespace cleanlist::testing
