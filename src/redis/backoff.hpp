#pragma once
// Sans-io reconnect backoff: exponential, capped, with negative jitter.
#include <algorithm>
#include <chrono>

namespace cleanlist::redis {

struct backoff_params {
  std::chrono::milliseconds initial{50};   ///< delay after the first failed attempt
  std::chrono::milliseconds max{2000};     ///< cap
  double jitter = 0.25;                    ///< delay is scaled by (1 - jitter * u), u in [0, 1)
};

/// Delay before reconnect attempt `attempt` (0 = after the first failure): initial * 2^attempt,
/// capped at max, then reduced by up to `jitter` (u: a uniform random number in [0, 1)).
inline std::chrono::milliseconds backoff_delay(const backoff_params& p, unsigned attempt, double u) noexcept {
  using ms = std::chrono::milliseconds;
  const auto cap = std::max(p.max, ms{0});
  ms d = std::max(p.initial, ms{0});
  for (unsigned i = 0; i < attempt && d < cap; ++i) d *= 2;
  d = std::min(d, cap);
  const double j = std::clamp(p.jitter, 0.0, 1.0) * std::clamp(u, 0.0, 1.0);
  return ms{static_cast<ms::rep>(static_cast<double>(d.count()) * (1.0 - j))};
}

} // namespace cleanlist::redis
