// One line per operation: build the request (sans-io, requests.cpp) and run it.
#include "client/client_impl.hpp"

namespace cleanlist {

namespace {
const api::paths& paths_of(const client::impl& i) { return i.paths(); }
} // namespace

#define CLEANLIST_RUN(builder, ...) impl_->call(api::builder(paths_of(*impl_) __VA_OPT__(, ) __VA_ARGS__), d, std::move(h))

void client::start_whoami(const std::shared_ptr<impl>& impl_, diagnostics* d, H<whoami_response> h) { CLEANLIST_RUN(whoami); }
void client::start_credits_balance(const std::shared_ptr<impl>& impl_, diagnostics* d, H<credits_balance_response> h) { CLEANLIST_RUN(credits_balance); }
void client::start_estimate(const std::shared_ptr<impl>& impl_, estimate_request r, diagnostics* d, H<estimate_response> h) { CLEANLIST_RUN(estimate, r); }
void client::start_list_api_keys(const std::shared_ptr<impl>& impl_, diagnostics* d, H<api_keys_response> h) { CLEANLIST_RUN(list_api_keys); }
void client::start_usage(const std::shared_ptr<impl>& impl_, usage_request r, diagnostics* d, H<usage_response> h) { CLEANLIST_RUN(usage, r); }
void client::start_create_api_key(const std::shared_ptr<impl>& impl_, create_api_key_request r, diagnostics* d, H<create_api_key_response> h) { CLEANLIST_RUN(create_api_key, r); }
void client::start_list_account_api_keys(const std::shared_ptr<impl>& impl_, diagnostics* d, H<api_keys_response> h) { CLEANLIST_RUN(list_account_api_keys); }
void client::start_revoke_api_key(const std::shared_ptr<impl>& impl_, std::string id, diagnostics* d, H<revoke_api_key_response> h) { CLEANLIST_RUN(revoke_api_key, id); }
void client::start_create_list(const std::shared_ptr<impl>& impl_, create_list_request r, diagnostics* d, H<list_detail> h) { CLEANLIST_RUN(create_list, r); }
void client::start_list_lists(const std::shared_ptr<impl>& impl_, list_lists_request r, diagnostics* d, H<lists_page> h) { CLEANLIST_RUN(list_lists, r); }
void client::start_get_list(const std::shared_ptr<impl>& impl_, std::string id, diagnostics* d, H<list_detail> h) { CLEANLIST_RUN(get_list, id); }
void client::start_update_list(const std::shared_ptr<impl>& impl_, update_list_request r, diagnostics* d, H<list_detail> h) { CLEANLIST_RUN(update_list, r); }
void client::start_delete_list(const std::shared_ptr<impl>& impl_, std::string id, diagnostics* d, H<delete_list_response> h) { CLEANLIST_RUN(delete_list, id); }
void client::start_list_leads(const std::shared_ptr<impl>& impl_, list_leads_request r, diagnostics* d, H<leads_page> h) { CLEANLIST_RUN(list_leads, r); }
void client::start_add_leads(const std::shared_ptr<impl>& impl_, add_leads_request r, diagnostics* d, H<add_leads_response> h) {
  // Generated once here, so every retry of this call carries the same key.
  if (!r.idempotency_key) r.idempotency_key = api::new_idempotency_key();
  CLEANLIST_RUN(add_leads, r);
}
void client::start_remove_leads(const std::shared_ptr<impl>& impl_, remove_leads_request r, diagnostics* d, H<remove_leads_response> h) { CLEANLIST_RUN(remove_leads, r); }
void client::start_csv_import(const std::shared_ptr<impl>& impl_, csv_import_request r, diagnostics* d, H<csv_import_response> h) {
  if (!r.idempotency_key) r.idempotency_key = api::new_idempotency_key();
  CLEANLIST_RUN(csv_import, r);
}
void client::start_enrich_person(const std::shared_ptr<impl>& impl_, enrich_person_request r, diagnostics* d, H<enrich_person_response> h) { CLEANLIST_RUN(enrich_person, r); }
void client::start_enrich_company(const std::shared_ptr<impl>& impl_, enrich_company_request r, diagnostics* d, H<enrich_company_response> h) { CLEANLIST_RUN(enrich_company, r); }
void client::start_enrich_by_task(const std::shared_ptr<impl>& impl_, enrich_by_task_request r, diagnostics* d, H<enrich_by_task_response> h) { CLEANLIST_RUN(enrich_by_task, r); }
void client::start_enrich_list(const std::shared_ptr<impl>& impl_, enrich_list_request r, diagnostics* d, H<enrich_list_response> h) { CLEANLIST_RUN(enrich_list, r); }
void client::start_workflow_status(const std::shared_ptr<impl>& impl_, std::string id, diagnostics* d, H<workflow_status_response> h) { CLEANLIST_RUN(workflow_status, id); }
void client::start_run_smart_agent(const std::shared_ptr<impl>& impl_, run_smart_agent_request r, diagnostics* d, H<run_smart_agent_response> h) { CLEANLIST_RUN(run_smart_agent, r); }
void client::start_list_smart_agents(const std::shared_ptr<impl>& impl_, list_smart_agents_request r, diagnostics* d, H<list_smart_agents_response> h) { CLEANLIST_RUN(list_smart_agents, r); }
void client::start_get_smart_agent(const std::shared_ptr<impl>& impl_, std::string id, diagnostics* d, H<smart_agent_results_response> h) { CLEANLIST_RUN(get_smart_agent, id); }
void client::start_export_csv(const std::shared_ptr<impl>& impl_, export_csv_request r, diagnostics* d, H<export_csv_response> h) { CLEANLIST_RUN(export_csv, r); }
void client::start_export_json(const std::shared_ptr<impl>& impl_, export_json_request r, diagnostics* d, H<export_json_response> h) { CLEANLIST_RUN(export_json, r); }
void client::start_validate_key(const std::shared_ptr<impl>& impl_, diagnostics* d, H<validate_key_response> h) { CLEANLIST_RUN(validate_key); }
void client::start_legacy_enrich_bulk(const std::shared_ptr<impl>& impl_, legacy_bulk_request r, diagnostics* d, H<legacy_bulk_response> h) { CLEANLIST_RUN(legacy_enrich_bulk, r); }
void client::start_legacy_status(const std::shared_ptr<impl>& impl_, legacy_status_request r, diagnostics* d, H<legacy_status_response> h) { CLEANLIST_RUN(legacy_status, r); }
void client::start_webhook_deliveries(const std::shared_ptr<impl>& impl_, std::string id, diagnostics* d, H<webhook_deliveries_response> h) { CLEANLIST_RUN(webhook_deliveries, id); }

#undef CLEANLIST_RUN

// ---- pagination: walk pages until the cursor is null/empty ----

namespace {

bool has_next(const std::optional<std::string>& c) { return c && !c->empty(); }

// Generic page walker. Page = response type, Item = element type; `items` extracts the page's items,
// `next` sets the cursor on the request.
template <class Item, class Page, class Req, class Build, class Items>
asio::awaitable<void> walk_pages(std::shared_ptr<client::impl> self, Req req, Build build, Items items,
                                 completion_ptr<std::vector<Item>> done, std::shared_ptr<stop_link> stop) {
  std::vector<Item> all;
  diagnostics d;
  error_code ec;
  {
    call_scope scope(*self, std::move(stop));
    const api::paths& p = self->paths();
    // Bounded: a server that keeps returning the same cursor cannot loop us forever.
    for (int page = 0; page < 100000; ++page) {
      auto spec = build(p, req);
      if (!spec.invalid.empty()) {
        ec = error::invalid_argument;
        d.problem = spec.invalid;
        break;
      }
      // overall_timeout bounds each page, not the walk: at 30 requests/min a long walk would
      // otherwise always fail however healthy every page is.
      scope.cc.overall_deadline = transport::call_context::after(self->overall_timeout());
      auto r = co_await self->execute(spec, scope.cc, d);
      if ((ec = r.ec)) break;
      Page pg;
      if ((ec = convert(r.json, pg, d, self->secret()))) break;
      for (auto& it : items(pg)) all.push_back(std::move(it));
      if (!has_next(pg.cursor) || pg.cursor == req.cursor) break;
      req.cursor = pg.cursor;
    }
  }
  done->complete(ec, ec ? nullptr : std::make_unique<std::vector<Item>>(std::move(all)), std::move(d));
}

template <class Item, class Page, class Req, class Build, class Items>
void start_walk(client::impl& self, Req req, Build build, Items items, diagnostics* d,
                detail::handler<std::vector<Item>> h) {
  // Each page's request is validated as it is built (a bad cursor from the server included).
  self.launch<std::vector<Item>>({}, d, std::move(h),
                                 [req = std::move(req), build, items](std::shared_ptr<client::impl> s,
                                                                      completion_ptr<std::vector<Item>> done,
                                                                      std::shared_ptr<stop_link> stop) mutable {
                                   return walk_pages<Item, Page>(std::move(s), std::move(req), build, items,
                                                                 std::move(done), std::move(stop));
                                 });
}

} // namespace

void client::start_list_all_lists(const std::shared_ptr<impl>& impl_, list_lists_request r, diagnostics* d, H<std::vector<list_summary>> h) {
  start_walk<list_summary, lists_page>(*impl_, std::move(r), &api::list_lists, [](lists_page& p) -> auto& { return p.lists; }, d, std::move(h));
}
void client::start_list_all_leads(const std::shared_ptr<impl>& impl_, list_leads_request r, diagnostics* d, H<std::vector<lead_row>> h) {
  start_walk<lead_row, leads_page>(*impl_, std::move(r), &api::list_leads, [](leads_page& p) -> auto& { return p.leads; }, d, std::move(h));
}
void client::start_export_all_json(const std::shared_ptr<impl>& impl_, export_json_request r, diagnostics* d, H<std::vector<boost::json::object>> h) {
  start_walk<boost::json::object, export_json_response>(*impl_, std::move(r), &api::export_json,
                                                       [](export_json_response& p) -> auto& { return p.leads; }, d, std::move(h));
}

} // namespace cleanlist
