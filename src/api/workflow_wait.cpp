// async_wait_for_workflow: hands the workflow to the client's shared poll driver.
#include "api/client_impl.hpp"

#include <cleanlist/models/validation.hpp>

namespace cleanlist {

void client::start_wait_for_workflow(const std::shared_ptr<impl>& impl_, std::string id, poll_params pp, progress_function f, diagnostics* d,
                                     H<workflow_status_response> h) {
  if (auto bad = validate_path_id(id); !bad.empty()) return impl_->fail_now(error::invalid_argument, bad, d, std::move(h));
  if (auto bad = validate(pp); !bad.empty()) return impl_->fail_now(error::invalid_argument, bad, d, std::move(h));
  if (!impl_->key_problem_.empty()) return impl_->fail_now(error::invalid_api_key, impl_->key_problem_, d, std::move(h));
  // Linked now, on the caller's thread: a cancellation emitted before the wait starts is kept.
  auto stop = stop_link::attach(asio::get_associated_cancellation_slot(h), impl_->strand_);
  asio::dispatch(impl_->strand_, [self = impl_, id = std::move(id), pp, f = std::move(f), d, h = std::move(h),
                                  stop = std::move(stop)]() mutable {
    if (self->shut_) {
      if (stop) stop->unbind();
      return self->fail_now(error::shutdown, "client shut down", d, std::move(h));
    }
    self->driver_.add(self, std::move(id), pp, std::move(f), d, std::move(h), std::move(stop));
  });
}

} // namespace cleanlist
