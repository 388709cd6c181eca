#include "session.hpp"

#ifdef CLEANLIST_CLI_HAVE_REDIS
#include <cleanlist/redis.hpp>
#endif

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string_view>

namespace asio = boost::asio;
namespace json = boost::json;
namespace cl = cleanlist;
using namespace std::chrono_literals;

namespace cleanlist_cli {

namespace {

std::string read_key_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw input_error("the API key file " + path + " is a directory");
  std::ifstream f(path);
  if (!f) throw input_error("cannot read the API key file " + path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << f.rdbuf();
  std::string k = ss.str();
  while (!k.empty() && std::isspace(static_cast<unsigned char>(k.back()))) k.pop_back();
  std::size_t b = 0;
  while (b < k.size() && std::isspace(static_cast<unsigned char>(k[b]))) ++b;
  k.erase(0, b);
  if (k.empty()) throw input_error("the API key file " + path + " is empty");
  return k;
}

/// The embedded simulator: documented limits, workflows of about a second.
cl::testing::simulator_params embedded_params() {
  cl::testing::simulator_params sp;
  sp.pending_for = 200ms;
  sp.running_for = 1s;
  return sp;
}

// Ends when `finished` is set, not only on a cancelled wait: a cancel() that lands after the
// timer expired (its completion queued) cancels nothing, and the loop would tick for ever,
// keeping io_context::run() from returning.
asio::awaitable<void> ticker(asio::steady_timer* t, std::function<void()>* hook, const bool* finished) {
  for (;;) {
    t->expires_after(250ms);
    auto [ec] = co_await t->async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec || *finished) co_return;
    if (*hook) (*hook)();
  }
}

std::string error_name(const cl::error_code& ec) {
  if (ec.category() == cl::error_category()) {
    // The enumerator's name is the stable identifier scripts can branch on.
    static const std::pair<cl::error, const char*> names[] = {
        {cl::error::invalid_argument, "invalid_argument"}, {cl::error::invalid_api_key, "invalid_api_key"},
        {cl::error::invalid_base_url, "invalid_base_url"}, {cl::error::bad_response, "bad_response"},
        {cl::error::response_too_large, "response_too_large"}, {cl::error::timeout, "timeout"},
        {cl::error::outcome_unknown, "outcome_unknown"}, {cl::error::retry_budget_exhausted, "retry_budget_exhausted"},
        {cl::error::tls_verification_failed, "tls_verification_failed"}, {cl::error::shutdown, "shutdown"},
        {cl::error::callback_failed, "callback_failed"}, {cl::error::internal_error, "internal_error"},
        {cl::error::proxy_auth_required, "proxy_auth_required"}, {cl::error::proxy_refused, "proxy_refused"},
        {cl::error::proxy_unavailable, "proxy_unavailable"}, {cl::error::proxy_protocol_error, "proxy_protocol_error"},
        {cl::error::unauthenticated, "unauthenticated"},
        {cl::error::insufficient_scope, "insufficient_scope"}, {cl::error::feature_gated, "feature_gated"},
        {cl::error::forbidden, "forbidden"}, {cl::error::not_found, "not_found"}, {cl::error::conflict, "conflict"},
        {cl::error::payload_too_large, "payload_too_large"}, {cl::error::validation_failed, "validation_failed"},
        {cl::error::insufficient_credits, "insufficient_credits"}, {cl::error::spend_cap_exceeded, "spend_cap_exceeded"},
        {cl::error::quote_expired, "quote_expired"}, {cl::error::quote_mismatch, "quote_mismatch"},
        {cl::error::quote_already_used, "quote_already_used"}, {cl::error::quote_required, "quote_required"},
        {cl::error::approval_required, "approval_required"}, {cl::error::rate_limited, "rate_limited"},
        {cl::error::server_error, "server_error"}, {cl::error::bad_gateway, "bad_gateway"},
        {cl::error::service_unavailable, "service_unavailable"}, {cl::error::gateway_timeout, "gateway_timeout"},
        {cl::error::api_error, "api_error"}, {cl::error::workflow_failed, "workflow_failed"},
        {cl::error::workflow_cancelled, "workflow_cancelled"}, {cl::error::lead_not_enriched, "lead_not_enriched"}};
    for (auto& [e, n] : names)
      if (ec == e) return n;
  }
  if (ec == asio::error::operation_aborted) return "operation_aborted";
  return ec.category().name() + std::string(":") + std::to_string(ec.value());
}

/// "cleanlist: MESSAGE": one prefix, whether or not the message (e.g. the library's) has one.
std::string prefixed(std::string_view message) {
  constexpr std::string_view p = "cleanlist: ";
  while (message.substr(0, p.size()) == p) message.remove_prefix(p.size());
  return std::string(p) + std::string(message);
}

/// Client-side refusals: the request was not sent, an argument was wrong (exit 2).
bool refused_before_sending(const cl::error_code& ec) {
  return ec == cl::error::invalid_argument || ec == cl::error::invalid_api_key || ec == cl::error::invalid_base_url;
}

} // namespace

failure_info describe_failure(std::exception_ptr ep, bool interrupted) {
  failure_info f;
  auto set = [&](int code, const std::string& kind, const std::string& message, std::string text) {
    f.code = code;
    f.error["kind"] = kind;
    f.error["message"] = message;
    f.text = std::move(text);
  };
  try {
    std::rethrow_exception(ep);
  } catch (const cl::api_exception& e) {
    const auto& d = e.diag();
    std::string text = prefixed(e.code().message() + (d.to_string().empty() ? "" : " — " + d.to_string())) + "\n";
    if (!d.fix.empty()) text += "  fix: " + d.fix + "\n";
    const bool stopped = e.code() == asio::error::operation_aborted || e.code() == cl::error::shutdown;
    if (refused_before_sending(e.code()))
      set(exit_usage, "usage", e.code().message(), text);
    else
      set(interrupted ? exit_interrupted : exit_api_error, "api", e.code().message(), interrupted && stopped ? "" : text);
    f.error["code"] = error_name(e.code());
    if (d.http_status) f.error["http_status"] = d.http_status;
    if (!d.code.empty()) f.error["api_code"] = d.code;
    if (!d.problem.empty()) f.error["problem"] = d.problem;
    if (!d.fix.empty()) f.error["fix"] = d.fix;
    if (!d.request_id.empty()) f.error["request_id"] = d.request_id;
    if (d.available_credits) f.error["available_credits"] = *d.available_credits;
    if (d.estimated_cost_credits) f.error["estimated_cost_credits"] = *d.estimated_cost_credits;
  } catch (const boost::system::system_error& e) {
    // The code's message: what() appends Boost's source location, which says nothing to users.
    const bool stopped = e.code() == asio::error::operation_aborted;
    set(interrupted ? exit_interrupted : exit_api_error, "api", e.code().message(),
        interrupted && stopped ? "" : prefixed(e.code().message()) + "\n");
    f.error["code"] = error_name(e.code());
  } catch (const usage_error& e) {
    set(exit_usage, "usage", e.what(), prefixed(e.what()) + "\nRun with --help for more information.\n");
  } catch (const input_error& e) {
    set(exit_input, "input", e.what(), prefixed(e.what()) + "\n");
  } catch (const std::exception& e) {
    set(exit_api_error, "api", e.what(), prefixed(e.what()) + "\n");
  }
  return f;
}

int report_failure(const output& out, std::exception_ptr ep, bool interrupted) {
  auto f = describe_failure(ep, interrupted);
  if (f.text.empty()) {  // stopped by Ctrl-C: nothing more to say on stderr
    f.error["kind"] = "interrupted";
    f.error["code"] = "interrupted";
  }
  std::cerr << f.text;
  if (out.json()) {
    json::object root;
    root["error"] = f.error;
    out.json_value(root);
  }
  return f.code;
}

session::session(const global_options& g) : g_(g), out_(g.json, g.quiet) {
  params_ = cl::client_params::from_env();
  const std::string api_key = require_credentials(g);
  if (api_key.empty()) {  // --sim
    // Only on request, and said on every run: its results are invented. Its key and URL are
    // its own, so the key never leaves the process whatever CLEANLIST_BASE_URL says.
    sim_ = std::make_unique<cl::testing::simulator>(embedded_params());
    params_.api_key = sim_->default_api_key();
    const char* prefix = std::getenv("CLEANLIST_API_PREFIX");
    params_.base_url = sim_->base_url(prefix && *prefix ? prefix : "/api/v1/public");
    params_.tls = {};
    params_.tls.ca_pem = sim_->ca_pem();
    out_.set_simulated();
    std::cerr << "cleanlist: simulated: the embedded simulator at " << params_.base_url
              << " answers this run (--sim / CLEANLIST_SIM); nothing reaches the Cleanlist API and every result is invented\n";
  } else {
    params_.api_key = api_key;
    if (!g.base_url.empty()) params_.base_url = g.base_url;
    // A bare host (https://api.cleanlist.ai) would answer 404 to every call: say so first.
    std::string_view u = params_.base_url;
    while (!u.empty() && u.back() == '/') u.remove_suffix(1);
    auto ends_with = [&](std::string_view s) { return u.size() >= s.size() && u.substr(u.size() - s.size()) == s; };
    if (!ends_with("/api/v1/public") && !ends_with("/api/v2"))
      throw usage_error("the base URL must end in /api/v1/public or /api/v2 (got " + params_.base_url + ", from " +
                        (!g.base_url.empty() ? "--base-url" : "CLEANLIST_BASE_URL") + ")");
  }
  if (g.verbose > 0) {
    // The library redacts the key from its log lines.
    const auto least = g.verbose > 1 ? cl::log_level::debug : cl::log_level::info;
    params_.logger = [least](cl::log_level l, std::string_view m) {
      if (l < least) return;
      static const char* names[] = {"debug", "info", "warning", "error"};
      std::cerr << "cleanlist: " << names[static_cast<int>(l)] << ": " << m << "\n";
    };
  }
  if (g.rate_window.count() > 0) params_.rate_limit.window = g.rate_window;
  if (g.rate_margin.count() >= 0) params_.rate_limit.margin = g.rate_margin;
  if (!g.redis_url.empty()) {
#ifdef CLEANLIST_CLI_HAVE_REDIS
    cl::shared_budget_options o;
    o.fallback_share = 1.0 / std::max(1, g.processes);  // Redis down: each process keeps its share
    try {
      params_.shared_budget = cl::make_redis_budget(ioc_.get_executor(), g.redis_url, o);
    } catch (const std::invalid_argument&) {  // the message never holds the password
      throw usage_error("--redis / CLEANLIST_REDIS_URL: not a redis://[[user]:password@]host[:port][/db] or rediss:// URL");
    }
#else
    throw usage_error("--redis / CLEANLIST_REDIS_URL: this cleanlist was built without Redis support (CLEANLIST_WITH_REDIS=OFF)");
#endif
  }
  // HTTPS_PROXY / http_proxy / NO_PROXY, as curl reads them (for the base URL's scheme).
  params_.proxy = cl::proxy_from_env(params_.base_url);
  // Local settings the client refuses are the user's to fix: an unreadable CA file is an input
  // error (exit 3), a malformed base URL or key a usage error (exit 2) naming where it came from.
  if (!params_.tls.ca_file.empty() && !std::ifstream(params_.tls.ca_file))
    throw input_error("CLEANLIST_CA_FILE: cannot read " + params_.tls.ca_file + ": " + std::strerror(errno));
  try {
    client_ = std::make_unique<cl::client>(ioc_.get_executor(), params_);
  } catch (const std::invalid_argument& e) {
    std::string m = prefixed(e.what()).substr(std::string_view("cleanlist: ").size());
    if (m.find("base_url") != std::string::npos)
      m += std::string(" (from ") + (!g.base_url.empty() ? "--base-url" : "CLEANLIST_BASE_URL") +
           "; it must end in /api/v1/public or /api/v2)";
    throw usage_error(m);
  }
}

bool simulator_requested(const global_options& g) {
  if (g.sim) return true;
  const char* v = std::getenv("CLEANLIST_SIM");
  if (!v || !*v || std::string_view(v) == "0") return false;
  if (std::string_view(v) == "1") return true;
  throw usage_error("CLEANLIST_SIM: expected 1 (the embedded simulator) or 0");
}

std::string require_credentials(const global_options& g) {
  if (simulator_requested(g)) {
    if (!g.base_url.empty() || !g.api_key_file.empty())
      throw usage_error("--sim runs against the embedded simulator: it takes no --base-url nor --api-key-file");
    return {};
  }
  if (!g.api_key_file.empty()) return read_key_file(g.api_key_file);
  std::string key = cl::client_params::from_env().api_key;
  if (key.empty())
    throw usage_error("no API key: set CLEANLIST_API_KEY or pass --api-key-file PATH "
                      "(--sim, or CLEANLIST_SIM=1, runs against the embedded simulator, with invented results)");
  return key;
}

session::~session() {
  client_.reset();
  params_.shared_budget.reset();  // its Redis connection lives on ioc_: gone before ioc_ is
  ioc_.restart();
  ioc_.poll();  // let the client's last handlers run before the io_context goes
}

bool session::v2() const {
  const auto& u = params_.base_url;
  return u.find("/api/v2") != std::string::npos;
}

int session::budget_left() {
  const auto now = std::chrono::steady_clock::now();
  const auto window = params_.rate_limit.window;
  const std::uint64_t requests = client_->stats().requests;
  samples_.emplace_back(now, requests);
  while (samples_.size() > 1 && now - samples_[1].first >= window) samples_.pop_front();
  // requests sent within the last window (the oldest sample kept is at most one window old)
  const std::uint64_t base = samples_.front().second;
  const auto used = static_cast<long long>(requests - base);
  const long long limit = params_.rate_limit.per_key > 0 ? params_.rate_limit.per_key : 0;
  return static_cast<int>(std::max<long long>(0, limit - used));
}

int session::run(asio::awaitable<int> task) {
  samples_.clear();
  samples_.emplace_back(std::chrono::steady_clock::now(), client_->stats().requests);
  asio::signal_set signals(ioc_, SIGINT, SIGTERM);
  std::function<void(boost::system::error_code, int)> on_signal;
  bool finished = false;  // the task completed: no signal or tick may start anything again
  on_signal = [&](boost::system::error_code ec, int) {
    if (ec || finished) return;  // a signal queued before the cancel below: nothing to stop
    if (interrupted_) std::_Exit(exit_interrupted);  // second Ctrl-C: quit now
    interrupted_ = true;
    std::cerr << "\ncleanlist: interrupted — stopping cleanly (Ctrl-C again to quit at once)\n";
    cancel_.emit(asio::cancellation_type::terminal);
    if (on_interrupt) on_interrupt();
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);
  asio::steady_timer tick_timer(ioc_);
  asio::co_spawn(ioc_, ticker(&tick_timer, &on_tick, &finished), asio::detached);

  int rc = exit_ok;
  std::exception_ptr failure;
  asio::co_spawn(ioc_, std::move(task),
                 asio::bind_cancellation_slot(cancel_.slot(), [&](std::exception_ptr e, int r) {
                   failure = e;
                   rc = r;
                   finished = true;
                   signals.cancel();
                   tick_timer.cancel();
                   // A shared budget's Redis connection is work that never ends by itself.
                   if (params_.shared_budget) ioc_.stop();
                 }));
  ioc_.run();
  if (failure) rc = report_failure(out_, failure, interrupted_);
  if (interrupted_ && rc == exit_ok) rc = exit_interrupted;
  return rc;
}

} // namespace cleanlist_cli

#include "commands.hpp"

namespace cleanlist_cli {

int run_in_session(const global_options& g, const std::function<asio::awaitable<int>(session&)>& make) {
  std::unique_ptr<session> s;
  try {
    s = std::make_unique<session>(g);
  } catch (...) {
    return report_failure(output(g.json, g.quiet), std::current_exception(), false);
  }
  return s->run(make(*s));
}

} // namespace cleanlist_cli
