#include "api/client_impl.hpp"

#include <boost/asio/ssl/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/version.hpp>

#include <cstdlib>
#include <stdexcept>

namespace cleanlist {

namespace http = boost::beast::http;

namespace {

// Never echoes the key itself: only what is wrong with it.
std::string check_api_key(std::string_view key) {
  if (key.empty()) return "no API key: set client_params::api_key or CLEANLIST_API_KEY";
  if (!key.starts_with("clapi_")) return "API key must start with \"clapi_\"";
  if (key.size() < 10 || key.size() > 512) return "API key has an invalid length";
  for (unsigned char c : key)
    if (c <= 0x20 || c >= 0x7f) return "API key contains control, space or non-ASCII characters";
  return {};
}

// The user agent is sent verbatim as a header value: CR/LF (header injection) and other
// control characters are refused at construction. HTAB and bytes >= 0x80 are allowed (RFC 9110).
void check_user_agent_or_throw(std::string_view ua) {
  for (unsigned char c : ua)
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      throw std::invalid_argument("cleanlist: user_agent contains CR, LF or other control characters");
}

} // namespace

client_params client_params::from_env() {
  client_params p;
  if (const char* k = std::getenv("CLEANLIST_API_KEY")) p.api_key = k;
  if (const char* u = std::getenv("CLEANLIST_BASE_URL"); u && *u) p.base_url = u;
  if (const char* ca = std::getenv("CLEANLIST_CA_FILE"); ca && *ca) p.tls.ca_file = ca;
  return p;
}

namespace {

std::shared_ptr<http_transport::state> transport_for(const asio::any_io_executor& ex, const client_params& p,
                                                const protocol::base_url& url) {
  if (!p.shared_transport)
    return std::make_shared<http_transport::state>(ex, p.base_url, p.tls, p.max_connections);
  auto st = p.shared_transport->get_state();
  if (!st->same_origin(url))
    throw std::invalid_argument("cleanlist: client_params::shared_transport serves another scheme/host/port than base_url");
  return st;
}

} // namespace

client::impl::impl(asio::any_io_executor ex, client_params p)
    : user_ex_(ex),
      params_(std::move(p)),
      url_(protocol::parse_base_url_or_throw(params_.base_url)),
      transport_(transport_for(ex, params_, url_)),
      owns_transport_(!params_.shared_transport),
      strand_(transport_->strand),
      pool_(transport_->pool),
      limiter_(strand_, params_.rate_limit, params_.shared_org_budget),
      budget_(params_.retry),
      rng_(std::random_device{}()) {
  check_user_agent_or_throw(params_.user_agent);
  ep_.url = url_;
  ep_.ssl = &transport_->ssl;
  ep_.connect_timeout = params_.connect_timeout;
  ep_.request_timeout = params_.request_timeout;
  ep_.max_header_bytes = params_.max_header_bytes;
  ep_.max_body_bytes = params_.max_body_bytes;
  key_problem_ = check_api_key(params_.api_key);
  if (key_problem_.empty()) authorization_ = "Bearer " + params_.api_key;
  header_fields_.append("Host: ").append(url_.host_header()).append("\r\n");
  header_fields_.append("Authorization: ").append(authorization_).append("\r\n");
  header_fields_.append("User-Agent: ").append(params_.user_agent).append("\r\n");
  header_fields_.append("Accept: application/json\r\n");
}

call_scope::call_scope(client::impl& s, asio::cancellation_slot user_slot)
    : call_scope(s, user_slot, s.params_.overall_timeout) {}

call_scope::call_scope(client::impl& s, asio::cancellation_slot user_slot, std::chrono::milliseconds overall)
    : slot(user_slot), self(s), watched(*s.transport_->watch, cc, std::min(overall, s.shortest_timeout())) {
  ++self.stats_.in_flight;
  cc.overall_deadline = transport::call_context::after(overall);
  if (slot.is_connected()) {
    // Cleared in the destructor, before cc goes away.
    slot.assign([c = &cc](asio::cancellation_type t) {
      c->cancelled = true;
      c->stop(t);
    });
  }
}

call_scope::~call_scope() {
  if (slot.is_connected()) slot.clear();
  --self.stats_.in_flight;
}

namespace {

error_code stop_error_of(const transport::call_context& cc) {
  if (cc.timed_out) return error::timeout;
  return asio::error::operation_aborted;
}

std::string_view verb_text(api::method m) {
  switch (m) {
  case api::method::get: return "GET";
  case api::method::post: return "POST";
  case api::method::patch: return "PATCH";
  case api::method::del: return "DELETE";
  }
  return "GET";
}

// The request as sent, in one buffer (one send per request). Same bytes as Beast's serializer
// with the fields set in the same order and prepare_payload(): Content-Length when there is a
// body or for POST (Beast also sends "Content-Length: 0" for an empty POST), keep-alive being
// the HTTP/1.1 default (no Connection field).
std::string serialize_request(const client::impl& self, const api::request_spec& spec) {
  const auto verb = verb_text(spec.verb);
  const bool has_body = !spec.body.empty();
  const auto length = std::to_string(spec.body.size());
  std::string out;
  out.reserve(verb.size() + spec.target.size() + self.header_fields_.size() + spec.body.size() + 96);
  out.append(verb).append(" ").append(spec.target).append(" HTTP/1.1\r\n").append(self.header_fields_);
  if (has_body) out.append("Content-Type: application/json\r\n");
  if (has_body || spec.verb == api::method::post) out.append("Content-Length: ").append(length).append("\r\n");
  out.append("\r\n").append(spec.body);
  return out;
}

core::send_stage to_core(transport::stage s) {
  switch (s) {
  case transport::stage::not_sent: return core::send_stage::not_sent;
  case transport::stage::sent_no_response: return core::send_stage::sent_no_response;
  default: return core::send_stage::response;
  }
}

} // namespace

error_code call_scope::stop_error() const { return stop_error_of(cc); }

asio::awaitable<call_result> client::impl::execute(const api::request_spec& spec, transport::call_context& cc,
                                                   diagnostics& d, bool slot_taken) {
  if (shut_) co_return call_result{error::shutdown, nullptr};
  // Attempt deadlines need the watch; a call_scope usually watches the call already.
  transport::watch_guard watched(*transport_->watch, cc, shortest_timeout());
  const auto req = serialize_request(*this, spec);
  double last_retry_cost = 0;
  for (int attempt = 1;; ++attempt) {
    d.clear();
    if (attempt > 1 || !slot_taken) {
      if (cc.stopped()) co_return call_result{stop_error_of(cc), nullptr};
      if (!limiter_.try_acquire()) {  // over budget, paused by the server, or others queued first
        auto t0 = std::chrono::steady_clock::now();
        auto [lec] = co_await limiter_.async_acquire(cc.token());
        stats_.limiter_wait_ns +=
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
        if (cc.stopped()) co_return call_result{stop_error_of(cc), nullptr};
        if (lec) co_return call_result{lec, nullptr};
      }
    }
    if (shut_) co_return call_result{error::shutdown, nullptr};

    ++stats_.requests;
    if (attempt > 1) ++stats_.retries;
    core::attempt_outcome out;
    out.idempotent = spec.idempotent;
    error_code failure;

    transport::pool::lease lease;
    if (auto idle = pool_.try_take_idle()) lease.conn = std::move(idle);
    else lease = co_await pool_.acquire(ep_, cc);
    if (lease.ec) {
      out.stage = core::send_stage::not_sent;
      out.ec = failure = lease.ec;
    } else {
      auto xr = co_await lease.conn->exchange(ep_, req, cc);
      pool_.release(std::move(lease.conn));
      out.stage = to_core(xr.where);
      if (xr.where == transport::stage::response) {
        auto& res = xr.response;
        auto c = protocol::classify({static_cast<int>(res.result_int()), res[http::field::retry_after],
                                     res["X-Request-Id"], res.body()},
                                    params_.api_key);  // redacted from the diagnostics if echoed
        if (!c.ec) {
          budget_.on_success(params_.retry, last_retry_cost);
          co_return call_result{{}, std::move(c.json)};
        }
        d = std::move(c.diag);
        failure = c.ec;
        out.http_status = d.http_status;
        out.retryable = d.retryable;
        out.retry_after = d.retry_after;
        if (d.http_status == 429) ++stats_.rate_limited;
        if (c.ec == error::bad_response) {
          // A 2xx whose body cannot be read: processed, answer lost. Same rules as a lost answer:
          // an idempotent request is sent again, a non-idempotent one is outcome_unknown.
          out.stage = core::send_stage::sent_no_response;
          out.ec = c.ec;
          out.http_status = 0;
        }
      } else {
        out.ec = failure = xr.ec;
      }
    }
    if (cc.stopped()) co_return call_result{stop_error_of(cc), nullptr};
    if (d.http_status == 0) d.problem = "transport error: " + failure.message();

    std::uniform_real_distribution<double> u01(0.0, 1.0);
    auto decision = core::decide_retry(out, attempt, params_.retry, budget_, u01(rng_));
    if (decision.pause_budget) limiter_.on_server_retry_after(decision.pause_for);
    if (!decision.retry) {
      if (auto e = decision.error()) {
        if (decision.outcome_unknown) {
          ++stats_.outcome_unknown;
          d.problem = "request sent, no complete answer (" + failure.message() +
                      "); not retried because it is not idempotent";
        }
        failure = e;
      }
      co_return call_result{failure, nullptr};
    }
    last_retry_cost = (core::is_timeout_error(out.ec) || out.stage == core::send_stage::sent_no_response) ? params_.retry.timeout_cost : params_.retry.retry_cost;
    log(log_level::info, "retrying " + std::string(verb_text(spec.verb)) + " after " + d.to_string());
    asio::steady_timer pause(strand_, decision.delay);
    co_await pause.async_wait(cc.token());  // an error here is a stop, checked below
    cc.op_done();
    if (cc.stopped()) co_return call_result{stop_error_of(cc), nullptr};
  }
}

// ---- client ----

client::client(executor_type ex, client_params params) : impl_(std::make_shared<impl>(ex, std::move(params))) {}

client::~client() { shutdown(); }

client::executor_type client::get_executor() const { return impl_->user_ex_; }
const client_params& client::params() const { return impl_->params_; }

client_stats client::stats() const {
  client_stats s;
  auto& c = impl_->stats_;
  s.requests = c.requests;
  s.retries = c.retries;
  s.rate_limited_429 = c.rate_limited;
  s.outcome_unknown = c.outcome_unknown;
  s.in_flight = c.in_flight;
  s.waiting_workflows = c.waiting_workflows;
  s.limiter_wait = std::chrono::nanoseconds(c.limiter_wait_ns.load());
  s.connections_created = impl_->pool_.connections_created();
  return s;
}

void client::shutdown() {
  asio::dispatch(impl_->strand_, [self = impl_] {
    if (self->shut_) return;
    self->shut_ = true;
    if (self->owns_transport_) self->pool_.shutdown();  // a shared pool outlives one client
    self->limiter_.cancel_all();
    self->driver_.shutdown();
  });
}

} // namespace cleanlist
