// Workflow end states and settlement: the ledger's charges and refunds when a workflow or agent run ends.
#include "testing/sim_handler_util.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace cleanlist::testing::detail {

const char* final_status(const workflow_rec& w) {
  if (w.kind == wf_kind::person) return w.failed_whole ? "failed" : "completed";
  if (!w.leads.empty() && w.errored == static_cast<std::int64_t>(w.leads.size())) return "failed";
  return w.errored > 0 ? "completed_with_errors" : "completed";
}

void plan_cancel(workflow_rec& w, std::uint64_t seed, double p_cancel, std::chrono::milliseconds pending,
                 std::chrono::milliseconds running) {
  const auto total = static_cast<std::int64_t>(w.leads.size());
  std::int64_t k = -1;
  for (std::int64_t i = 0; i < total; ++i)
    if (w.leads[static_cast<std::size_t>(i)].out.cancels) { k = i; break; }
  if (k < 0 && p_cancel > 0) {
    std::uint64_t h = hash_str(seed ^ 0xca9ce1ULL, w.id);
    double r = static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
    if (r >= p_cancel) return;
    k = total > 0 ? static_cast<std::int64_t>(splitmix64(h) % static_cast<std::uint64_t>(total)) : 0;
  }
  if (k < 0) return;
  if (w.kind == wf_kind::person) k = 0; // cancelled at the end of its pending phase
  const auto all = std::chrono::duration_cast<std::chrono::microseconds>(running).count();
  const auto at_us = total > 0 ? (all * k + total - 1) / total : 0; // processed(t) < k before it
  w.cancel_processed = k;
  w.cancel_at = w.start + pending + std::chrono::microseconds(at_us);
}

sim_clock::time_point sim_state::end_of(const workflow_rec& w) const {
  auto end = w.start + params_.pending_for + params_.running_for;
  return w.cancel_at && *w.cancel_at < end ? *w.cancel_at : end;
}

bool sim_state::cancel_workflow(std::string_view workflow_id) {
  std::lock_guard lk(mtx_);
  auto it = workflows_.find(workflow_id);
  if (it == workflows_.end()) return false;
  auto& w = it->second;
  auto now = sim_clock::now();
  if (w.settled || now >= end_of(w)) {
    settle_if_due(w, now);
    return false;
  }
  auto v = view_of(w, now, params_.pending_for, params_.running_for);
  w.cancel_processed = v.processed;
  w.cancel_at = now;
  settle_if_due(w, now);
  return true;
}

void sim_state::settle_if_due(workflow_rec& w, sim_clock::time_point now) {
  if (w.settled) return;
  if (now < end_of(w)) return;
  const bool cancelled = w.cancel_at && *w.cancel_at <= now;
  const std::size_t n = cancelled ? static_cast<std::size_t>(std::min<std::int64_t>(w.cancel_processed, static_cast<std::int64_t>(w.leads.size())))
                                  : w.leads.size();
  std::int64_t charged = 0;
  if (!w.failed_whole)
    for (std::size_t i = 0; i < n; ++i) charged += lead_charge(w.type, w.leads[i].out);
  if (charged > w.reserved) charged = w.reserved; // capped at the reservation (= quote cap)
  w.charged = charged;
  w.refunded = w.reserved - charged;
  org_rec& o = orgs_[static_cast<std::size_t>(w.org)];
  ledger(o, "refund", w.refunded, w.id);
  w.settled = true;
  w.completed_at = iso_utc(std::chrono::system_clock::now());
  // materialise results
  auto lit = lists_.find(w.list_id);
  list_rec* list = (lit != lists_.end() && !lit->second.deleted) ? &lit->second : nullptr;
  if (w.failed_whole) return;
  for (std::size_t i = 0; i < n; ++i) {
    auto& wl = w.leads[i];
    if (!lead_ok(w.type, wl.out)) continue;
    bool want_email = w.type != "phone_only" && w.type != "phone-only" && w.type != "none";
    bool want_phone = w.type == "phone_only" || w.type == "phone-only" || w.type == "full";
    lead_rec* target = nullptr;
    if (!wl.lead_id.empty()) {
      auto it = leads_.find(wl.lead_id);
      if (it != leads_.end()) target = &it->second;
    }
    if (!target) {
      lead_rec l = wl.input;
      l.id = new_uuid();
      l.org = w.org;
      wl.lead_id = l.id;
      target = &leads_.emplace(l.id, std::move(l)).first->second;
      if (list && !list->lead_set.count(target->id)) {
        list->leads.push_back(target->id);
        list->lead_set.insert(target->id);
        ++list->version;
      }
    }
    if (want_email && wl.out.email_found) {
      target->email = found_email(wl.input);
      target->email_status = "valid";
    }
    if (want_phone && wl.out.phone_found) target->phone = found_phone(params_.seed, wl.identity);
    target->provider = "cleanlist-sim";
    if (w.kind == wf_kind::person) w.result_lead_id = target->id;
    if (list) ++list->enriched_count;
  }
}

void sim_state::settle_agent_if_due(agent_run_rec& r, sim_clock::time_point now) {
  if (r.settled || now - r.start < params_.pending_for + params_.running_for) return;
  std::int64_t ok = 0;
  for (bool f : r.fails) ok += f ? 0 : 1;
  r.charged = std::min(r.reserved, ok * agent_unit(r.agent_type));
  ledger(orgs_[static_cast<std::size_t>(r.org)], "refund", r.reserved - r.charged, r.id);
  r.settled = true;
}

} // namespace cleanlist::testing::detail
