// enrich person|company, status ID [--wait], bulk LIST_ID.
#include "commands.hpp"

#include <cleanlist/models/validation.hpp>
#include "progress.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <iostream>
#include <memory>

namespace json = boost::json;
namespace cl = cleanlist;
using namespace std::chrono_literals;

namespace cleanlist_cli {

namespace {

// ---------------------------------------------------------------- waiting with progress

struct wait_display {
  progress* bar;
  void operator()(const cl::workflow_status_response& st) const {
    if (st.total) bar->set_total(static_cast<std::size_t>(*st.total));
    bar->update(static_cast<std::size_t>(st.processed.value_or(0)), st.status, true);
  }
};

/// Polls a workflow to its end with live progress; prints it; exit_workflow when it failed.
boost::asio::awaitable<int> wait_and_print(session* s, std::string workflow_id) {
  progress bar("workflow " + workflow_id, s->out().quiet(), [s] { return s->budget_left(); });
  tick_guard guard{s};
  s->on_tick = [&bar] { bar.tick(); };
  s->on_interrupt = [workflow_id] {
    std::cerr << "cleanlist: the workflow goes on server-side; follow it again with:\n  cleanlist status " << workflow_id
              << " --wait\n";
  };
  cl::poll_params poll;
  poll.initial = 500ms;
  poll.max_interval = 5s;
  poll.deadline = std::chrono::hours(24);
  cl::progress_function on_progress = wait_display{&bar};
  auto st = co_await s->client().async_wait_for_workflow(workflow_id, poll, on_progress);
  bar.finish();
  json::object o = st.raw;
  s->out().record(o, {"workflow_id", "status", "processed", "total", "completed", "failed", "credits_charged",
                      "credits_refunded", "result"});
  co_return st.status == "failed" || st.status == "cancelled" ? exit_workflow : exit_ok;
}

boost::asio::awaitable<int> status(session* s, std::string workflow_id, bool wait) {
  if (wait) co_return co_await wait_and_print(s, workflow_id);
  auto st = co_await s->client().async_workflow_status(workflow_id);
  s->out().record(st.raw, {"workflow_id", "status", "progress", "processed", "total", "completed", "failed",
                           "credits_charged", "credits_refunded", "result"});
  co_return exit_ok;
}

// ---------------------------------------------------------------- enrich person / company

struct person_opts {
  std::string email, linkedin_url, phone, first_name, last_name, company_name, domain, person_id, list_id, type, quote_id;
  bool include_phone = false, wait = false;
};

cl::enrich_person_request person_of(const person_opts& o) {
  cl::enrich_person_request r;
  set_if_given(r.email, o.email);
  set_if_given(r.linkedin_url, o.linkedin_url);
  set_if_given(r.phone, o.phone);
  set_if_given(r.first_name, o.first_name);
  set_if_given(r.last_name, o.last_name);
  set_if_given(r.company_name, o.company_name);
  set_if_given(r.domain, o.domain);
  set_if_given(r.person_id, o.person_id);
  set_if_given(r.lead_list_id, o.list_id);
  set_if_given(r.quote_id, o.quote_id);
  if (!o.type.empty()) r.enrichment_type = cl::parse_enrichment_type(o.type);
  if (o.include_phone) r.include_phone = true;
  return r;
}

cl::create_list_request results_list() {
  cl::create_list_request r;
  r.name = "MCP Results";  // the API's default target list on /api/v1/public
  return r;
}

boost::asio::awaitable<int> enrich_person(session* s, cl::enrich_person_request req, bool wait) {
  // Refused here, before the target list below is looked up (a request): nothing is sent.
  if (auto problem = cl::validate(req); !problem.empty()) throw usage_error(problem);
  if (!req.lead_list_id && s->v2()) {
    // The v2 schema requires a target list: use (or create) the one v1 uses by default.
    auto l = co_await s->client().async_create_list(results_list());
    req.lead_list_id = l.list_id;
  }
  auto r = co_await s->client().async_enrich_person(req);
  if (!wait) {
    s->out().record(r.raw, {"workflow_id", "status", "credits_reserved", "lead_list_id"});
    if (!s->out().json()) s->out().note("follow it with: cleanlist status " + r.workflow_id + " --wait");
    co_return exit_ok;
  }
  s->out().note("workflow " + r.workflow_id + " started, " + std::to_string(r.credits_reserved) + " credit(s) reserved");
  co_return co_await wait_and_print(s, r.workflow_id);
}

struct company_opts {
  std::string domain, company_name, ticker, company_id, quote_id;
};

boost::asio::awaitable<int> enrich_company(session* s, cl::enrich_company_request req) {
  auto r = co_await s->client().async_enrich_company(req);
  if (s->out().json()) {
    s->out().record(r.raw);
  } else {
    json::object o = r.company.raw;
    o["credits_charged"] = r.credits_charged;
    s->out().record(o, {"company_id", "name", "domain", "industry", "employee_count", "employee_count_range",
                        "revenue_range", "hq_location", "funding_stage", "total_funding_usd", "linkedin_url",
                        "credits_charged"});
  }
  co_return exit_ok;
}

// ---------------------------------------------------------------- bulk

struct bulk_opts {
  std::string list_id, scope = "partial", quote_id;
  std::int64_t max_cost = -1;
  bool wait = false;
};

/// A bulk run not started because of its quote: said on stderr (even with -q: the command
/// fails), with --json as {"error": {...}} naming `code`; exit 1, nothing charged.
int not_started(session* s, const std::string& why, const char* code, const cl::estimate_response& q) {
  std::cerr << "cleanlist: bulk not started: " << why << " (nothing charged)\n";
  if (s->out().json()) {
    json::object e;
    e["kind"] = "api";
    e["code"] = code;
    e["estimated_cost"] = q.estimated_cost;
    e["available_credits"] = q.available_credits;
    json::object root;
    root["error"] = e;
    s->out().json_value(root);
  }
  return exit_api_error;
}

boost::asio::awaitable<int> bulk(session* s, bulk_opts o) {
  std::string quote = o.quote_id;
  if (quote.empty()) {
    cl::estimate_request est;
    est.tool = "enrich_list";
    est.list_id = o.list_id;
    est.scope = o.scope;
    auto q = co_await s->client().async_estimate(est);
    s->out().note("quote: " + std::to_string(q.row_count) + " leads, at most " + std::to_string(q.estimated_cost) +
                  " credits (" + std::to_string(q.available_credits) + " available)");
    if (o.max_cost >= 0 && q.estimated_cost > o.max_cost)
      co_return not_started(s, "the estimate is above --max-cost " + std::to_string(o.max_cost), "max_cost_exceeded", q);
    // The quote already says the run would be refused: stop here rather than send it.
    if (!q.sufficient)
      co_return not_started(s, "the balance is insufficient: at most " + std::to_string(q.estimated_cost) +
                                   " credits needed, " + std::to_string(q.available_credits) +
                                   " available; top up, then run again", "insufficient_credits", q);
    quote = q.quote_id;
  }
  cl::enrich_list_request req;
  req.list_id = o.list_id;
  req.scope = cl::parse_bulk_scope(o.scope);
  req.quote_id = quote;
  auto r = co_await s->client().async_enrich_list(req);
  if (!o.wait) {
    s->out().record(r.raw, {"workflow_id", "status", "total_leads", "estimated_cost", "credits_reserved"});
    co_return exit_ok;
  }
  s->out().note("bulk run " + r.workflow_id + " started for " + std::to_string(r.total_leads) + " leads");
  co_return co_await wait_and_print(s, r.workflow_id);
}

} // namespace

void add_enrich_commands(CLI::App& app, action_fn& action) {
  auto* enrich = app.add_subcommand("enrich", "Enrich one person (asynchronous workflow) or one company (synchronous)");
  enrich->require_subcommand(1);

  auto p = std::make_shared<person_opts>();
  auto* person = enrich->add_subcommand("person", "Start a person enrichment; needs --email, --linkedin-url, "
                                                  "--person-id, or --first-name + --last-name + (--company-name or --domain)");
  person->add_option("--email", p->email, "Work email");
  person->add_option("--linkedin-url", p->linkedin_url, "LinkedIn profile URL");
  person->add_option("--phone", p->phone, "Phone number");
  person->add_option("--first-name", p->first_name, "First name");
  person->add_option("--last-name", p->last_name, "Last name");
  person->add_option("--company-name", p->company_name, "Company name");
  person->add_option("--domain", p->domain, "Company domain");
  person->add_option("--person-id", p->person_id, "Cleanlist person id");
  person->add_option("--list", p->list_id, "Lead list receiving the result (default: \"MCP Results\")");
  person->add_option("--type", p->type, "Enrichment type")->check(CLI::IsMember({"partial", "phone_only", "full"}));
  person->add_flag("--include-phone", p->include_phone, "Also look for a phone number");
  person->add_option("--quote-id", p->quote_id, "Quote from `cleanlist estimate`");
  person->add_flag("--wait", p->wait, "Wait for the workflow's end with live progress, then print its result");
  person->callback([&action, p] {
    auto req = person_of(*p);
    const bool wait = p->wait;
    action = [req, wait](const global_options& g) {
      return run_in_session(g, [req, wait](session& s) { return enrich_person(&s, req, wait); });
    };
  });

  auto c = std::make_shared<company_opts>();
  auto* company = enrich->add_subcommand("company", "Enrich a company now (1 credit); needs one identifier");
  company->add_option("--domain", c->domain, "Company domain");
  company->add_option("--company-name", c->company_name, "Company name");
  company->add_option("--ticker", c->ticker, "Stock ticker");
  company->add_option("--company-id", c->company_id, "Cleanlist company id");
  company->add_option("--quote-id", c->quote_id, "Quote from `cleanlist estimate`");
  company->callback([&action, c] {
    cl::enrich_company_request req;
    if (!c->domain.empty()) req.domain = c->domain;
    if (!c->company_name.empty()) req.company_name = c->company_name;
    if (!c->ticker.empty()) req.company_ticker = c->ticker;
    if (!c->company_id.empty()) req.company_id = c->company_id;
    if (!c->quote_id.empty()) req.quote_id = c->quote_id;
    if (!req.domain && !req.company_name && !req.company_ticker && !req.company_id)
      throw CLI::ValidationError("enrich company", "give one of --domain, --company-name, --ticker, --company-id");
    action = [req](const global_options& g) {
      return run_in_session(g, [req](session& s) { return enrich_company(&s, req); });
    };
  });

  auto st_id = std::make_shared<std::string>();
  auto st_wait = std::make_shared<bool>(false);
  auto* st = app.add_subcommand("status", "Show a workflow's status; --wait follows it to the end with live progress "
                                          "(exit 4 when it ends failed or cancelled)");
  st->add_option("workflow_id", *st_id, "Workflow id")->required();
  st->add_flag("--wait", *st_wait, "Poll until the workflow ends, showing progress");
  st->callback([&action, st_id, st_wait] {
    auto id = *st_id;
    bool wait = *st_wait;
    action = [id, wait](const global_options& g) {
      return run_in_session(g, [id, wait](session& s) { return status(&s, id, wait); });
    };
  });

  auto b = std::make_shared<bulk_opts>();
  auto* bk = app.add_subcommand("bulk", "Enrich a whole lead list: quote (estimate), then one bulk run");
  bk->add_option("list_id", b->list_id, "Lead list id")->required();
  bk->add_option("--scope", b->scope, "Enrichment scope (default partial)")->check(CLI::IsMember({"partial", "full", "phone-only"}));
  bk->add_option("--quote-id", b->quote_id, "Use this quote instead of asking for one");
  bk->add_option("--max-cost", b->max_cost, "Do not start when the estimate is above N credits (exit 1)")
      ->check(CLI::NonNegativeNumber);
  bk->add_flag("--wait", b->wait, "Wait for the run's end with live progress");
  bk->callback([&action, b] {
    auto o = *b;
    action = [o](const global_options& g) { return run_in_session(g, [o](session& s) { return bulk(&s, o); }); };
  });
}

} // namespace cleanlist_cli
