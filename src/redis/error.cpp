#include "redis/error.hpp"

#include <string>

namespace cleanlist::redis {
namespace {

class category_impl : public boost::system::error_category {
public:
  const char* name() const noexcept override { return "cleanlist.redis"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
    case errc::timeout: return "redis command deadline passed";
    case errc::not_connected: return "redis connection is down (reconnecting)";
    case errc::connection_lost: return "redis connection lost with the command in flight";
    case errc::protocol_error: return "redis protocol error";
    case errc::auth_failed: return "redis AUTH refused";
    case errc::select_failed: return "redis SELECT refused";
    case errc::server_error: return "redis error reply";
    case errc::unexpected_reply: return "unexpected redis reply";
    case errc::bad_url: return "malformed redis URL";
    case errc::closed: return "redis connection closed";
    }
    return "unknown redis error";
  }
};

} // namespace

const boost::system::error_category& category() noexcept {
  static const category_impl c;
  return c;
}

} // namespace cleanlist::redis
