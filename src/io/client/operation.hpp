#pragma once
// The one way every public operation runs (client.hpp's contract, in code):
//   1. refused arguments or credentials: completes later with the error, nothing sent;
//   2. the caller's cancellation slot is linked now, on the caller's thread, so a signal
//      emitted before the operation runs is kept (stop_link);
//   3. the body runs on the client's strand (after a shutdown: error::shutdown at once);
//   4. the handler completes exactly once, on its associated executor: by the body, or with
//      error::internal_error when a coroutine body ends by an exception (co_spawn'd
//      `detached`, the exception would be swallowed and the caller would wait forever).
// See client::impl::launch.
#include "client/stop_link.hpp"
#include "protocol/response.hpp"

#include <cleanlist/detail/async_op.hpp>
#include <cleanlist/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/dispatch.hpp>

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace cleanlist {

/// The handler of one running operation and where its diagnostics go. complete() runs once;
/// later calls do nothing. Used on the client's strand only.
template <class T>
class op_completion {
public:
  op_completion(boost::asio::any_io_executor fallback, detail::handler<T> h, diagnostics* user_diag)
      : fallback_(std::move(fallback)), user_diag_(user_diag) {
    h_.emplace(std::move(h));  // in place: Boost 1.81's any_completion_handler move-assignment recurses
  }

  bool done() const noexcept { return !h_; }

  /// Completes with (ec, *value) (T{} when value is null or ec is set); `d` goes to the
  /// caller's diagnostics. Only the box's pointer travels through the dispatch.
  void complete(error_code ec, std::unique_ptr<T> value, diagnostics d) {
    if (!h_) return;
    if (user_diag_) *user_diag_ = std::move(d);
    if (ec || !value) value = std::make_unique<T>();
    struct boxed {
      detail::handler<T> h;
      error_code ec;
      std::unique_ptr<T> value;
      void operator()() { std::move(h)(ec, std::move(*value)); }
    };
    auto target = boost::asio::get_associated_executor(*h_, fallback_);
    boxed b{std::move(*h_), ec, std::move(value)};
    h_.reset();
    boost::asio::dispatch(target, std::move(b));
  }

  /// The body ended by an exception before completing (`secret` is redacted from its message).
  void fail_unexpected(std::exception_ptr e, std::string_view secret) {
    diagnostics d;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      d.problem = std::string("internal error: ") + x.what();
    } catch (...) {
      d.problem = "internal error: unknown exception";
    }
    protocol::redact(d.problem, secret);
    complete(error::internal_error, nullptr, std::move(d));
  }

  /// For a body that hands the handler on (the poll driver completes it itself).
  detail::handler<T> release() {
    detail::handler<T> h(std::move(*h_));
    h_.reset();
    return h;
  }
  diagnostics* user_diag() const noexcept { return user_diag_; }

private:
  boost::asio::any_io_executor fallback_;  // where a handler without an executor runs
  std::optional<detail::handler<T>> h_;
  diagnostics* user_diag_;
};

template <class T>
using completion_ptr = std::shared_ptr<op_completion<T>>;

} // namespace cleanlist
