#pragma once
// Polling parameters for waiting on asynchronous workflows (public, plain values; no Asio).
//
// A workflow is first polled `initial` after it was dispatched; each later poll waits
// `multiplier` times longer than the previous gap, up to `max_interval`. After `deadline`
// (measured from dispatch) the wait gives up with cleanlist::error::timeout (the workflow
// itself keeps running on the server).
//
// When the status reports progress (processed of total), a poll is placed by the estimated
// completion: earlier than the backoff when the workflow should be done sooner; and, for a
// wait without a progress callback (only its end matters, e.g. enrich_many's bulk run),
// halfway to a far estimate, beyond max_interval: a long run costs a handful of polls.
//
// Status polls count against the rate limits (30/min per key, 60/min per organisation).
// When many workflows wait on one key, polls are issued oldest-due first, one per limiter
// grant, so polling never exceeds the request budget and no workflow starves
// (see src/core/decisions/poll_scheduler.hpp).

#include <chrono>

namespace cleanlist {

struct poll_params {
  std::chrono::milliseconds initial{1000};
  double multiplier = 1.5;
  std::chrono::milliseconds max_interval{10000};
  std::chrono::milliseconds deadline{900000};
};

} // namespace cleanlist
