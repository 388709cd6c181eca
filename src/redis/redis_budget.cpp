// Asio shell of the shared budget: EVALSHA of the scripts in budget_logic.cpp on a
// redis::connection, SCRIPT LOAD pipelined before the first use (and again after NOSCRIPT,
// e.g. a restarted server or SCRIPT FLUSH), one deadline for the whole operation.
#include "redis/redis_budget.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <array>
#include <random>

namespace cleanlist::redis {

namespace asio = boost::asio;
using boost::system::error_code;
using clock = std::chrono::steady_clock;
using reply_handler = asio::any_completion_handler<void(error_code, reply)>;

namespace {

template <class Handler, class... Args>
void deliver(const asio::any_io_executor& ex, Handler h, Args... args) {
  auto hex = asio::get_associated_executor(h, ex);
  asio::post(ex, asio::bind_executor(hex, [h = std::move(h), ... a = std::move(args)]() mutable {
               std::move(h)(std::move(a)...);
             }));
}

enum script_id { acquire_id = 0, release_id = 1, pause_id = 2, acquire_fair_id = 3 };

} // namespace

class budget_impl : public std::enable_shared_from_this<budget_impl> {
public:
  budget_impl(std::shared_ptr<connection> c, redis_budget_params p) : conn(std::move(c)), params(std::move(p)) {
    const std::array<std::string_view, 4> texts{acquire_script, release_script, pause_script, acquire_fair_script};
    for (std::size_t i = 0; i < texts.size(); ++i) {
      scripts[i].text = texts[i];
      scripts[i].sha = script_sha1(texts[i]);
    }
    std::random_device rd;
    std::mt19937_64 g(rd());
    instance = std::to_string(g());
  }

  struct script_state {
    std::string_view text;
    std::string sha;
    // On the strand only. `loading`: a SCRIPT LOAD is in the pipeline; an EVALSHA queued after
    // it on the same connection finds the script, so it is not sent again.
    enum { unloaded, loading, loaded } load_state = unloaded;
  };

  const asio::any_io_executor& ex() const { return strand; }

  // On the connection's strand.
  void run_script(int id, std::vector<std::string> args, clock::time_point deadline, bool retried, reply_handler h) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) return deliver(strand, std::move(h), error_code(errc::timeout), reply{});
    auto& s = scripts[id];
    // A retry after NOSCRIPT always sends its own SCRIPT LOAD right before its EVALSHA.
    if (s.load_state == script_state::unloaded || retried) {
      // Pipelined before the EVALSHA on the same connection: the server runs them in order.
      s.load_state = script_state::loading;
      std::vector<std::string> load{"SCRIPT", "LOAD", std::string(s.text)};
      conn->async_exec(std::move(load), left,
                       asio::bind_executor(strand, [self = shared_from_this(), id](error_code ec, reply r) {
                         auto& st = self->scripts[id];
                         if (st.load_state != script_state::loading) return;  // reset by a NOSCRIPT meanwhile
                         const bool ok = !ec && r.type == reply::kind::string && r.str == st.sha;
                         st.load_state = ok ? script_state::loaded : script_state::unloaded;
                       }));
    }
    auto copy = args;
    conn->async_exec(std::move(copy), left,
                     asio::bind_executor(strand, [self = shared_from_this(), id, args = std::move(args), deadline,
                                                  retried, h = std::move(h)](error_code ec, reply r) mutable {
                       if (!ec && r.is_error("NOSCRIPT") && !retried) {
                         self->scripts[id].load_state = script_state::unloaded;  // flushed or a new server
                         return self->run_script(id, std::move(args), deadline, true, std::move(h));
                       }
                       deliver(self->strand, std::move(h), ec, std::move(r));
                     }));
  }

  std::string next_member() { return instance + ":" + std::to_string(++seq); }

  std::shared_ptr<connection> conn;
  asio::any_io_executor strand{conn->get_executor()};
  redis_budget_params params;
  std::array<script_state, 4> scripts;
  std::string instance;
  std::uint64_t seq = 0;
};

redis_budget::redis_budget(std::shared_ptr<connection> conn, redis_budget_params params)
    : impl_(std::make_shared<budget_impl>(std::move(conn), std::move(params))) {}

redis_budget::~redis_budget() = default;

const redis_budget_params& redis_budget::params() const noexcept { return impl_->params; }

budget_keys redis_budget::keys(std::string_view key_id, std::string_view org_id) const {
  return make_budget_keys(impl_->params.key_prefix, impl_->params.hash_salt, key_id, org_id);
}

void redis_budget::acquire_impl(budget_keys k, budget_limits l, std::string ticket, std::chrono::milliseconds grace,
                                asio::any_completion_handler<acquire_signature> h) {
  const auto deadline = clock::now() + impl_->params.op_timeout;
  asio::dispatch(impl_->ex(), [impl = impl_, k = std::move(k), l, ticket = std::move(ticket), grace, deadline,
                               h = std::move(h)]() mutable {
    std::string member = impl->next_member();
    const int id = ticket.empty() ? acquire_id : acquire_fair_id;
    auto args = ticket.empty() ? acquire_args(impl->scripts[acquire_id].sha, k, l, member)
                               : acquire_fair_args(impl->scripts[acquire_fair_id].sha, k, l, member, ticket, grace);
    impl->run_script(id, std::move(args), deadline, false,
                     reply_handler([impl, member = std::move(member), h = std::move(h)](error_code ec, reply r) mutable {
                       acquire_result res;
                       if (!ec) {
                         const acquire_decision d = decode_acquire(r, ec);
                         if (!ec) {
                           res.granted = d.granted;
                           res.server_now_us = d.server_now_us;
                           if (d.granted) {
                             res.grant.granted_at_us = d.granted_at_us;
                             res.grant.member = std::move(member);
                           } else {
                             res.wait = std::chrono::microseconds(d.wait_us);
                             res.reason = d.reason;
                           }
                         }
                       }
                       deliver(impl->ex(), std::move(h), ec, std::move(res));
                     }));
  });
}

void redis_budget::release_impl(budget_keys k, budget_grant g, asio::any_completion_handler<release_signature> h) {
  const auto deadline = clock::now() + impl_->params.op_timeout;
  asio::dispatch(impl_->ex(), [impl = impl_, k = std::move(k), g = std::move(g), deadline, h = std::move(h)]() mutable {
    auto args = release_args(impl->scripts[release_id].sha, k, g.member);
    impl->run_script(release_id, std::move(args), deadline, false,
                     reply_handler([impl, h = std::move(h)](error_code ec, reply r) mutable {
                       bool released = false;
                       if (!ec) {
                         if (r.is_error()) ec = errc::server_error;
                         else if (r.type != reply::kind::integer) ec = errc::unexpected_reply;
                         else released = r.integer > 0;
                       }
                       deliver(impl->ex(), std::move(h), ec, released);
                     }));
  });
}

void redis_budget::pause_impl(budget_keys k, std::chrono::milliseconds d,
                              asio::any_completion_handler<pause_signature> h) {
  const auto deadline = clock::now() + impl_->params.op_timeout;
  asio::dispatch(impl_->ex(), [impl = impl_, k = std::move(k), d, deadline, h = std::move(h)]() mutable {
    auto args = pause_args(impl->scripts[pause_id].sha, k, d);
    impl->run_script(pause_id, std::move(args), deadline, false,
                     reply_handler([impl, h = std::move(h)](error_code ec, reply r) mutable {
                       if (!ec && r.is_error()) ec = errc::server_error;
                       deliver(impl->ex(), std::move(h), ec);
                     }));
  });
}

} // namespace cleanlist::redis
