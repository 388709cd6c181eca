#pragma once
// Sans-io part of downloading a file the API points to (an export's signed `download_url`):
// the URL checks and the request. Not an API call: no credential is ever written into it
// (the URL's signature grants access), and it may name another host than the API's.
#include "protocol/url.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace cleanlist::protocol {

struct download_request {
  base_url origin;     ///< scheme, host and port to connect to (path empty)
  std::string target;  ///< path and query as sent
  std::string request; ///< the whole request: GET, Host, User-Agent, Accept, Connection: close
};

/// Checks `url` and builds its GET. https only, unless `allow_http` (the client's own base URL
/// is plain http, e.g. a local simulator); no user info (credentials in a URL are refused,
/// never echoed). The fragment is dropped. nullopt with `problem` (which never quotes the URL:
/// its query is a bearer signature) when refused. `user_agent` must hold no control characters
/// (the client checked it).
std::optional<download_request> make_download_request(std::string_view url, bool allow_http, std::string_view user_agent,
                                                      std::string& problem);

} // namespace cleanlist::protocol
