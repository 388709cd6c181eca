#include "client/client_impl.hpp"
#include "models/workflow_status_read.hpp"
#include "protocol/credentials.hpp"

#include <boost/asio/ssl/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/version.hpp>

#include <atomic>
#include <cstdlib>
#include <random>
#include <stdexcept>

namespace cleanlist {

namespace http = boost::beast::http;

namespace {

// Exactly one credential.
std::string check_credentials(const client_params& p) {
  if (!p.api_key.empty() && !p.bearer_jwt.empty())
    return "both client_params::api_key and client_params::bearer_jwt are set: set exactly one";
  if (!p.bearer_jwt.empty()) return detail::check_jwt(p.bearer_jwt);
  return detail::check_api_key(p.api_key);
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
    return std::make_shared<http_transport::state>(ex, p.base_url, p.tls, p.proxy, p.max_connections, p.idle_timeout,
                                                   resolver_function{}, std::chrono::seconds(30),
                                                   p.max_requests_per_connection);
  auto st = p.shared_transport->get_state();
  if (!st->same_origin(url))
    throw std::invalid_argument("cleanlist: client_params::shared_transport serves another scheme/host/port than base_url");
  return st;
}

// One std::random_device read per process, then a distinct seed per client: the k-th output
// of a splitmix64 sequence started there (scattered over 2^64, so the clients' jitter
// streams are unrelated). Opening the random device per client cost a syscall or two each.
std::uint64_t next_jitter_seed() {
  static const std::uint64_t base = [] {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  }();
  static std::atomic<std::uint64_t> n{0};
  return core::jitter_rng(base + n.fetch_add(1, std::memory_order_relaxed) * 0x9e3779b97f4a7c15ULL)();
}

transport::endpoint endpoint_for(const client_params& p) {
  transport::endpoint ep;
  ep.url = protocol::parse_base_url_or_throw(p.base_url);
  ep.connect_timeout = p.connect_timeout;
  ep.request_timeout = p.request_timeout;
  ep.max_header_bytes = p.max_header_bytes;
  ep.max_body_bytes = p.max_body_bytes;
  return ep;
}

} // namespace

namespace {
constexpr std::string_view default_user_agent = "cleanlist-cpp/" CLEANLIST_VERSION_STRING;
std::string_view credential_of(const client_params& p) { return p.bearer_jwt.empty() ? p.api_key : p.bearer_jwt; }
} // namespace

std::string_view client::impl::user_agent() const noexcept {
  return kept_.user_agent ? std::string_view(*kept_.user_agent) : default_user_agent;
}

client::impl::kept_params::kept_params(client_params& p)
    : connect_timeout(p.connect_timeout),
      request_timeout(p.request_timeout),
      overall_timeout(p.overall_timeout),
      retry(p.retry),
      logger(std::move(p.logger)),
      extra_terminal_statuses(std::move(p.extra_terminal_statuses)) {
  check_user_agent_or_throw(p.user_agent);
  if (p.user_agent != default_user_agent) user_agent = std::make_unique<const std::string>(p.user_agent);
}

client::impl::impl(asio::any_io_executor ex, client_params p)
    : user_ex_(ex),
      kept_(p),
      ep_(endpoint_for(p)),
      paths_{ep_.url.path, ep_.url.legacy_path()},
      transport_(transport_for(ex, p, ep_.url)),
      owns_transport_(!p.shared_transport),
      limiter_(p.shared_budget
                   ? rate_limiter(transport_->strand, p.rate_limit, p.shared_budget, std::string(credential_of(p)),
                                  p.organization_id.empty() ? std::string(credential_of(p)) : p.organization_id)
                   : rate_limiter(transport_->strand, p.rate_limit, p.shared_org_budget)),
      budget_(kept_.retry),
      rng_(next_jitter_seed()) {
  ep_.ssl = &transport_->ssl;
  ep_.proxy = transport_->proxy ? &*transport_->proxy : nullptr;
  if (auto problem = check_credentials(p); !problem.empty())
    key_problem_ = std::make_unique<const std::string>(std::move(problem));
  header_fields_.append("Host: ").append(ep_.url.host_header()).append("\r\n");
  // No credential (or a malformed one): nothing is ever sent (launch() refuses first).
  header_fields_.append("Authorization: ");
  if (!key_problem_) {
    header_fields_.append("Bearer ");
    secret_pos_ = static_cast<std::uint32_t>(header_fields_.size());
    secret_len_ = static_cast<std::uint32_t>(credential_of(p).size());
    header_fields_.append(credential_of(p));
  }
  header_fields_.append("\r\n");
  header_fields_.shrink_to_fit();  // kept for the client's life: no growth slack
}

call_scope::call_scope(client::impl& s, std::shared_ptr<stop_link> user_stop)
    : call_scope(s, std::move(user_stop), s.kept_.overall_timeout) {}

call_scope::call_scope(client::impl& s, std::shared_ptr<stop_link> user_stop, std::chrono::milliseconds overall)
    : link(std::move(user_stop)), self(s), watched(*s.transport_->watch, cc, std::min(overall, s.shortest_timeout())) {
  ++self.stats_.in_flight;
  cc.overall_deadline = transport::call_context::after(overall);
  // On the strand; a signal emitted before this point is honoured now. Unbound in the
  // destructor, before cc goes away.
  if (link)
    link->bind([c = &cc](asio::cancellation_type t) {
      if (!c->honours(t)) return false;
      c->cancelled = true;
      // Honoured: the inner operations are stopped outright (Beast's composed operations
      // act on terminal only; what the caller asked for was decided here).
      c->stop(asio::cancellation_type::terminal);
      return true;
    });
}

call_scope::~call_scope() {
  if (link) link->unbind();
  --self.stats_.in_flight;
}

namespace {

std::string_view verb_text(api::method m) {
  switch (m) {
  case api::method::get: return "GET";
  case api::method::post: return "POST";
  case api::method::patch: return "PATCH";
  case api::method::del: return "DELETE";
  }
  return "GET";
}

} // namespace

// The request as sent, in one buffer (one send per request). Same bytes as Beast's serializer
// with the fields set in the same order and prepare_payload(): Content-Length when there is a
// body or for POST (Beast also sends "Content-Length: 0" for an empty POST), keep-alive being
// the HTTP/1.1 default (no Connection field).
std::string client::impl::serialize(const api::request_spec& spec) const {
  const auto verb = verb_text(spec.verb);
  const bool has_body = !spec.body.empty();
  const auto length = std::to_string(spec.body.size());
  std::string out;
  const std::string_view ua = user_agent();
  out.reserve(verb.size() + spec.target.size() + header_fields_.size() + ua.size() + spec.body.size() + 136);
  out.append(verb).append(" ").append(spec.target).append(" HTTP/1.1\r\n").append(header_fields_);
  // Not in header_fields_: the same for (nearly) every client, kept once (unless customised).
  out.append("User-Agent: ").append(ua).append("\r\nAccept: application/json\r\n");
  if (has_body) out.append("Content-Type: application/json\r\n");
  if (has_body || spec.verb == api::method::post) out.append("Content-Length: ").append(length).append("\r\n");
  out.append("\r\n").append(spec.body);
  return out;
}

namespace {

core::send_stage to_core(transport::stage s) {
  switch (s) {
  case transport::stage::not_sent: return core::send_stage::not_sent;
  case transport::stage::sent_no_response: return core::send_stage::sent_no_response;
  default: return core::send_stage::response;
  }
}

} // namespace

error_code stop_error_of(const transport::call_context& cc) {
  if (cc.timed_out) return error::timeout;
  return asio::error::operation_aborted;
}

error_code call_scope::stop_error() const { return stop_error_of(cc); }

namespace {

// What a stopped call (deadline, cancellation) reports. A non-idempotent request that may
// already have been processed is outcome_unknown: reporting the stop (timeout is transient)
// would invite the caller to send it again and pay twice.
call_result stopped_result(client::impl& self, const transport::call_context& cc, diagnostics& d, bool maybe_processed) {
  const auto stop = stop_error_of(cc);
  if (!maybe_processed) return call_result{stop, nullptr};
  ++self.counters().outcome_unknown;
  d.problem = "stopped (" + stop.message() +
              ") after the request was written: the server may have processed it; not sent again because it is not "
              "idempotent";
  return call_result{error::outcome_unknown, nullptr};
}

} // namespace

asio::awaitable<call_result> client::impl::execute(const api::request_spec& spec, transport::call_context& cc,
                                                   diagnostics& d, std::optional<grant_time> pre_granted,
                                                   workflow_status_response* status_into) {
  if (shut_) {
    if (pre_granted) limiter_.release(*pre_granted);
    co_return call_result{error::shutdown, nullptr};
  }
  // Attempt deadlines need the watch; a call_scope usually watches the call already.
  transport::watch_guard watched(*transport_->watch, cc, shortest_timeout());
  const auto req = serialize(spec);
  double last_retry_cost = 0;
  // An earlier attempt may have been processed: from then on a non-idempotent request can
  // only end with its answer or outcome_unknown.
  bool maybe_processed = false;
  auto give_back = [this](std::optional<grant_time>& g) {
    if (g) limiter_.release(*g);
    g.reset();
  };
  for (int attempt = 1;; ++attempt) {
    d.clear();
    if (cc.stopped()) {
      give_back(pre_granted);
      co_return stopped_result(*this, cc, d, maybe_processed && !spec.idempotent);
    }

    // 1. A connection in hand first, then the rate limiter's slot: the request is written
    //    right after its grant, never after a pool wait or a connect that would let it reach
    //    the server later than the limiter counted it.
    transport::pool::lease lease;
    if (auto idle = pool().try_take_idle()) {
      lease.conn = std::move(idle);
    } else {
      give_back(pre_granted);  // a slot taken before this wait would age before the write
      lease = co_await pool().acquire(ep_, cc);
    }
    std::optional<grant_time> grant = std::exchange(pre_granted, std::nullopt);
    if (!lease.ec && !grant) {
      grant_time at{};
      if (limiter_.try_acquire(&at)) {
        grant = at;
      } else {  // over budget, paused by the server, or others queued first
        const auto t0 = std::chrono::steady_clock::now();
        auto [lec] = co_await limiter_.async_acquire(&at, cc.token());
        stats_.limiter_wait_ns +=
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
        if (!lec) grant = at;
        if (lec || cc.stopped() || shut_) {
          give_back(grant);
          pool().release(std::move(lease.conn));
          if (shut_) co_return call_result{error::shutdown, nullptr};
          if (cc.stopped()) co_return stopped_result(*this, cc, d, maybe_processed && !spec.idempotent);
          co_return call_result{lec, nullptr};
        }
        // The connection waited with us: if the server closed it meanwhile, nothing is sent
        // on it; the slot goes back and the attempt starts over.
        if (lease.conn->stale()) {
          give_back(grant);
          pool().discard(std::move(lease.conn));
          --attempt;
          continue;
        }
      }
    }
    if (shut_ || cc.stopped()) {  // stopped between connect and write: nothing sent
      give_back(grant);
      pool().release(std::move(lease.conn));
      if (shut_) co_return call_result{error::shutdown, nullptr};
      co_return stopped_result(*this, cc, d, maybe_processed && !spec.idempotent);
    }

    core::attempt_outcome out;
    out.idempotent = spec.idempotent;
    out.replay_safe = spec.replay_safe;
    error_code failure;
    int proxy_status = 0;
    bool connect_failed = false;  // the connect (through the proxy, if any) failed: nothing sent
    if (lease.ec) {
      out.stage = core::send_stage::not_sent;
      out.ec = failure = lease.ec;
      proxy_status = lease.proxy_status;
      connect_failed = true;
    } else {
      ++stats_.requests;
      if (attempt > 1) ++stats_.retries;
      if (!spec.read_only) cc.note_write();
      auto xr = co_await lease.conn->exchange(ep_, req, cc);
      pool().release(std::move(lease.conn));
      out.stage = to_core(xr.where);
      if (xr.where == transport::stage::response) {
        auto& res = xr.response;
        if (status_into && res.result_int() / 100 == 2 && models_detail::read_workflow_status(res.body(), *status_into)) {
          budget_.on_success(kept_.retry, last_retry_cost);
          co_return call_result{{}, nullptr, true};
        }
        auto c = protocol::classify({static_cast<int>(res.result_int()), res[http::field::retry_after],
                                     res["X-Request-Id"], res.body()},
                                    secret());  // redacted from the diagnostics if echoed
        if (!c.ec) {
          budget_.on_success(kept_.retry, last_retry_cost);
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
        if (maybe_processed && spec.replay_safe && c.ec == error::quote_already_used) {
          // The replay's quote was already redeemed: the earlier attempt was processed (and
          // paid for), its answer lost. The API offers no way to find that run's id.
          ++stats_.outcome_unknown;
          d.problem = "processed: an earlier attempt was accepted (the replay was refused, its single-use quote "
                      "already redeemed) but its answer was lost; the run's workflow id is unknown. Do not pay for "
                      "it again.";
          co_return call_result{error::outcome_unknown, nullptr};
        }
      } else {
        out.ec = failure = xr.ec;
      }
    }
    if (!core::provably_not_processed(out)) maybe_processed = true;
    if (cc.stopped()) co_return stopped_result(*this, cc, d, maybe_processed && !spec.idempotent);
    if (d.http_status == 0) {
      if (connect_failed && ep_.proxy) {
        // Said plainly whether the proxy failed (the API saw nothing) or the tunnel opened and
        // what followed failed. Never the proxy's credentials (the route's redacted form has
        // none), nor anything the proxy sent but its status.
        const std::string where = ep_.proxy->redacted + ", tunnel to " + ep_.url.authority();
        if (proxy_status >= 200 && proxy_status < 300) {
          d.problem = "transport error through the proxy (" + where + " opened): " + failure.message();
        } else {
          d.problem = "proxy error (" + where + "): ";
          if (proxy_status != 0) d.problem += "the proxy answered " + std::to_string(proxy_status) + " to CONNECT: ";
          d.problem += failure.message();
        }
        if (proxy_status != 0) d.details.emplace_back("proxy_status", std::to_string(proxy_status));
      } else {
        d.problem = "transport error: " + failure.message();
      }
    }

    auto decision = core::decide_retry(out, attempt, kept_.retry, budget_, rng_.next01());
    if (decision.pause_budget) limiter_.on_server_retry_after(decision.pause_for);
    if (!decision.retry) {
      if (auto e = decision.error()) failure = e;
      if (maybe_processed && !spec.idempotent) {
        // Whatever the last answer, an earlier (or this) attempt may have been processed.
        ++stats_.outcome_unknown;
        d.problem = "request sent, outcome unknown (" + (d.http_status ? d.to_string() : failure.message()) +
                    "); not sent again because it is not idempotent";
        failure = error::outcome_unknown;
      }
      co_return call_result{failure, nullptr};
    }
    last_retry_cost = decision.cost;  // refunded in full by the success it leads to
    log(log_level::info, "retrying " + std::string(verb_text(spec.verb)) + " after " + d.to_string());
    asio::steady_timer pause(strand(), decision.delay);
    co_await pause.async_wait(cc.token());  // an error here is a stop, checked below
    if (cc.stopped()) co_return stopped_result(*this, cc, d, maybe_processed && !spec.idempotent);
  }
}

// ---- client ----

client::client(executor_type ex, client_params params) : impl_(std::make_shared<impl>(ex, std::move(params))) {
  detail::shutdown_hooks::watch(impl_->strand(), impl_);
}

client::~client() { shutdown(); }

client::executor_type client::get_executor() const { return impl_->user_ex_; }

client_stats client::stats() const {
  client_stats s;
  auto& c = impl_->stats_;
  s.requests = c.requests;
  s.retries = c.retries;
  s.rate_limited_429 = c.rate_limited;
  s.outcome_unknown = c.outcome_unknown;
  s.in_flight = c.in_flight;
  s.waiting_workflows = c.waiting_workflows;
  s.unknown_statuses = c.unknown_statuses;
  s.limiter_wait = std::chrono::nanoseconds(c.limiter_wait_ns.load());
  s.connections_created = impl_->pool().connections_created();
  s.tls_resumed_handshakes = impl_->transport_state().sessions->resumed_handshakes();
  return s;
}

void client::shutdown() {
  asio::dispatch(impl_->strand(), [self = impl_] {
    if (self->shut_) return;
    self->shut_ = true;
    if (self->owns_transport_) self->pool().shutdown();  // a shared pool outlives one client
    self->limiter_.cancel_all();
    if (self->driver_) self->driver_->shutdown();
  });
}

} // namespace cleanlist
