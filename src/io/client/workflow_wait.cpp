// async_wait_for_workflow: hands the workflow to the client's shared poll driver.
#include "client/client_impl.hpp"

#include <cleanlist/models/validation.hpp>

namespace cleanlist {

void client::start_wait_for_workflow(const std::shared_ptr<impl>& impl_, std::string id, poll_params pp, progress_function f, diagnostics* d,
                                     H<workflow_status_response> h) {
  auto bad = validate_path_id(id);
  if (bad.empty()) bad = validate(pp);
  impl_->launch<workflow_status_response>(
      std::move(bad), d, std::move(h),
      [id = std::move(id), pp, f = std::move(f)](std::shared_ptr<impl> self, completion_ptr<workflow_status_response> done,
                                                 std::shared_ptr<stop_link> stop) mutable {
        // The poll driver completes the handler itself (one record per wait, no coroutine).
        auto* diag = done->user_diag();
        self->driver().add(self, std::move(id), pp, std::move(f), diag, done->release(), std::move(stop));
      });
}

asio::awaitable<poll_answer> client::impl::poll_status(std::string workflow_id, time_point granted_at) {
  poll_answer a;
  transport::call_context cc;
  auto r = co_await execute(api::workflow_status(paths_, workflow_id), cc, a.diag, granted_at, &a.status);
  if (r.read_fast) co_return a;
  a.status = {};  // what a body that could not be read fast may have left
  a.ec = r.ec ? r.ec : convert(r.json, a.status, a.diag, secret());
  co_return a;
}

} // namespace cleanlist
