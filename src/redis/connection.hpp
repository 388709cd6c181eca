#pragma once
// An asynchronous Redis connection on Asio: one TCP (or TLS, rediss://) connection, commands
// pipelined in FIFO order, a deadline on every command, AUTH/SELECT on connect, reconnect
// with exponential backoff. hiredis is used only to format commands and parse replies
// (redis/resp.hpp); all I/O is Asio's. No thread of its own, no blocking call.
//
// Executor: the connection runs on a strand of the executor it is given; every completion
// goes to the handler's associated executor (default: that strand). Member functions are
// thread-safe (they post to the strand), except the destructor, which must not race with
// other calls on this object.
//
// Lifecycle: connecting starts at the first async_exec (or start()); the connection then
// stays up and reconnects on its own until close() or destruction (which keeps an
// io_context's run() going: close it when done).
//
// Failure semantics of async_exec (signature void(error_code, reply)):
//  - no error: the reply (which may be an error reply: reply::is_error());
//  - errc::timeout: the command's deadline passed. If it had been written the connection is
//    deemed stalled and is closed and re-opened (the command may or may not have run);
//  - errc::connection_lost: the connection dropped with the command written (it may have run);
//    errc::timeout instead if the command's own deadline had passed by then;
//  - errc::not_connected: the last connection attempt failed and the next one has not
//    succeeded yet: commands fail at once instead of waiting (fail fast, so a caller can
//    fall back); commands issued while an attempt is in progress wait for it (bounded by
//    their deadline) and fail with its error if it fails (e.g. errc::auth_failed,
//    connection_refused, errc::timeout);
//  - errc::closed: close() was called.
// Error messages and logs never contain the password (redis_url::redacted()).
// Per-operation cancellation is not supported: the deadline bounds every command.
#include "redis/backoff.hpp"
#include "redis/error.hpp"
#include "redis/resp.hpp"
#include "redis/url.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cleanlist::redis {

struct connection_config {
  redis_url url;                                   ///< host, port, TLS, AUTH user/password, db
  std::chrono::milliseconds connect_timeout{1000}; ///< resolve + connect + TLS + AUTH + SELECT
  std::chrono::milliseconds command_timeout{1000}; ///< default deadline of a command (enqueue to reply)
  backoff_params backoff{};                        ///< between failed connection attempts
  /// rediss:// only: verifies the server (peer verification + host name check are always
  /// set). Null: a context with the system CAs (make_tls_context()) is created.
  std::shared_ptr<boost::asio::ssl::context> ssl;
};

/// TLS client context: TLS >= 1.2, the system's default CA paths, peer verification.
std::shared_ptr<boost::asio::ssl::context> make_tls_context();

class connection_impl;

class connection {
public:
  using executor_type = boost::asio::any_io_executor;
  using exec_signature = void(boost::system::error_code, reply);
  using clock = std::chrono::steady_clock;

  connection(executor_type ex, connection_config cfg);
  ~connection();  ///< close()
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// The connection's strand.
  executor_type get_executor() const noexcept;

  /// Starts connecting now (otherwise the first command does).
  void start();
  /// Fails every pending command with errc::closed and stops reconnecting. Idempotent.
  void close();

  /// Sends one command (e.g. {"SET", "k", "v"}) after all previously issued ones, with the
  /// configured command_timeout. Never completes inline.
  template <class CompletionToken = boost::asio::use_awaitable_t<>>
  auto async_exec(std::vector<std::string> args, CompletionToken&& token = CompletionToken{}) {
    return async_exec(std::move(args), std::chrono::milliseconds{-1}, std::forward<CompletionToken>(token));
  }
  /// Same with its own deadline (timeout < 0: the configured default).
  template <class CompletionToken = boost::asio::use_awaitable_t<>>
  auto async_exec(std::vector<std::string> args, std::chrono::milliseconds timeout,
                  CompletionToken&& token = CompletionToken{}) {
    return boost::asio::async_initiate<CompletionToken, exec_signature>(initiate_exec{impl_, timeout}, token,
                                                                        std::move(args));
  }

  struct stats_t {
    std::uint64_t connects = 0;          ///< successful connection setups (including reconnects)
    std::uint64_t connect_failures = 0;  ///< failed attempts
    std::uint64_t timeouts = 0;          ///< commands failed by their deadline
    bool connected = false;
  };
  /// Snapshot; call on the connection's strand (e.g. from a handler of this connection).
  stats_t stats() const;

  const redis_url& url() const noexcept;

private:
  struct initiate_exec {
    std::shared_ptr<connection_impl> impl;
    std::chrono::milliseconds timeout;
    void operator()(boost::asio::any_completion_handler<exec_signature> h, std::vector<std::string> args) const;
  };
  std::shared_ptr<connection_impl> impl_;
};

} // namespace cleanlist::redis
