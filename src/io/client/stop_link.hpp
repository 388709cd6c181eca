#pragma once
// The caller's cancellation slot, linked when an operation is initiated (on the caller's
// thread, before anything is posted) and acted upon on the client's strand, whatever thread
// emits the signal:
//  - a signal emitted after initiation but before the operation runs is kept and honoured
//    when it starts (bind());
//  - the handler in the caller's slot only sets a flag and posts to the strand: the limiter's
//    queue, the waiters and the poll scheduler are only ever touched on the strand;
//  - the slot is never cleared by the operation (clearing it on the strand while the caller
//    emits from another thread would race inside Asio's cancellation_signal); the handler left
//    in it owns nothing but this small shared object, inert once the operation is done.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/dispatch.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

namespace cleanlist {

class stop_link : public std::enable_shared_from_this<stop_link> {
public:
  /// Returns false when the operation does not honour this type now (the signal is then
  /// ignored, and a later one is still acted upon).
  using action = std::function<bool(boost::asio::cancellation_type)>;

  /// Links `slot` (null when the caller gave no slot).
  static std::shared_ptr<stop_link> attach(boost::asio::cancellation_slot slot, boost::asio::any_io_executor strand) {
    if (!slot.is_connected()) return nullptr;
    auto link = std::shared_ptr<stop_link>(new stop_link(std::move(strand)));
    slot.assign([link](boost::asio::cancellation_type t) { link->on_signal(t); });
    return link;
  }

  /// On the strand: from now on a signal runs `a` (on the strand); a signal that came before
  /// runs it now.
  void bind(action a) {
    action_ = std::move(a);
    if (requested_.load(std::memory_order_acquire)) fire();
  }
  /// On the strand: the operation is over; later signals do nothing. The strand is dropped
  /// too: the caller's signal may outlive the io_context, and with it this link.
  void unbind() {
    action_ = nullptr;
    std::lock_guard lk(mu_);
    strand_ = {};
  }

private:
  explicit stop_link(boost::asio::any_io_executor strand) : strand_(std::move(strand)) {}

  // Any thread (the emitter's).
  void on_signal(boost::asio::cancellation_type t) {
    if (t == boost::asio::cancellation_type::none) return;
    type_.store(static_cast<unsigned>(t), std::memory_order_relaxed);
    requested_.store(true, std::memory_order_release);
    boost::asio::any_io_executor strand;
    {
      std::lock_guard lk(mu_);
      strand = strand_;
    }
    if (strand) boost::asio::dispatch(strand, [self = shared_from_this()] { self->fire(); });
  }

  void fire() {
    if (!action_) return;
    auto a = std::move(action_);  // once: later emissions find it gone
    action_ = nullptr;
    if (!a(static_cast<boost::asio::cancellation_type>(type_.load(std::memory_order_relaxed))))
      if (!action_) action_ = std::move(a);  // not honoured now: keep listening
  }

  std::mutex mu_;                       // guards strand_ (emitter's thread vs the strand)
  boost::asio::any_io_executor strand_;  // empty once the operation is over
  std::atomic<bool> requested_{false};
  std::atomic<unsigned> type_{0};
  action action_;  // strand only
};

} // namespace cleanlist
