// async_wait_for_workflow: poll one workflow to a terminal status through the shared limiter.
#include "api/client_impl.hpp"

#include <cleanlist/models/validation.hpp>

#include <algorithm>

namespace cleanlist {

asio::awaitable<error_code> client::impl::wait_workflow(const std::string& id, const poll_params& pp,
                                                         const progress_function& on_progress,
                                                         transport::call_context& cc, diagnostics& d,
                                                         workflow_status_response& out) {
  ++stats_.waiting_workflows;
  struct leave {
    std::atomic<std::uint64_t>& n;
    ~leave() { --n; }
  } leave_{stats_.waiting_workflows};
  const auto spec = api::workflow_status(api::paths{url_.path, url_.legacy_path()}, id);
  auto interval = pp.initial;
  std::optional<std::int64_t> last_processed;
  std::string last_status;
  asio::steady_timer timer(strand_);
  for (;;) {
    timer.expires_after(interval);
    co_await timer.async_wait(cc.token());
    if (cc.stopped()) co_return cc.timed_out ? error_code(error::timeout) : error_code(asio::error::operation_aborted);
    auto r = co_await execute(spec, cc, d);
    if (r.ec) co_return r.ec;
    workflow_status_response st;
    if (auto ec = convert(r.json, st, d)) co_return ec;
    bool changed = st.status != last_status || st.processed != last_processed;
    last_status = st.status;
    last_processed = st.processed;
    out = std::move(st);
    if (changed && on_progress) on_progress(out);
    if (is_terminal_status(out.status)) co_return error_code{};
    auto next = std::chrono::duration_cast<std::chrono::milliseconds>(interval * pp.multiplier);
    interval = std::clamp(next, std::chrono::milliseconds(1), std::max(pp.max_interval, std::chrono::milliseconds(1)));
  }
}

namespace {

asio::awaitable<void> wait_loop(std::shared_ptr<client::impl> self, std::string id, poll_params pp,
                                progress_function on_progress, diagnostics* user_diag,
                                detail::handler<workflow_status_response> h) {
  workflow_status_response last;
  diagnostics d;
  error_code ec;
  {
    call_scope scope(*self, asio::get_associated_cancellation_slot(h), pp.deadline);
    ec = co_await self->wait_workflow(id, pp, on_progress, *scope.cc, d, last);
    if (ec == asio::error::operation_aborted) ec = scope.stop_error();
  }
  if (ec) last = workflow_status_response{};
  if (user_diag) *user_diag = std::move(d);
  asio::dispatch(self->user_ex_, asio::append(std::move(h), ec, std::move(last)));
}

} // namespace

void client::start_wait_for_workflow(std::string id, poll_params pp, progress_function f, diagnostics* d,
                                     H<workflow_status_response> h) {
  if (auto bad = validate_path_id(id); !bad.empty()) return impl_->fail_now(error::invalid_argument, bad, d, std::move(h));
  if (pp.multiplier < 1.0 || pp.initial.count() < 0 || pp.deadline.count() <= 0)
    return impl_->fail_now(error::invalid_argument, "poll_params: multiplier must be >= 1, initial >= 0, deadline > 0", d,
                           std::move(h));
  if (!impl_->key_problem_.empty()) return impl_->fail_now(error::invalid_api_key, impl_->key_problem_, d, std::move(h));
  asio::co_spawn(impl_->strand_, wait_loop(impl_, std::move(id), pp, std::move(f), d, std::move(h)), asio::detached);
}

} // namespace cleanlist
