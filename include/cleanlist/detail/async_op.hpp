#pragma once
// Glue between completion tokens and the separately compiled operations.
// Every public async_* function forwards to a non-template `start` function taking an
// any_completion_handler<void(error_code, T)>, so Beast/OpenSSL never reach user code.
#include <cleanlist/error.hpp>

#include <cleanlist/asio_config.hpp>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

namespace cleanlist {

/// The default completion token: `co_await c.async_x()` returns T and throws api_exception
/// (error_code + diagnostics) on failure. Any other Asio token (callbacks, use_future,
/// deferred, asio::use_awaitable, as_tuple(...)) gets the plain signature void(error_code, T).
struct use_awaitable_t {};
inline constexpr use_awaitable_t use_awaitable{};

namespace detail {

template <class T>
using handler = boost::asio::any_completion_handler<void(error_code, T)>;

/// Type-erases the handler. A handler kept for long (a wait of minutes) and using the default
/// allocator gets the global heap: Asio's default for it is a per-thread recycling cache whose
/// blocks come from short-lived socket operations, so a small handler would hold one of those
/// (~0.5 KiB) for the whole wait.
template <class T, bool LongLived, class H>
handler<T> erase(H h) {
  if constexpr (LongLived && std::is_same_v<boost::asio::associated_allocator_t<H>, std::allocator<void>>)
    return handler<T>(boost::asio::bind_allocator(std::allocator<void>(), std::move(h)));
  else
    return handler<T>(std::move(h));
}

template <class T, bool LongLived = false, class Token, class Start>
auto initiate(Token&& token, diagnostics* diag, Start start) {
  return boost::asio::async_initiate<Token, void(error_code, T)>(
      [](auto h, diagnostics* d, Start s) { s(d, erase<T, LongLived>(std::move(h))); }, token, diag, std::move(start));
}

/// An operation's start function, type-erased: the default token's coroutine below is then one
/// function per result type, not one per operation and call site.
template <class T>
using start_function = std::function<void(diagnostics*, handler<T>)>;

// A named coroutine (not a lambda): g++ 12 mishandles capturing coroutine lambdas.
template <class T, bool LongLived>
boost::asio::awaitable<T> checked(start_function<T> start, diagnostics* user_diag) {
  diagnostics d;
  auto [ec, value] =
      co_await initiate<T, LongLived>(boost::asio::as_tuple(boost::asio::use_awaitable), &d, std::move(start));
  if (user_diag) *user_diag = d;
  if (ec) throw api_exception(ec, std::move(d));
  co_return std::move(value);
}

template <class T, bool LongLived = false, class Token, class Start>
auto run(Token&& token, diagnostics* diag, Start start) {
  if constexpr (std::is_same_v<std::decay_t<Token>, use_awaitable_t>) {
    return checked<T, LongLived>(start_function<T>(std::move(start)), diag);
  } else {
    return initiate<T, LongLived>(std::forward<Token>(token), diag, std::move(start));
  }
}

/// For operations that wait long (workflows, batches): see erase().
template <class T, class Token, class Start>
auto run_long(Token&& token, diagnostics* diag, Start start) {
  return run<T, true>(std::forward<Token>(token), diag, std::move(start));
}

template <class Token>
concept not_diagnostics = !std::is_same_v<std::decay_t<Token>, diagnostics>;

} // namespace detail
} // namespace cleanlist
