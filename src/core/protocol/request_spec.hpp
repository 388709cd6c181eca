#pragma once
// What one operation sends, built by pure functions from the typed requests (sans-io:
// no Asio/Beast here, so request building is unit-tested without sockets).
#include <cleanlist/models.hpp>

#include <string>
#include <string_view>

namespace cleanlist::api {

enum class method { get, post, patch, del };

struct request_spec {
  method verb = method::get;
  std::string target;      ///< full path (base path included) and query
  std::string body;        ///< JSON body, empty for none
  bool idempotent = true;  ///< safe to send again after an ambiguous failure
  std::string invalid;     ///< non-empty: refused client-side with this message, nothing sent
  /// Not idempotent, but it carries a single-use quote: a replay after an ambiguous failure
  /// cannot be processed twice (the server answers 409 quote_already_used if the first was).
  bool replay_safe = false;
  /// Changes nothing on the server (GET; a free quote; a signed export URL): cancelled at any
  /// time, of any type. Any other request stops honouring `total` and `partial` cancellation
  /// once written (its effect on the server is then unknown): see call_context::note_write().
  bool read_only = false;
};

/// Paths of one client: the modern base path and the legacy (v1-only) one.
struct paths {
  std::string base;    ///< e.g. "/api/v1/public" or "/api/v2"
  std::string legacy;  ///< always ".../api/v1/public"
  /// The official v2 contract applies (stricter than the v1 surface: e.g. a person
  /// enrichment needs its lead_list_id).
  bool v2() const noexcept { return base.ends_with("/api/v2"); }
};

request_spec whoami(const paths&);
request_spec credits_balance(const paths&);
request_spec estimate(const paths&, const estimate_request&);
request_spec list_api_keys(const paths&);
request_spec usage(const paths&, const usage_request&);
request_spec create_list(const paths&, const create_list_request&);
request_spec list_lists(const paths&, const list_lists_request&);
request_spec get_list(const paths&, std::string_view list_id);
request_spec update_list(const paths&, const update_list_request&);
request_spec delete_list(const paths&, std::string_view list_id);
request_spec list_leads(const paths&, const list_leads_request&);
/// `req.idempotency_key` must be set by the caller (generated once, reused across retries).
request_spec add_leads(const paths&, const add_leads_request&);
request_spec remove_leads(const paths&, const remove_leads_request&);
request_spec csv_import(const paths&, const csv_import_request&);
request_spec enrich_person(const paths&, const enrich_person_request&);
request_spec enrich_company(const paths&, const enrich_company_request&);
request_spec enrich_by_task(const paths&, const enrich_by_task_request&);
request_spec enrich_list(const paths&, const enrich_list_request&);
request_spec workflow_status(const paths&, std::string_view workflow_id);
request_spec run_smart_agent(const paths&, const run_smart_agent_request&);
request_spec list_smart_agents(const paths&, const list_smart_agents_request&);
request_spec get_smart_agent(const paths&, std::string_view id);
request_spec export_csv(const paths&, const export_csv_request&);
request_spec export_json(const paths&, const export_json_request&);
request_spec validate_key(const paths&);
request_spec legacy_enrich_bulk(const paths&, const legacy_bulk_request&);
request_spec legacy_status(const paths&, const legacy_status_request&);
request_spec webhook_deliveries(const paths&, std::string_view workflow_id);

// API-key management (Clerk JWT only): always /api/v1/api-keys on the base URL's origin,
// whatever its path (the paths argument is ignored; kept for uniformity).
inline constexpr std::string_view key_management_path = "/api/v1/api-keys";
/// POST: not idempotent (a second POST is a second key).
request_spec create_api_key(const paths&, const create_api_key_request&);
request_spec list_account_api_keys(const paths&);
/// DELETE: idempotent (revoking twice leaves the key revoked; the replay's answer is 404).
request_spec revoke_api_key(const paths&, std::string_view key_id);

/// A fresh random idempotency key ("cl-" + 32 hex digits).
std::string new_idempotency_key();

} // namespace cleanlist::api
