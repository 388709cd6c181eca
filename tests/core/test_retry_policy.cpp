// Retry decisions (sans-io): backoff bounds, Retry-After, classification of every status and
// send stage for idempotent and non-idempotent requests, retry budget.
#include <doctest/doctest.h>

#include "decisions/retry_policy.hpp"

#include <boost/asio/error.hpp>

#include <array>
#include <cstdlib>
#include <random>
#include <set>

using namespace std::chrono_literals;
using cleanlist::retry_params;
using namespace cleanlist::core;
using ms = std::chrono::milliseconds;

namespace {

attempt_outcome response(int status, bool idempotent) {
  attempt_outcome o;
  o.idempotent = idempotent;
  o.stage = send_stage::response;
  o.http_status = status;
  return o;
}

attempt_outcome transport(send_stage stage, bool idempotent, cleanlist::error_code ec) {
  attempt_outcome o;
  o.idempotent = idempotent;
  o.stage = stage;
  o.ec = ec;
  return o;
}

retry_decision decide(const attempt_outcome& o, int attempt = 1, double r = 0.5) {
  retry_params p;
  retry_budget b(p);
  return decide_retry(o, attempt, p, b, r);
}

} // namespace

TEST_CASE("backoff: full jitter within [0, min(cap, base*2^(n-1))]") {
  retry_params p; // 500 ms base, 8 s cap
  CHECK(backoff_cap(1, p) == ms(500));
  CHECK(backoff_cap(2, p) == ms(1000));
  CHECK(backoff_cap(3, p) == ms(2000));
  CHECK(backoff_cap(5, p) == ms(8000));
  CHECK(backoff_cap(6, p) == ms(8000));
  CHECK(backoff_cap(1000, p) == ms(8000)); // no overflow
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int attempt = 1; attempt <= 12; ++attempt) {
    ms lo = ms::max(), hi = ms::min();
    for (int i = 0; i < 2000; ++i) {
      const ms d = backoff_delay(attempt, p, u(rng));
      CHECK(d >= ms(0));
      CHECK(d < backoff_cap(attempt, p) + ms(1));
      CHECK(d <= backoff_cap(attempt, p));
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    // Full jitter actually spreads over the range.
    CHECK(lo < backoff_cap(attempt, p) / 10);
    CHECK(hi > backoff_cap(attempt, p) * 9 / 10);
  }
  CHECK(backoff_delay(2, p, 0.0) == ms(0));
  CHECK(backoff_delay(2, p, 0.5) == ms(500));
  CHECK(backoff_delay(2, p, 1.0) < ms(1000)); // clamped into [0,1)
  CHECK(backoff_delay(2, p, -3.0) == ms(0));
}

TEST_CASE("decide_retry: delay uses the backoff of the attempt") {
  const auto d = decide(response(500, true), 2, 0.25);
  CHECK(d.retry);
  CHECK(d.delay == ms(250)); // 0.25 * 1000
  CHECK_FALSE(d.pause_budget);
}

TEST_CASE("decide_retry: Retry-After honoured, combined with jitter, capped") {
  retry_params p;
  retry_budget b(p);
  auto o = response(429, false);
  o.retry_after = 3s;
  auto d = decide_retry(o, 1, p, b, 0.9);
  CHECK(d.retry);
  CHECK(d.delay == ms(3000)); // max(3000, 450)
  CHECK(d.pause_budget);
  CHECK(d.pause_for == ms(3000));

  // Jitter larger than Retry-After wins.
  o.retry_after = 100ms;
  d = decide_retry(o, 2, p, b, 0.9);
  CHECK(d.delay == ms(900));

  // Exactly at the cap: waited.
  o.retry_after = p.max_retry_after;
  d = decide_retry(o, 1, p, b, 0.5);
  CHECK(d.retry);
  CHECK(d.delay == p.max_retry_after);

  // Above the cap: no retry; the limiter is still told to pause, but only for what a caller
  // accepts to wait (a year-long Retry-After must not freeze the key and its organisation).
  o.retry_after = p.max_retry_after + 1ms;
  d = decide_retry(o, 1, p, b, 0.5);
  CHECK_FALSE(d.retry);
  CHECK(d.reason == stop_reason::retry_after_too_long);
  CHECK(d.pause_budget);
  CHECK(d.pause_for == p.max_retry_after);
  o.retry_after = std::chrono::hours(24 * 365);
  d = decide_retry(o, 1, p, b, 0.5);
  CHECK(d.pause_for == p.max_retry_after);

  // The capped delay never exceeds max_retry_after even when jitter would.
  retry_params q;
  q.max_retry_after = 1000ms;
  q.base_delay = 4000ms;
  q.max_delay = 8000ms;
  o.retry_after = 500ms;
  d = decide_retry(o, 1, q, b, 0.99);
  CHECK(d.retry);
  CHECK(d.delay == ms(1000));

  // 503 without Retry-After: pause for the backoff delay.
  d = decide_retry(response(503, true), 1, p, b, 0.5);
  CHECK(d.retry);
  CHECK(d.pause_budget);
  CHECK(d.pause_for == d.delay);
}

TEST_CASE("decide_retry: every status for idempotent and non-idempotent requests") {
  const std::set<int> idem_retry{408, 429, 500, 502, 503, 504};
  const std::set<int> non_idem_retry{429, 503};
  const std::array<int, 26> statuses{200, 201, 202, 204, 301, 302, 304, 400, 401, 402, 403, 404, 405,
                                     408, 409, 410, 413, 422, 429, 500, 501, 502, 503, 504, 505, 599};
  for (int s : statuses) {
    for (bool idem : {true, false}) {
      INFO("status=" << s << " idempotent=" << idem);
      const auto d = decide(response(s, idem));
      const bool expected = idem ? idem_retry.count(s) != 0 : non_idem_retry.count(s) != 0;
      CHECK(d.retry == expected);
      CHECK_FALSE(d.outcome_unknown);
      CHECK(d.pause_budget == (s == 429 || s == 503));
      if (s < 400) CHECK(d.reason == stop_reason::success);
      else if (!expected) CHECK(d.reason == stop_reason::not_retryable);
      else CHECK(d.reason == stop_reason::none);
      CHECK_FALSE(d.error()); // a status answer never turns into a library error here
    }
  }
}

TEST_CASE("decide_retry: retryable flag from the API") {
  // retryable:false wins over a retryable status.
  for (int s : {429, 500, 503}) {
    for (bool idem : {true, false}) {
      auto o = response(s, idem);
      o.retryable = false;
      CHECK_FALSE(decide(o).retry);
    }
  }
  // retryable:true enables an otherwise-final status for idempotent requests only.
  auto o = response(409, true);
  o.retryable = true;
  CHECK(decide(o).retry);
  o.idempotent = false;
  CHECK_FALSE(decide(o).retry);
  o = response(500, false);
  o.retryable = true; // possibly processed: still not retried
  CHECK_FALSE(decide(o).retry);
  // retryable:true on a success does nothing.
  o = response(200, true);
  o.retryable = true;
  CHECK_FALSE(decide(o).retry);
}

TEST_CASE("decide_retry: send_stage x idempotent") {
  const cleanlist::error_code reset = boost::asio::error::connection_reset;
  const cleanlist::error_code refused = boost::asio::error::connection_refused;
  const cleanlist::error_code timeout = make_error_code(cleanlist::error::timeout);
  for (auto ec : {reset, refused, timeout}) {
    INFO("ec=" << ec.message());
    // not_sent: safe for everyone.
    CHECK(decide(transport(send_stage::not_sent, true, ec)).retry);
    CHECK(decide(transport(send_stage::not_sent, false, ec)).retry);
    // sent_no_response: idempotent retried, non-idempotent -> outcome_unknown.
    auto d = decide(transport(send_stage::sent_no_response, true, ec));
    CHECK(d.retry);
    CHECK_FALSE(d.outcome_unknown);
    d = decide(transport(send_stage::sent_no_response, false, ec));
    CHECK_FALSE(d.retry);
    CHECK(d.outcome_unknown);
    CHECK(d.reason == stop_reason::outcome_unknown);
    CHECK(d.error() == cleanlist::error::outcome_unknown);
  }
  // Permanent local errors and user cancellation: never retried.
  const cleanlist::error_code permanent[] = {
      make_error_code(cleanlist::error::invalid_argument), make_error_code(cleanlist::error::invalid_api_key),
      make_error_code(cleanlist::error::tls_verification_failed), make_error_code(cleanlist::error::shutdown),
      boost::asio::error::operation_aborted};
  for (auto ec : permanent) {
    INFO("ec=" << ec.message());
    CHECK_FALSE(decide(transport(send_stage::not_sent, true, ec)).retry);
    CHECK_FALSE(decide(transport(send_stage::not_sent, false, ec)).retry);
    CHECK_FALSE(decide(transport(send_stage::sent_no_response, true, ec)).retry);
  }
  // A cancelled non-idempotent request that was sent still has an unknown outcome.
  CHECK(decide(transport(send_stage::sent_no_response, false, boost::asio::error::operation_aborted))
            .outcome_unknown);
}

TEST_CASE("decide_retry: attempts are bounded") {
  retry_params p; // 3 attempts
  retry_budget b(p);
  CHECK(decide_retry(response(503, true), 1, p, b, 0.5).retry);
  CHECK(decide_retry(response(503, true), 2, p, b, 0.5).retry);
  const auto d = decide_retry(response(503, true), 3, p, b, 0.5);
  CHECK_FALSE(d.retry);
  CHECK(d.reason == stop_reason::attempts_exhausted);
  CHECK(d.pause_budget); // still tells the limiter
  p.max_attempts = 1;
  CHECK_FALSE(decide_retry(response(503, true), 1, p, b, 0.5).retry);
}

TEST_CASE("retry_budget: costs, refunds, exhaustion") {
  retry_params p;
  p.budget_tokens = 20;
  retry_budget b(p);
  CHECK(b.available() == doctest::Approx(20));
  // 500: retry cost 5
  auto first = decide_retry(response(500, true), 1, p, b, 0.1);
  CHECK(first.retry);
  CHECK(first.cost == doctest::Approx(5));
  CHECK(b.available() == doctest::Approx(15));
  // timeout: cost 10
  CHECK(decide_retry(transport(send_stage::sent_no_response, true, make_error_code(cleanlist::error::timeout)),
                     1, p, b, 0.1)
            .retry);
  CHECK(b.available() == doctest::Approx(5));
  // 5 left: a timeout retry (10) cannot be paid; nothing is taken
  auto d = decide_retry(transport(send_stage::not_sent, true, make_error_code(cleanlist::error::timeout)), 1, p,
                        b, 0.1);
  CHECK_FALSE(d.retry);
  CHECK(d.reason == stop_reason::budget_exhausted);
  CHECK(d.error() == cleanlist::error::retry_budget_exhausted);
  CHECK(b.available() == doctest::Approx(5));
  // a plain retry (5) still can
  CHECK(decide_retry(response(502, true), 1, p, b, 0.1).retry);
  CHECK(b.available() == doctest::Approx(0));
  d = decide_retry(response(429, false), 1, p, b, 0.1);
  CHECK_FALSE(d.retry);
  CHECK(d.reason == stop_reason::budget_exhausted);
  CHECK(d.pause_budget);
  // refunds: success after a retry refunds its cost, plain success refunds 1; capped.
  b.on_success(p, 5);
  CHECK(b.available() == doctest::Approx(5));
  b.on_success(p);
  CHECK(b.available() == doctest::Approx(6));
  for (int i = 0; i < 100; ++i) b.on_success(p);
  CHECK(b.available() == doctest::Approx(20));
  // Non-retried outcomes never spend tokens.
  decide_retry(response(404, true), 1, p, b, 0.1);
  decide_retry(response(200, true), 1, p, b, 0.1);
  decide_retry(transport(send_stage::sent_no_response, false, boost::asio::error::connection_reset), 1, p, b, 0.1);
  CHECK(b.available() == doctest::Approx(20));
}

TEST_CASE("decide_retry: a replay-safe (quote-protected) POST is replayed after a lost answer") {
  retry_params p;
  retry_budget b(p);
  attempt_outcome o;
  o.idempotent = false;
  o.stage = send_stage::sent_no_response;
  o.ec = make_error_code(cleanlist::error::timeout);
  auto d = decide_retry(o, 1, p, b, 0.5);
  CHECK_FALSE(d.retry);
  CHECK(d.outcome_unknown);  // a plain non-idempotent POST is never replayed
  o.replay_safe = true;
  d = decide_retry(o, 1, p, b, 0.5);
  CHECK(d.retry);  // the single-use quote makes a second processing impossible
  CHECK_FALSE(d.outcome_unknown);
  CHECK(d.cost == p.timeout_cost);
}

TEST_CASE("provably_not_processed") {
  attempt_outcome o;
  o.stage = send_stage::not_sent;
  CHECK(provably_not_processed(o));
  o.stage = send_stage::sent_no_response;
  CHECK_FALSE(provably_not_processed(o));
  o.stage = send_stage::response;
  for (int s : {400, 401, 404, 409, 422, 429, 503}) {
    o.http_status = s;
    CHECK(provably_not_processed(o));
  }
  for (int s : {500, 502, 504}) {
    o.http_status = s;
    CHECK_FALSE(provably_not_processed(o));
  }
}

TEST_CASE("jitter_rng: uniform in [0, 1), different streams for different seeds") {
  jitter_rng a(1), b(2), a2(1);
  double sum = 0;
  std::array<int, 10> bins{};
  bool same_as_b = true;
  constexpr int n = 100000;
  for (int i = 0; i < n; ++i) {
    const double x = a.next01();
    REQUIRE(x >= 0.0);
    REQUIRE(x < 1.0);
    CHECK(a2.next01() == x);  // deterministic from the seed
    same_as_b = same_as_b && b.next01() == x;
    sum += x;
    ++bins[static_cast<std::size_t>(x * 10)];
  }
  CHECK_FALSE(same_as_b);
  CHECK(sum / n == doctest::Approx(0.5).epsilon(0.01));
  for (int c : bins) CHECK(std::abs(c - n / 10) < n / 100);  // each tenth within 10 % of its share
  // A standard UniformRandomBitGenerator: usable with <random>'s distributions.
  std::uniform_int_distribution<int> d(1, 6);
  jitter_rng g(42);
  std::set<int> faces;
  for (int i = 0; i < 200; ++i) faces.insert(d(g));
  CHECK(faces.size() == 6);
}
