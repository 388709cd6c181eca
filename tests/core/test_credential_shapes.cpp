// Credential shapes (src/core/protocol/credentials.*): one check for the client and the simulator.
#include "protocol/credentials.hpp"

#include <doctest/doctest.h>

#include <string>

using cleanlist::detail::check_api_key;
using cleanlist::detail::check_jwt;
using cleanlist::detail::jwt_shaped;

TEST_CASE("jwt_shaped: three non-empty base64url segments") {
  CHECK(jwt_shaped("a.b.c"));
  CHECK(jwt_shaped("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl-_"));
  CHECK_FALSE(jwt_shaped(""));
  CHECK_FALSE(jwt_shaped("a.b"));
  CHECK_FALSE(jwt_shaped("a.b.c.d"));
  CHECK_FALSE(jwt_shaped(".b.c"));
  CHECK_FALSE(jwt_shaped("a..c"));
  CHECK_FALSE(jwt_shaped("a.b."));
  CHECK_FALSE(jwt_shaped("a.b.c="));  // no padding
  CHECK_FALSE(jwt_shaped("a.b+.c"));  // base64url, not base64
  CHECK_FALSE(jwt_shaped("a.b c.d"));
}

TEST_CASE("check_api_key: says what is wrong, never echoes the key") {
  CHECK(check_api_key("clapi_0123456789abcdef").empty());
  const std::string jwt_like = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl";
  auto m = check_api_key(jwt_like);
  CHECK(m.find("Clerk JWT") != std::string::npos);
  CHECK(m.find(jwt_like) == std::string::npos);
  const std::string secret = "sk_live_TOPSECRET42";
  m = check_api_key(secret);
  CHECK(m.find("clapi_") != std::string::npos);
  CHECK(m.find("TOPSECRET42") == std::string::npos);
  CHECK(check_api_key("clapi_x").find("length") != std::string::npos);
  CHECK(check_api_key("clapi_0123456789\r\nX-Injected: 1").find("control") != std::string::npos);
  CHECK(check_api_key("").find("no credentials") != std::string::npos);
}

TEST_CASE("check_jwt: an API key or a non-JWT is refused with the reason") {
  CHECK(check_jwt("a.b.c").empty());
  CHECK(check_jwt("clapi_0123456789abcdef").find("API key") != std::string::npos);
  CHECK(check_jwt("not-a-jwt").find("three non-empty base64url segments") != std::string::npos);
  CHECK(check_jwt(std::string(9000, 'a')).find("8192") != std::string::npos);
  CHECK(check_jwt("a.b.c\n").find("control") != std::string::npos);
}
