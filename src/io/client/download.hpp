#pragma once
// A plain HTTPS GET of a file the API points to (an export's signed download_url), on a
// one-off connection: the pool serves the API's origin only, and the file may live on another
// host. Not an API call: no Authorization header, no rate-limiter slot, no retry. The client's
// TLS trust (system store and extra CAs), SNI and host-name check for the download host, and
// its proxy settings (NO_PROXY matched against the download host) apply.
#include "client/client_impl.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace cleanlist {

struct download_result {
  error_code ec;
  std::string body;
  std::string problem;  ///< why it failed (never the URL: its query is a bearer signature)
};

/// Downloads `url` within `max_bytes` of body and `deadline` for the whole exchange (connect
/// also within the client's connect_timeout); 200 only. http:// only when the client's own
/// base URL is http. Runs on the client's strand; `cc` is the calling operation's context
/// (its cancellation and overall deadline apply).
asio::awaitable<download_result> download_file(client::impl& self, std::string url, std::uint64_t max_bytes,
                                               std::chrono::milliseconds deadline, transport::call_context& cc);

} // namespace cleanlist
