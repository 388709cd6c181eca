#pragma once
// Pending waits that live inside our own objects (the limiter's queue, the poll loop's waiters)
// are not owned by the io_context the way a socket or timer operation is: a waiting handler
// (often a coroutine frame) that holds the object that holds it is a reference cycle, and an
// io_context destroyed with such waits pending would leak them. This execution_context service
// is told at the io_context's shutdown; every registered object then drops its pending handlers
// without invoking them — what the io_context does with its own pending operations.
#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/query.hpp>

#include <memory>
#include <mutex>
#include <vector>

namespace cleanlist::detail {

/// Something holding handlers that must be dropped (not invoked) at the io_context's shutdown.
class abandonable {
public:
  virtual ~abandonable() = default;
  /// Destroys every pending handler without invoking it. Called once, on the thread destroying
  /// the io_context, when nothing runs on it any more.
  virtual void abandon() noexcept = 0;
};

class shutdown_hooks : public boost::asio::execution_context::service {
public:
  using key_type = shutdown_hooks;
  static boost::asio::execution_context::id id;

  explicit shutdown_hooks(boost::asio::execution_context& ctx) : service(ctx) {}

  /// Registers `a` with the context `ex` runs on (any thread).
  template <class Executor>
  static void watch(const Executor& ex, std::weak_ptr<abandonable> a) {
    auto& ctx = boost::asio::query(ex, boost::asio::execution::context);
    boost::asio::use_service<shutdown_hooks>(ctx).add(std::move(a));
  }

  void add(std::weak_ptr<abandonable> a) {
    std::lock_guard lk(mu_);
    // Forget the dead from time to time: thousands of short-lived clients must not grow this.
    if (items_.size() >= 2 * live_hint_ + 64) {
      std::erase_if(items_, [](const std::weak_ptr<abandonable>& w) { return w.expired(); });
      live_hint_ = items_.size();
    }
    items_.push_back(std::move(a));
  }

private:
  void shutdown() override {
    std::vector<std::weak_ptr<abandonable>> items;
    {
      std::lock_guard lk(mu_);
      items.swap(items_);
    }
    for (auto& w : items)
      if (auto a = w.lock()) a->abandon();  // `a` keeps the object alive while it drops its handlers
  }

  std::mutex mu_;
  std::vector<std::weak_ptr<abandonable>> items_;
  std::size_t live_hint_ = 0;
};

} // namespace cleanlist::detail
