#pragma once
// cleanlist::client — one credential (API key or Clerk JWT), every endpoint of the Cleanlist public API.
//
// Every operation is `async_x(args..., token)` with completion signature void(error_code, T):
//   co_await c.async_whoami();                          // default token: returns T, throws api_exception
//   c.async_whoami([](error_code ec, whoami_response r) {...});   // callback
//   c.async_whoami(boost::asio::use_future);            // std::future<T> (throws system_error)
//   c.async_whoami(boost::asio::deferred);              // deferred operation
//   c.async_whoami(diag, token);                        // any token + server diagnostics in `diag`
//
// Contract common to every async_x operation:
//  - Executor: the work runs on the client's strand; the handler runs on its associated
//    executor (the client's executor if it has none).
//  - Lifetimes: arguments are copied; a `diagnostics&` must outlive the operation; the client
//    may be destroyed with operations pending (they complete with error::shutdown or
//    operation_aborted), but the io_context must keep running until they complete.
//  - Validation: invalid arguments complete with error::invalid_argument (diagnostics::problem
//    names the field) and nothing is sent.
//  - Errors: see error.hpp. Transient failures are retried according to client_params::retry,
//    never a non-idempotent POST that may have been processed (error::outcome_unknown instead).
//  - Cancellation (per-operation cancellation slot; the operation completes with
//    boost::asio::error::operation_aborted unless said otherwise). Types are honoured as Asio
//    defines them, so each operation says which it supports ("Cancel:" beside it):
//      read    — changes nothing on the server: terminal, partial and total, at any time.
//      write   — terminal, partial and total until its request is written; from then on its
//                effect is unknown, so only terminal is honoured (partial and total signals
//                are ignored and the operation goes on to its answer). A terminal stop then
//                completes a non-idempotent POST with error::outcome_unknown (it may have
//                been processed and charged), an idempotent write with operation_aborted
//                (sending it again is safe).
//      batch   — async_enrich_many: every type until its first request that may change
//                server state is written; then terminal and partial (each contact ends with
//                its own outcome: operation_aborted, outcome_unknown, or its workflow id).
//    The signal may be emitted from any thread, also before the operation has started
//    running (it is linked at initiation and acted upon on the client's strand); the
//    operation never clears the slot, so the signal must outlive the operation (a later
//    emission is harmless). Cancelling one operation never affects others.
//  - Deadlines: client_params::overall_timeout bounds each operation (error::timeout).
//  - Thread-safety: a client may be used from any thread; its state lives on its strand.
//    stats() is safe from any thread.
//  - Callbacks of the caller: a throwing on_progress ends its wait with
//    error::callback_failed (diagnostics::problem says what it threw); exceptions from
//    enrich_many's on_progress / on_bulk_started are recorded in the batch's diagnostics and
//    the log, and the batch goes on (a paid run is still waited for); a throwing logger only
//    loses its message. Completion handlers themselves must not throw (Asio's rule).
//  - Lifetimes of lazy tokens: an operation started later (the default awaitable, deferred)
//    holds the client's shared state, so it may start after the client is destroyed: it then
//    completes with error::shutdown.
#include <cleanlist/batch.hpp>
#include <cleanlist/client_params.hpp>
#include <cleanlist/detail/async_op.hpp>
#include <cleanlist/error.hpp>
#include <cleanlist/models.hpp>
#include <cleanlist/transport.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cleanlist {

/// Counters of one client (snapshot).
struct client_stats {
  std::uint64_t requests = 0;             ///< HTTP attempts sent
  std::uint64_t retries = 0;              ///< attempts that were retries
  std::uint64_t rate_limited_429 = 0;     ///< 429 answers received
  std::uint64_t outcome_unknown = 0;      ///< non-idempotent requests not retried after an ambiguous failure
  std::uint64_t connections_created = 0;
  std::chrono::nanoseconds limiter_wait{0};  ///< total time spent waiting for the rate limiter
  std::uint64_t in_flight = 0;            ///< operations started and not completed
  std::uint64_t waiting_workflows = 0;    ///< workflows being waited for
  std::uint64_t unknown_statuses = 0;     ///< polls that returned a status the library does not know
};

/// Progress callback of async_wait_for_workflow: the latest status response.
using progress_function = std::function<void(const workflow_status_response&)>;

class client {
public:
  using executor_type = boost::asio::any_io_executor;

  /// Throws std::invalid_argument if base_url cannot be parsed or a CA file cannot be loaded.
  /// A missing or malformed API key or JWT is reported by each operation (error::invalid_api_key).
  client(executor_type ex, client_params params);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  executor_type get_executor() const;
  const client_params& params() const;
  client_stats stats() const;

  /// Closes idle connections (bounded TLS shutdown) and fails pending operations with error::shutdown.
  void shutdown();

#define CLEANLIST_ASYNC_OP(T, name, start, PARAMS, ARGS)                                                  \
  template <class Token = use_awaitable_t>                                                              \
    requires detail::not_diagnostics<Token>                                                              \
  auto name(PARAMS Token&& token = {}) {                                                                 \
    return detail::run<T>(std::forward<Token>(token), nullptr, bind_start<T>(&client::start ARGS));      \
  }                                                                                                      \
  template <class Token = use_awaitable_t>                                                              \
  auto name(PARAMS diagnostics& diag, Token&& token = {}) {                                              \
    return detail::run<T>(std::forward<Token>(token), &diag, bind_start<T>(&client::start ARGS));        \
  }
#define CLEANLIST_P(...) __VA_ARGS__,
#define CLEANLIST_NO_P
#define CLEANLIST_A(...) , __VA_ARGS__

  // ---- workspace ----
  /// GET /whoami — identity, scopes, tier and features of the key.
  /// Cancel: read.
  CLEANLIST_ASYNC_OP(whoami_response, async_whoami, start_whoami, CLEANLIST_NO_P, )
  /// GET /credits/balance — the organisation's credits.
  /// Cancel: read.
  CLEANLIST_ASYNC_OP(credits_balance_response, async_credits_balance, start_credits_balance, CLEANLIST_NO_P, )
  /// POST /credits/estimate — a signed single-use quote (valid ~5 min). Free; retried safely.
  /// Cancel: read.
  CLEANLIST_ASYNC_OP(estimate_response, async_estimate, start_estimate, CLEANLIST_P(estimate_request req), CLEANLIST_A(std::move(req)))
  /// GET /api-keys (scope admin:api_keys).
  /// Cancel: read.
  CLEANLIST_ASYNC_OP(api_keys_response, async_list_api_keys, start_list_api_keys, CLEANLIST_NO_P, )
  /// GET /usage (scope admin:api_keys).
  /// Cancel: read.
  CLEANLIST_ASYNC_OP(usage_response, async_usage, start_usage, CLEANLIST_P(usage_request req), CLEANLIST_A(std::move(req)))

  // ---- API-key management: /api/v1/api-keys on the base URL's origin, whatever its path ----
  // Clerk session JWT only (client_params::bearer_jwt). With a clapi_ key the request is sent
  // anyway and the server's answer reported (error::unauthenticated): the server decides.
  /// POST /api/v1/api-keys — creates a key; the answer holds its full secret, shown only this
  /// once. NOT idempotent: never sent again after it may have been processed (a lost answer is
  /// error::outcome_unknown: list the keys and revoke an unwanted one). 403 feature_gated
  /// without API access, api_key_limit_reached at 10 active keys.
  /// Cancel: write.
  CLEANLIST_ASYNC_OP(create_api_key_response, async_create_api_key, start_create_api_key, CLEANLIST_P(create_api_key_request req), CLEANLIST_A(std::move(req)))
  /// GET /api/v1/api-keys — the session user's keys (prefix + last 4, revoked ones is_active false).
  /// Cancel: read.
  CLEANLIST_ASYNC_OP(api_keys_response, async_list_account_api_keys, start_list_account_api_keys, CLEANLIST_NO_P, )
  /// DELETE /api/v1/api-keys/{key_id} — idempotent, retried like a GET; a retry whose first
  /// attempt was processed gets error::not_found (already revoked): the key is revoked either way.
  /// Cancel: write.
  CLEANLIST_ASYNC_OP(revoke_api_key_response, async_revoke_api_key, start_revoke_api_key, CLEANLIST_P(std::string key_id), CLEANLIST_A(std::move(key_id)))

  // ---- lead lists ----
  /// POST /lead-lists — idempotent on the name (reused: true).
  /// Cancel: write.
  CLEANLIST_ASYNC_OP(list_detail, async_create_list, start_create_list, CLEANLIST_P(create_list_request req), CLEANLIST_A(std::move(req)))
  /// GET /lead-lists — one page; see async_list_all_lists for every page.
  /// Cancel: read.
  CLEANLIST_ASYNC_OP(lists_page, async_list_lists, start_list_lists, CLEANLIST_P(list_lists_request req), CLEANLIST_A(std::move(req)))
  /// Cancel: read.
  CLEANLIST_ASYNC_OP(list_detail, async_get_list, start_get_list, CLEANLIST_P(std::string list_id), CLEANLIST_A(std::move(list_id)))
  /// Cancel: write.
  CLEANLIST_ASYNC_OP(list_detail, async_update_list, start_update_list, CLEANLIST_P(update_list_request req), CLEANLIST_A(std::move(req)))
  /// Cancel: write.
  CLEANLIST_ASYNC_OP(delete_list_response, async_delete_list, start_delete_list, CLEANLIST_P(std::string list_id), CLEANLIST_A(std::move(list_id)))
  /// GET /lead-lists/{id}/leads — one page; see async_list_all_leads.
  /// Cancel: read.
  CLEANLIST_ASYNC_OP(leads_page, async_list_leads, start_list_leads, CLEANLIST_P(list_leads_request req), CLEANLIST_A(std::move(req)))
  /// POST /lead-lists/{id}/leads — an idempotency_key is generated when absent and reused by retries.
  /// Cancel: write.
  CLEANLIST_ASYNC_OP(add_leads_response, async_add_leads, start_add_leads, CLEANLIST_P(add_leads_request req), CLEANLIST_A(std::move(req)))
  /// Cancel: write.
  CLEANLIST_ASYNC_OP(remove_leads_response, async_remove_leads, start_remove_leads, CLEANLIST_P(remove_leads_request req), CLEANLIST_A(std::move(req)))
  /// POST /lead-lists/{id}/csv-import — raw CSV ≤ 150 KB; idempotency_key generated when absent.
  /// Cancel: write.
  CLEANLIST_ASYNC_OP(csv_import_response, async_csv_import, start_csv_import, CLEANLIST_P(csv_import_request req), CLEANLIST_A(std::move(req)))

  // ---- enrichment ----
  /// POST /enrichment/person — NOT idempotent: retried only when provably not processed.
  /// Cancel: write.
  CLEANLIST_ASYNC_OP(enrich_person_response, async_enrich_person, start_enrich_person, CLEANLIST_P(enrich_person_request req), CLEANLIST_A(std::move(req)))
  /// POST /enrichment/company — synchronous, 1 credit; NOT idempotent.
  /// Cancel: write.
  CLEANLIST_ASYNC_OP(enrich_company_response, async_enrich_company, start_enrich_company, CLEANLIST_P(enrich_company_request req), CLEANLIST_A(std::move(req)))
  /// POST /enrichment/by-task — quote-protected (a replay is refused by the server).
  /// Cancel: write.
  CLEANLIST_ASYNC_OP(enrich_by_task_response, async_enrich_by_task, start_enrich_by_task, CLEANLIST_P(enrich_by_task_request req), CLEANLIST_A(std::move(req)))
  /// POST /enrichment/bulk — enrich a whole list with a quote (sends `list_id`).
  /// Cancel: write.
  CLEANLIST_ASYNC_OP(enrich_list_response, async_enrich_list, start_enrich_list, CLEANLIST_P(enrich_list_request req), CLEANLIST_A(std::move(req)))
  /// GET /enrichment/status/{workflow_id} — one poll.
  /// Cancel: read.
  CLEANLIST_ASYNC_OP(workflow_status_response, async_workflow_status, start_workflow_status, CLEANLIST_P(std::string workflow_id), CLEANLIST_A(std::move(workflow_id)))

  // ---- smart agents ----
  /// Cancel: write.
  CLEANLIST_ASYNC_OP(run_smart_agent_response, async_run_smart_agent, start_run_smart_agent, CLEANLIST_P(run_smart_agent_request req), CLEANLIST_A(std::move(req)))
  /// Cancel: read.
  CLEANLIST_ASYNC_OP(list_smart_agents_response, async_list_smart_agents, start_list_smart_agents, CLEANLIST_P(list_smart_agents_request req), CLEANLIST_A(std::move(req)))
  /// Cancel: read.
  CLEANLIST_ASYNC_OP(smart_agent_results_response, async_get_smart_agent, start_get_smart_agent, CLEANLIST_P(std::string smart_agent_task_id), CLEANLIST_A(std::move(smart_agent_task_id)))

  // ---- export ----
  /// Cancel: read.
  CLEANLIST_ASYNC_OP(export_csv_response, async_export_csv, start_export_csv, CLEANLIST_P(export_csv_request req), CLEANLIST_A(std::move(req)))
  /// Cancel: read.
  CLEANLIST_ASYNC_OP(export_json_response, async_export_json, start_export_json, CLEANLIST_P(export_json_request req), CLEANLIST_A(std::move(req)))

  // ---- legacy v1-only endpoints (always sent under /api/v1/public) ----
  /// Cancel: read.
  CLEANLIST_ASYNC_OP(validate_key_response, async_validate_key, start_validate_key, CLEANLIST_NO_P, )
  /// POST /enrich/bulk (1–250 contacts) — NOT idempotent.
  /// Cancel: write.
  CLEANLIST_ASYNC_OP(legacy_bulk_response, async_legacy_enrich_bulk, start_legacy_enrich_bulk, CLEANLIST_P(legacy_bulk_request req), CLEANLIST_A(std::move(req)))
  /// Cancel: read.
  CLEANLIST_ASYNC_OP(legacy_status_response, async_legacy_status, start_legacy_status, CLEANLIST_P(legacy_status_request req), CLEANLIST_A(std::move(req)))
  /// Cancel: read.
  CLEANLIST_ASYNC_OP(webhook_deliveries_response, async_webhook_deliveries, start_webhook_deliveries, CLEANLIST_P(std::string workflow_id), CLEANLIST_A(std::move(workflow_id)))

  // ---- pagination helpers: walk every page (client_params::overall_timeout bounds each page) ----
  /// Cancel: read.
  CLEANLIST_ASYNC_OP(std::vector<list_summary>, async_list_all_lists, start_list_all_lists, CLEANLIST_P(list_lists_request req), CLEANLIST_A(std::move(req)))
  /// Cancel: read.
  CLEANLIST_ASYNC_OP(std::vector<lead_row>, async_list_all_leads, start_list_all_leads, CLEANLIST_P(list_leads_request req), CLEANLIST_A(std::move(req)))
  /// Cancel: read.
  CLEANLIST_ASYNC_OP(std::vector<boost::json::object>, async_export_all_json, start_export_all_json, CLEANLIST_P(export_json_request req), CLEANLIST_A(std::move(req)))

  // ---- waiting for workflows ----
  /// Polls GET /enrichment/status/{id} until a terminal status (completed, completed_with_errors,
  /// failed, cancelled, or one of client_params::extra_terminal_statuses; an unknown status
  /// is reported through on_progress, stats().unknown_statuses and the log, and polled on),
  /// with intervals from `poll` (short first, growing, capped) and `poll.deadline` as the overall
  /// deadline (error::timeout; the workflow keeps running server-side). Polls go through the
  /// client's rate limiter. `on_progress` (optional) is called on the client's strand whenever
  /// status or `processed` changes. Completes with the terminal status response.
  /// Cancel: read (any type, at any time: the workflow keeps running server-side).
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_wait_for_workflow(std::string workflow_id, poll_params poll, progress_function on_progress,
                               Token&& token = {}) {
    return detail::run_long<workflow_status_response>(
        std::forward<Token>(token), nullptr,
        bind_start<workflow_status_response>(&client::start_wait_for_workflow, std::move(workflow_id), poll,
                                             std::move(on_progress)));
  }
  template <class Token = use_awaitable_t>
  auto async_wait_for_workflow(std::string workflow_id, poll_params poll, progress_function on_progress,
                               diagnostics& diag, Token&& token = {}) {
    return detail::run_long<workflow_status_response>(
        std::forward<Token>(token), &diag,
        bind_start<workflow_status_response>(&client::start_wait_for_workflow, std::move(workflow_id), poll,
                                             std::move(on_progress)));
  }

  // ---- many enrichments ----
  /// Enriches every contact and completes with one result per contact, in input order
  /// (each ends with what was found or its own error; the operation itself only fails on
  /// invalid options). See enrich_many_options for the two paths and their request costs.
  /// Cancel: batch (see the contract above): in-flight work stops; contacts not finished get
  /// operation_aborted, or outcome_unknown / their workflow id when they may have been charged.
  /// Deadlines: enrich_many_options::deadline for the batch, poll.deadline per workflow.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_enrich_many(std::vector<enrich_person_request> contacts, enrich_many_options opts, Token&& token = {}) {
    return detail::run_long<std::vector<enrich_item_result>>(
        std::forward<Token>(token), nullptr,
        bind_start<std::vector<enrich_item_result>>(&client::start_enrich_many, std::move(contacts), std::move(opts)));
  }
  template <class Token = use_awaitable_t>
  auto async_enrich_many(std::vector<enrich_person_request> contacts, enrich_many_options opts, diagnostics& diag,
                         Token&& token = {}) {
    return detail::run_long<std::vector<enrich_item_result>>(
        std::forward<Token>(token), &diag,
        bind_start<std::vector<enrich_item_result>>(&client::start_enrich_many, std::move(contacts), std::move(opts)));
  }

#undef CLEANLIST_ASYNC_OP
#undef CLEANLIST_P
#undef CLEANLIST_NO_P
#undef CLEANLIST_A

  class impl;

private:
  // The started operation holds the client's shared state, not the client: a lazy token
  // (the default awaitable, deferred) may start after the client is gone (it then fails
  // with error::shutdown instead of touching freed memory).
  template <class T, class F, class... A>
  auto bind_start(F f, A... a) {
    return [self = impl_, f, ... a = std::move(a)](diagnostics* d, detail::handler<T> h) mutable {
      f(self, std::move(a)..., d, std::move(h));
    };
  }

  template <class T> using H = detail::handler<T>;
  static void start_whoami(const std::shared_ptr<impl>&, diagnostics*, H<whoami_response>);
  static void start_credits_balance(const std::shared_ptr<impl>&, diagnostics*, H<credits_balance_response>);
  static void start_estimate(const std::shared_ptr<impl>&, estimate_request, diagnostics*, H<estimate_response>);
  static void start_list_api_keys(const std::shared_ptr<impl>&, diagnostics*, H<api_keys_response>);
  static void start_usage(const std::shared_ptr<impl>&, usage_request, diagnostics*, H<usage_response>);
  static void start_create_api_key(const std::shared_ptr<impl>&, create_api_key_request, diagnostics*, H<create_api_key_response>);
  static void start_list_account_api_keys(const std::shared_ptr<impl>&, diagnostics*, H<api_keys_response>);
  static void start_revoke_api_key(const std::shared_ptr<impl>&, std::string, diagnostics*, H<revoke_api_key_response>);
  static void start_create_list(const std::shared_ptr<impl>&, create_list_request, diagnostics*, H<list_detail>);
  static void start_list_lists(const std::shared_ptr<impl>&, list_lists_request, diagnostics*, H<lists_page>);
  static void start_get_list(const std::shared_ptr<impl>&, std::string, diagnostics*, H<list_detail>);
  static void start_update_list(const std::shared_ptr<impl>&, update_list_request, diagnostics*, H<list_detail>);
  static void start_delete_list(const std::shared_ptr<impl>&, std::string, diagnostics*, H<delete_list_response>);
  static void start_list_leads(const std::shared_ptr<impl>&, list_leads_request, diagnostics*, H<leads_page>);
  static void start_add_leads(const std::shared_ptr<impl>&, add_leads_request, diagnostics*, H<add_leads_response>);
  static void start_remove_leads(const std::shared_ptr<impl>&, remove_leads_request, diagnostics*, H<remove_leads_response>);
  static void start_csv_import(const std::shared_ptr<impl>&, csv_import_request, diagnostics*, H<csv_import_response>);
  static void start_enrich_person(const std::shared_ptr<impl>&, enrich_person_request, diagnostics*, H<enrich_person_response>);
  static void start_enrich_company(const std::shared_ptr<impl>&, enrich_company_request, diagnostics*, H<enrich_company_response>);
  static void start_enrich_by_task(const std::shared_ptr<impl>&, enrich_by_task_request, diagnostics*, H<enrich_by_task_response>);
  static void start_enrich_list(const std::shared_ptr<impl>&, enrich_list_request, diagnostics*, H<enrich_list_response>);
  static void start_workflow_status(const std::shared_ptr<impl>&, std::string, diagnostics*, H<workflow_status_response>);
  static void start_run_smart_agent(const std::shared_ptr<impl>&, run_smart_agent_request, diagnostics*, H<run_smart_agent_response>);
  static void start_list_smart_agents(const std::shared_ptr<impl>&, list_smart_agents_request, diagnostics*, H<list_smart_agents_response>);
  static void start_get_smart_agent(const std::shared_ptr<impl>&, std::string, diagnostics*, H<smart_agent_results_response>);
  static void start_export_csv(const std::shared_ptr<impl>&, export_csv_request, diagnostics*, H<export_csv_response>);
  static void start_export_json(const std::shared_ptr<impl>&, export_json_request, diagnostics*, H<export_json_response>);
  static void start_validate_key(const std::shared_ptr<impl>&, diagnostics*, H<validate_key_response>);
  static void start_legacy_enrich_bulk(const std::shared_ptr<impl>&, legacy_bulk_request, diagnostics*, H<legacy_bulk_response>);
  static void start_legacy_status(const std::shared_ptr<impl>&, legacy_status_request, diagnostics*, H<legacy_status_response>);
  static void start_webhook_deliveries(const std::shared_ptr<impl>&, std::string, diagnostics*, H<webhook_deliveries_response>);
  static void start_wait_for_workflow(const std::shared_ptr<impl>&, std::string, poll_params, progress_function, diagnostics*, H<workflow_status_response>);
  static void start_enrich_many(const std::shared_ptr<impl>&, std::vector<enrich_person_request>, enrich_many_options, diagnostics*, H<std::vector<enrich_item_result>>);
  static void start_list_all_lists(const std::shared_ptr<impl>&, list_lists_request, diagnostics*, H<std::vector<list_summary>>);
  static void start_list_all_leads(const std::shared_ptr<impl>&, list_leads_request, diagnostics*, H<std::vector<lead_row>>);
  static void start_export_all_json(const std::shared_ptr<impl>&, export_json_request, diagnostics*, H<std::vector<boost::json::object>>);

  std::shared_ptr<impl> impl_;
};

} // namespace cleanlist
