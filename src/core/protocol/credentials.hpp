#pragma once
// The shape of credentials, checked before any request is sent (the client) and when one is
// received (the simulator). Messages say what is wrong, never echo the credential.
#include <string>
#include <string_view>

namespace cleanlist::detail {

/// Three non-empty base64url segments separated by '.' (JWS compact form, no padding).
bool jwt_shaped(std::string_view token);
/// Empty when `key` looks like an API key ("clapi_", printable ASCII, sane length); else why not.
std::string check_api_key(std::string_view key);
/// Empty when `jwt` looks like a Clerk session JWT; else why not.
std::string check_jwt(std::string_view jwt);

} // namespace cleanlist::detail
