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
  std::uint64_t tls_resumed_handshakes = 0;  ///< new connections whose TLS session was resumed (of the transport)
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
  client_stats stats() const;

  /// Closes idle connections (bounded TLS shutdown) and fails pending operations with error::shutdown.
  void shutdown();

  // ---- workspace ----

  /// GET /whoami — identity, scopes, tier and features of the credential.
  /// Completes: void(error_code, whoami_response).
  /// Errors worth handling: unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Idempotent: transient failures retried per client_params::retry.
  /// Cancel: read — terminal, partial, total at any time. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_whoami(Token&& token = {}) {
    return detail::run<whoami_response>(std::forward<Token>(token), nullptr, bind_start<whoami_response>(&client::start_whoami));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_whoami(diagnostics& diag, Token&& token = {}) {
    return detail::run<whoami_response>(std::forward<Token>(token), &diag, bind_start<whoami_response>(&client::start_whoami));
  }

  /// GET /credits/balance — the organisation's credits.
  /// Completes: void(error_code, credits_balance_response).
  /// Errors worth handling: unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Idempotent: transient failures retried per client_params::retry.
  /// Cancel: read — terminal, partial, total at any time. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_credits_balance(Token&& token = {}) {
    return detail::run<credits_balance_response>(std::forward<Token>(token), nullptr, bind_start<credits_balance_response>(&client::start_credits_balance));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_credits_balance(diagnostics& diag, Token&& token = {}) {
    return detail::run<credits_balance_response>(std::forward<Token>(token), &diag, bind_start<credits_balance_response>(&client::start_credits_balance));
  }

  /// POST /credits/estimate — a signed single-use quote (valid ~5 min) for a bulk run.
  /// Completes: void(error_code, estimate_response).
  /// Errors worth handling: validation_failed, insufficient_credits, unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Free and without effect until redeemed: retried like a GET.
  /// Cancel: read — terminal, partial, total at any time. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_estimate(estimate_request req, Token&& token = {}) {
    return detail::run<estimate_response>(std::forward<Token>(token), nullptr, bind_start<estimate_response>(&client::start_estimate, std::move(req)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_estimate(estimate_request req, diagnostics& diag, Token&& token = {}) {
    return detail::run<estimate_response>(std::forward<Token>(token), &diag, bind_start<estimate_response>(&client::start_estimate, std::move(req)));
  }

  /// GET /api-keys — the organisation's keys (scope admin:api_keys).
  /// Completes: void(error_code, api_keys_response).
  /// Errors worth handling: insufficient_scope, unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Idempotent: transient failures retried per client_params::retry.
  /// Cancel: read — terminal, partial, total at any time. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_list_api_keys(Token&& token = {}) {
    return detail::run<api_keys_response>(std::forward<Token>(token), nullptr, bind_start<api_keys_response>(&client::start_list_api_keys));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_list_api_keys(diagnostics& diag, Token&& token = {}) {
    return detail::run<api_keys_response>(std::forward<Token>(token), &diag, bind_start<api_keys_response>(&client::start_list_api_keys));
  }

  /// GET /usage — request and credit usage (scope admin:api_keys).
  /// Completes: void(error_code, usage_response).
  /// Errors worth handling: insufficient_scope, unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Idempotent: transient failures retried per client_params::retry.
  /// Cancel: read — terminal, partial, total at any time. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_usage(usage_request req, Token&& token = {}) {
    return detail::run<usage_response>(std::forward<Token>(token), nullptr, bind_start<usage_response>(&client::start_usage, std::move(req)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_usage(usage_request req, diagnostics& diag, Token&& token = {}) {
    return detail::run<usage_response>(std::forward<Token>(token), &diag, bind_start<usage_response>(&client::start_usage, std::move(req)));
  }

  // ---- API-key management: /api/v1/api-keys on the base URL's origin, whatever its path. Clerk session JWT only (client_params::bearer_jwt); with a clapi_ key the request is sent and the server's answer reported (error::unauthenticated). ----

  /// POST /api/v1/api-keys — creates a key; the answer holds its full secret, shown only this once.
  /// Completes: void(error_code, create_api_key_response).
  /// Errors worth handling: feature_gated (no API access), forbidden (api_key_limit_reached at 10 active keys), unauthenticated, outcome_unknown.
  /// Retry: NOT idempotent: never sent again once it may have been processed (a lost answer is outcome_unknown: list the keys and revoke an unwanted one).
  /// Cancel: write — every type until the request is written, then terminal only. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_create_api_key(create_api_key_request req, Token&& token = {}) {
    return detail::run<create_api_key_response>(std::forward<Token>(token), nullptr, bind_start<create_api_key_response>(&client::start_create_api_key, std::move(req)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_create_api_key(create_api_key_request req, diagnostics& diag, Token&& token = {}) {
    return detail::run<create_api_key_response>(std::forward<Token>(token), &diag, bind_start<create_api_key_response>(&client::start_create_api_key, std::move(req)));
  }

  /// GET /api/v1/api-keys — the session user's keys (prefix + last 4; revoked ones is_active false).
  /// Completes: void(error_code, api_keys_response).
  /// Errors worth handling: unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Idempotent: transient failures retried per client_params::retry.
  /// Cancel: read — terminal, partial, total at any time. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_list_account_api_keys(Token&& token = {}) {
    return detail::run<api_keys_response>(std::forward<Token>(token), nullptr, bind_start<api_keys_response>(&client::start_list_account_api_keys));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_list_account_api_keys(diagnostics& diag, Token&& token = {}) {
    return detail::run<api_keys_response>(std::forward<Token>(token), &diag, bind_start<api_keys_response>(&client::start_list_account_api_keys));
  }

  /// DELETE /api/v1/api-keys/{key_id} — revokes a key.
  /// Completes: void(error_code, revoke_api_key_response).
  /// Errors worth handling: not_found (also: a retry whose first attempt was processed — revoked either way), unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Idempotent: retried like a GET.
  /// Cancel: write — every type until the request is written, then terminal only. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_revoke_api_key(std::string key_id, Token&& token = {}) {
    return detail::run<revoke_api_key_response>(std::forward<Token>(token), nullptr, bind_start<revoke_api_key_response>(&client::start_revoke_api_key, std::move(key_id)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_revoke_api_key(std::string key_id, diagnostics& diag, Token&& token = {}) {
    return detail::run<revoke_api_key_response>(std::forward<Token>(token), &diag, bind_start<revoke_api_key_response>(&client::start_revoke_api_key, std::move(key_id)));
  }

  // ---- lead lists ----

  /// POST /lead-lists — creates a list, or returns the existing one of that name (reused: true).
  /// Completes: void(error_code, list_detail).
  /// Errors worth handling: validation_failed, forbidden (list_cap_reached), unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Idempotent on the name: retried.
  /// Cancel: write — every type until the request is written, then terminal only. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_create_list(create_list_request req, Token&& token = {}) {
    return detail::run<list_detail>(std::forward<Token>(token), nullptr, bind_start<list_detail>(&client::start_create_list, std::move(req)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_create_list(create_list_request req, diagnostics& diag, Token&& token = {}) {
    return detail::run<list_detail>(std::forward<Token>(token), &diag, bind_start<list_detail>(&client::start_create_list, std::move(req)));
  }

  /// GET /lead-lists — one page; async_list_all_lists walks every page.
  /// Completes: void(error_code, lists_page).
  /// Errors worth handling: unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Idempotent: transient failures retried per client_params::retry.
  /// Cancel: read — terminal, partial, total at any time. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_list_lists(list_lists_request req, Token&& token = {}) {
    return detail::run<lists_page>(std::forward<Token>(token), nullptr, bind_start<lists_page>(&client::start_list_lists, std::move(req)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_list_lists(list_lists_request req, diagnostics& diag, Token&& token = {}) {
    return detail::run<lists_page>(std::forward<Token>(token), &diag, bind_start<lists_page>(&client::start_list_lists, std::move(req)));
  }

  /// GET /lead-lists/{list_id} — one list.
  /// Completes: void(error_code, list_detail).
  /// Errors worth handling: not_found (also: another organisation's list), unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Idempotent: transient failures retried per client_params::retry.
  /// Cancel: read — terminal, partial, total at any time. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_get_list(std::string list_id, Token&& token = {}) {
    return detail::run<list_detail>(std::forward<Token>(token), nullptr, bind_start<list_detail>(&client::start_get_list, std::move(list_id)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_get_list(std::string list_id, diagnostics& diag, Token&& token = {}) {
    return detail::run<list_detail>(std::forward<Token>(token), &diag, bind_start<list_detail>(&client::start_get_list, std::move(list_id)));
  }

  /// PATCH /lead-lists/{list_id} — renames or re-describes a list.
  /// Completes: void(error_code, list_detail).
  /// Errors worth handling: not_found, forbidden (list_protected), validation_failed, unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Idempotent (same values): retried.
  /// Cancel: write — every type until the request is written, then terminal only. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_update_list(update_list_request req, Token&& token = {}) {
    return detail::run<list_detail>(std::forward<Token>(token), nullptr, bind_start<list_detail>(&client::start_update_list, std::move(req)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_update_list(update_list_request req, diagnostics& diag, Token&& token = {}) {
    return detail::run<list_detail>(std::forward<Token>(token), &diag, bind_start<list_detail>(&client::start_update_list, std::move(req)));
  }

  /// DELETE /lead-lists/{list_id} — deletes a list and its leads.
  /// Completes: void(error_code, delete_list_response).
  /// Errors worth handling: not_found (also: a retry whose first attempt was processed), forbidden (list_protected), unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Idempotent: retried.
  /// Cancel: write — every type until the request is written, then terminal only. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_delete_list(std::string list_id, Token&& token = {}) {
    return detail::run<delete_list_response>(std::forward<Token>(token), nullptr, bind_start<delete_list_response>(&client::start_delete_list, std::move(list_id)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_delete_list(std::string list_id, diagnostics& diag, Token&& token = {}) {
    return detail::run<delete_list_response>(std::forward<Token>(token), &diag, bind_start<delete_list_response>(&client::start_delete_list, std::move(list_id)));
  }

  /// GET /lead-lists/{list_id}/leads — one page; async_list_all_leads walks every page.
  /// Completes: void(error_code, leads_page).
  /// Errors worth handling: not_found, unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Idempotent: transient failures retried per client_params::retry.
  /// Cancel: read — terminal, partial, total at any time. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_list_leads(list_leads_request req, Token&& token = {}) {
    return detail::run<leads_page>(std::forward<Token>(token), nullptr, bind_start<leads_page>(&client::start_list_leads, std::move(req)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_list_leads(list_leads_request req, diagnostics& diag, Token&& token = {}) {
    return detail::run<leads_page>(std::forward<Token>(token), &diag, bind_start<leads_page>(&client::start_list_leads, std::move(req)));
  }

  /// POST /lead-lists/{list_id}/leads — adds leads; an idempotency_key is generated when absent
  /// and reused by every retry of this call.
  /// Completes: void(error_code, add_leads_response).
  /// Errors worth handling: validation_failed, forbidden (list_cap_reached), payload_too_large, unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Idempotent through its key: retried.
  /// Cancel: write — every type until the request is written, then terminal only. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_add_leads(add_leads_request req, Token&& token = {}) {
    return detail::run<add_leads_response>(std::forward<Token>(token), nullptr, bind_start<add_leads_response>(&client::start_add_leads, std::move(req)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_add_leads(add_leads_request req, diagnostics& diag, Token&& token = {}) {
    return detail::run<add_leads_response>(std::forward<Token>(token), &diag, bind_start<add_leads_response>(&client::start_add_leads, std::move(req)));
  }

  /// DELETE /lead-lists/{list_id}/leads — removes leads by id.
  /// Completes: void(error_code, remove_leads_response).
  /// Errors worth handling: not_found, unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Idempotent: retried.
  /// Cancel: write — every type until the request is written, then terminal only. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_remove_leads(remove_leads_request req, Token&& token = {}) {
    return detail::run<remove_leads_response>(std::forward<Token>(token), nullptr, bind_start<remove_leads_response>(&client::start_remove_leads, std::move(req)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_remove_leads(remove_leads_request req, diagnostics& diag, Token&& token = {}) {
    return detail::run<remove_leads_response>(std::forward<Token>(token), &diag, bind_start<remove_leads_response>(&client::start_remove_leads, std::move(req)));
  }

  /// POST /lead-lists/{list_id}/csv-import — raw CSV of at most 150 KB; an idempotency_key is
  /// generated when absent and reused by every retry.
  /// Completes: void(error_code, csv_import_response).
  /// Errors worth handling: validation_failed (missing_column), payload_too_large, forbidden (list_cap_reached), unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Idempotent through its key: retried.
  /// Cancel: write — every type until the request is written, then terminal only. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_csv_import(csv_import_request req, Token&& token = {}) {
    return detail::run<csv_import_response>(std::forward<Token>(token), nullptr, bind_start<csv_import_response>(&client::start_csv_import, std::move(req)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_csv_import(csv_import_request req, diagnostics& diag, Token&& token = {}) {
    return detail::run<csv_import_response>(std::forward<Token>(token), &diag, bind_start<csv_import_response>(&client::start_csv_import, std::move(req)));
  }

  // ---- enrichment ----

  /// POST /enrichment/person — starts one person's enrichment; credits are reserved. Wait for
  /// its workflow with async_wait_for_workflow. On /api/v2 req.lead_list_id is required.
  /// Completes: void(error_code, enrich_person_response).
  /// Errors worth handling: insufficient_credits, validation_failed, outcome_unknown (may have been charged: do not send again blindly), unauthenticated, rate_limited (after retries), timeout.
  /// Retry: NOT idempotent: retried only when provably not processed (connection refused, 429/503 before processing).
  /// Cancel: write — every type until the request is written, then terminal only. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_enrich_person(enrich_person_request req, Token&& token = {}) {
    return detail::run<enrich_person_response>(std::forward<Token>(token), nullptr, bind_start<enrich_person_response>(&client::start_enrich_person, std::move(req)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_enrich_person(enrich_person_request req, diagnostics& diag, Token&& token = {}) {
    return detail::run<enrich_person_response>(std::forward<Token>(token), &diag, bind_start<enrich_person_response>(&client::start_enrich_person, std::move(req)));
  }

  /// POST /enrichment/company — synchronous company lookup, 1 credit.
  /// Completes: void(error_code, enrich_company_response).
  /// Errors worth handling: insufficient_credits, validation_failed, outcome_unknown, unauthenticated, rate_limited (after retries), timeout.
  /// Retry: NOT idempotent: retried only when provably not processed.
  /// Cancel: write — every type until the request is written, then terminal only. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_enrich_company(enrich_company_request req, Token&& token = {}) {
    return detail::run<enrich_company_response>(std::forward<Token>(token), nullptr, bind_start<enrich_company_response>(&client::start_enrich_company, std::move(req)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_enrich_company(enrich_company_request req, diagnostics& diag, Token&& token = {}) {
    return detail::run<enrich_company_response>(std::forward<Token>(token), &diag, bind_start<enrich_company_response>(&client::start_enrich_company, std::move(req)));
  }

  /// POST /enrichment/by-task — enrichment by task; with a quote_id, quote-protected.
  /// Completes: void(error_code, enrich_by_task_response).
  /// Errors worth handling: quote_expired, quote_mismatch, quote_already_used, spend_cap_exceeded, insufficient_credits, outcome_unknown, unauthenticated, rate_limited (after retries), timeout.
  /// Retry: With a quote: replayed after a lost answer (the server refuses a second redemption; then outcome_unknown "processed"). Without: as enrich_person.
  /// Cancel: write — every type until the request is written, then terminal only. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_enrich_by_task(enrich_by_task_request req, Token&& token = {}) {
    return detail::run<enrich_by_task_response>(std::forward<Token>(token), nullptr, bind_start<enrich_by_task_response>(&client::start_enrich_by_task, std::move(req)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_enrich_by_task(enrich_by_task_request req, diagnostics& diag, Token&& token = {}) {
    return detail::run<enrich_by_task_response>(std::forward<Token>(token), &diag, bind_start<enrich_by_task_response>(&client::start_enrich_by_task, std::move(req)));
  }

  /// POST /enrichment/bulk — enriches a whole list with a quote from async_estimate.
  /// Completes: void(error_code, enrich_list_response).
  /// Errors worth handling: quote_expired, quote_mismatch, quote_already_used, spend_cap_exceeded, insufficient_credits, outcome_unknown, unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Quote-protected: replayed after a lost answer; a refused replay (quote already used) is outcome_unknown "processed", never a second run.
  /// Cancel: write — every type until the request is written, then terminal only. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_enrich_list(enrich_list_request req, Token&& token = {}) {
    return detail::run<enrich_list_response>(std::forward<Token>(token), nullptr, bind_start<enrich_list_response>(&client::start_enrich_list, std::move(req)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_enrich_list(enrich_list_request req, diagnostics& diag, Token&& token = {}) {
    return detail::run<enrich_list_response>(std::forward<Token>(token), &diag, bind_start<enrich_list_response>(&client::start_enrich_list, std::move(req)));
  }

  /// GET /enrichment/status/{workflow_id} — one poll (see async_wait_for_workflow).
  /// Completes: void(error_code, workflow_status_response).
  /// Errors worth handling: not_found, unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Idempotent: transient failures retried per client_params::retry.
  /// Cancel: read — terminal, partial, total at any time. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_workflow_status(std::string workflow_id, Token&& token = {}) {
    return detail::run<workflow_status_response>(std::forward<Token>(token), nullptr, bind_start<workflow_status_response>(&client::start_workflow_status, std::move(workflow_id)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_workflow_status(std::string workflow_id, diagnostics& diag, Token&& token = {}) {
    return detail::run<workflow_status_response>(std::forward<Token>(token), &diag, bind_start<workflow_status_response>(&client::start_workflow_status, std::move(workflow_id)));
  }

  // ---- smart agents ----

  /// POST /smart-agents/run — runs a smart agent on a list with a quote.
  /// Completes: void(error_code, run_smart_agent_response).
  /// Errors worth handling: approval_required, quote_expired, quote_already_used, insufficient_credits, outcome_unknown, unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Quote-protected: replayed after a lost answer, never run twice.
  /// Cancel: write — every type until the request is written, then terminal only. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_run_smart_agent(run_smart_agent_request req, Token&& token = {}) {
    return detail::run<run_smart_agent_response>(std::forward<Token>(token), nullptr, bind_start<run_smart_agent_response>(&client::start_run_smart_agent, std::move(req)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_run_smart_agent(run_smart_agent_request req, diagnostics& diag, Token&& token = {}) {
    return detail::run<run_smart_agent_response>(std::forward<Token>(token), &diag, bind_start<run_smart_agent_response>(&client::start_run_smart_agent, std::move(req)));
  }

  /// GET /smart-agents — the organisation's smart agent tasks.
  /// Completes: void(error_code, list_smart_agents_response).
  /// Errors worth handling: unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Idempotent: transient failures retried per client_params::retry.
  /// Cancel: read — terminal, partial, total at any time. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_list_smart_agents(list_smart_agents_request req, Token&& token = {}) {
    return detail::run<list_smart_agents_response>(std::forward<Token>(token), nullptr, bind_start<list_smart_agents_response>(&client::start_list_smart_agents, std::move(req)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_list_smart_agents(list_smart_agents_request req, diagnostics& diag, Token&& token = {}) {
    return detail::run<list_smart_agents_response>(std::forward<Token>(token), &diag, bind_start<list_smart_agents_response>(&client::start_list_smart_agents, std::move(req)));
  }

  /// GET /smart-agents/{id} — one task and its results.
  /// Completes: void(error_code, smart_agent_results_response).
  /// Errors worth handling: not_found, unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Idempotent: transient failures retried per client_params::retry.
  /// Cancel: read — terminal, partial, total at any time. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_get_smart_agent(std::string smart_agent_task_id, Token&& token = {}) {
    return detail::run<smart_agent_results_response>(std::forward<Token>(token), nullptr, bind_start<smart_agent_results_response>(&client::start_get_smart_agent, std::move(smart_agent_task_id)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_get_smart_agent(std::string smart_agent_task_id, diagnostics& diag, Token&& token = {}) {
    return detail::run<smart_agent_results_response>(std::forward<Token>(token), &diag, bind_start<smart_agent_results_response>(&client::start_get_smart_agent, std::move(smart_agent_task_id)));
  }

  // ---- export ----

  /// POST /export/csv/signed-url — a signed download URL for a list's CSV.
  /// Completes: void(error_code, export_csv_response).
  /// Errors worth handling: not_found, unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Changes nothing on the server: retried like a GET.
  /// Cancel: read — terminal, partial, total at any time. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_export_csv(export_csv_request req, Token&& token = {}) {
    return detail::run<export_csv_response>(std::forward<Token>(token), nullptr, bind_start<export_csv_response>(&client::start_export_csv, std::move(req)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_export_csv(export_csv_request req, diagnostics& diag, Token&& token = {}) {
    return detail::run<export_csv_response>(std::forward<Token>(token), &diag, bind_start<export_csv_response>(&client::start_export_csv, std::move(req)));
  }

  /// GET /export/json — one page of a list's enriched leads; async_export_all_json walks every page.
  /// Completes: void(error_code, export_json_response).
  /// Errors worth handling: not_found, unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Idempotent: transient failures retried per client_params::retry.
  /// Cancel: read — terminal, partial, total at any time. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_export_json(export_json_request req, Token&& token = {}) {
    return detail::run<export_json_response>(std::forward<Token>(token), nullptr, bind_start<export_json_response>(&client::start_export_json, std::move(req)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_export_json(export_json_request req, diagnostics& diag, Token&& token = {}) {
    return detail::run<export_json_response>(std::forward<Token>(token), &diag, bind_start<export_json_response>(&client::start_export_json, std::move(req)));
  }

  // ---- legacy v1-only endpoints (always sent under /api/v1/public) ----

  /// GET /auth/validate-key — the legacy key check.
  /// Completes: void(error_code, validate_key_response).
  /// Errors worth handling: unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Idempotent: transient failures retried per client_params::retry.
  /// Cancel: read — terminal, partial, total at any time. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_validate_key(Token&& token = {}) {
    return detail::run<validate_key_response>(std::forward<Token>(token), nullptr, bind_start<validate_key_response>(&client::start_validate_key));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_validate_key(diagnostics& diag, Token&& token = {}) {
    return detail::run<validate_key_response>(std::forward<Token>(token), &diag, bind_start<validate_key_response>(&client::start_validate_key));
  }

  /// POST /enrich/bulk — legacy bulk enrichment of 1–250 contacts.
  /// Completes: void(error_code, legacy_bulk_response).
  /// Errors worth handling: insufficient_credits (402), validation_failed, outcome_unknown, unauthenticated, rate_limited (after retries), timeout.
  /// Retry: NOT idempotent: retried only when provably not processed.
  /// Cancel: write — every type until the request is written, then terminal only. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_legacy_enrich_bulk(legacy_bulk_request req, Token&& token = {}) {
    return detail::run<legacy_bulk_response>(std::forward<Token>(token), nullptr, bind_start<legacy_bulk_response>(&client::start_legacy_enrich_bulk, std::move(req)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_legacy_enrich_bulk(legacy_bulk_request req, diagnostics& diag, Token&& token = {}) {
    return detail::run<legacy_bulk_response>(std::forward<Token>(token), &diag, bind_start<legacy_bulk_response>(&client::start_legacy_enrich_bulk, std::move(req)));
  }

  /// GET /enrich/status — legacy status of a bulk run.
  /// Completes: void(error_code, legacy_status_response).
  /// Errors worth handling: not_found, unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Idempotent: transient failures retried per client_params::retry.
  /// Cancel: read — terminal, partial, total at any time. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_legacy_status(legacy_status_request req, Token&& token = {}) {
    return detail::run<legacy_status_response>(std::forward<Token>(token), nullptr, bind_start<legacy_status_response>(&client::start_legacy_status, std::move(req)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_legacy_status(legacy_status_request req, diagnostics& diag, Token&& token = {}) {
    return detail::run<legacy_status_response>(std::forward<Token>(token), &diag, bind_start<legacy_status_response>(&client::start_legacy_status, std::move(req)));
  }

  /// GET /webhooks/deliveries — webhook deliveries of a workflow.
  /// Completes: void(error_code, webhook_deliveries_response).
  /// Errors worth handling: unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Idempotent: transient failures retried per client_params::retry.
  /// Cancel: read — terminal, partial, total at any time. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_webhook_deliveries(std::string workflow_id, Token&& token = {}) {
    return detail::run<webhook_deliveries_response>(std::forward<Token>(token), nullptr, bind_start<webhook_deliveries_response>(&client::start_webhook_deliveries, std::move(workflow_id)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_webhook_deliveries(std::string workflow_id, diagnostics& diag, Token&& token = {}) {
    return detail::run<webhook_deliveries_response>(std::forward<Token>(token), &diag, bind_start<webhook_deliveries_response>(&client::start_webhook_deliveries, std::move(workflow_id)));
  }

  // ---- pagination helpers: walk every page (client_params::overall_timeout bounds each page, not the walk) ----

  /// Every lead list, page after page (GET /lead-lists).
  /// Completes: void(error_code, std::vector<list_summary>).
  /// Errors worth handling: unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Each page retried like a GET; a server repeating its cursor ends the walk.
  /// Cancel: read — terminal, partial, total at any time. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_list_all_lists(list_lists_request req, Token&& token = {}) {
    return detail::run<std::vector<list_summary>>(std::forward<Token>(token), nullptr, bind_start<std::vector<list_summary>>(&client::start_list_all_lists, std::move(req)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_list_all_lists(list_lists_request req, diagnostics& diag, Token&& token = {}) {
    return detail::run<std::vector<list_summary>>(std::forward<Token>(token), &diag, bind_start<std::vector<list_summary>>(&client::start_list_all_lists, std::move(req)));
  }

  /// Every lead of a list, page after page (GET /lead-lists/{id}/leads).
  /// Completes: void(error_code, std::vector<lead_row>).
  /// Errors worth handling: not_found, unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Each page retried like a GET.
  /// Cancel: read — terminal, partial, total at any time. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_list_all_leads(list_leads_request req, Token&& token = {}) {
    return detail::run<std::vector<lead_row>>(std::forward<Token>(token), nullptr, bind_start<std::vector<lead_row>>(&client::start_list_all_leads, std::move(req)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_list_all_leads(list_leads_request req, diagnostics& diag, Token&& token = {}) {
    return detail::run<std::vector<lead_row>>(std::forward<Token>(token), &diag, bind_start<std::vector<lead_row>>(&client::start_list_all_leads, std::move(req)));
  }

  /// Every exported lead of a list, page after page (GET /export/json).
  /// Completes: void(error_code, std::vector<boost::json::object>).
  /// Errors worth handling: not_found, unauthenticated, rate_limited (after retries), timeout.
  /// Retry: Each page retried like a GET.
  /// Cancel: read — terminal, partial, total at any time. Thread-safety: any thread.
  template <class Token = use_awaitable_t>
    requires detail::not_diagnostics<Token>
  auto async_export_all_json(export_json_request req, Token&& token = {}) {
    return detail::run<std::vector<boost::json::object>>(std::forward<Token>(token), nullptr, bind_start<std::vector<boost::json::object>>(&client::start_export_all_json, std::move(req)));
  }
  /// Same, with the server's diagnostics in `diag` (which must outlive the operation).
  template <class Token = use_awaitable_t>
  auto async_export_all_json(export_json_request req, diagnostics& diag, Token&& token = {}) {
    return detail::run<std::vector<boost::json::object>>(std::forward<Token>(token), &diag, bind_start<std::vector<boost::json::object>>(&client::start_export_all_json, std::move(req)));
  }

  // ---- waiting for workflows ----
  /// Polls GET /enrichment/status/{id} until a terminal status (completed, completed_with_errors,
  /// failed, cancelled, or one of client_params::extra_terminal_statuses; an unknown status
  /// is reported through on_progress, stats().unknown_statuses and the log, and polled on),
  /// with intervals from `poll` (short first, growing, capped) and `poll.deadline` as the overall
  /// deadline (error::timeout; the workflow keeps running server-side). Polls go through the
  /// client's rate limiter. `on_progress` (optional) is called on the client's strand whenever
  /// status or `processed` changes.
  /// Completes: void(error_code, workflow_status_response) — the terminal status response.
  /// Errors worth handling: timeout (poll.deadline; the workflow goes on server-side),
  /// callback_failed (on_progress threw), not_found, unauthenticated, shutdown.
  /// Retry: each poll is retried like a GET; a wait survives 5 consecutive failed polls.
  /// Cancel: read — terminal, partial, total at any time (the workflow keeps running
  /// server-side). Thread-safety: any thread; on_progress runs on the client's strand.
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
  /// Completes: void(error_code, std::vector<enrich_item_result>) — one per contact, in order.
  /// Errors worth handling: per item (enrich_item_result::ec): outcome_unknown, insufficient_credits,
  /// workflow_failed, workflow_cancelled, lead_not_enriched, timeout; the batch itself only
  /// fails with invalid_argument (options) or invalid_api_key.
  /// Retry: per request, by its own rules; never a contact POSTed twice.
  /// Cancel: batch (see the contract above): in-flight work stops; contacts not finished get
  /// operation_aborted, or outcome_unknown / their workflow id when they may have been charged.
  /// Deadlines: enrich_many_options::deadline for the batch, poll.deadline per workflow.
  /// Thread-safety: any thread; the options' callbacks run on the client's strand.
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
