// cleanlist::make_redis_budget: the shared budget behind the rate limiter, on a
// redis::redis_budget (one EVALSHA per grant; see src/redis/README.md, "Shared budget behind
// the limiter", for what is promised when Redis fails).
#include <cleanlist/redis.hpp>

#include "engine/shared_budget.hpp"
#include "redis/connection.hpp"
#include "redis/redis_budget.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/context.hpp>

#include <stdexcept>

namespace cleanlist {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

redis::budget_limits limits_of(const rate_limit_params& p) {
  redis::budget_limits l;
  l.per_key = p.per_key;
  l.per_org = p.per_org;
  l.window = p.window;
  l.margin = p.margin;
  return l;
}

class redis_shared_budget final : public shared_budget {
public:
  redis_shared_budget(asio::any_io_executor ex, redis::connection_config cfg, shared_budget_options o)
      : shared_budget(o), conn_(std::make_shared<redis::connection>(std::move(ex), std::move(cfg))),
        budget_(conn_, params_of(o)) {}

  ~redis_shared_budget() override { conn_->close(); }

  void acquire(const std::string& key_id, const std::string& org_id, const rate_limit_params& p,
               const std::string& ticket, acquire_handler h) override {
    auto hex = asio::get_associated_executor(h, conn_->get_executor());
    // A waiter keeps its place if it retries within this after the time it was given.
    const auto grace = std::max(std::chrono::milliseconds(1000), 4 * options().op_timeout);
    budget_.async_acquire_fair(key_id, org_id, limits_of(p), ticket, grace,
                          asio::bind_executor(hex, [h = std::move(h)](error_code ec, redis::acquire_result r) mutable {
                            shared_acquire_result out;
                            out.ec = ec;
                            if (!ec) {
                              out.granted = r.granted;
                              out.wait = r.wait;
                              out.token = std::move(r.grant.member);
                            }
                            std::move(h)(std::move(out));
                          }));
  }

  void release(const std::string& key_id, const std::string& org_id, std::string token) override {
    redis::budget_grant g;
    g.member = std::move(token);
    budget_.async_release(key_id, org_id, std::move(g), [](error_code, bool) {});
  }

  void pause(const std::string& key_id, const std::string& org_id, std::chrono::milliseconds d) override {
    budget_.async_pause(key_id, org_id, d, [](error_code) {});
  }

private:
  static redis::redis_budget_params params_of(const shared_budget_options& o) {
    redis::redis_budget_params p;
    p.key_prefix = o.key_prefix;
    p.hash_salt = o.hash_salt;
    p.op_timeout = o.op_timeout;
    return p;
  }

  std::shared_ptr<redis::connection> conn_;
  redis::redis_budget budget_;
};

} // namespace

std::shared_ptr<shared_budget> make_redis_budget(boost::asio::any_io_executor ex, std::string_view url,
                                                 shared_budget_options options) {
  auto u = redis::parse_url(url);
  if (!u) throw std::invalid_argument("cleanlist: make_redis_budget: malformed redis:// or rediss:// URL");
  redis::connection_config cfg;
  cfg.url = *u;
  cfg.connect_timeout = options.connect_timeout;
  cfg.command_timeout = options.op_timeout;
  if (u->tls && !options.ca_file.empty()) {
    auto ctx = redis::make_tls_context();
    ctx->load_verify_file(options.ca_file);
    cfg.ssl = std::move(ctx);
  }
  return std::make_shared<redis_shared_budget>(std::move(ex), std::move(cfg), std::move(options));
}

} // namespace cleanlist
