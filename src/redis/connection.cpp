// Asio shell of the Redis connection: a run loop (connect, handshake, read replies,
// reconnect with backoff) as one coroutine per connection, a callback-driven writer that
// pipelines everything queued in one write, and one deadline timer per command.
#include "redis/connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <deque>
#include <optional>
#include <random>

namespace cleanlist::redis {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using handler_type = asio::any_completion_handler<connection::exec_signature>;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

std::shared_ptr<asio::ssl::context> make_tls_context() {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_default_verify_paths();
  ctx->set_verify_mode(asio::ssl::verify_peer);
  return ctx;
}

namespace {

struct pending {
  explicit pending(const asio::any_io_executor& ex) : timer(ex) {}
  std::string bytes;
  std::optional<handler_type> handler;  // emplaced once, moved out once (never move-assigned)
  asio::steady_timer timer;
  bool written = false;
  bool done = false;
};
using pending_ptr = std::shared_ptr<pending>;

} // namespace

class connection_impl : public std::enable_shared_from_this<connection_impl> {
public:
  connection_impl(asio::any_io_executor ex, connection_config cfg)
      : ex_(asio::make_strand(ex)), cfg_(std::move(cfg)), resolver_(ex_), connect_timer_(ex_), backoff_timer_(ex_),
        rng_(std::random_device{}()) {
    if (cfg_.url.tls && !cfg_.ssl) cfg_.ssl = make_tls_context();
  }

  const asio::any_io_executor& executor() const noexcept { return ex_; }
  const connection_config& config() const noexcept { return cfg_; }
  connection::stats_t stats() const { return stats_; }

  // ---- on the strand ---------------------------------------------------------------------
  void exec(std::vector<std::string> args, std::chrono::milliseconds timeout, handler_type h) {
    auto p = std::make_shared<pending>(ex_);
    p->handler.emplace(std::move(h));
    if (state_ == state::closed) return complete(p, errc::closed, {});
    if (state_ == state::down) return complete(p, errc::not_connected, {});
    append_command(p->bytes, args);
    p->timer.expires_after(timeout.count() >= 0 ? timeout : cfg_.command_timeout);
    p->timer.async_wait([w = std::weak_ptr<pending>(p), self = weak_from_this()](error_code ec) {
      if (ec) return;
      auto s = self.lock();
      auto q = w.lock();
      if (s && q) s->on_deadline(q);
    });
    to_write_.push_back(std::move(p));
    if (state_ == state::idle) start();
    else if (state_ == state::up) do_write();
  }

  void start() {
    if (state_ != state::idle) return;
    state_ = state::connecting;
    asio::co_spawn(ex_, run(shared_from_this()), asio::detached);
  }

  void close() {
    if (state_ == state::closed) return;
    state_ = state::closed;
    resolver_.cancel();
    connect_timer_.cancel();
    backoff_timer_.cancel();
    close_socket();
    fail_all(in_flight_, errc::closed);
    fail_all(to_write_, errc::closed);
  }

private:
  enum class state { idle, connecting, up, down, closed };

  static void complete(const pending_ptr& p, error_code ec, reply r) {
    if (p->done) return;
    p->done = true;
    p->timer.cancel();
    handler_type h(std::move(*p->handler));
    p->handler.reset();
    auto ex = p->timer.get_executor();
    auto hex = asio::get_associated_executor(h, ex);
    asio::post(ex, asio::bind_executor(hex, [h = std::move(h), ec, r = std::move(r)]() mutable {
                 std::move(h)(ec, std::move(r));
               }));
  }

  static void fail_all(std::deque<pending_ptr>& q, error_code ec) {
    auto taken = std::move(q);
    q.clear();
    for (auto& p : taken) complete(p, ec, {});
  }

  // The session ended with these commands written: connection_lost (they may have run), or
  // timeout for those whose own deadline has passed too (e.g. dropped together with the
  // command whose deadline ended the session).
  void fail_lost() {
    auto taken = std::move(in_flight_);
    in_flight_.clear();
    const auto now = asio::steady_timer::clock_type::now();
    for (auto& p : taken) {
      if (p->done) continue;
      if (p->timer.expiry() <= now) {
        ++stats_.timeouts;
        complete(p, errc::timeout, {});
      } else {
        complete(p, errc::connection_lost, {});
      }
    }
  }

  void on_deadline(const pending_ptr& p) {
    if (p->done) return;
    ++stats_.timeouts;
    complete(p, errc::timeout, {});
    // A written command without a reply by its deadline: the server (or the path to it) is
    // stalled. Drop the connection so later commands do not queue behind it; the run loop
    // reconnects.
    if (p->written) drop_connection();
  }

  // Ends the current session: commands issued from now on queue for the next connection
  // (none is written to the dying socket); the run loop fails those in flight and reconnects.
  void drop_connection() {
    if (state_ != state::up) return;
    state_ = state::connecting;
    close_socket();
  }

  void close_socket() {
    error_code ignored;
    if (tls_) tls_->lowest_layer().close(ignored);
    if (tcp_) tcp_->close(ignored);
  }

  tcp::socket& lowest() { return tls_ ? tls_->next_layer() : *tcp_; }

  // Writer: everything queued goes out in one write (pipelining); replies come back in order.
  void do_write() {
    if (writing_ || state_ != state::up) return;
    auto buf = std::make_shared<std::string>();
    while (!to_write_.empty()) {
      auto p = std::move(to_write_.front());
      to_write_.pop_front();
      if (p->done) continue;  // its deadline passed before it went out
      buf->append(p->bytes);
      p->bytes.clear();
      p->bytes.shrink_to_fit();
      p->written = true;
      in_flight_.push_back(std::move(p));
    }
    if (buf->empty()) return;
    writing_ = true;
    auto cb = [self = shared_from_this(), buf, gen = gen_](error_code ec, std::size_t) {
      if (gen != self->gen_) return;  // a connection since replaced
      self->writing_ = false;
      if (ec) return self->drop_connection();  // the read loop sees it and ends the session
      self->do_write();
    };
    if (tls_) asio::async_write(*tls_, asio::buffer(*buf), asio::bind_executor(ex_, std::move(cb)));
    else asio::async_write(*tcp_, asio::buffer(*buf), asio::bind_executor(ex_, std::move(cb)));
  }

  template <class Buffer>
  asio::awaitable<std::tuple<error_code, std::size_t>> read_some(const Buffer& b) {
    if (tls_) co_return co_await tls_->async_read_some(b, tuple_awaitable);
    co_return co_await tcp_->async_read_some(b, tuple_awaitable);
  }

  template <class Buffer>
  asio::awaitable<std::tuple<error_code, std::size_t>> write_all(const Buffer& b) {
    if (tls_) co_return co_await asio::async_write(*tls_, b, tuple_awaitable);
    co_return co_await asio::async_write(*tcp_, b, tuple_awaitable);
  }

  static asio::awaitable<void> run(std::shared_ptr<connection_impl> self) {
    unsigned attempt = 0;
    while (self->state_ != state::closed) {
      self->state_ = state::connecting;
      const error_code ec = co_await connect_once(self);
      if (self->state_ == state::closed) break;
      if (!ec) {
        self->state_ = state::up;
        self->session_replies_ = 0;
        ++self->stats_.connects;
        self->stats_.connected = true;
        self->last_error_ = {};
        self->do_write();
        co_await read_loop(self);
        self->stats_.connected = false;
        self->close_socket();
        ++self->gen_;  // a pending write of this connection is ignored when it completes
        self->writing_ = false;
        if (self->state_ == state::closed) break;
        self->state_ = state::connecting;
        self->fail_lost();
        if (self->session_replies_ > 0) {
          attempt = 0;
          continue;  // a session that served commands: reconnect at once
        }
        // Dropped without serving anything (e.g. "max number of clients reached", a proxy
        // that closes at once): back off as after a failed attempt, commands queue meanwhile
        // (bounded by their deadlines) instead of a reconnect loop at full speed.
        const double u = std::uniform_real_distribution<double>(0.0, 1.0)(self->rng_);
        self->backoff_timer_.expires_after(backoff_delay(self->cfg_.backoff, attempt++, u));
        co_await self->backoff_timer_.async_wait(tuple_awaitable);
        continue;
      }
      ++self->stats_.connect_failures;
      self->last_error_ = ec;
      self->state_ = state::down;
      fail_all(self->to_write_, ec);  // fail fast: the caller may fall back
      const double u = std::uniform_real_distribution<double>(0.0, 1.0)(self->rng_);
      self->backoff_timer_.expires_after(backoff_delay(self->cfg_.backoff, attempt++, u));
      co_await self->backoff_timer_.async_wait(tuple_awaitable);
    }
    self->stats_.connected = false;
  }

  static asio::awaitable<error_code> connect_once(std::shared_ptr<connection_impl> self) {
    ++self->gen_;
    self->reader_.reset();
    self->tls_.reset();
    self->tcp_.reset();
    auto expired = std::make_shared<bool>(false);
    self->connect_timer_.expires_after(self->cfg_.connect_timeout);
    self->connect_timer_.async_wait([w = self->weak_from_this(), gen = self->gen_, expired](error_code ec) {
      auto s = w.lock();
      if (ec || !s || s->gen_ != gen || s->state_ != state::connecting) return;
      *expired = true;
      s->resolver_.cancel();
      s->close_socket();
    });
    error_code ec = co_await connect_and_handshake(self);
    self->connect_timer_.cancel();
    if (*expired) ec = errc::timeout;
    if (ec) self->close_socket();
    co_return ec;
  }

  static asio::awaitable<error_code> connect_and_handshake(std::shared_ptr<connection_impl> self) {
    const redis_url& url = self->cfg_.url;
    error_code aec;
    const auto literal = asio::ip::make_address(url.host, aec);
    const bool is_ip = !aec;
    if (url.tls) {
      self->tls_ = std::make_unique<asio::ssl::stream<tcp::socket>>(self->ex_, *self->cfg_.ssl);
      SSL* ssl = self->tls_->native_handle();
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      if (is_ip) {
        if (X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str()) != 1) co_return asio::error::invalid_argument;
      } else {
        if (SSL_set_tlsext_host_name(ssl, url.host.c_str()) != 1) co_return asio::error::invalid_argument;
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), url.host.size()) != 1)
          co_return asio::error::invalid_argument;
      }
      self->tls_->set_verify_mode(asio::ssl::verify_peer);
    } else {
      self->tcp_ = std::make_unique<tcp::socket>(self->ex_);
    }
    if (is_ip) {
      auto [ec] = co_await self->lowest().async_connect(tcp::endpoint(literal, url.port), tuple_awaitable);
      if (ec) co_return ec;
    } else {
      auto [rec, results] = co_await self->resolver_.async_resolve(url.host, std::to_string(url.port), tuple_awaitable);
      if (rec) co_return rec;
      auto [ec, ep] = co_await asio::async_connect(self->lowest(), results, tuple_awaitable);
      if (ec) co_return ec;
    }
    error_code ignored;
    self->lowest().set_option(tcp::no_delay(true), ignored);
    if (self->tls_) {
      auto [hec] = co_await self->tls_->async_handshake(asio::ssl::stream_base::client, tuple_awaitable);
      if (hec) co_return hec;
    }
    // AUTH and SELECT, pipelined; their replies checked in order.
    std::string hello;
    std::vector<errc> expect;
    if (!url.password.empty()) {
      std::vector<std::string> auth{"AUTH"};
      if (!url.user.empty()) auth.push_back(url.user);
      auth.push_back(url.password);
      append_command(hello, auth);
      expect.push_back(errc::auth_failed);
    }
    if (url.db != 0) {
      const std::vector<std::string> sel{"SELECT", std::to_string(url.db)};
      append_command(hello, sel);
      expect.push_back(errc::select_failed);
    }
    if (hello.empty()) co_return error_code{};
    {
      auto [wec, n] = co_await self->write_all(asio::buffer(hello));
      if (wec) co_return wec;
    }
    std::vector<char> buf(4096);
    std::size_t got = 0;
    error_code first_error;
    while (got < expect.size()) {
      auto [rec, n] = co_await self->read_some(asio::buffer(buf));
      if (rec) co_return rec;
      if (!self->reader_.feed(std::string_view(buf.data(), n))) co_return errc::protocol_error;
      for (;;) {
        error_code pec;
        auto r = self->reader_.next(pec);
        if (pec) co_return pec;
        if (!r) break;
        if (got >= expect.size()) co_return errc::protocol_error;  // unsolicited reply
        if (r->is_error() && !first_error) first_error = expect[got];
        ++got;
      }
    }
    co_return first_error;
  }

  static asio::awaitable<void> read_loop(std::shared_ptr<connection_impl> self) {
    std::vector<char> buf(16384);
    for (;;) {
      auto [ec, n] = co_await self->read_some(asio::buffer(buf));
      if (ec) co_return;
      if (!self->reader_.feed(std::string_view(buf.data(), n))) co_return;
      for (;;) {
        error_code pec;
        auto r = self->reader_.next(pec);
        if (pec) co_return;
        if (!r) break;
        if (self->in_flight_.empty()) co_return;  // a reply nobody asked for: not a sane server
        auto p = std::move(self->in_flight_.front());
        self->in_flight_.pop_front();
        ++self->session_replies_;
        complete(p, {}, std::move(*r));  // no-op if its deadline already failed it
      }
    }
  }

  asio::any_io_executor ex_;  // a strand
  connection_config cfg_;
  state state_ = state::idle;
  std::deque<pending_ptr> to_write_;   // issued, not yet written (FIFO)
  std::deque<pending_ptr> in_flight_;  // written, reply awaited (FIFO = reply order)
  bool writing_ = false;
  std::uint64_t gen_ = 0;
  std::uint64_t session_replies_ = 0;  // replies read in the current session (after AUTH/SELECT)
  std::unique_ptr<tcp::socket> tcp_;
  std::unique_ptr<asio::ssl::stream<tcp::socket>> tls_;
  tcp::resolver resolver_;
  asio::steady_timer connect_timer_;
  asio::steady_timer backoff_timer_;
  reply_reader reader_;
  error_code last_error_;
  connection::stats_t stats_;
  std::mt19937_64 rng_;
};

connection::connection(executor_type ex, connection_config cfg)
    : impl_(std::make_shared<connection_impl>(std::move(ex), std::move(cfg))) {}

connection::~connection() { close(); }

connection::executor_type connection::get_executor() const noexcept { return impl_->executor(); }

void connection::start() {
  asio::dispatch(impl_->executor(), [impl = impl_] { impl->start(); });
}

void connection::close() {
  asio::dispatch(impl_->executor(), [impl = impl_] { impl->close(); });
}

connection::stats_t connection::stats() const { return impl_->stats(); }

const redis_url& connection::url() const noexcept { return impl_->config().url; }

void connection::initiate_exec::operator()(asio::any_completion_handler<exec_signature> h,
                                           std::vector<std::string> args) const {
  asio::dispatch(impl->executor(), [impl = impl, args = std::move(args), t = timeout, h = std::move(h)]() mutable {
    impl->exec(std::move(args), t, std::move(h));
  });
}

} // namespace cleanlist::redis
