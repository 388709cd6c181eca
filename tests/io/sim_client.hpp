#pragma once
// A small synchronous HTTP/1.1 client for the simulator tests (plain or TLS with CA and host
// name verification), written on Beast but keeping Beast out of this header. Independent of the
// main client library on purpose.
#include <boost/json.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace simtest {

struct http_result {
  int status = 0;                            ///< 0: no (complete) answer
  std::string body;
  std::map<std::string, std::string> headers; ///< lower-case names
  boost::system::error_code ec;               ///< transport error, if any
  bool timed_out = false;
  boost::json::value json() const;            ///< parsed body (throws on bad JSON)
  std::string header(std::string_view name) const;
  /// error.code of an envelope ("" when absent)
  std::string code() const;
};

struct client_options {
  std::string ca_pem{};      ///< TLS: trust this CA (required for https)
  std::string verify_host{}; ///< TLS: name to verify/SNI (default: the URL's host)
  std::chrono::milliseconds timeout{5000};
};

class client {
public:
  /// base: "http(s)://host:port/api/v1/public" (the prefix is prepended to relative paths)
  client(std::string base, std::string api_key, client_options opt = {});
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  http_result get(std::string_view path);
  http_result post(std::string_view path, const boost::json::value& body);
  http_result patch(std::string_view path, const boost::json::value& body);
  http_result del(std::string_view path, const boost::json::value* body = nullptr);
  /// Raw request; `path` is appended to the prefix unless it starts with "//" (then absolute,
  /// without the two slashes' first one) — use absolute("/__admin/stats") for that.
  http_result request(std::string_view method, std::string_view path, std::string_view body,
                      bool send_auth = true, std::string_view auth_override = {});
  static std::string absolute(std::string_view target) { return "/" + std::string(target); }

  void set_key(std::string k);
  void close();                       ///< drop the connection
  int connects() const;               ///< connections opened so far
  const std::string& prefix() const;

private:
  struct impl;
  std::unique_ptr<impl> p_;
};

/// A tiny HTTP server receiving webhooks: answers each POST with the next status of `statuses`
/// (the last one repeats) and records the bodies.
class webhook_receiver {
public:
  explicit webhook_receiver(std::vector<int> statuses = {200});
  ~webhook_receiver();
  std::string url() const;
  std::vector<std::string> bodies() const;
  int hits() const;

private:
  struct impl;
  std::unique_ptr<impl> p_;
};

} // namespace simtest
