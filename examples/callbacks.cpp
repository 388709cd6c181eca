// The quickstart calls without coroutines: first with completion callbacks (error_code + value,
// diagnostics passed explicitly), then with boost::asio::use_future from a plain thread while
// the io_context runs on another.
//
//   ./callbacks                               # embedded simulator (no network)
//   CLEANLIST_API_KEY=clapi_... ./callbacks   # the real API
#include "example_support.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <iostream>
#include <memory>
#include <thread>

namespace asio = boost::asio;
namespace cl = cleanlist;
using namespace std::chrono_literals;

namespace {

cl::poll_params short_poll() {
  cl::poll_params p;
  p.initial = 1s;
  p.max_interval = 5s;
  return p;
}

void print_progress(const cl::workflow_status_response& st) { std::cout << "    status=" << st.status << "\n"; }

cl::create_list_request results_list() {
  cl::create_list_request r;
  r.name = "cleanlist-cpp callbacks results";
  return r;
}

// ---------------------------------------------------------------- 1. callbacks
//
// A small state machine: each step starts the next from its completion handler. The state
// (and the diagnostics each operation fills) lives in a shared_ptr kept alive by the handlers.
struct flow : std::enable_shared_from_this<flow> {
  cl::client& c;
  cl::diagnostics diag;  // must outlive each operation it is passed to
  bool ok = false;
  explicit flow(cl::client& cl) : c(cl) {}

  bool failed(cl::error_code ec, const char* what) {
    if (!ec) return false;
    std::cerr << "  " << what << " failed: " << ec.message() << " — " << diag.to_string() << "\n";
    return true;
  }

  void start() {
    auto self = shared_from_this();
    c.async_whoami(diag, [self](cl::error_code ec, cl::whoami_response who) {
      if (self->failed(ec, "whoami")) return;
      std::cout << "  whoami: " << who.organization_id << ", tier " << who.tier << "\n";
      self->balance();
    });
  }
  void balance() {
    auto self = shared_from_this();
    c.async_credits_balance(diag, [self](cl::error_code ec, cl::credits_balance_response b) {
      if (self->failed(ec, "credits_balance")) return;
      std::cout << "  balance: " << b.credits << " credits\n";
      self->make_list();
    });
  }
  // The result's list: required on /api/v2 (optional on /api/v1/public); reused by name.
  void make_list() {
    auto self = shared_from_this();
    c.async_create_list(results_list(), diag, [self](cl::error_code ec, cl::list_detail l) {
      if (self->failed(ec, "create_list")) return;
      self->enrich(l.list_id);
    });
  }
  void enrich(std::string list_id) {
    cl::enrich_person_request req;
    req.lead_list_id = std::move(list_id);
    req.first_name = "Grace";
    req.last_name = "Hopper";
    req.company_name = "US Navy";
    req.enrichment_type = cl::enrichment_type::partial;
    auto self = shared_from_this();
    c.async_enrich_person(std::move(req), diag, [self](cl::error_code ec, cl::enrich_person_response r) {
      if (self->failed(ec, "enrich_person")) return;
      std::cout << "  enrich_person: workflow " << r.workflow_id << ", " << r.credits_reserved << " reserved\n";
      self->wait(r.workflow_id);
    });
  }
  void wait(std::string workflow_id) {
    auto self = shared_from_this();
    c.async_wait_for_workflow(std::move(workflow_id), short_poll(), print_progress, diag,
                              [self](cl::error_code ec, cl::workflow_status_response st) {
                                if (self->failed(ec, "wait_for_workflow")) return;
                                std::cout << "  " << st.status << ": charged " << st.credits_charged.value_or(0);
                                if (st.result) std::cout << ", email " << st.result->email.value_or("(none found)");
                                std::cout << "\n";
                                self->ok = true;
                              });
  }
};

// ---------------------------------------------------------------- 2. futures
//
// The io_context runs on its own thread; this thread blocks on std::future::get(). An error
// is thrown as boost::system::system_error (use the callback form for the diagnostics).
bool with_futures(cl::client& c) {
  try {
    auto who = c.async_whoami(asio::use_future).get();
    std::cout << "  whoami: " << who.organization_id << "\n";
    auto bal = c.async_credits_balance(asio::use_future).get();
    std::cout << "  balance: " << bal.credits << " credits\n";

    auto list = c.async_create_list(results_list(), asio::use_future).get();
    cl::enrich_person_request req;
    req.lead_list_id = list.list_id;
    req.email = "katherine.johnson@nasa.gov";
    auto started = c.async_enrich_person(req, asio::use_future).get();
    std::cout << "  enrich_person: workflow " << started.workflow_id << "\n";
    auto done = c.async_wait_for_workflow(started.workflow_id, short_poll(), print_progress, asio::use_future).get();
    std::cout << "  " << done.status << ": charged " << done.credits_charged.value_or(0) << "\n";

    // Several operations in flight at once, then collected.
    auto f1 = c.async_list_lists(cl::list_lists_request{}, asio::use_future);
    auto f2 = c.async_credits_balance(asio::use_future);
    auto lists = f1.get();
    auto bal2 = f2.get();
    std::cout << "  " << lists.total << " lead list(s); balance now " << bal2.credits << " credits\n";

    // An invalid request fails client-side (nothing sent): the future throws system_error.
    try {
      c.async_enrich_person(cl::enrich_person_request{}, asio::use_future).get();
    } catch (const boost::system::system_error& e) {
      std::cout << "  empty enrich_person request rejected: " << e.code().message() << "\n";
    }
    return true;
  } catch (const std::exception& e) {
    std::cerr << "  futures flow failed: " << e.what() << "\n";
    return false;
  }
}

} // namespace

int main() {
  try {
    cl::testing::simulator_params sp;
    sp.pending_for = 300ms;
    sp.running_for = 1s;
    auto setup = examples::make_setup(sp);
    asio::io_context ioc;
    cl::client c(ioc.get_executor(), setup.params);

    std::cout << "1. callbacks\n";
    auto f = std::make_shared<flow>(c);
    f->start();
    ioc.run();  // returns when the chain of callbacks has ended
    if (!f->ok) return 1;

    std::cout << "2. futures\n";
    ioc.restart();
    auto guard = asio::make_work_guard(ioc);
    std::thread runner([&] { ioc.run(); });
    const bool ok = with_futures(c);
    guard.reset();
    ioc.stop();  // every operation has completed
    runner.join();
    std::cout << "callbacks: " << (ok ? "done" : "failed") << " (" << c.stats().requests << " requests)\n";
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "callbacks failed: " << e.what() << "\n";
    return 1;
  }
}
