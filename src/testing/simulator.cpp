// The simulator's network side: a Beast HTTP/1.1 server (plain or TLS), keep-alive, fault
// injection at the connection level, and the public cleanlist::testing::simulator class.
#include <cleanlist/testing/simulator.hpp>

#include "protocol/url.hpp"
#include "testing/sim_state.hpp"
#include "testing/sim_tls.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>

#include <mutex>
#include <thread>
#include <unordered_map>

namespace cleanlist::testing {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr std::size_t max_body = 1024 * 1024;       // 1 MiB request body cap
constexpr std::size_t max_header = 16 * 1024;

struct session_base {
  virtual ~session_base() = default;
  virtual void close_now() = 0;                 // must run on the session's executor
  virtual void post_close() = 0;                // posts close_now onto the session's executor
};

tcp::socket& lowest(tcp::socket& s) { return s; }
tcp::socket& lowest(ssl::stream<tcp::socket>& s) { return s.next_layer(); }

} // namespace

class simulator::impl : public std::enable_shared_from_this<impl> {
public:
  explicit impl(simulator_params p) : params(std::move(p)), state(params) {}

  void start(net::any_io_executor executor, bool strands) {
    ex = executor;
    use_strands = strands;
    if (params.tls) {
      auto mat = detail::generate_tls_material();
      ca = mat.ca_pem;
      ssl_ctx.emplace(ssl::context::tls_server);
      ssl_ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                           ssl::context::single_dh_use);
      ssl_ctx->use_certificate_chain(net::buffer(mat.cert_pem));
      ssl_ctx->use_private_key(net::buffer(mat.key_pem), ssl::context::pem);
      SSL_CTX* native = ssl_ctx->native_handle();
      if (params.tls12_only) SSL_CTX_set_max_proto_version(native, TLS1_2_VERSION);
      if (params.tls_resumption) {
        // OpenSSL's defaults, made explicit: a server-side session cache (TLS 1.2 ids) and
        // stateless tickets (keys generated per context, so another simulator's tickets are
        // garbage here); a context id for the sessions it stores.
        static constexpr unsigned char sid_ctx[] = "cleanlist-sim";
        SSL_CTX_set_session_id_context(native, sid_ctx, sizeof sid_ctx - 1);
        SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_SERVER);
        SSL_CTX_clear_options(native, SSL_OP_NO_TICKET);
        SSL_CTX_set_num_tickets(native, 2);
      } else {
        SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(native, SSL_OP_NO_TICKET);
        SSL_CTX_set_num_tickets(native, 0);
      }
    }
    acceptor.emplace(ex);
    tcp::endpoint ep(net::ip::make_address(params.host), params.port);
    acceptor->open(ep.protocol());
    acceptor->set_option(net::socket_base::reuse_address(true));
    acceptor->bind(ep);
    acceptor->listen(net::socket_base::max_listen_connections);
    bound_port = acceptor->local_endpoint().port();
    std::string host = params.host;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    state.set_origin(std::string(params.tls ? "https://" : "http://") + host + ":" + std::to_string(bound_port));
    std::weak_ptr<impl> weak = shared_from_this();
    state.set_webhook_scheduler([weak](std::string wf, std::string url, std::chrono::milliseconds delay) {
      if (auto self = weak.lock()) self->schedule_webhook(std::move(wf), std::move(url), delay, 1);
    });
    do_accept();
  }

  void schedule_webhook(std::string wf, std::string url, std::chrono::milliseconds delay, int attempt);

  void do_accept();

  void add(session_base* s, std::weak_ptr<session_base> w) {
    std::lock_guard lk(reg_mtx);
    sessions.emplace(s, std::move(w));
  }
  void remove(session_base* s) {
    std::lock_guard lk(reg_mtx);
    sessions.erase(s);
  }
  void keep_stalled(std::shared_ptr<session_base> s) {
    std::lock_guard lk(reg_mtx);
    stalled.push_back(std::move(s));
  }

  void stop() {
    if (stopped.exchange(true)) return;
    if (own_ioc) {
      work.reset();
      own_ioc->stop();
      for (auto& t : threads)
        if (t.joinable()) t.join();
      threads.clear();
      // Nothing runs now: close everything directly, then destroy pending handlers.
      boost::system::error_code ec;
      if (acceptor) acceptor->close(ec);
      std::vector<std::shared_ptr<session_base>> live;
      {
        std::lock_guard lk(reg_mtx);
        for (auto& [p, w] : sessions)
          if (auto s = w.lock()) live.push_back(std::move(s));
        stalled.clear();
      }
      for (auto& s : live) s->close_now();
      live.clear();
      acceptor.reset();
      own_ioc.reset();
    } else {
      net::post(ex, [self = shared_from_this()] {
        boost::system::error_code ec;
        if (self->acceptor) self->acceptor->close(ec);
        std::vector<std::shared_ptr<session_base>> live;
        {
          std::lock_guard lk(self->reg_mtx);
          for (auto& [p, w] : self->sessions)
            if (auto s = w.lock()) live.push_back(std::move(s));
          self->stalled.clear();
        }
        for (auto& s : live) s->post_close();
      });
    }
  }

  simulator_params params;
  detail::sim_state state;
  std::string ca;
  std::optional<ssl::context> ssl_ctx;
  std::unique_ptr<net::io_context> own_ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  net::any_io_executor ex;
  bool use_strands = false;
  std::optional<tcp::acceptor> acceptor;
  std::uint16_t bound_port = 0;
  std::mutex reg_mtx;
  std::unordered_map<session_base*, std::weak_ptr<session_base>> sessions;
  std::vector<std::shared_ptr<session_base>> stalled;
  std::atomic<bool> stopped{false};
};

namespace {

template <class Stream>
class session : public session_base, public std::enable_shared_from_this<session<Stream>> {
public:
  static constexpr bool is_tls = !std::is_same_v<Stream, tcp::socket>;

  template <class... Args>
  session(std::shared_ptr<simulator::impl> srv, Args&&... args)
      : srv_(std::move(srv)), stream_(std::forward<Args>(args)...), timer_(stream_.get_executor()) {}

  ~session() override { srv_->remove(this); }

  void start() {
    srv_->add(this, this->shared_from_this());
    if constexpr (is_tls) {
      stream_.async_handshake(ssl::stream_base::server, [self = this->shared_from_this()](boost::system::error_code ec) {
        if (ec) return self->close_now();
        self->srv_->state.count_handshake(SSL_session_reused(self->stream_.native_handle()) == 1);
        self->do_read();
      });
    } else {
      do_read();
    }
  }

  void close_now() override {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    timer_.cancel();
    // The session stays resumable however the connection ends (OpenSSL drops a TLS 1.2 id from
    // the server's cache when the SSL is freed without a shutdown; servers close like this).
    if constexpr (is_tls) SSL_set_shutdown(stream_.native_handle(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    lowest(stream_).close(ec);
  }

  void post_close() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] { self->close_now(); });
  }

private:
  void do_read() {
    if (closed_) return;
    parser_.emplace();
    parser_->body_limit(max_body);
    parser_->header_limit(max_header);
    http::async_read(stream_, buf_, *parser_,
                     [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(boost::system::error_code ec) {
    if (ec) {
      if (closed_) return;
      if (ec == http::error::body_limit) {
        rs_.reset();
        rs_.status = 413;
        rs_.request_id = "req_body_limit";
        rs_.body = R"({"error":{"code":"payload_too_large","problem":"The request body exceeds 1 MiB.","cause":null,)"
                   R"("fix":"Send a smaller body.","retryable":false,"retry_after_ms":null,)"
                   R"("docs_url":"https://docs.cleanlist.ai/errors/payload-too-large","request_id":"req_body_limit"}})";
        keep_alive_ = false;
        drain_ = true; // the client may still be sending the body: read it before closing
        return write_response(false);
      }
      if (ec.category() == make_error_code(http::error::end_of_stream).category() && ec != http::error::end_of_stream &&
          ec != http::error::partial_message) {
        rs_.reset();
        rs_.status = 400;
        rs_.request_id = "req_bad_request";
        rs_.body = R"({"detail":"Bad Request"})";
        keep_alive_ = false;
        return write_response(false);
      }
      return close_now();
    }
    auto& req = parser_->get();
    std::string_view target = req.target();
    keep_alive_ = req.keep_alive();
    auto& st = srv_->state;
    if (target.starts_with("/__admin/")) {
      try {
        st.handle_admin(make_request(), rs_);
      } catch (const std::exception& e) {
        internal_error(e.what());
      }
      return write_response(false);
    }
    if (target.starts_with("/__exports/")) {  // a download, not an API request (counted apart)
      st.handle_export_download(make_request(), rs_);
      if (rs_.stall) return srv_->keep_stalled(this->shared_from_this());
      return write_response(false);
    }
    st.count_request();
    fault_ = st.decide_fault(target);
    if (fault_.kind != detail::fault_kind::none || fault_.latency.count() > 0) st.count_fault();
    if (fault_.latency.count() > 0) {
      timer_.expires_after(fault_.latency);
      timer_.async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
        if (ec || self->closed_) return;
        self->process();
      });
      return;
    }
    process();
  }

  detail::sim_request make_request() {
    auto& req = parser_->get();
    return {req.method_string(), req.target(), req[http::field::authorization], req.body()};
  }

  void process() {
    using fk = detail::fault_kind;
    auto& st = srv_->state;
    switch (fault_.kind) {
    case fk::reset_before: return reset();
    case fk::stall: srv_->keep_stalled(this->shared_from_this()); return;
    case fk::s429: st.injected_error(make_request(), 429, rs_, fault_.retry_after); break;
    case fk::s500: st.injected_error(make_request(), 500, rs_, fault_.retry_after); break;
    case fk::s502: st.injected_error(make_request(), 502, rs_, fault_.retry_after); break;
    case fk::s503: st.injected_error(make_request(), 503, rs_, fault_.retry_after); break;
    case fk::s504: st.injected_error(make_request(), 504, rs_, fault_.retry_after); break;
    default:
      try {
        st.handle(make_request(), rs_);
      } catch (const std::exception& e) { // never let a handler bug take the server down
        internal_error(e.what());
      }
      break;
    }
    if (fault_.kind == fk::reset_after) return reset();
    if (fault_.kind == fk::malformed) {
      rs_.status = 200;
      rs_.body.resize(std::max<std::size_t>(1, rs_.body.size() / 2));
      rs_.body += "\x01<malformed";
    }
    write_response(fault_.kind == fk::truncate);
  }

  // Lingering close: discard what the client still sends (bounded by a timer), then close.
  void drain() {
    timer_.expires_after(std::chrono::seconds(2));
    timer_.async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->close_now();
    });
    drain_some();
  }
  void drain_some() {
    scratch_.resize(64 * 1024);
    stream_.async_read_some(net::buffer(scratch_), [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec || self->closed_) return self->close_now();
      self->drain_some();
    });
  }

  void internal_error(std::string_view what) {
    rs_.reset();
    rs_.status = 500;
    rs_.request_id = "req_internal";
    boost::json::object e{{"code", "internal_error"}, {"problem", "Unexpected simulator error: " + std::string(what)},
                          {"cause", nullptr}, {"fix", "Report this simulator bug."}, {"retryable", false},
                          {"retry_after_ms", nullptr}, {"docs_url", "https://docs.cleanlist.ai/errors/internal-error"},
                          {"request_id", rs_.request_id}};
    rs_.body = boost::json::serialize(boost::json::object{{"error", std::move(e)}});
  }

  void reset() {
    boost::system::error_code ec;
    lowest(stream_).set_option(net::socket_base::linger(true, 0), ec);
    close_now();
  }

  void write_response(bool truncate) {
    out_.clear();
    out_ += "HTTP/1.1 ";
    out_ += std::to_string(rs_.status);
    out_ += ' ';
    out_ += http::obsolete_reason(http::int_to_status(static_cast<unsigned>(rs_.status)));
    out_ += "\r\nServer: cleanlist-sim\r\nContent-Type: ";
    out_ += rs_.content_type;
    out_ += "\r\nContent-Length: ";
    out_ += std::to_string(rs_.body.size());
    out_ += "\r\nX-Request-Id: ";
    out_ += rs_.request_id;
    if (rs_.retry_after_s >= 0) {
      out_ += "\r\nRetry-After: ";
      out_ += std::to_string(rs_.retry_after_s);
    }
    bool close = truncate || !keep_alive_;
    if (close) out_ += "\r\nConnection: close";
    out_ += "\r\n\r\n";
    if (truncate) out_.append(rs_.body, 0, rs_.body.size() / 2);
    else out_ += rs_.body;
    net::async_write(stream_, net::buffer(out_),
                     [self = this->shared_from_this(), close](boost::system::error_code ec, std::size_t) {
                       if (!ec && self->drain_) return self->drain();
                       if (ec || close) {
                         if (!ec && !is_tls) {
                           boost::system::error_code ig;
                           lowest(self->stream_).shutdown(tcp::socket::shutdown_send, ig);
                         }
                         return self->close_now();
                       }
                       self->do_read();
                     });
  }

  std::shared_ptr<simulator::impl> srv_;
  Stream stream_;
  net::steady_timer timer_;
  beast::flat_buffer buf_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string out_;
  detail::sim_response rs_;
  detail::fault_decision fault_;
  std::string scratch_;
  bool keep_alive_ = true;
  bool closed_ = false;
  bool drain_ = false;
};

} // namespace

namespace {

// One delivery attempt of a legacy webhook: wait, POST the payload (http or https without
// verification), record the attempt, schedule the next one on failure (5 attempts in all).
class webhook_job : public session_base, public std::enable_shared_from_this<webhook_job> {
public:
  webhook_job(std::shared_ptr<simulator::impl> srv, net::any_io_executor ex, std::string wf, std::string url, int attempt)
      : srv_(std::move(srv)), ex_(ex), timer_(ex), resolver_(ex), wf_(std::move(wf)), url_(std::move(url)), attempt_(attempt) {}
  ~webhook_job() override { srv_->remove(this); }

  void start(std::chrono::milliseconds delay) {
    srv_->add(this, shared_from_this());
    timer_.expires_after(delay);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->closed_) return;
      self->fire();
    });
  }
  void close_now() override {
    closed_ = true;
    timer_.cancel();
    resolver_.cancel();
    boost::system::error_code ec;
    if (plain_) plain_->socket().close(ec);
    if (tls_) beast::get_lowest_layer(*tls_).socket().close(ec);
  }
  void post_close() override {
    net::post(ex_, [self = shared_from_this()] { self->close_now(); });
  }

private:
  void fire() {
    auto payload = srv_->state.webhook_payload(wf_);
    if (!payload) return;
    // The tree's one URL parser (protocol/url.hpp).
    auto u = protocol::parse_url(url_);
    if (!u || (u->scheme != "http" && u->scheme != "https")) return done(0, "unsupported webhook URL scheme");
    const std::string scheme = u->scheme;
    target_ = u->path.empty() ? "/" : u->path;
    if (u->has_query) target_ += "?" + u->query;
    host_ = u->host;
    std::string port = std::to_string(u->port.value_or(scheme == "https" ? 443 : 80));
    std::string hostport = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
    if (u->port) hostport += ":" + port;
    req_ = {http::verb::post, target_, 11};
    req_.set(http::field::host, hostport);
    req_.set(http::field::content_type, "application/json");
    req_.set(http::field::user_agent, "cleanlist-sim-webhooks");
    req_.body() = std::move(*payload);
    req_.prepare_payload();
    if (scheme == "https") {
      ctx_.emplace(ssl::context::tls_client);
      ctx_->set_verify_mode(ssl::verify_none);
      tls_.emplace(ex_, *ctx_);
      SSL_set_tlsext_host_name(tls_->native_handle(), host_.c_str());
    } else {
      plain_.emplace(ex_);
    }
    resolver_.async_resolve(host_, port, [self = shared_from_this()](boost::system::error_code ec, tcp::resolver::results_type r) {
      if (ec) return self->done(0, "DNS: " + ec.message());
      auto& t = self->tcp_layer();
      t.expires_after(std::chrono::seconds(10));
      t.async_connect(r, [self](boost::system::error_code ec2, const tcp::endpoint&) {
        if (ec2) return self->done(0, "connect: " + ec2.message());
        if (self->tls_) {
          self->tls_->async_handshake(ssl::stream_base::client, [self](boost::system::error_code ec3) {
            if (ec3) return self->done(0, "TLS: " + ec3.message());
            self->write();
          });
        } else {
          self->write();
        }
      });
    });
  }
  beast::tcp_stream& tcp_layer() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }
  void write() {
    tcp_layer().expires_after(std::chrono::seconds(10));
    auto on_write = [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) return self->done(0, "write: " + ec.message());
      self->read();
    };
    if (tls_) http::async_write(*tls_, req_, on_write);
    else http::async_write(*plain_, req_, on_write);
  }
  void read() {
    auto on_read = [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) return self->done(0, "read: " + ec.message());
      int code = static_cast<int>(self->res_.result_int());
      self->done(code, code >= 200 && code < 300 ? "" : "HTTP " + std::to_string(code));
    };
    if (tls_) http::async_read(*tls_, buf_, res_, on_read);
    else http::async_read(*plain_, buf_, res_, on_read);
  }
  void done(int code, std::string error) {
    bool ok = code >= 200 && code < 300;
    srv_->state.record_delivery(wf_, {attempt_, ok, code, error, {}});
    boost::system::error_code ig;
    if (plain_) plain_->socket().close(ig);
    if (tls_) beast::get_lowest_layer(*tls_).socket().close(ig);
    if (!ok && attempt_ < 5 && !closed_) {
      auto delay = srv_->state.webhook_backoff() * (1 << (attempt_ - 1));
      srv_->schedule_webhook(wf_, url_, delay, attempt_ + 1);
    }
  }

  std::shared_ptr<simulator::impl> srv_;
  net::any_io_executor ex_;
  net::steady_timer timer_;
  tcp::resolver resolver_;
  std::string wf_, url_, host_, target_;
  int attempt_;
  bool closed_ = false;
  std::optional<ssl::context> ctx_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
  beast::flat_buffer buf_;
};

} // namespace

void simulator::impl::schedule_webhook(std::string wf, std::string url, std::chrono::milliseconds delay, int attempt) {
  if (stopped) return;
  net::any_io_executor jex = use_strands ? net::any_io_executor(net::make_strand(ex)) : ex;
  auto job = std::make_shared<webhook_job>(shared_from_this(), jex, std::move(wf), std::move(url), attempt);
  // start on the job's executor (the scheduler may be called from any thread, with the state locked)
  net::post(jex, [job, delay] { job->start(delay); });
}

void simulator::impl::do_accept() {
  auto on_accept = [self = shared_from_this()](boost::system::error_code ec, tcp::socket sock) {
    if (ec) {
      if (ec == net::error::operation_aborted || !self->acceptor || !self->acceptor->is_open()) return;
      return self->do_accept();
    }
    boost::system::error_code ig;
    sock.set_option(tcp::no_delay(true), ig);
    if (self->ssl_ctx) std::make_shared<session<ssl::stream<tcp::socket>>>(self, std::move(sock), *self->ssl_ctx)->start();
    else std::make_shared<session<tcp::socket>>(self, std::move(sock))->start();
    self->do_accept();
  };
  if (use_strands) acceptor->async_accept(net::any_io_executor(net::make_strand(ex)), std::move(on_accept));
  else acceptor->async_accept(ex, std::move(on_accept));
}

// ---------------------------------------------------------------- public class

simulator::simulator(simulator_params p) : impl_(std::make_shared<impl>(std::move(p))) {
  int n = std::max(1, impl_->params.threads);
  impl_->own_ioc = std::make_unique<net::io_context>(n);
  impl_->work.emplace(impl_->own_ioc->get_executor());
  impl_->start(impl_->own_ioc->get_executor(), n > 1);
  for (int i = 0; i < n; ++i) impl_->threads.emplace_back([ioc = impl_->own_ioc.get()] { ioc->run(); });
}

simulator::simulator(boost::asio::any_io_executor ex, simulator_params p) : impl_(std::make_shared<impl>(std::move(p))) {
  impl_->start(std::move(ex), true);
}

simulator::~simulator() {
  if (impl_) impl_->stop();
}

void simulator::stop() { impl_->stop(); }
std::uint16_t simulator::port() const { return impl_->bound_port; }
std::string simulator::base_url(std::string_view prefix) const { return impl_->state.origin() + std::string(prefix); }
const std::string& simulator::ca_pem() const { return impl_->ca; }
std::string simulator::default_api_key() const { return impl_->state.default_api_key(); }
std::string simulator::default_org_id() const { return impl_->state.default_org_id(); }
std::string simulator::default_jwt() const { return impl_->state.default_jwt(); }
bool simulator::cancel_workflow(std::string_view workflow_id) { return impl_->state.cancel_workflow(workflow_id); }
sim_stats simulator::stats() const { return impl_->state.stats(); }
void simulator::set_faults(fault_params f) { impl_->state.set_faults(std::move(f)); }
std::int64_t simulator::credits(std::string_view org_id) const { return impl_->state.credits(org_id); }
void simulator::set_credits(std::string_view org_id, std::int64_t c) { impl_->state.set_credits(org_id, c); }
std::uint64_t simulator::enrich_posts_for(std::string_view identity) const { return impl_->state.enrich_posts_for(identity); }
boost::json::value simulator::ledger_json() const { return impl_->state.ledger_json(); }
std::string simulator::create_cohort(std::string_view org_id, std::string_view kind, int n) {
  return impl_->state.create_cohort(org_id, kind, n);
}

} // namespace cleanlist::testing
