#include "decisions/retry_policy.hpp"

#include <algorithm>
#include <cmath>

#include <boost/system/errc.hpp>

namespace cleanlist::core {

namespace {
using std::chrono::milliseconds;

bool is_status_retryable_idempotent(int s) noexcept {
  switch (s) {
  case 408: case 429: case 500: case 502: case 503: case 504: return true;
  default: return false;
  }
}

bool is_status_retryable_non_idempotent(int s) noexcept {
  // The API answers 429 (rate limit) and 503 (maintenance / overload) before processing.
  return s == 429 || s == 503;
}

struct classification {
  bool eligible = false;
  stop_reason reason = stop_reason::not_retryable;
  bool outcome_unknown = false;
};

classification classify(const attempt_outcome& o) noexcept {
  classification c;
  switch (o.stage) {
  case send_stage::not_sent:
    // Nothing reached the server: safe to resend whatever the method, unless the failure is
    // permanent (validation, TLS verification, shutdown, user cancellation).
    if (is_permanent_local_error(o.ec)) return c;
    c.eligible = true;
    return c;
  case send_stage::sent_no_response:
    if (!o.idempotent && !o.replay_safe) {
      // Possibly processed (and charged): a retry could create a second workflow.
      c.outcome_unknown = true;
      c.reason = stop_reason::outcome_unknown;
      return c;
    }
    if (is_permanent_local_error(o.ec)) return c;
    c.eligible = true;
    return c;
  case send_stage::response:
    break;
  }
  const int s = o.http_status;
  if (s >= 200 && s < 400) {
    c.reason = stop_reason::success;
    return c;
  }
  if (o.retryable == false) return c; // the API said so
  if (o.idempotent || o.replay_safe) {
    c.eligible = is_status_retryable_idempotent(s) || (o.retryable == true && s >= 400);
  } else {
    c.eligible = is_status_retryable_non_idempotent(s);
  }
  return c;
}

} // namespace

error_code retry_decision::error() const noexcept {
  switch (reason) {
  case stop_reason::outcome_unknown: return make_error_code(cleanlist::error::outcome_unknown);
  case stop_reason::budget_exhausted: return make_error_code(cleanlist::error::retry_budget_exhausted);
  default: return {};
  }
}

bool retry_budget::try_spend(double cost) {
  double t = tokens_.load();
  do {
    if (t < cost) return false;
  } while (!tokens_.compare_exchange_weak(t, t - cost));
  return true;
}

void retry_budget::refund(double amount) {
  double t = tokens_.load();
  while (!tokens_.compare_exchange_weak(t, std::min(capacity_, t + amount))) {
  }
}

void retry_budget::on_success(const retry_params& p, double last_retry_cost) {
  refund(last_retry_cost > 0 ? last_retry_cost : p.success_refund);
}

double retry_budget::available() const { return tokens_.load(); }

milliseconds backoff_cap(int attempt, const retry_params& p) noexcept {
  if (attempt < 1) attempt = 1;
  const auto base = std::max<milliseconds::rep>(0, p.base_delay.count());
  const auto cap = std::max<milliseconds::rep>(0, p.max_delay.count());
  // base * 2^(attempt-1) without overflow: stop doubling once above the cap.
  milliseconds::rep d = base;
  for (int i = 1; i < attempt && d < cap; ++i) d *= 2;
  return milliseconds(std::min(d, cap));
}

milliseconds backoff_delay(int attempt, const retry_params& p, double rand01) noexcept {
  if (!(rand01 >= 0.0)) rand01 = 0.0; // also catches NaN
  if (rand01 >= 1.0) rand01 = std::nextafter(1.0, 0.0);
  const double cap = static_cast<double>(backoff_cap(attempt, p).count());
  return milliseconds(static_cast<milliseconds::rep>(std::floor(rand01 * cap)));
}

bool is_permanent_local_error(error_code ec) noexcept {
  if (!ec) return false;
  if (ec == boost::system::errc::operation_canceled) return true; // asio::error::operation_aborted
  if (ec.category() == cleanlist::error_category()) {
    switch (static_cast<cleanlist::error>(ec.value())) {
    case cleanlist::error::invalid_argument:
    case cleanlist::error::invalid_api_key:
    case cleanlist::error::invalid_base_url:
    case cleanlist::error::tls_verification_failed:
    case cleanlist::error::shutdown:
    case cleanlist::error::response_too_large:
    // The proxy refused for a configuration reason (credentials, ACL): the same every time.
    case cleanlist::error::proxy_auth_required:
    case cleanlist::error::proxy_refused:
      return true;
    default:
      return false;
    }
  }
  return false;
}

bool provably_not_processed(const attempt_outcome& o) noexcept {
  if (o.stage == send_stage::not_sent) return true;
  if (o.stage == send_stage::sent_no_response) return false;
  return is_status_retryable_non_idempotent(o.http_status) || (o.http_status >= 200 && o.http_status < 500);
}

bool is_timeout_error(error_code ec) noexcept {
  if (!ec) return false;
  if (ec == make_error_code(cleanlist::error::timeout)) return true;
  return ec == boost::system::errc::timed_out;
}

retry_decision decide_retry(const attempt_outcome& o, int attempt, const retry_params& p,
                            retry_budget& budget, double rand01) {
  retry_decision d;
  const classification c = classify(o);
  d.outcome_unknown = c.outcome_unknown;

  const bool throttled =
      o.stage == send_stage::response && (o.http_status == 429 || o.http_status == 503);
  const milliseconds jittered = backoff_delay(attempt, p, rand01);
  bool too_long = false;
  if (o.retry_after) {
    const milliseconds ra = std::max(milliseconds(0), *o.retry_after);
    too_long = ra > p.max_retry_after;
    d.delay = std::min(std::max(ra, jittered), p.max_retry_after);
  } else {
    d.delay = jittered;
  }
  if (throttled) {
    d.pause_budget = true;
    // The server's word holds for every request of the key even when this one gives up.
    // Capped: an over-long Retry-After fails this call (below) instead of pausing every
    // request of the key and its organisation for longer than any caller accepts to wait.
    d.pause_for = o.retry_after ? std::min(std::max(milliseconds(0), *o.retry_after), p.max_retry_after) : d.delay;
  }

  if (!c.eligible) {
    d.reason = c.reason;
    return d;
  }
  if (attempt >= p.max_attempts) {
    d.reason = stop_reason::attempts_exhausted;
    return d;
  }
  if (too_long) {
    d.reason = stop_reason::retry_after_too_long;
    return d;
  }
  const bool timeout_like = o.stage == send_stage::sent_no_response || is_timeout_error(o.ec) ||
                            (o.stage == send_stage::response &&
                             (o.http_status == 408 || o.http_status == 504));
  const double cost = timeout_like ? p.timeout_cost : p.retry_cost;
  if (!budget.try_spend(cost)) {
    d.reason = stop_reason::budget_exhausted;
    return d;
  }
  d.cost = cost;
  d.retry = true;
  d.reason = stop_reason::none;
  return d;
}

} // namespace cleanlist::core
