#include "protocol/download.hpp"

namespace cleanlist::protocol {

std::optional<download_request> make_download_request(std::string_view url, bool allow_http, std::string_view user_agent,
                                                      std::string& problem) {
  auto parts = parse_url(url);
  if (!parts) {
    problem = "the download URL is malformed";
    return std::nullopt;
  }
  if (parts->scheme != "https" && !(allow_http && parts->scheme == "http")) {
    problem = parts->scheme == "http" ? "the download URL is plain http while the API is reached over https"
                                      : "the download URL's scheme is not https";
    return std::nullopt;
  }
  if (parts->has_userinfo) {
    problem = "the download URL carries user info (credentials): refused";
    return std::nullopt;
  }
  download_request d;
  d.origin.tls = parts->scheme == "https";
  d.origin.host = parts->host;
  d.origin.port = parts->port ? *parts->port : (d.origin.tls ? 443 : 80);
  d.target = parts->path.empty() ? "/" : parts->path;
  if (parts->has_query) d.target += "?" + parts->query;
  d.request.reserve(d.target.size() + d.origin.host.size() + user_agent.size() + 96);
  d.request.append("GET ").append(d.target).append(" HTTP/1.1\r\nHost: ").append(d.origin.host_header());
  d.request.append("\r\nUser-Agent: ").append(user_agent);
  d.request.append("\r\nAccept: text/csv, */*\r\nConnection: close\r\n\r\n");
  return d;
}

} // namespace cleanlist::protocol
