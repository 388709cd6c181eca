// async_enrich_many: any number of contacts, bounded concurrency, results in input order.
// Two paths: person by person (POST + wait per contact, `max_concurrency` in flight) or bulk
// (one list, CSV import in chunks of ≤150 KB, one quote, one bulk run, one workflow, read back by one
// CSV export, or list_leads pages when the export is unavailable).
#include "client/client_impl.hpp"
#include "client/download.hpp"
#include "protocol/csv_rows.hpp"

#include <cleanlist/models/validation.hpp>

#include <unordered_map>

namespace cleanlist {

namespace {

// A named empty callback: g++ 12 double-destroys braced temporaries inside co_await expressions.
const progress_function no_progress;

struct batch_state {
  std::vector<enrich_person_request> contacts;
  enrich_many_options opts;
  std::vector<enrich_item_result> results;
  std::vector<std::size_t> person_idx;  // contacts going person by person
  std::size_t next = 0;                 // next index into person_idx
  std::size_t done = 0;
  std::size_t workers = 0;
  std::vector<std::shared_ptr<transport::call_context>> worker_ccs;

  std::string callback_error;  // the first exception a caller's callback threw (the batch goes on)
  std::string bulk_note;       // how the bulk path went where it matters to the caller (fallbacks)

  // Calls a callback of the caller: an exception is recorded, never lets the batch die silently
  // (its items would never end) nor stops a paid run from being waited for.
  template <class F>
  void guarded(const char* what, F&& f) {
    auto thrown = thrown_by(what, std::forward<F>(f));
    if (callback_error.empty()) callback_error = std::move(thrown);
  }

  /// Runs a callback of the caller; what it threw, or empty.
  template <class F>
  static std::string thrown_by(const char* what, F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      return std::string(what) + " threw: " + e.what();
    } catch (...) {
      return std::string(what) + " threw a non-standard exception";
    }
    return {};
  }

  void finished(std::size_t i) {
    (void)i;
    ++done;
    if (opts.on_progress) guarded("on_progress", [&] { opts.on_progress(done, contacts.size()); });
  }
};

bool is_set(const enrich_item_result& r) { return r.ec || !r.status.empty(); }

void fail_item(batch_state& st, std::size_t i, error_code ec, std::string problem) {
  auto& r = st.results[i];
  r.ec = ec;
  r.problem = std::move(problem);
  st.finished(i);
}

// What was found for a contact: a single-person result or an enriched lead row share these fields.
template <class Row>
void fill_from(enrich_item_result& r, const Row& row) {
  r.lead_id = row.lead_id;
  r.email = row.email;
  r.phone = row.phone;
  r.linkedin_url = row.linkedin_url;
  r.full_name = row.full_name;
  r.first_name = row.first_name;
  r.last_name = row.last_name;
  r.title = row.title;
  r.company = row.company;
  if constexpr (requires { row.email_status; }) r.email_status = row.email_status;
}

// ---- person by person ----

// A workflow's terminal status as the item's outcome: failed and cancelled workflows are
// errors (their status and credits are kept in the item).
void set_outcome(batch_state& st, std::size_t i, const std::string& status) {
  auto& r = st.results[i];
  r.status = status;
  if (status == "failed") {
    r.ec = error::workflow_failed;
    r.problem = "the workflow ended failed";
  } else if (status == "cancelled") {
    r.ec = error::workflow_cancelled;
    r.problem = "the workflow was cancelled";
  }
  st.finished(i);
}

asio::awaitable<void> person_worker(std::shared_ptr<client::impl> self, std::shared_ptr<batch_state> st,
                                    std::shared_ptr<transport::call_context> cc, std::shared_ptr<asio::steady_timer> all_done) {
  const api::paths& p = self->paths();
  while (!cc->stopped() && st->next < st->person_idx.size()) {
    const std::size_t i = st->person_idx[st->next++];
    enrich_person_request req = st->contacts[i];
    if (!req.enrichment_type && !req.include_phone) req.enrichment_type = st->opts.type;
    if (!req.lead_list_id && st->opts.lead_list_id) req.lead_list_id = st->opts.lead_list_id;
    diagnostics d;
    auto r = co_await self->execute(api::enrich_person(p, req), *cc, d);
    enrich_person_response started;
    error_code ec = r.ec ? r.ec : convert(r.json, started, d, self->secret());
    if (ec) {
      // outcome_unknown also when the batch was stopped: the contact may have been charged.
      if (!cc->stopped() || ec == error::outcome_unknown) fail_item(*st, i, ec, d.problem.empty() ? ec.message() : d.problem);
      continue;
    }
    auto& res = st->results[i];
    res.workflow_id = started.workflow_id;  // dispatched (and reserved): an error from here on keeps it
    res.credits_reserved = started.credits_reserved;
    if (cc->stopped()) break;  // stopped between the POST and the wait: the item keeps its workflow id
    auto [wec, ws] = co_await self->async_wait(started.workflow_id, st->opts.poll, no_progress, &d, cc->token());
    if ((ec = wec)) {
      if (!cc->stopped()) fail_item(*st, i, ec, d.problem.empty() ? ec.message() : d.problem);
      continue;
    }
    res.credits_charged = ws.credits_charged;
    res.credits_refunded = ws.credits_refunded;
    if (ws.result) fill_from(res, *ws.result);
    set_outcome(*st, i, ws.status);
  }
  if (--st->workers == 0) all_done->cancel();
}

// ---- bulk ----

struct bulk_failure {
  error_code ec;
  std::string problem;
};

template <class T>
asio::awaitable<bulk_failure> call_into(client::impl& self, api::request_spec spec, transport::call_context& cc, T& out) {
  diagnostics d;
  if (!spec.invalid.empty()) co_return bulk_failure{error::invalid_argument, spec.invalid};
  auto r = co_await self.execute(spec, cc, d);
  error_code ec = r.ec ? r.ec : convert(r.json, out, d, self.secret());
  co_return bulk_failure{ec, ec ? (d.problem.empty() ? ec.message() : d.problem) : std::string{}};
}

std::string_view bulk_scope_of(enrichment_type t) { return to_string(t == enrichment_type::phone_only ? bulk_scope::phone_only : t == enrichment_type::full ? bulk_scope::full : bulk_scope::partial); }

asio::awaitable<bulk_failure> finish_bulk(std::shared_ptr<client::impl> self, std::shared_ptr<batch_state> st,
                                          const std::vector<std::size_t>& idx, transport::call_context& cc,
                                          std::string list_id, std::string workflow_id);

asio::awaitable<bulk_failure> run_bulk(std::shared_ptr<client::impl> self, std::shared_ptr<batch_state> st,
                                       const std::vector<std::size_t>& idx, transport::call_context& cc) {
  const api::paths& p = self->paths();
  list_detail list;
  enrich_list_response run;
  if (st->opts.resume_bulk) {  // dispatched (and paid for) by an earlier batch: only wait and read back
    list.list_id = st->opts.resume_bulk->list_id;
    run.workflow_id = st->opts.resume_bulk->workflow_id;
    co_return co_await finish_bulk(self, st, idx, cc, list.list_id, run.workflow_id);
  }
  create_list_request cr;
  cr.name = st->opts.list_name.empty() ? "cleanlist-cpp batch " + api::new_idempotency_key() : st->opts.list_name;
  if (auto f = co_await call_into(*self, api::create_list(p, cr), cc, list); f.ec) co_return f;
  if (list.reused && list.lead_count > 0)
    // A bulk run enriches the whole list: its earlier leads would be quoted and paid again.
    co_return bulk_failure{error::conflict, "enrich_many_options.list_name names an existing list with " +
                                                std::to_string(list.lead_count) +
                                                " leads: a bulk run would enrich (and charge) all of them again; use "
                                                "a new name, or resume_bulk to finish an earlier run"};

  std::vector<const enrich_person_request*> rows;
  rows.reserve(idx.size());
  for (auto i : idx) rows.push_back(&st->contacts[i]);
  // Chunks cut by bytes only (the documented cap); a row cap the server reveals through
  // `row_cap_exceeded` is adopted and the skipped rows are sent again (csv_import_plan).
  api::csv_import_plan plan(api::distinct_rows(rows), api::max_csv_bytes);
  while (!plan.done()) {
    csv_import_request imp;
    imp.list_id = list.list_id;
    imp.csv_content = plan.next_chunk();
    imp.column_mapping = api::csv_column_mapping();
    imp.dispatch_enrichment = false;
    imp.idempotency_key = api::new_idempotency_key();  // once per chunk, reused by retries
    csv_import_response ir;
    if (auto f = co_await call_into(*self, api::csv_import(p, imp), cc, ir); f.ec) co_return f;
    const auto cap = ir.skip_reasons.find("row_cap_exceeded");
    if (auto bad = plan.on_response(ir.rows_imported, cap == ir.skip_reasons.end() ? 0 : cap->second); !bad.empty())
      co_return bulk_failure{error::bad_response, bad};
  }
  if (plan.resent_rows() > 0)
    self->log(log_level::info, "enrich_many: the CSV import skipped rows beyond " + std::to_string(plan.row_cap()) +
                                   " per upload (row_cap_exceeded); " + std::to_string(plan.resent_rows()) +
                                   " rows were sent again, later chunks kept within that cap");

  for (int quote_attempt = 0;; ++quote_attempt) {
    estimate_request est;
    est.tool = "enrich_list";
    est.list_id = list.list_id;
    est.scope = std::string(bulk_scope_of(st->opts.type));
    estimate_response quote;
    if (auto f = co_await call_into(*self, api::estimate(p, est), cc, quote); f.ec) co_return f;
    enrich_list_request er{list.list_id, parse_bulk_scope(bulk_scope_of(st->opts.type)), quote.quote_id};
    if (st->opts.on_bulk_dispatching) {
      // The caller records "about to pay" before the POST; a caller that could not (it threw)
      // is not paid for.
      const auto thrown =
          batch_state::thrown_by("on_bulk_dispatching", [&] { st->opts.on_bulk_dispatching(list.list_id); });
      if (!thrown.empty())
        co_return bulk_failure{error::callback_failed, thrown + "; the run was not dispatched (nothing paid)"};
      if (cc.stopped()) co_return bulk_failure{stop_error_of(cc), "stopped before the run was dispatched"};
    }
    auto f = co_await call_into(*self, api::enrich_list(p, er), cc, run);
    if (!f.ec) break;
    if (f.ec == error::outcome_unknown) {
      // The run may be (or, with "processed", is) dispatched and paid for, and the API gives
      // no way to find its workflow id: stop here, never quote and pay again.
      f.problem += " [list " + list.list_id + ": its leads show the run's results once it ends]";
      co_return f;
    }
    // A quote that expired before use (or a list that changed) is renewed once.
    if ((f.ec == error::quote_expired || f.ec == error::quote_mismatch) && quote_attempt == 0) continue;
    co_return f;
  }
  if (st->opts.on_bulk_started) {
    bulk_run started;
    started.list_id = list.list_id;
    started.workflow_id = run.workflow_id;
    st->guarded("on_bulk_started", [&] { st->opts.on_bulk_started(started); });
  }
  co_return co_await finish_bulk(self, st, idx, cc, list.list_id, run.workflow_id);
}

/// Reads a list back through POST /export/csv/signed-url and a download of the file. False
/// (and why, for the caller's note) when any step fails: the caller then pages list_leads.
asio::awaitable<bool> read_back_by_export(client::impl& self, const std::string& list_id, std::size_t expected,
                                          transport::call_context& cc, std::vector<lead_row>& leads, std::string& why) {
  export_csv_request er;
  er.list_id = list_id;
  er.columns = api::export_columns();  // the default set lacks `provider`
  er.include_smart_agents = false;
  export_csv_response ex;
  if (auto f = co_await call_into(self, api::export_csv(self.paths(), er), cc, ex); f.ec) {
    why = "POST /export/csv/signed-url: " + f.problem;
    co_return false;
  }
  // The file of `expected` leads cannot honestly be larger than this; what the server
  // announces (plus slack for line ends) is the download's limit.
  const std::uint64_t cap = 1024 * 1024 + 4096 * static_cast<std::uint64_t>(expected);
  if (ex.file_size_bytes < 0 || static_cast<std::uint64_t>(ex.file_size_bytes) > cap) {
    why = "the export announces " + std::to_string(ex.file_size_bytes) + " bytes, more than " + std::to_string(cap) +
          " for " + std::to_string(expected) + " leads";
    co_return false;
  }
  const std::uint64_t limit = std::min<std::uint64_t>(cap, static_cast<std::uint64_t>(ex.file_size_bytes) + 64 * 1024);
  auto dl = co_await download_file(self, ex.download_url, limit, self.request_timeout(), cc);
  if (dl.ec) {
    why = dl.problem.empty() ? dl.ec.message() : dl.problem;
    co_return false;
  }
  if (!api::parse_export_csv(dl.body, leads, why)) co_return false;
  if (static_cast<std::int64_t>(leads.size()) != ex.row_count) {
    why = "the downloaded file has " + std::to_string(leads.size()) + " rows, the export announced " +
          std::to_string(ex.row_count);
    co_return false;
  }
  co_return true;
}

/// Waits for a dispatched bulk run and fills the batch's results from its list.
asio::awaitable<bulk_failure> finish_bulk(std::shared_ptr<client::impl> self, std::shared_ptr<batch_state> st,
                                          const std::vector<std::size_t>& idx, transport::call_context& cc,
                                          std::string list_id, std::string workflow_id) {
  const api::paths& p = self->paths();
  // Dispatched and paid for: whatever happens next, each item names the run it belongs to.
  for (auto i : idx) st->results[i].workflow_id = workflow_id;
  diagnostics d;
  if (cc.stopped()) co_return bulk_failure{stop_error_of(cc), "stopped after the run was dispatched"};
  auto [wec, ws] = co_await self->async_wait(workflow_id, st->opts.poll, no_progress, &d, cc.token());
  if (wec) co_return bulk_failure{wec, d.problem.empty() ? wec.message() : d.problem};

  std::vector<lead_row> leads;
  // One export (a signed URL, then a plain download) instead of a list_leads page per 500
  // leads; list_leads when the export is unavailable (scope, plan, download host).
  std::string why_not;
  if (!co_await read_back_by_export(*self, list_id, idx.size(), cc, leads, why_not)) {
    if (cc.stopped()) co_return bulk_failure{stop_error_of(cc), "stopped while reading the run's results back"};
    st->bulk_note = "results read back by list_leads pages (the CSV export was unavailable: " + why_not +
                    "); no result is lost";
    self->log(log_level::info, "enrich_many: " + st->bulk_note);
    leads.clear();
    list_leads_request lr{list_id, 500, {}};
    for (int page = 0; page < 100000; ++page) {
      leads_page pg;
      if (auto f = co_await call_into(*self, api::list_leads(p, lr), cc, pg); f.ec) co_return f;
      for (auto& l : pg.leads) leads.push_back(std::move(l));
      if (!pg.cursor || pg.cursor->empty() || pg.cursor == lr.cursor) break;
      lr.cursor = pg.cursor;
    }
  }

  api::lead_matcher matcher(leads);
  for (auto i : idx) {
    auto& res = st->results[i];
    res.workflow_id = workflow_id;
    const lead_row* l = matcher.find(st->contacts[i]);
    if (!l) {
      fail_item(*st, i, error::api_error, "contact not found in the enriched list (skipped by the CSV import?)");
      continue;
    }
    fill_from(res, *l);
    // A lead the run enriched carries its provider. In a completed run the others simply had
    // nothing found; in a run that ended with errors or was cancelled they may have failed
    // or not been reached: the API does not say which, and they were not charged.
    const bool enriched = l->provider.has_value() && !l->provider->empty();
    if (ws.status == "failed" || (!enriched && ws.status == "cancelled")) {
      set_outcome(*st, i, ws.status);
    } else if (!enriched && ws.status == "completed_with_errors") {
      res.status = ws.status;
      fail_item(*st, i, error::lead_not_enriched,
                "the run completed with errors and this lead was not enriched (failed or nothing found); not charged");
    } else {
      res.status = enriched ? "completed" : ws.status;
      st->finished(i);
    }
  }
  co_return bulk_failure{};
}

asio::awaitable<void> enrich_many_run(std::shared_ptr<client::impl> self, std::shared_ptr<batch_state> st,
                                      completion_ptr<std::vector<enrich_item_result>> done, std::shared_ptr<stop_link> stop) {
  diagnostics d;
  {
    call_scope scope(*self, std::move(stop), st->opts.deadline);
    auto& cc = scope.cc;
    // Once a contact may have been charged, `total` (nothing happened) is no longer honest;
    // `partial` stays: every contact then ends with its own, well-defined outcome.
    cc.after_write = asio::cancellation_type::terminal | asio::cancellation_type::partial;

    std::vector<std::size_t> bulk_idx;
    std::size_t valid = 0;
    for (std::size_t i = 0; i < st->contacts.size(); ++i)
      if (validate(st->contacts[i]).empty()) ++valid;
    const bool use_bulk = st->opts.path == enrich_path::bulk ||
                          (st->opts.path == enrich_path::automatic && valid >= st->opts.bulk_threshold);
    for (std::size_t i = 0; i < st->contacts.size(); ++i) {
      if (auto bad = validate(st->contacts[i]); !bad.empty()) {
        fail_item(*st, i, error::invalid_argument, bad);
        continue;
      }
      // Contacts identified only by person_id cannot go through a CSV import.
      if (use_bulk && api::csv_eligible(st->contacts[i])) bulk_idx.push_back(i);
      else st->person_idx.push_back(i);
    }

    if (!bulk_idx.empty()) {
      auto f = co_await run_bulk(self, st, bulk_idx, cc);
      if (f.ec)
        for (auto i : bulk_idx)
          if (!is_set(st->results[i]))
            fail_item(*st, i, cc.stopped() && f.ec != error::outcome_unknown ? scope.stop_error() : f.ec, f.problem);
    }

    const api::paths& p = self->paths();
    if (!st->person_idx.empty() && !cc.stopped() && p.v2() && !st->opts.lead_list_id) {
      // The v2 schema requires a target list: the v1 default ("MCP Results"), created or
      // reused by name once for the batch.
      create_list_request cr;
      cr.name = "MCP Results";
      list_detail l;
      if (auto f = co_await call_into(*self, api::create_list(p, cr), cc, l); f.ec) {
        for (auto i : st->person_idx) fail_item(*st, i, cc.stopped() ? scope.stop_error() : f.ec, f.problem);
        st->person_idx.clear();
      } else {
        st->opts.lead_list_id = l.list_id;
      }
    }
    if (!st->person_idx.empty() && !cc.stopped()) {
      auto all_done = std::make_shared<asio::steady_timer>(self->strand(), asio::steady_timer::time_point::max());
      const auto n = std::min(std::max<std::size_t>(st->opts.max_concurrency, 1), st->person_idx.size());
      st->workers = n;
      for (std::size_t k = 0; k < n; ++k) {
        auto wcc = std::make_shared<transport::call_context>();
        wcc->owner = &cc;  // a worker's POST narrows the batch's cancellation types
        st->worker_ccs.push_back(wcc);
        asio::co_spawn(self->strand(), person_worker(self, st, wcc, all_done), asio::detached);
      }
      co_await all_done->async_wait(cc.token());
      if (st->workers > 0) {  // the batch was cancelled or timed out: stop the workers, then join them
        for (auto& w : st->worker_ccs) {
          w->timed_out = cc.timed_out;
          w->cancelled = !cc.timed_out;
          w->stop();
        }
        while (st->workers > 0) co_await all_done->async_wait(asio::as_tuple(asio::use_awaitable));
      }
    }
    const auto stop = scope.stop_error();
    for (std::size_t i = 0; i < st->results.size(); ++i)
      if (!is_set(st->results[i])) fail_item(*st, i, stop, cc.timed_out ? "batch deadline expired" : "batch cancelled");
  }
  if (!st->callback_error.empty()) self->log(log_level::warning, "enrich_many: " + st->callback_error);
  {
    // The batch itself succeeded; its diagnostics summarise the items.
    std::size_t failed = 0, unknown = 0;
    for (const auto& r : st->results) {
      failed += r.ec ? 1 : 0;
      unknown += r.ec == error::outcome_unknown ? 1 : 0;
    }
    d.problem = std::to_string(st->results.size() - failed) + " of " + std::to_string(st->results.size()) +
                " contacts enriched, " + std::to_string(failed) + " with an error (" + std::to_string(unknown) +
                " outcome_unknown)";
    if (!st->bulk_note.empty()) d.problem += "; " + st->bulk_note;
    if (!st->callback_error.empty()) d.problem += "; " + st->callback_error;
  }
  done->complete({}, std::make_unique<std::vector<enrich_item_result>>(std::move(st->results)), std::move(d));
}

} // namespace

namespace {

std::string check_options(const enrich_many_options& opts) {
  if (auto bad = validate(opts.poll); !bad.empty()) return "enrich_many_options." + bad;
  if (opts.deadline <= std::chrono::milliseconds::zero()) return "enrich_many_options.deadline must be positive";
  if (opts.resume_bulk) {
    if (opts.path != enrich_path::bulk) return "enrich_many_options.resume_bulk requires path == enrich_path::bulk";
    auto bad = validate_path_id(opts.resume_bulk->list_id);
    if (bad.empty()) bad = validate_path_id(opts.resume_bulk->workflow_id);
    if (!bad.empty()) return "enrich_many_options.resume_bulk: " + bad;
  }
  return {};
}

} // namespace

void client::start_enrich_many(const std::shared_ptr<impl>& impl_, std::vector<enrich_person_request> contacts, enrich_many_options opts,
                               diagnostics* d, H<std::vector<enrich_item_result>> h) {
  auto bad = check_options(opts);
  auto st = std::make_shared<batch_state>();
  st->results.resize(contacts.size());
  st->contacts = std::move(contacts);
  st->opts = std::move(opts);
  impl_->launch<std::vector<enrich_item_result>>(
      std::move(bad), d, std::move(h),
      [st = std::move(st)](std::shared_ptr<impl> self, completion_ptr<std::vector<enrich_item_result>> done,
                           std::shared_ptr<stop_link> stop) mutable {
        return enrich_many_run(std::move(self), std::move(st), std::move(done), std::move(stop));
      });
}

} // namespace cleanlist
