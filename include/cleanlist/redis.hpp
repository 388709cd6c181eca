#pragma once
// The shared budget on Redis: the cleanlist::redis library (CMake component `redis`; built
// when hiredis is found). Link it to use this header.
#include <cleanlist/rate_limit.hpp>

#include <cleanlist/asio_config.hpp>
#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <string_view>

namespace cleanlist {

/// Shared budget on Redis: url is redis://[[user]:password@]host[:port][/db] or rediss://
/// (TLS, verified). Connects lazily on `ex`. Throws std::invalid_argument for a malformed URL
/// (the message never contains the password).
std::shared_ptr<shared_budget> make_redis_budget(boost::asio::any_io_executor ex, std::string_view url,
                                                 shared_budget_options options = {});

} // namespace cleanlist
