// The rate limiter on the steady clock (the templates are in rate_limiter_impl.hpp).
#include "engine/rate_limiter_impl.hpp"

namespace cleanlist {

std::shared_ptr<org_budget> make_org_budget(const rate_limit_params& params) {
  return std::make_shared<org_budget>(params);
}

boost::asio::execution_context::id detail::shutdown_hooks::id;

template class basic_rate_limiter<std::chrono::steady_clock>;

} // namespace cleanlist
