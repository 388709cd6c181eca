// whoami, balance, estimate.
#include "commands.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <memory>

namespace json = boost::json;
namespace cl = cleanlist;

namespace cleanlist_cli {

namespace {

boost::asio::awaitable<int> whoami(session* s) {
  auto r = co_await s->client().async_whoami();
  s->out().record(r.raw, {"user_email", "user_name", "organization_id", "organization_name", "auth_type", "tier", "scopes",
                          "features"});
  co_return exit_ok;
}

boost::asio::awaitable<int> balance(session* s) {
  auto r = co_await s->client().async_credits_balance();
  s->out().record(r.raw, {"organization_id", "credits"});
  co_return exit_ok;
}

struct estimate_opts {
  std::string tool, list_id, scope, agent_type, provider, sub_action, enrichment_type, task_id, filters;
  std::int64_t row_count = -1;
  bool include_phone = false;
  std::vector<std::string> data_points, entity_ids;
};

cl::estimate_request estimate_of(const estimate_opts& o) {
  cl::estimate_request r;
  r.tool = o.tool;
  set_if_given(r.list_id, o.list_id);
  set_if_given(r.scope, o.scope);
  set_if_given(r.agent_type, o.agent_type);
  set_if_given(r.provider, o.provider);
  set_if_given(r.sub_action, o.sub_action);
  set_if_given(r.enrichment_type, o.enrichment_type);
  set_if_given(r.task_id, o.task_id);
  if (o.row_count >= 0) r.row_count = o.row_count;
  if (o.include_phone) r.include_phone = true;
  if (!o.data_points.empty()) r.data_points = o.data_points;
  if (!o.entity_ids.empty()) r.entity_ids = o.entity_ids;
  if (!o.filters.empty()) {
    boost::system::error_code ec;
    auto v = json::parse(o.filters, ec);
    if (ec || !v.is_object()) throw usage_error("--filters must be a JSON object");
    r.filters = v.as_object();
  }
  return r;
}

boost::asio::awaitable<int> estimate(session* s, cl::estimate_request req) {
  auto r = co_await s->client().async_estimate(req);
  s->out().record(r.raw, {"tool", "row_count", "estimated_cost", "available_credits", "sufficient", "quote_id", "expires_at"});
  co_return exit_ok;
}

} // namespace

void add_account_commands(CLI::App& app, action_fn& action) {
  auto* who = app.add_subcommand("whoami", "Show the identity, organisation, scopes, tier and features of the API key");
  who->callback([&action] {
    action = [](const global_options& g) { return run_in_session(g, [](session& s) { return whoami(&s); }); };
  });

  auto* bal = app.add_subcommand("balance", "Show the organisation's credit balance");
  bal->callback([&action] {
    action = [](const global_options& g) { return run_in_session(g, [](session& s) { return balance(&s); }); };
  });

  auto o = std::make_shared<estimate_opts>();
  auto* est = app.add_subcommand("estimate", "Get a signed, single-use quote for an operation (free; valid about 5 min)");
  est->add_option("--tool", o->tool, "Operation to price: enrich_list, bulk_import_csv, enrich_person, ...")->required();
  est->add_option("--list", o->list_id, "Lead list id (enrich_list)");
  est->add_option("--rows", o->row_count, "Number of rows (bulk_import_csv)")->check(CLI::NonNegativeNumber);
  est->add_option("--scope", o->scope, "enrich_list scope")->check(CLI::IsMember({"partial", "full", "phone-only"}));
  est->add_option("--type", o->enrichment_type, "bulk_import_csv enrichment type")
      ->check(CLI::IsMember({"partial", "phone_only", "full"}));
  est->add_flag("--include-phone", o->include_phone, "Price phone numbers too");
  est->add_option("--provider", o->provider, "Provider");
  est->add_option("--sub-action", o->sub_action, "Sub-action");
  est->add_option("--agent-type", o->agent_type, "Smart agent type");
  est->add_option("--task-id", o->task_id, "Cohort handle (cl-task_...)");
  est->add_option("--data-point", o->data_points, "Data point (repeatable)");
  est->add_option("--entity-id", o->entity_ids, "Entity id (repeatable)");
  est->add_option("--filters", o->filters, "Filters as a JSON object");
  est->callback([&action, o] {
    auto req = estimate_of(*o);  // a bad --filters is a usage error (exit 2), before any request
    action = [req](const global_options& g) {
      return run_in_session(g, [req](session& s) { return estimate(&s, req); });
    };
  });
}

} // namespace cleanlist_cli
