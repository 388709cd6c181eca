#pragma once
// Glue between completion tokens and the separately compiled operations.
// Every public async_* function forwards to a non-template `start` function taking an
// any_completion_handler<void(error_code, T)>, so Beast/OpenSSL never reach user code.
#include <cleanlist/error.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

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

template <class T, class Token, class Start>
auto initiate(Token&& token, diagnostics* diag, Start start) {
  return boost::asio::async_initiate<Token, void(error_code, T)>(
      [](auto h, diagnostics* d, Start s) { s(d, handler<T>(std::move(h))); }, token, diag, std::move(start));
}

// A named coroutine (not a lambda): g++ 12 mishandles capturing coroutine lambdas.
template <class T, class Start>
boost::asio::awaitable<T> checked(Start start, diagnostics* user_diag) {
  diagnostics d;
  auto [ec, value] = co_await initiate<T>(boost::asio::as_tuple(boost::asio::use_awaitable), &d, std::move(start));
  if (user_diag) *user_diag = d;
  if (ec) throw api_exception(ec, std::move(d));
  co_return std::move(value);
}

template <class T, class Token, class Start>
auto run(Token&& token, diagnostics* diag, Start start) {
  if constexpr (std::is_same_v<std::decay_t<Token>, use_awaitable_t>) {
    return checked<T>(std::move(start), diag);
  } else {
    return initiate<T>(std::forward<Token>(token), diag, std::move(start));
  }
}

template <class Token>
concept not_diagnostics = !std::is_same_v<std::decay_t<Token>, diagnostics>;

} // namespace detail
} // namespace cleanlist
