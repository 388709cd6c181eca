// Host name resolution bounded by the call's deadlines and cancellable (transport_params::resolver
// as the seam): a resolver that answers only when the test releases it, which the test does
// only AFTER the calls under test completed, so no assertion depends on how long anything
// took. Before the fix, the calls waited for the resolver (Asio's async_resolve cannot be
// cancelled per operation) and these tests hit their iteration bound instead.
#include "test_support.hpp"

#include <cleanlist/transport.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/address.hpp>

#include <doctest/doctest.h>

#include <mutex>
#include <string>
#include <vector>

using namespace cltest;
namespace cl = cleanlist;

namespace {

/// Holds every resolution until release(); answers at once after it. Counts calls.
struct held_resolver {
  std::mutex m;
  std::vector<cl::resolve_handler> held;
  std::vector<std::string> hosts;
  bool open = false;
  asio::ip::tcp::endpoint target;

  explicit held_resolver(std::uint16_t port) : target(asio::ip::make_address("127.0.0.1"), port) {}

  cl::resolver_function fn() {
    return [this](const std::string& host, std::uint16_t, cl::resolve_handler done) {
      std::unique_lock lock(m);
      hosts.push_back(host);
      if (!open) {
        held.push_back(std::move(done));
        return;
      }
      lock.unlock();
      done({}, {target});
    };
  }
  std::size_t calls() {
    std::lock_guard lock(m);
    return hosts.size();
  }
  void release() {
    std::vector<cl::resolve_handler> h;
    {
      std::lock_guard lock(m);
      open = true;
      h.swap(held);
    }
    for (auto& d : h) d({}, {target});
  }
};

// A name (not an IP literal): only names go through the resolver.
std::string named_url(const cl::testing::simulator& sim) {
  return "http://sim.cleanlist.test:" + std::to_string(sim.port()) + "/api/v1/public";
}

cl::client_params params_on(const cl::testing::simulator& sim, const std::shared_ptr<cl::http_transport>& t) {
  auto p = client_for(sim);
  p.base_url = named_url(sim);
  p.shared_transport = t;
  return p;
}

struct pending_call {
  bool done = false;
  cl::error_code ec;
};

void start_whoami(cl::client& c, pending_call& out, asio::cancellation_signal* sig = nullptr) {
  auto h = [&out](cl::error_code ec, cl::whoami_response) {
    out.ec = ec;
    out.done = true;
  };
  if (sig) c.async_whoami(asio::bind_cancellation_slot(sig->slot(), h));
  else c.async_whoami(h);
}

/// Runs handlers until done() or 3000 rounds of at most 10 ms (a bound, not an assertion).
bool pump(asio::io_context& ioc, const std::function<bool()>& done) {
  ioc.restart();
  for (int i = 0; i < 3000 && !done(); ++i) ioc.run_one_for(std::chrono::milliseconds(10));
  return done();
}

} // namespace

TEST_CASE("resolver slower than connect_timeout: the call times out, the pool waiter behind it is served, one resolution") {
  cl::testing::simulator sim(fast_sim(false));
  asio::io_context ioc;
  held_resolver r(sim.port());
  cl::transport_params tp;
  tp.base_url = named_url(sim);
  tp.max_connections = 1;  // the waiter queues behind the call stuck in resolution
  tp.resolver = r.fn();
  auto t = std::make_shared<cl::http_transport>(ioc.get_executor(), tp);

  auto pa = params_on(sim, t);
  pa.connect_timeout = 300ms;
  pa.retry.max_attempts = 1;
  cl::client a(ioc.get_executor(), pa);
  auto pb = params_on(sim, t);  // connect_timeout 10 s, overall 20 s
  cl::client b(ioc.get_executor(), pb);

  pending_call ca, cb;
  start_whoami(a, ca);
  REQUIRE(pump(ioc, [&] { return r.calls() == 1; }));
  start_whoami(b, cb);  // the one connection slot is a's: b waits in the pool

  REQUIRE(pump(ioc, [&] { return ca.done; }));  // before the fix: not until the resolver answered
  CHECK(ca.ec == cl::error::timeout);
  CHECK_FALSE(cb.done);  // b got a's slot and waits for the same resolution
  CHECK(r.calls() == 1);

  r.release();  // only now: the answer arrives after the call it was for has ended
  REQUIRE(pump(ioc, [&] { return cb.done; }));
  CHECK_FALSE(cb.ec);
  CHECK(r.calls() == 1);  // coalesced: b did not start a resolution of its own

  pending_call again;
  start_whoami(a, again);  // a new connection is not needed (keep-alive), the cache is there anyway
  REQUIRE(pump(ioc, [&] { return again.done; }));
  CHECK_FALSE(again.ec);
  CHECK(r.calls() == 1);
  CHECK(r.hosts.front() == "sim.cleanlist.test");
}

TEST_CASE("resolver slower than overall_timeout or than a cancellation: the call ends first, the late answer is cached") {
  cl::testing::simulator sim(fast_sim(false));
  asio::io_context ioc;
  held_resolver r(sim.port());
  cl::transport_params tp;
  tp.base_url = named_url(sim);
  tp.resolver = r.fn();
  auto t = std::make_shared<cl::http_transport>(ioc.get_executor(), tp);

  auto pd = params_on(sim, t);
  pd.connect_timeout = 10s;
  pd.overall_timeout = 500ms;
  cl::client deadline_bound(ioc.get_executor(), pd);
  cl::client patient(ioc.get_executor(), params_on(sim, t));

  pending_call timed, cancelled;
  start_whoami(deadline_bound, timed);
  REQUIRE(pump(ioc, [&] { return r.calls() == 1; }));
  asio::cancellation_signal sig;
  start_whoami(patient, cancelled, &sig);

  REQUIRE(pump(ioc, [&] { return timed.done; }));
  CHECK(timed.ec == cl::error::timeout);
  CHECK_FALSE(cancelled.done);
  sig.emit(asio::cancellation_type::terminal);
  REQUIRE(pump(ioc, [&] { return cancelled.done; }));
  CHECK(cancelled.ec == asio::error::operation_aborted);
  CHECK(r.calls() == 1);  // both waited for one resolution

  r.release();  // the answer nobody waits for any more
  ioc.restart();
  ioc.poll();
  r.m.lock();
  r.open = false;  // from now on the resolver would hold again: a call must not need it
  r.m.unlock();

  pending_call cached;
  start_whoami(patient, cached);
  REQUIRE(pump(ioc, [&] { return cached.done; }));
  CHECK_FALSE(cached.ec);
  CHECK(r.calls() == 1);  // served from the cache filled by the late answer
}

TEST_CASE("resolve_ttl: an expired answer is resolved again (zero: every new connection resolves)") {
  cl::testing::simulator sim(fast_sim(false));
  asio::io_context ioc;
  held_resolver r(sim.port());
  r.release();  // answers at once
  cl::transport_params tp;
  tp.base_url = named_url(sim);
  tp.resolver = r.fn();
  tp.resolve_ttl = 0ms;
  tp.idle_timeout = 0ms;  // no keep-alive reuse (the pool is the transport's): each call connects anew
  auto t = std::make_shared<cl::http_transport>(ioc.get_executor(), tp);
  cl::client c(ioc.get_executor(), params_on(sim, t));

  for (int i = 0; i < 2; ++i) {
    pending_call call;
    start_whoami(c, call);
    REQUIRE(pump(ioc, [&] { return call.done; }));
    CHECK_FALSE(call.ec);
  }
  CHECK(r.calls() == 2);
}
