#pragma once
// The organisation budget behind cleanlist::org_budget (opaque in the public header).
#include <cleanlist/rate_limit.hpp>

#include "decisions/window_budget.hpp"

#include <mutex>

namespace cleanlist {

class org_budget {
public:
  explicit org_budget(const rate_limit_params& p)
      : budget(p.enabled ? p.per_org : 0, p.window, p.margin) {}

  std::mutex mu;              ///< guards budget (limiters of one org may run on several threads)
  core::window_budget budget;
};

} // namespace cleanlist
