#pragma once
// Types of client::async_enrich_many: enrich any number of people, results in input order.
#include <cleanlist/error.hpp>
#include <cleanlist/models/common.hpp>
#include <cleanlist/models/enrichment.hpp>
#include <cleanlist/poll.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace cleanlist {

/// How async_enrich_many reaches the API.
enum class enrich_path {
  automatic,         ///< person by person below bulk_threshold contacts, bulk above
  person_by_person,  ///< POST /enrichment/person + polling, per contact (fast for a few)
  bulk,              ///< one lead list: CSV import (≤150 KB chunks), estimate, one bulk run, read back (one CSV export + a download without credential; list_leads pages when the export is unavailable)
};

/// A bulk run that was dispatched (and paid for): enough to wait for it and read its results
/// back later, e.g. after the process was interrupted (enrich_many_options::resume_bulk).
struct bulk_run {
  std::string list_id;
  std::string workflow_id;
};

struct enrich_many_options {
  enrich_path path = enrich_path::automatic;
  /// automatic: at least this many contacts go through the bulk path. A bulk run costs a
  /// handful of requests in all, the person path at least two per contact.
  std::size_t bulk_threshold = 5;
  /// person path: contacts in flight at once (each is one workflow being waited for).
  std::size_t max_concurrency = 256;
  enrichment_type type = enrichment_type::partial;
  /// person path: target list. Default: the API's per-user "MCP Results" list on
  /// /api/v1/public; on /api/v2, whose schema requires a list, a list named "MCP Results"
  /// created (or reused by name) once per batch.
  std::optional<std::string> lead_list_id;
  /// bulk path: name of the list created (reused by name when it exists). Default: a fresh name.
  std::string list_name;
  /// Each workflow's wait: intervals, and poll.deadline for one workflow (its contact then
  /// ends with error::timeout; the others go on).
  poll_params poll;
  /// The whole batch: when it expires, contacts not finished end with error::timeout (those
  /// whose POST may have been processed with error::outcome_unknown, or their workflow id).
  /// Default: no bound beyond each contact's own (poll.deadline per workflow, the client's
  /// connect/request timeouts per attempt); a batch of thousands at 30 requests/min takes hours.
  std::chrono::milliseconds deadline = std::chrono::milliseconds::max();
  /// Called on the client's strand after each contact ends (done, total).
  std::function<void(std::size_t, std::size_t)> on_progress;
  /// bulk path: called on the client's strand right before the paid POST /enrichment/bulk is
  /// sent (the list is imported and quoted), with the list's id. Persist it synchronously: a
  /// crash before this call proves the run was never dispatched (the contacts can be sent
  /// again); after it and before on_bulk_started, the run may or may not exist. If it throws,
  /// the run is not dispatched: the batch's items end with error::callback_failed, unpaid.
  std::function<void(const std::string& list_id)> on_bulk_dispatching;
  /// bulk path: called on the client's strand as soon as the run is dispatched (credits are
  /// then reserved). Persist it to finish an interrupted batch without paying twice.
  std::function<void(const bulk_run&)> on_bulk_started;
  /// bulk path: wait for this run and read its list back instead of creating a list and
  /// paying for a new run. Give the same contacts as the batch that started it (each is
  /// matched to its lead in the list). Requires path == enrich_path::bulk.
  std::optional<bulk_run> resume_bulk;
};

/// The outcome of one contact. Either `ec` is set (with `problem`), or `status` is the
/// workflow's terminal status and the fields hold what was found (absent = not found).
struct enrich_item_result {
  error_code ec;
  std::string problem;
  std::string status;       ///< "completed", "failed", "cancelled" (person path) / "completed" (bulk)
  std::string workflow_id;
  std::string lead_id;
  std::optional<std::string> email, email_status, phone, linkedin_url, full_name, first_name, last_name, title,
      company;
  /// Person path: credits of this contact's workflow (bulk path: absent, the run is billed as a whole).
  std::optional<std::int64_t> credits_reserved, credits_charged, credits_refunded;
  bool ok() const noexcept { return !ec; }
};

} // namespace cleanlist
