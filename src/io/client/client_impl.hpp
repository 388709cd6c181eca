#pragma once
// The state behind cleanlist::client: strand, TLS context, pool, limiter, retry budget, stats.
#include "client/operation.hpp"
#include "client/poll_driver.hpp"
#include "engine/shutdown_hooks.hpp"
#include "protocol/request_spec.hpp"
#include "client/stop_link.hpp"
#include "decisions/retry_policy.hpp"
#include "models/json_read.hpp"
#include "protocol/response.hpp"
#include "protocol/url.hpp"
#include "transport/shared_state.hpp"

#include <cleanlist/client.hpp>
#include <cleanlist/rate_limiter.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/json/value_to.hpp>

#include <atomic>
#include <memory>

namespace cleanlist {

namespace asio = boost::asio;

struct call_result {
  error_code ec;
  boost::json::value json;
  bool read_fast = false;  // the body went straight into the caller's model (execute's `status_into`)
};

class client::impl : public std::enable_shared_from_this<impl>,
                     public poll_host<std::chrono::steady_clock>,
                     public detail::abandonable {
public:
  impl(asio::any_io_executor ex, client_params p);

  // ---- poll_host: what the poll loop needs (workflow_wait.cpp) ----
  rate_limiter& poll_limiter() override { return limiter_; }
  asio::awaitable<poll_answer> poll_status(std::string workflow_id, time_point granted_at) override;
  bool poll_is_terminal(std::string_view status) const override { return is_terminal(status); }
  bool poll_shut_down() const override { return shut_; }
  void poll_log(log_level lvl, std::string_view msg) const override { log(lvl, msg); }
  std::string_view poll_secret() const override { return secret(); }
  void poll_unknown_status() override { ++stats_.unknown_statuses; }
  /// The io_context is being destroyed: the waits' handlers are dropped (see shutdown_hooks).
  void abandon() noexcept override {
    if (driver_) driver_->abandon();
  }

  struct counters_t {
    std::atomic<std::uint64_t> requests{0}, retries{0}, rate_limited{0}, outcome_unknown{0}, in_flight{0},
        waiting_workflows{0}, unknown_statuses{0};
    std::atomic<std::int64_t> limiter_wait_ns{0};
  };

  // ---- what the operations use (all on the strand unless said otherwise) ----
  std::chrono::milliseconds overall_timeout() const noexcept { return kept_.overall_timeout; }  // any thread
  std::chrono::milliseconds connect_timeout() const noexcept { return kept_.connect_timeout; }
  std::chrono::milliseconds request_timeout() const noexcept { return kept_.request_timeout; }
  std::uint32_t max_header_bytes() const noexcept { return ep_.max_header_bytes; }
  std::string_view user_agent() const noexcept;
  const api::paths& paths() const noexcept { return paths_; }       // any thread (immutable)
  const asio::any_io_executor& strand() const noexcept { return transport_->strand; }
  const asio::any_io_executor& user_executor() const noexcept { return user_ex_; }
  bool shut_down() const noexcept { return shut_; }
  rate_limiter& limiter() noexcept { return limiter_; }
  /// The transport's TLS context, proxy settings and resolver (a download's one-off connection).
  http_transport::state& transport_state() noexcept { return *transport_; }
  /// The poll loop, created by the first wait (call on the strand): most keys never wait, and
  /// an idle one then holds no timers nor scheduler.
  poll_driver& driver() {
    if (!driver_) driver_ = std::make_unique<poll_driver>(strand(), user_ex_, stats_.waiting_workflows);
    return *driver_;
  }
  counters_t& counters() noexcept { return stats_; }  // atomics: any thread
  /// The credential sent (API key or Clerk JWT): redacted from diagnostics and logs.
  /// A view into the header block (empty when the credential was refused: nothing is sent).
  std::string_view secret() const {
    return std::string_view(header_fields_).substr(secret_pos_, secret_len_);
  }
  /// The shortest limit a call of this client can set (the deadline watch's tick follows it).
  std::chrono::milliseconds shortest_timeout() const {
    return std::min({kept_.connect_timeout, kept_.request_timeout, kept_.overall_timeout});
  }

  /// Documented terminal statuses plus the user's extra ones.
  bool is_terminal(std::string_view status) const {
    if (is_terminal_status(status)) return true;
    for (const auto& s : kept_.extra_terminal_statuses)
      if (s == status) return true;
    return false;
  }

  void log(log_level lvl, std::string_view msg) const {
    if (!kept_.logger) return;
    std::string m(msg);
    protocol::redact(m, secret());  // a message may quote server text (a status, diagnostics)
    try {
      kept_.logger(lvl, m);
    } catch (...) {
      // Logging never ends an operation: a throwing logger loses its message, nothing else.
    }
  }

  using grant_time = std::chrono::steady_clock::time_point;

  /// One operation: pool, limiter, retries, classification. Runs on the strand.
  /// `pre_granted`: the caller already holds a limiter slot (granted at that time) for the
  /// first attempt; it is given back if no connection is idle at once (the request would
  /// otherwise reach the server later than its grant).
  /// `status_into`: a GET status answer is read straight into it when it can be (no JSON
  /// document; call_result::read_fast), else parsed into call_result::json as any answer.
  asio::awaitable<call_result> execute(const api::request_spec& spec, transport::call_context& cc, diagnostics& d,
                                       std::optional<grant_time> pre_granted = std::nullopt,
                                       workflow_status_response* status_into = nullptr);

  /// Waits for a workflow through the shared poll driver (call on the strand).
  template <class Token>
  auto async_wait(std::string id, poll_params pp, progress_function f, diagnostics* d, Token&& token) {
    return asio::async_initiate<Token, void(error_code, workflow_status_response)>(
        [self = shared_from_this()](auto h, std::string id, poll_params pp, progress_function f, diagnostics* d) {
          self->driver().add(self, std::move(id), pp, std::move(f), d,
                            detail::handler<workflow_status_response>(std::move(h)));
        },
        token, std::move(id), pp, std::move(f), d);
  }

  /// Runs `spec` and converts the JSON body to T, completing `h`.
  template <class T>
  void call(api::request_spec spec, diagnostics* d, detail::handler<T> h);

  /// The one runner of every public operation (see api/operation.hpp): `invalid` non-empty
  /// refuses the arguments; then the credentials; then `body(self, done, stop)` runs on the
  /// strand. A body returning an awaitable is spawned and completes `done` itself (an
  /// exception completes it with error::internal_error); a body returning void is handed
  /// `done` to complete now or later (the poll driver).
  template <class T, class Body>
  void launch(std::string invalid, diagnostics* d, detail::handler<T> h, Body body);

private:
  friend class client;      // the public operations and stats()/shutdown()
  friend struct call_scope;  // in-flight count, deadline watch

  /// Completes `h` later (never inline) with an error and no request sent.
  template <class T>
  void fail_now(error_code ec, std::string problem, diagnostics* d, detail::handler<T> h) {
    if (d) {
      d->clear();
      d->problem = std::move(problem);
    }
    // post(ex, h) runs h on its associated executor, falling back to ex.
    asio::post(user_ex_, asio::append(std::move(h), ec, T{}));
  }

  /// The request as sent, in one buffer (see client_impl.cpp).
  std::string serialize(const api::request_spec& spec) const;

  // A process may hold one client per API key, thousands of them: what an idle client holds
  // is kept small (benchmarks/README.md, "Many keys"): of client_params only what calls read
  // (the rest lives once in the transport, the limiter and the header block), and what a key
  // does not use yet (the poll loop, the limiter's log and timer) is created when first needed.
  struct kept_params {
    std::chrono::milliseconds connect_timeout, request_timeout, overall_timeout;
    retry_params retry;
    log_function logger;
    std::vector<std::string> extra_terminal_statuses;
    std::unique_ptr<const std::string> user_agent;  // null: the library's default
    explicit kept_params(client_params& p);
  };
  asio::any_io_executor user_ex_;
  kept_params kept_;
  transport::endpoint ep_;  // the parsed base URL, this client's timeouts and limits
  api::paths paths_;
  std::shared_ptr<http_transport::state> transport_;  // shared with other clients, or this client's own
  bool owns_transport_;
  rate_limiter limiter_;
  core::retry_budget budget_;
  transport::pool& pool() noexcept { return transport_->pool; }  // the transport's (shared or own)
  const http_transport::state& transport_state() const noexcept { return *transport_; }
  std::unique_ptr<const std::string> key_problem_;  // set: the credential is missing or malformed (why)
  core::jitter_rng rng_;  // backoff jitter (8 bytes; seeded per client, see client_impl.cpp)
  bool shut_ = false;
  /// "Host: ...\r\nAuthorization: Bearer ...\r\n", built once (the only place the credential is
  /// written): every request line is followed by these fields, then User-Agent and Accept.
  std::string header_fields_;
  std::uint32_t secret_pos_ = 0, secret_len_ = 0;  // the credential inside header_fields_
  counters_t stats_;
  std::unique_ptr<poll_driver> driver_;  // see driver()
};

/// Converts a parsed body the caller no longer needs to T, reporting a schema mismatch as
/// error::bad_response (the message may quote a field name chosen by the server: `secret` is
/// redacted from it). The top-level object becomes T::raw without a copy. `store(make)` puts
/// make()'s T where it belongs and returns it.
template <class T, class Store>
error_code convert_with(boost::json::value& v, diagnostics& d, std::string_view secret, Store store) {
  try {
    if constexpr (std::is_base_of_v<envelope, T>) {
      if (v.is_object()) {
        models_detail::raw_move_guard guard(&v.get_object());
        T& t = store([&] { return boost::json::value_to<T>(v); });
        if (guard.skipped()) t.raw = std::move(v.get_object());
        return {};
      }
    }
    store([&] { return boost::json::value_to<T>(std::as_const(v)); });
    return {};
  } catch (const std::exception& e) {
    d.problem = e.what();
    protocol::redact(d.problem, secret);
    return error::bad_response;
  }
}

/// Into an existing T.
template <class T>
error_code convert(boost::json::value& v, T& out, diagnostics& d, std::string_view secret) {
  return convert_with<T>(v, d, secret, [&](auto make) -> T& { return out = make(); });
}

/// Into a new T on the heap, built in place: a response struct is ~1-2 KiB of strings and
/// optionals, and moving it hop by hop to the handler cost more than the allocation.
template <class T>
error_code convert(boost::json::value& v, std::unique_ptr<T>& out, diagnostics& d, std::string_view secret) {
  return convert_with<T>(v, d, secret, [&](auto make) -> T& {
    out.reset(new T(make()));
    return *out;
  });
}

/// The error a stopped call reports: timeout (its deadline) or operation_aborted (cancelled).
error_code stop_error_of(const transport::call_context& cc);

/// Shared plumbing of a call: cancellation slot, overall deadline (watched by the transport's
/// deadline_watch), in-flight count. Lives in the call's coroutine frame.
struct call_scope {
  transport::call_context cc;
  std::shared_ptr<stop_link> link;
  client::impl& self;
  transport::watch_guard watched;

  call_scope(client::impl& s, std::shared_ptr<stop_link> user_stop);
  call_scope(client::impl& s, std::shared_ptr<stop_link> user_stop, std::chrono::milliseconds overall);
  ~call_scope();
  call_scope(const call_scope&) = delete;
  call_scope& operator=(const call_scope&) = delete;
  /// Maps a stop of the call (cancel/deadline) to the error to report.
  error_code stop_error() const;
};

template <class T>
asio::awaitable<void> run_call(std::shared_ptr<client::impl> self, api::request_spec spec, completion_ptr<T> done,
                               std::shared_ptr<stop_link> stop) {
  std::unique_ptr<T> value;
  diagnostics d;
  error_code ec;
  {
    call_scope scope(*self, std::move(stop));
    workflow_status_response* fast = nullptr;  // the poll's model is read without a JSON document
    if constexpr (std::is_same_v<T, workflow_status_response>) fast = (value = std::make_unique<T>()).get();
    auto r = co_await self->execute(spec, scope.cc, d, std::nullopt, fast);
    ec = r.ec;
    if (!r.read_fast) value.reset();
    if (!ec && !r.read_fast) ec = convert(r.json, value, d, self->secret());
  }
  done->complete(ec, std::move(value), std::move(d));
}

template <class T, class Body>
void client::impl::launch(std::string invalid, diagnostics* d, detail::handler<T> h, Body body) {
  if (!invalid.empty()) return fail_now(error::invalid_argument, std::move(invalid), d, std::move(h));
  if (key_problem_) return fail_now(error::invalid_api_key, *key_problem_, d, std::move(h));
  // Linked now, on the caller's thread: a cancellation emitted before the body runs is kept.
  auto stop = stop_link::attach(asio::get_associated_cancellation_slot(h), strand());
  auto done = std::make_shared<op_completion<T>>(user_ex_, std::move(h), d);
  asio::dispatch(strand(), [self = shared_from_this(), done = std::move(done), stop = std::move(stop),
                           body = std::move(body)]() mutable {
    if (self->shut_) {
      if (stop) stop->unbind();
      diagnostics sd;
      sd.problem = "client shut down";
      return done->complete(error::shutdown, nullptr, std::move(sd));
    }
    using result = decltype(body(self, done, stop));
    if constexpr (std::is_void_v<result>) {
      body(self, done, std::move(stop));
    } else {
      auto coro = body(self, done, std::move(stop));
      asio::co_spawn(self->strand(), std::move(coro), [self, done](std::exception_ptr e) {
        if (e) done->fail_unexpected(e, self->secret());
      });
    }
  });
}

template <class T>
void client::impl::call(api::request_spec spec, diagnostics* d, detail::handler<T> h) {
  auto invalid = std::move(spec.invalid);
  launch<T>(std::move(invalid), d, std::move(h),
            [spec = std::move(spec)](std::shared_ptr<impl> self, completion_ptr<T> done, std::shared_ptr<stop_link> stop) mutable {
              return run_call<T>(std::move(self), std::move(spec), std::move(done), std::move(stop));
            });
}

} // namespace cleanlist
