#pragma once
// The simulator's state machine, without any networking: a request (method, target, the
// Authorization header, body) goes in, a response (status, JSON body, headers) comes out.
// All state is guarded by one mutex; the hot path (status poll) takes it once.
#include <cleanlist/models/common.hpp>
#include <cleanlist/testing/simulator.hpp>

#include <boost/json.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace cleanlist::testing::detail {

using sim_clock = std::chrono::steady_clock;

struct sim_request {
  std::string_view method;
  std::string_view target;
  std::string_view authorization;
  std::string_view body;
};

struct sim_response {
  int status = 200;
  std::string body;
  std::string request_id;
  int retry_after_s = -1; ///< >= 0: send Retry-After
  std::string content_type = "application/json";
  bool stall = false; ///< send nothing: keep the connection open, unanswered (a download fault)
  void reset() {
    stall = false;
    status = 200;
    body.clear();
    request_id.clear();
    retry_after_s = -1;
    content_type = "application/json";
  }
};

enum class fault_kind {
  none, s429, s500, s502, s503, s504, reset_before, reset_after, truncate, malformed, stall
};
struct fault_decision {
  fault_kind kind = fault_kind::none;
  std::chrono::milliseconds latency{0};
  std::chrono::milliseconds retry_after{1000};  ///< of an injected 429
};

// Transparent string hashing for string_view look-ups.
struct sv_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
template <class T> using str_map = std::unordered_map<std::string, T, sv_hash, std::equal_to<>>;

struct ledger_entry {
  std::string kind; ///< reserve | release | charge | refund | set
  std::int64_t amount = 0; ///< signed change of the balance
  std::string ref;
  std::int64_t balance_after = 0;
  std::int64_t ts_ms = 0;
};

struct window_counter {
  std::int64_t index = -1;
  int count = 0;
};

struct usage_counts {
  std::uint64_t calls = 0, errors = 0;
};

struct key_rec {
  std::string key, key_id, name, created_at;
  std::int64_t last_used_s = 0; ///< epoch seconds, 0 = never
  usage_counts usage;
  std::vector<std::string> scopes;
  bool all_scopes = true;
  int user = 0, org = 0;
  window_counter win;
  bool revoked = false;
  std::int64_t expires_s = 0; ///< epoch seconds, 0 = never
  std::string expires_at;     ///< ISO-8601 as given at creation ("" = never)
  bool active(std::int64_t now_s) const { return !revoked && (expires_s == 0 || now_s < expires_s); }
};

struct user_rec {
  std::string id, email, name;
  int org = 0;
  std::vector<int> keys;
  std::vector<std::string> jwts;
  window_counter jwt_win; ///< the user's JWT sessions share one window (per_key_limit)
  std::string default_list, mcp_list; ///< lazily created protected lists
};

struct org_rec {
  std::string id, name, tier;
  std::vector<std::string> features; ///< sorted
  bool api_access = true;
  std::int64_t credits = 0;
  std::vector<ledger_entry> ledger;
  std::vector<int> users;
  window_counter win;
  std::array<usage_counts, 64> usage_route{}; ///< [v2 ? 32 : 0) + route]
  std::map<std::int64_t, usage_counts> usage_day; ///< epoch day
  std::map<std::string, usage_counts> usage_error; ///< HTTP status
  std::uint64_t usage_total = 0, usage_errors = 0;
};

struct lead_rec {
  std::string id, first_name, last_name, full_name, email, phone, title, company, domain, location,
      linkedin_url, provider, email_status;
  int org = -1; ///< owning organisation (mode-A adds accept only the caller's own leads)
};

struct list_rec {
  std::string id, name, created_at, visibility = "private", origin;
  std::optional<std::string> description, folder_id;
  int org = 0, owner = 0;
  bool is_protected = false, hidden = false, deleted = false;
  std::vector<std::string> leads;
  std::unordered_set<std::string> lead_set;
  std::int64_t enriched_count = 0;
  std::uint64_t version = 0;
};

struct company_rec {
  std::string id, name, domain;
};

struct cohort_rec {
  std::string id, kind; ///< person | company
  int org = 0;
  std::vector<std::string> entity_ids;
  std::vector<lead_rec> people;       ///< kind person: entity details (lead_rec.id = entity id)
  std::vector<company_rec> companies; ///< kind company
  bool from_list = false;             ///< entity ids are existing lead ids
  std::string workflow_id;            ///< bound at dispatch
};

struct wf_lead {
  std::string lead_id, identity, task_id;
  lead_rec input;
  person_outcome out;
};

enum class wf_kind { person, bulk, by_task, csv, legacy };

struct delivery_rec {
  int attempt = 0;
  bool delivered = false;
  int response_code = 0; ///< 0: no HTTP answer
  std::string error, attempted_at;
};

struct workflow_rec {
  std::string id, type, list_id, task_id, webhook_url;
  wf_kind kind = wf_kind::person;
  int org = 0, user = 0;
  sim_clock::time_point start;
  std::vector<wf_lead> leads;
  std::vector<std::uint32_t> ok_prefix; ///< ok_prefix[i] = successes among the first i leads
  std::int64_t reserved = 0, charged = 0, refunded = 0;
  bool settled = false, failed_whole = false;
  std::int64_t errored = 0; ///< leads whose enrichment fails (outcome.workflow_fails)
  /// Cancellation (tag, p_cancel or cancel_workflow): at cancel_at the run stops with
  /// cancel_processed leads processed; nullopt = runs to its end.
  std::optional<sim_clock::time_point> cancel_at;
  std::int64_t cancel_processed = 0;
  std::string completed_at;
  std::string result_lead_id; ///< person: lead persisted at settlement
  std::vector<delivery_rec> deliveries; ///< legacy webhook attempts
};

struct agent_run_rec {
  std::string id, list_id, column_name, agent_type, created_at;
  int org = 0, user = 0;
  sim_clock::time_point start;
  std::vector<std::string> leads;
  std::vector<bool> fails;
  std::int64_t reserved = 0, charged = 0;
  bool settled = false;
};

struct quote_rec {
  std::string id, tool, target, variant, canonical;
  int org = 0;
  std::int64_t row_count = 0, cost = 0;
  sim_clock::time_point issued;
  bool used = false;
};

struct idem_rec {
  sim_clock::time_point at;
  int status = 200;
  std::string body;
};

struct export_rec {
  std::string csv;
  std::int64_t expires_epoch_s = 0;
};

class sim_state {
public:
  explicit sim_state(const simulator_params& p);

  void set_origin(std::string origin) { origin_ = std::move(origin); } ///< scheme://host:port
  const std::string& origin() const { return origin_; }
  /// origin() with simulator_params::export_host as the host when set (download URLs).
  std::string export_origin() const {
    if (params_.export_host.empty()) return origin_;
    const auto scheme_end = origin_.find("://") + 3;
    return origin_.substr(0, scheme_end) + params_.export_host + origin_.substr(origin_.rfind(':'));
  }

  /// Handles one request (not admin). Thread-safe.
  void handle(const sim_request& rq, sim_response& rs);
  /// Admin endpoint (/__admin/...). Thread-safe.
  void handle_admin(const sim_request& rq, sim_response& rs);
  /// Export downloads (/__exports/...), no auth.
  void handle_export_download(const sim_request& rq, sim_response& rs);
  /// Injected error status for a fault, in the shape of the surface of `target`.
  void injected_error(const sim_request& rq, int status, sim_response& rs, std::chrono::milliseconds retry_after);

  /// Legacy webhooks: the server installs a scheduler; the state calls it (mutex held, must not
  /// block) when a legacy workflow with a webhook_url is dispatched.
  using webhook_scheduler = std::function<void(std::string workflow_id, std::string url, std::chrono::milliseconds delay)>;
  void set_webhook_scheduler(webhook_scheduler f) { webhook_scheduler_ = std::move(f); }
  /// Settles the workflow and returns the webhook payload (nullopt: unknown workflow).
  std::optional<std::string> webhook_payload(const std::string& workflow_id);
  void record_delivery(const std::string& workflow_id, delivery_rec d);
  std::chrono::milliseconds webhook_backoff() const { return params_.webhook_backoff; }

  fault_decision decide_fault(std::string_view target);
  void set_faults(fault_params f);

  sim_stats stats() const;
  /// A TLS handshake completed (resumed: the client's ticket or session id was accepted).
  void count_handshake(bool resumed) { (resumed ? tls_resumed_ : tls_full_).fetch_add(1); }
  void count_request() { requests_.fetch_add(1, std::memory_order_relaxed); }
  void count_download(bool with_authorization) {
    downloads_.fetch_add(1, std::memory_order_relaxed);
    if (with_authorization) downloads_auth_.fetch_add(1, std::memory_order_relaxed);
  }
  void count_fault() { faults_.fetch_add(1, std::memory_order_relaxed); }
  std::int64_t credits(std::string_view org_id);
  void set_credits(std::string_view org_id, std::int64_t c);
  std::uint64_t enrich_posts_for(std::string_view identity) const;
  boost::json::value ledger_json();
  std::string create_cohort(std::string_view org_id, std::string_view kind, int n);
  std::string default_api_key() const;
  std::string default_org_id() const;
  std::string default_jwt() const;
  bool cancel_workflow(std::string_view workflow_id);
  bool admin_enabled() const { return params_.admin_endpoint; }

  struct ctx; // per-request context (defined in the .cpp)

private:
  friend struct handlers;
  // ---- helpers used by the handlers (all called with mtx_ held) ----
  std::string new_id(std::string_view prefix);
  std::string new_uuid();
  std::string new_request_id();
  std::int64_t now_ms_since_start(sim_clock::time_point t) const;
  void ledger(org_rec& o, std::string_view kind, std::int64_t amount, std::string_view ref);
  void settle_if_due(workflow_rec& w, sim_clock::time_point now);
  void settle_agent_if_due(agent_run_rec& r, sim_clock::time_point now);
  void settle_all(sim_clock::time_point now);
  sim_clock::time_point end_of(const workflow_rec& w) const; ///< terminal time (cancel or run end)
  /// /api/v1/api-keys (Clerk JWT only), called by handle() without the lock.
  void handle_key_mgmt(const sim_request& rq, std::string_view path, sim_response& rs);
  int find_org(std::string_view org_id) const;
  std::string create_cohort_unlocked(int org, std::string_view kind, int n);

  simulator_params params_;
  std::string origin_;
  sim_clock::time_point started_;
  std::uint64_t rng_state_;
  std::string hmac_key_;

  mutable std::mutex mtx_;
  std::vector<org_rec> orgs_;
  std::vector<user_rec> users_;
  std::vector<key_rec> keys_;
  str_map<int> key_index_;
  str_map<int> jwt_index_; ///< JWT -> user
  str_map<list_rec> lists_;
  std::vector<std::string> list_order_;
  str_map<lead_rec> leads_;
  str_map<cohort_rec> cohorts_;
  str_map<std::string> list_page_cohorts_; ///< "list|version|offset|limit" -> cohort id
  str_map<workflow_rec> workflows_;
  std::vector<std::string> unsettled_;
  str_map<agent_run_rec> agent_runs_;
  std::vector<std::string> agent_order_;
  str_map<quote_rec> quotes_;
  str_map<idem_rec> idem_;
  str_map<export_rec> exports_;
  str_map<std::uint64_t> enrich_posts_;
  str_map<std::pair<std::string, std::size_t>> legacy_tasks_; ///< legacy task id -> (workflow, index)
  std::uint64_t quote_nonce_ = 0;

  std::atomic<std::uint64_t> requests_{0}, above_limit_{0}, limited_{0}, faults_{0}, enrich_ok_{0}, request_ids_{0}, downloads_{0},
      downloads_auth_{0};
  std::atomic<std::uint64_t> tls_full_{0}, tls_resumed_{0};

  webhook_scheduler webhook_scheduler_;

  mutable std::mutex fault_mtx_;
  fault_params faults_params_;
  std::uint64_t fault_counter_ = 0;
};

// ---- small utilities shared with the server and tests ----
std::uint64_t splitmix64(std::uint64_t x) noexcept;
std::uint64_t hash_str(std::uint64_t seed, std::string_view s) noexcept;
using cleanlist::base64_decode;  // include/cleanlist/models/common.hpp: the tree's one base64
using cleanlist::base64_encode;
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

} // namespace cleanlist::testing::detail
