#pragma once
// Shared helpers of the integration tests: a simulator + a client trusting its CA.
#include <cleanlist/client.hpp>
#include <cleanlist/testing/simulator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <future>
#include <optional>
#include <stdexcept>

namespace cltest {

namespace asio = boost::asio;
using namespace std::chrono_literals;

/// Fast workflows, rate limits off unless a test turns them on.
inline cleanlist::testing::simulator_params fast_sim(bool tls = true) {
  cleanlist::testing::simulator_params p;
  p.tls = tls;
  p.rate_limits = false;
  p.pending_for = 20ms;
  p.running_for = 60ms;
  return p;
}

/// The fault mix of the chaos suite (issue 6): every kind at once.
inline void all_faults(cleanlist::testing::fault_params& f) {
  f.p_429 = 0.05;
  f.p_503 = 0.03;
  f.p_500 = 0.01;
  f.p_reset_before = 0.01;
  f.p_reset_after = 0.01;
  f.p_truncate = 0.01;
  f.p_malformed = 0.01;
}

/// The simulator's identity key of a contact (what enrich_posts_for counts).
/// The contact's workflow ran to its end on the server: a result, or a workflow the server
/// itself ended `failed` (the simulator fails ~3 % of single-person workflows).
inline bool ended_on_server(const cleanlist::enrich_item_result& r) {
  return r.ok() || (r.ec == cleanlist::error::workflow_failed && r.status == "failed");
}

inline std::string identity_of(const cleanlist::enrich_person_request& r) {
  return cleanlist::testing::person_identity(r.email.value_or(""), r.linkedin_url.value_or(""), r.first_name.value_or(""),
                                             r.last_name.value_or(""),
                                             r.company_name ? *r.company_name : r.domain.value_or(""));
}

inline cleanlist::client_params client_for(const cleanlist::testing::simulator& sim,
                                           std::string_view prefix = "/api/v1/public") {
  cleanlist::client_params p;
  p.api_key = sim.default_api_key();
  p.base_url = sim.base_url(prefix);
  p.tls.ca_pem = sim.ca_pem();
  p.tls.use_system_ca = false;
  p.rate_limit.enabled = false;
  p.retry.base_delay = 5ms;
  p.retry.max_delay = 50ms;
  p.request_timeout = 5s;
  p.overall_timeout = 20s;
  return p;
}

/// Runs a coroutine on `ioc` until it completes; rethrows its exception. Bounded by `limit`.
template <class T>
T run(asio::io_context& ioc, asio::awaitable<T> aw, std::chrono::seconds limit = std::chrono::seconds(60)) {
  auto fut = asio::co_spawn(ioc, std::move(aw), asio::use_future);
  ioc.restart();
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("test coroutine did not finish in time");
    ioc.run_for(std::chrono::milliseconds(50));
  }
  return fut.get();
}

/// What a callback-style operation completed with.
struct callback_outcome {
  cleanlist::error_code ec;
  cleanlist::diagnostics diag;
};

/// Starts `op(diag, handler)` (handler: void(error_code, T)) and runs `ioc` until it completed;
/// throws if it did not within 30 s.
template <class T, class Op>
callback_outcome run_callback(asio::io_context& ioc, Op op) {
  callback_outcome o;
  bool done = false;
  op(o.diag, [&](cleanlist::error_code ec, T) {
    o.ec = ec;
    done = true;
  });
  ioc.restart();
  for (int i = 0; i < 600 && !done; ++i) ioc.run_for(std::chrono::milliseconds(50));
  if (!done) throw std::runtime_error("operation did not complete in time");
  return o;
}

} // namespace cltest
