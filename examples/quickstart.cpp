// The documented flow end to end: whoami, balance, enrich a person and poll it to the end
// with progress, then estimate and run a bulk enrichment of a small lead list.
//
//   ./quickstart                      # embedded simulator (no network)
//   CLEANLIST_API_KEY=clapi_... ./quickstart   # the real API
#include "example_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>

namespace asio = boost::asio;
namespace cl = cleanlist;
using namespace std::chrono_literals;

namespace {

void print_progress(const cl::workflow_status_response& st) {
  std::cout << "    status=" << st.status;
  if (st.total) std::cout << " processed=" << st.processed.value_or(0) << "/" << *st.total;
  if (st.progress) std::cout << " (" << *st.progress << "%)";
  std::cout << "\n";
}

// Requests are built outside the coroutine: g++ 12 miscompiles braced initialisers holding
// string literals inside coroutine bodies.
cl::create_list_request demo_list() {
  cl::create_list_request r;
  r.name = "cleanlist-cpp quickstart";
  return r;
}

// Where the single enrichment's result goes: the v2 schema requires a list (on /api/v1/public
// it may be omitted, and goes to the per-user "MCP Results" list); reused by name.
cl::create_list_request results_list() {
  cl::create_list_request r;
  r.name = "cleanlist-cpp quickstart results";
  return r;
}

cl::csv_import_request demo_import(std::string list_id) {
  cl::csv_import_request imp;
  imp.list_id = std::move(list_id);
  imp.csv_content = "first_name,last_name,company_domain\nGrace,Hopper,navy.mil\nAlan,Turing,bletchley.org\n"
                    "Katherine,Johnson,nasa.gov\n";
  imp.column_mapping = {{"first_name", "first_name"}, {"last_name", "last_name"}, {"company_domain", "company_domain"}};
  imp.dispatch_enrichment = false;
  return imp;
}

asio::awaitable<void> quickstart(cl::client& c) {
  auto who = co_await c.async_whoami();
  std::cout << "1. whoami: " << who.user_email.value_or("?") << " in " << who.organization_id << ", tier "
            << who.tier << ", " << who.scopes.size() << " scopes\n";
  auto balance = co_await c.async_credits_balance();
  std::cout << "2. balance: " << balance.credits << " credits\n";

  auto results = co_await c.async_create_list(results_list());
  cl::enrich_person_request person;
  person.lead_list_id = results.list_id;
  person.first_name = "Ada";
  person.last_name = "Lovelace";
  person.domain = "acme.com";
  person.enrichment_type = cl::enrichment_type::partial;
  auto started = co_await c.async_enrich_person(person);
  std::cout << "3. enrich person: workflow " << started.workflow_id << ", " << started.credits_reserved
            << " credit(s) reserved\n";

  cl::poll_params poll;
  poll.initial = 1s;
  poll.max_interval = 5s;
  auto done = co_await c.async_wait_for_workflow(started.workflow_id, poll, print_progress);
  std::cout << "4. " << done.status << ": charged " << done.credits_charged.value_or(0) << ", refunded "
            << done.credits_refunded.value_or(0);
  if (done.result) std::cout << ", email " << done.result->email.value_or("(none found)");
  std::cout << "\n";
  auto list = co_await c.async_create_list(demo_list());
  auto imported = co_await c.async_csv_import(demo_import(list.list_id));
  std::cout << "5. list " << list.list_id << (list.reused ? " (reused)" : "") << ": imported "
            << imported.rows_imported << " leads\n";

  cl::estimate_request est;
  est.tool = "enrich_list";
  est.list_id = list.list_id;
  est.scope = "partial";
  auto quote = co_await c.async_estimate(est);
  std::cout << "6. quote " << quote.quote_id.substr(0, 24) << "...: " << quote.row_count << " rows, at most "
            << quote.estimated_cost << " credits, sufficient=" << std::boolalpha << quote.sufficient << "\n";

  cl::enrich_list_request enrich_list_request_1{list.list_id, cl::bulk_scope::partial, quote.quote_id};
  auto bulk = co_await c.async_enrich_list(enrich_list_request_1);
  std::cout << "7. bulk workflow " << bulk.workflow_id << " for " << bulk.total_leads << " leads\n";
  auto bulk_done = co_await c.async_wait_for_workflow(bulk.workflow_id, poll, print_progress);
  std::cout << "8. bulk " << bulk_done.status << ": charged " << bulk_done.credits_charged.value_or(0) << "\n";
  auto after = co_await c.async_credits_balance();
  std::cout << "9. balance now " << after.credits << " credits; " << c.stats().requests << " requests sent, "
            << c.stats().rate_limited_429 << " rate-limited\n";
}

} // namespace

int main() {
  try {
    cl::testing::simulator_params sp;  // documented limits; workflows of a few seconds
    sp.pending_for = 500ms;
    sp.running_for = 2s;
    auto setup = examples::make_setup(sp);
    asio::io_context ioc;
    cl::client c(ioc.get_executor(), setup.params);
    std::exception_ptr failure;
    asio::co_spawn(ioc, quickstart(c), [&](std::exception_ptr e) { failure = e; });
    ioc.run();
    if (failure) std::rethrow_exception(failure);
    std::cout << "quickstart: done\n";
    return 0;
  } catch (const cl::api_exception& e) {
    std::cerr << "quickstart failed: " << e.code().message() << " — " << e.diag().to_string() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "quickstart failed: " << e.what() << "\n";
  }
  return 1;
}
