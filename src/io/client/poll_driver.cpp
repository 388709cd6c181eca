// The poll driver on the steady clock (the templates are in poll_driver_impl.hpp).
#include "client/poll_driver_impl.hpp"

namespace cleanlist {
template class basic_poll_driver<std::chrono::steady_clock>;
} // namespace cleanlist
