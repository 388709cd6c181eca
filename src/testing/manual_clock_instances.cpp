// The timer-driven shells on testing::manual_clock, for tests that run them without waiting:
// compiled here, in the testing library, so the production library carries no test clock.
#include <cleanlist/testing/manual_clock.hpp>

#include "client/poll_driver_impl.hpp"
#include "engine/rate_limiter_impl.hpp"
#include "transport/deadline_watch_impl.hpp"

namespace cleanlist {
template class basic_rate_limiter<testing::manual_clock>;
template class transport::basic_deadline_watch<testing::manual_clock>;
template class basic_poll_driver<testing::manual_clock>;
} // namespace cleanlist
