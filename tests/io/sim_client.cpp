#include "sim_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <thread>
#include <optional>
#include <stdexcept>

namespace simtest {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

boost::json::value http_result::json() const { return boost::json::parse(body); }

std::string http_result::header(std::string_view name) const {
  std::string n(name);
  for (auto& ch : n) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  auto it = headers.find(n);
  return it == headers.end() ? std::string() : it->second;
}

std::string http_result::code() const {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return {};
  auto* e = v.as_object().if_contains("error");
  if (!e || !e->is_object()) return {};
  auto* c = e->as_object().if_contains("code");
  return c && c->is_string() ? std::string(c->as_string()) : std::string();
}

struct client::impl {
  net::io_context ioc;
  std::string scheme, host, port, prefix, key;
  client_options opt;
  std::optional<ssl::context> ctx;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buf;
  int connects = 0;

  bool is_tls() const { return scheme == "https"; }
  beast::tcp_stream& tcp_layer() { return is_tls() ? beast::get_lowest_layer(*tls) : *plain; }
  bool connected() const { return plain.has_value() || tls.has_value(); }

  void drop() {
    boost::system::error_code ec;
    if (plain) plain->socket().close(ec);
    if (tls) beast::get_lowest_layer(*tls).socket().close(ec);
    plain.reset();
    tls.reset();
    buf.clear();
  }

  // runs the io_context until the posted operation completes
  void run() {
    ioc.restart();
    ioc.run();
  }

  boost::system::error_code connect() {
    boost::system::error_code ec;
    tcp::resolver res(ioc);
    auto eps = res.resolve(host, port, ec);
    if (ec) return ec;
    if (is_tls()) {
      tls.emplace(ioc, *ctx);
      std::string vh = opt.verify_host.empty() ? host : opt.verify_host;
      SSL_set_tlsext_host_name(tls->native_handle(), vh.c_str());
      tls->set_verify_callback(ssl::host_name_verification(vh));
    } else {
      plain.emplace(ioc);
    }
    auto& t = tcp_layer();
    t.expires_after(opt.timeout);
    t.async_connect(eps, [&](boost::system::error_code e, const tcp::endpoint&) { ec = e; });
    run();
    if (!ec && is_tls()) {
      t.expires_after(opt.timeout);
      tls->async_handshake(ssl::stream_base::client, [&](boost::system::error_code e) { ec = e; });
      run();
    }
    if (ec) drop();
    else ++connects;
    return ec;
  }

  template <class Msg> void write(Msg& m, boost::system::error_code& ec) {
    tcp_layer().expires_after(opt.timeout);
    auto h = [&](boost::system::error_code e, std::size_t) { ec = e; };
    if (is_tls()) http::async_write(*tls, m, h);
    else http::async_write(*plain, m, h);
    run();
  }
  template <class Parser> void read(Parser& p, boost::system::error_code& ec) {
    tcp_layer().expires_after(opt.timeout);
    auto h = [&](boost::system::error_code e, std::size_t) { ec = e; };
    if (is_tls()) http::async_read(*tls, buf, p, h);
    else http::async_read(*plain, buf, p, h);
    run();
  }
};

client::client(std::string base, std::string api_key, client_options opt) : p_(std::make_unique<impl>()) {
  auto se = base.find("://");
  if (se == std::string::npos) throw std::invalid_argument("bad base url");
  p_->scheme = base.substr(0, se);
  auto rest = base.substr(se + 3);
  auto slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  p_->prefix = slash == std::string::npos ? "" : rest.substr(slash);
  auto colon = hostport.rfind(':');
  p_->host = hostport.substr(0, colon);
  p_->port = colon == std::string::npos ? (p_->scheme == "https" ? "443" : "80") : hostport.substr(colon + 1);
  p_->key = std::move(api_key);
  p_->opt = std::move(opt);
  if (p_->is_tls()) {
    p_->ctx.emplace(ssl::context::tls_client);
    p_->ctx->set_verify_mode(ssl::verify_peer);
    if (!p_->opt.ca_pem.empty()) p_->ctx->add_certificate_authority(net::buffer(p_->opt.ca_pem));
  }
}

client::~client() = default;

void client::set_key(std::string k) { p_->key = std::move(k); }
void client::close() { p_->drop(); }
int client::connects() const { return p_->connects; }
const std::string& client::prefix() const { return p_->prefix; }

http_result client::get(std::string_view path) { return request("GET", path, {}); }
http_result client::post(std::string_view path, const boost::json::value& body) {
  return request("POST", path, boost::json::serialize(body));
}
http_result client::patch(std::string_view path, const boost::json::value& body) {
  return request("PATCH", path, boost::json::serialize(body));
}
http_result client::del(std::string_view path, const boost::json::value* body) {
  return request("DELETE", path, body ? boost::json::serialize(*body) : std::string());
}

http_result client::request(std::string_view method, std::string_view path, std::string_view body, bool send_auth,
                            std::string_view auth_override) {
  http_result r;
  auto& p = *p_;
  if (!p.connected()) {
    r.ec = p.connect();
    if (r.ec) return r;
  }
  std::string target = path.starts_with("//") ? std::string(path.substr(1)) : p.prefix + std::string(path);
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, p.host);
  req.set(http::field::user_agent, "cleanlist-sim-tests");
  req.set(http::field::accept, "application/json");
  if (send_auth) req.set(http::field::authorization, auth_override.empty() ? "Bearer " + p.key : std::string(auth_override));
  if (!body.empty() || method == "POST" || method == "PATCH") {
    req.set(http::field::content_type, "application/json");
    req.body() = std::string(body);
  }
  req.keep_alive(true);
  req.prepare_payload();
  p.write(req, r.ec);
  if (r.ec) {
    r.timed_out = r.ec == beast::error::timeout;
    p.drop();
    return r;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  p.read(parser, r.ec);
  if (r.ec) {
    r.timed_out = r.ec == beast::error::timeout;
    p.drop();
    return r;
  }
  auto& res = parser.get();
  r.status = static_cast<int>(res.result_int());
  r.body = res.body();
  for (auto& f : res) {
    std::string n(f.name_string());
    for (auto& ch : n) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    r.headers[n] = std::string(f.value());
  }
  if (!res.keep_alive()) p.drop();
  return r;
}

struct webhook_receiver::impl {
  net::io_context ioc;
  tcp::acceptor acc{ioc};
  std::vector<int> statuses;
  mutable std::mutex mtx;
  std::vector<std::string> bodies;
  std::atomic<bool> stop{false};
  std::thread th;
  unsigned short port = 0;

  void loop() {
    while (!stop) {
      boost::system::error_code ec;
      tcp::socket s(ioc);
      acc.accept(s, ec);
      if (ec || stop) break;
      beast::flat_buffer b;
      http::request<http::string_body> req;
      http::read(s, b, req, ec);
      if (ec) continue;
      int status;
      {
        std::lock_guard lk(mtx);
        bodies.push_back(req.body());
        status = statuses[std::min(bodies.size() - 1, statuses.size() - 1)];
      }
      http::response<http::string_body> res{static_cast<http::status>(status), 11};
      res.body() = "ok";
      res.keep_alive(false);
      res.prepare_payload();
      http::write(s, res, ec);
      s.shutdown(tcp::socket::shutdown_both, ec);
    }
  }
};

webhook_receiver::webhook_receiver(std::vector<int> statuses) : p_(std::make_unique<impl>()) {
  p_->statuses = statuses.empty() ? std::vector<int>{200} : std::move(statuses);
  tcp::endpoint ep(net::ip::make_address("127.0.0.1"), 0);
  p_->acc.open(ep.protocol());
  p_->acc.bind(ep);
  p_->acc.listen();
  p_->port = p_->acc.local_endpoint().port();
  p_->th = std::thread([this] { p_->loop(); });
}

webhook_receiver::~webhook_receiver() {
  p_->stop = true;
  boost::system::error_code ec;
  tcp::socket wake(p_->ioc);
  wake.connect(p_->acc.local_endpoint(), ec); // unblocks accept()
  p_->th.join();
}

std::string webhook_receiver::url() const { return "http://127.0.0.1:" + std::to_string(p_->port) + "/hook"; }
std::vector<std::string> webhook_receiver::bodies() const {
  std::lock_guard lk(p_->mtx);
  return p_->bodies;
}
int webhook_receiver::hits() const {
  std::lock_guard lk(p_->mtx);
  return static_cast<int>(p_->bodies.size());
}

} // namespace simtest
