#include "client/download.hpp"
#include "protocol/download.hpp"
#include "transport/connection.hpp"

namespace cleanlist {

asio::awaitable<download_result> download_file(client::impl& self, std::string url, std::uint64_t max_bytes,
                                               std::chrono::milliseconds deadline, transport::call_context& cc) {
  download_result r;
  auto& ts = self.transport_state();
  auto req = protocol::make_download_request(url, !ts.url.tls, self.user_agent(), r.problem);
  if (!req) {
    r.ec = error::invalid_argument;
    co_return r;
  }
  std::optional<protocol::proxy_route> route;
  try {
    route = protocol::make_proxy_route(ts.proxy_config, req->origin);
  } catch (const std::exception&) {  // checked when the transport was made: only a defence
    r.ec = error::invalid_argument;
    r.problem = "the proxy settings do not apply to the download host";
    co_return r;
  }
  transport::endpoint ep;
  ep.url = req->origin;
  ep.ssl = &ts.ssl;  // the client's trust settings; verify_peer, SNI and host name set per connection
  ep.proxy = route ? &*route : nullptr;
  ep.connect_timeout = std::min(self.connect_timeout(), deadline);
  ep.request_timeout = deadline;
  ep.max_header_bytes = self.max_header_bytes();
  ep.max_body_bytes = max_bytes;
  transport::connection conn(self.user_executor());
  if (auto ec = co_await conn.connect(ep, *ts.dns, cc)) {
    r.ec = ec;
    r.problem = "download: cannot connect to the download host (" + ec.message() + ")";
    co_return r;
  }
  auto ex = co_await conn.exchange(ep, req->request, cc);
  conn.close();
  if (ex.ec) {
    r.ec = ex.ec;
    r.problem = "download failed (" + ex.ec.message() + ")";
    co_return r;
  }
  if (ex.response.result_int() != 200) {
    r.ec = error::api_error;
    r.problem = "download answered HTTP " + std::to_string(ex.response.result_int());
    co_return r;
  }
  r.body = std::move(ex.response.body());
  co_return r;
}

} // namespace cleanlist
