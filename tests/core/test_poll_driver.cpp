// The poll loop (src/io/client/poll_driver.*) on testing::manual_clock, with a scripted host instead
// of a client: the budget, the order, the deadlines and the callbacks are checked at exact
// times, without sockets and without sleeping.
#include <doctest/doctest.h>

#include "client/poll_driver.hpp"

#include <cleanlist/testing/manual_clock.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <functional>
#include <map>
#include <vector>

namespace asio = boost::asio;
namespace cl = cleanlist;
using namespace std::chrono_literals;
using clk = cl::testing::manual_clock;

namespace {

/// Answers each workflow's polls from a script (the last status repeats), `latency` after the
/// request, and records when each poll went out.
class scripted_host : public cl::poll_host<clk>, public std::enable_shared_from_this<scripted_host> {
public:
  scripted_host(asio::io_context& ioc, cl::rate_limit_params p)
      : ioc_(ioc), limiter_(ioc.get_executor(), p), driver(ioc.get_executor(), ioc.get_executor(), waiting) {}

  cl::basic_rate_limiter<clk>& poll_limiter() override { return limiter_; }
  asio::awaitable<cl::poll_answer> poll_status(std::string id, time_point) override {
    poll_times.push_back(clk::now());
    auto& n = polls[id];
    const auto& s = script.at(id);
    cl::poll_answer a;
    a.status.workflow_id = id;
    a.status.status = s[std::min(n, s.size() - 1)];
    ++n;
    if (latency > clk::duration::zero()) {
      asio::basic_waitable_timer<clk> t(ioc_, latency);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    co_return a;
  }
  bool poll_is_terminal(std::string_view s) const override { return cl::is_terminal_status(s); }
  bool poll_shut_down() const override { return false; }
  void poll_log(cl::log_level, std::string_view msg) const override { logged.emplace_back(msg); }
  std::string_view poll_secret() const override { return "clapi_secret"; }
  void poll_unknown_status() override { ++unknown; }

  std::atomic<std::uint64_t> waiting{0};
  std::map<std::string, std::vector<std::string>> script;
  std::map<std::string, std::size_t> polls;
  std::vector<clk::time_point> poll_times;
  clk::duration latency{};
  mutable std::vector<std::string> logged;
  int unknown = 0;

private:
  asio::io_context& ioc_;
  cl::basic_rate_limiter<clk> limiter_;

public:
  cl::basic_poll_driver<clk> driver;  // after the limiter: destroyed first
};

struct wait_result {
  bool done = false;
  cl::error_code ec;
  std::string status;
  clk::time_point at{};
};

cl::detail::handler<cl::workflow_status_response> recorder(wait_result& r) {
  return cl::detail::handler<cl::workflow_status_response>([&r](cl::error_code ec, cl::workflow_status_response s) {
    r.done = true;
    r.ec = ec;
    r.status = s.status;
    r.at = clk::now();
  });
}

cl::rate_limit_params budget(int per_key, std::chrono::milliseconds window = 1000ms) {
  cl::rate_limit_params p;
  p.per_key = per_key;
  p.per_org = 1000;
  p.window = window;
  p.margin = 0ms;
  return p;
}

cl::poll_params every(std::chrono::milliseconds interval, std::chrono::milliseconds deadline = 60s) {
  cl::poll_params pp;
  pp.initial = interval;
  pp.multiplier = 1.0;
  pp.max_interval = interval;
  pp.deadline = deadline;
  return pp;
}

void settle(asio::io_context& ioc) {
  do ioc.restart();
  while (ioc.poll() != 0);
}

void run_until(asio::io_context& ioc, const std::function<bool()>& done, clk::duration limit = 600s) {
  const auto start = clk::now();
  settle(ioc);
  while (!done()) {
    REQUIRE(clk::now() - start < limit);
    clk::advance(1ms);
    settle(ioc);
  }
}

} // namespace

TEST_CASE("poll loop: every workflow is polled to its end and polls never exceed the budget") {
  asio::io_context ioc;
  auto host = std::make_shared<scripted_host>(ioc, budget(3));
  std::vector<wait_result> results(10);
  for (int i = 0; i < 10; ++i) {
    const auto id = "wf-" + std::to_string(i);
    host->script[id] = {"queued", "running", "completed"};
    host->driver.add(host, id, every(100ms), {}, nullptr, recorder(results[static_cast<std::size_t>(i)]));
  }
  run_until(ioc, [&] {
    for (auto& r : results)
      if (!r.done) return false;
    return true;
  });
  for (auto& r : results) {
    CHECK_FALSE(r.ec);
    CHECK(r.status == "completed");
  }
  CHECK(host->poll_times.size() == 30);  // three polls each, none wasted
  // The budget: never more than 3 polls in any interval of one window.
  const auto& t = host->poll_times;
  for (std::size_t k = 3; k < t.size(); ++k) CHECK(t[k] - t[k - 3] >= 1000ms);
  // 30 polls at 3 per window: the last goes out 9 windows after the first, not later.
  CHECK(t.back() - t.front() == 9000ms);
  CHECK(host->driver.waiting() == 0);
}

TEST_CASE("poll loop: a wait ends exactly at its deadline while the server pauses the key") {
  asio::io_context ioc;
  auto host = std::make_shared<scripted_host>(ioc, budget(30));
  host->script["wf-slow"] = {"running"};
  const auto start = clk::now();
  host->poll_limiter().on_server_retry_after(3600s);  // no slot for an hour
  wait_result r;
  host->driver.add(host, "wf-slow", every(100ms, 2s), {}, nullptr, recorder(r));
  run_until(ioc, [&] { return r.done; });
  CHECK(r.ec == cl::error::timeout);
  CHECK(r.at - start == 2s);  // not an hour later: the limiter wait is bounded by the deadline
  CHECK(host->poll_times.empty());
}

TEST_CASE("poll loop: the workflow due longest gets the slot; a cancelled wait gives its place back") {
  asio::io_context ioc;
  auto host = std::make_shared<scripted_host>(ioc, budget(1));
  host->script["a"] = {"completed"};
  host->script["b"] = {"completed"};
  host->script["c"] = {"completed"};
  wait_result ra, rb, rc;
  asio::cancellation_signal cancel_b;
  const auto start = clk::now();
  host->driver.add(host, "a", every(10ms), {}, nullptr, recorder(ra));
  host->driver.add(host, "b", every(10ms), {}, nullptr,
                   cl::detail::handler<cl::workflow_status_response>(asio::bind_cancellation_slot(
                       cancel_b.slot(), [&](cl::error_code ec, cl::workflow_status_response s) {
                         rb.done = true;
                         rb.ec = ec;
                         rb.status = s.status;
                         rb.at = clk::now();
                       })));
  host->driver.add(host, "c", every(10ms), {}, nullptr, recorder(rc));
  settle(ioc);
  cancel_b.emit(asio::cancellation_type::total);  // polls change nothing: every type is honoured
  run_until(ioc, [&] { return ra.done && rb.done && rc.done; });
  CHECK(rb.ec == asio::error::operation_aborted);
  CHECK(rb.at == start);
  CHECK_FALSE(ra.ec);
  CHECK_FALSE(rc.ec);
  // First polls are due `initial` (10 ms) after the wait starts; one slot per window: a then,
  // c one window later — b's turn was not wasted on a cancelled wait.
  CHECK(ra.at - start == 10ms);
  CHECK(rc.at - start == 1010ms);
  CHECK(host->polls.count("b") == 0);
}

TEST_CASE("poll loop: a throwing progress callback ends its wait with callback_failed, the others go on") {
  asio::io_context ioc;
  auto host = std::make_shared<scripted_host>(ioc, budget(30));
  host->script["x"] = {"running", "completed"};
  host->script["y"] = {"running", "completed"};
  wait_result rx, ry;
  host->driver.add(host, "x", every(50ms), [](const cl::workflow_status_response&) { throw std::runtime_error("boom"); },
                   nullptr, recorder(rx));
  int progress = 0;
  host->driver.add(host, "y", every(50ms), [&](const cl::workflow_status_response&) { ++progress; }, nullptr, recorder(ry));
  run_until(ioc, [&] { return rx.done && ry.done; });
  CHECK(rx.ec == cl::error::callback_failed);
  CHECK_FALSE(ry.ec);
  CHECK(progress == 2);  // running, then completed
}

TEST_CASE("poll loop: an unknown status is polled on, counted, and logged once") {
  asio::io_context ioc;
  auto host = std::make_shared<scripted_host>(ioc, budget(30));
  host->script["u"] = {"reticulating clapi_secret", "reticulating clapi_secret", "completed"};
  wait_result r;
  host->driver.add(host, "u", every(50ms), {}, nullptr, recorder(r));
  run_until(ioc, [&] { return r.done; });
  CHECK_FALSE(r.ec);
  CHECK(host->unknown == 2);
  REQUIRE(host->logged.size() == 1);
}

TEST_CASE("poll loop: a slow answer does not hold the loop: other workflows are polled meanwhile") {
  asio::io_context ioc;
  auto host = std::make_shared<scripted_host>(ioc, budget(30));
  host->latency = 500ms;
  for (auto id : {"p", "q", "r"}) host->script[id] = {"completed"};
  std::vector<wait_result> rs(3);
  const auto start = clk::now();
  int i = 0;
  for (auto id : {"p", "q", "r"}) host->driver.add(host, id, every(10ms), {}, nullptr, recorder(rs[static_cast<std::size_t>(i++)]));
  run_until(ioc, [&] { return rs[0].done && rs[1].done && rs[2].done; });
  for (auto& r : rs) CHECK(r.at - start == 10ms + 500ms);  // due at 10 ms, three polls in flight at once
}
