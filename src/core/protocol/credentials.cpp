#include "protocol/credentials.hpp"

namespace cleanlist::detail {

bool jwt_shaped(std::string_view s) {
  int dots = 0;
  std::size_t seg = 0;
  for (unsigned char c : s) {
    if (c == '.') {
      if (seg == 0) return false;
      ++dots;
      seg = 0;
    } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
      ++seg;
    } else {
      return false;
    }
  }
  return dots == 2 && seg > 0;
}

std::string check_api_key(std::string_view key) {
  if (key.empty()) return "no credentials: set client_params::api_key (or CLEANLIST_API_KEY) or client_params::bearer_jwt";
  if (!key.starts_with("clapi_")) {
    if (jwt_shaped(key)) return "API key must start with \"clapi_\" (this looks like a Clerk JWT: set client_params::bearer_jwt)";
    return "API key must start with \"clapi_\"";
  }
  if (key.size() < 10 || key.size() > 512) return "API key has an invalid length";
  for (unsigned char c : key)
    if (c <= 0x20 || c >= 0x7f) return "API key contains control, space or non-ASCII characters";
  return {};
}

std::string check_jwt(std::string_view jwt) {
  if (jwt.size() > 8192) return "bearer_jwt is longer than 8192 bytes";
  for (unsigned char c : jwt)
    if (c <= 0x20 || c >= 0x7f) return "bearer_jwt contains control, space or non-ASCII characters";
  if (jwt.starts_with("clapi_")) return "bearer_jwt holds an API key: set client_params::api_key instead";
  if (!jwt_shaped(jwt))
    return "bearer_jwt is not a JWT: expected three non-empty base64url segments separated by '.' ([A-Za-z0-9_-], no padding)";
  return {};
}

} // namespace cleanlist::detail
