#pragma once
// Retry parameters of the cleanlist client (public, plain values; no Asio).
//
// Defaults follow the anchors (research/anchors-cpp-clients.md §2): 3 attempts in total
// (AWS standard / Stripe / OpenAI use 2 retries), 0.5 s base doubling per retry (Stripe,
// OpenAI), 8 s cap (OpenAI), full jitter (AWS), Retry-After honoured up to 60 s (OpenAI;
// above the cap the request is not retried), and the AWS standard client-wide retry quota
// (500 tokens, 5 per retry, 10 per timeout retry, 1 refunded per success).
//
// What is retried (decided in src/core/decisions/retry_policy.*):
//  * idempotent requests (GET, DELETE, status polls, requests carrying an idempotency_key):
//    connection errors, timeouts, 408, 429, 500, 502, 503, 504;
//  * non-idempotent requests (POST /enrichment/person|company, legacy POST /enrich/bulk):
//    only when the server provably did not process them: nothing was written on the wire,
//    429 or 503. A request that was written but got no answer fails with
//    cleanlist::error::outcome_unknown and is never retried (a retry could charge twice);
//  * never: other 4xx, and any answer carrying `"retryable": false`.

#include <chrono>

namespace cleanlist {

struct retry_params {
  /// Attempts in total, the first included (1 = never retry).
  int max_attempts = 3;
  /// Backoff before retry n (1-based) is uniform in [0, min(max_delay, base_delay * 2^(n-1))].
  std::chrono::milliseconds base_delay{500};
  std::chrono::milliseconds max_delay{8000};
  /// A server Retry-After above this is not waited for: the request fails instead.
  std::chrono::milliseconds max_retry_after{60000};
  /// Client-wide retry quota (shared by all requests of a client): tokens available,
  /// cost of a retry, cost of a retry after a timeout / lost response, refund per success.
  double budget_tokens = 500;
  double retry_cost = 5;
  double timeout_cost = 10;
  double success_refund = 1;
};

} // namespace cleanlist
