// bench_many_keys — many API keys (one cleanlist::client each) in one process over ONE shared
// transport and shared organisation budgets, the way a service embeds the library (issue 15).
// Each mode prints one machine-readable line: RESULT name=many_keys mode=... key=value ...
//
// --mode accounts --keys K --keys-per-org P
//     Prints the simulator's accounts document (cleanlist-sim --accounts FILE) for K keys, P per
//     organisation, the same keys the other modes use (clapi_mk<24 digits>).
// --mode idle --keys K --keys-per-org P
//     Builds K idle clients (and K / P organisation budgets) on one transport and prints the
//     heap in use (mallinfo2) and RSS added per client. Needs no server (nothing is sent);
//     CLEANLIST_BASE_URL is used when set.
// --mode spend --keys K --keys-per-org P [--windows N] [--threads T] [--concurrency C]
//              [--connections M] [--window-ms W] [--key-limit 30] [--org-limit 60]
//     Against cleanlist-sim in another process (CLEANLIST_BASE_URL; accounts from --mode
//     accounts; start it with --pending-ms 0 --running-ms 0): every key spends its budget N
//     times — key-limit / 2 person enrichments per window, each a POST then
//     async_wait_for_workflow (the poll driver), so 2 requests each — tasks interleaved over
//     the keys, C at a time, one io_context run by T threads. Reports requests, 429s, errors,
//     wall time and client CPU per 1,000 requests (getrusage: the limiter, the poll driver,
//     the pool and the HTTP work of the whole process).
#include "bench_measure.hpp"

#include <cleanlist/client.hpp>
#include <cleanlist/testing/simulator.hpp>
#include <cleanlist/transport.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace cl = cleanlist;
using clk = std::chrono::steady_clock;

namespace {

using bench::cpu_seconds;
using bench::current_rss_kb;

struct args {
  std::string mode = "spend", tag = "run";
  bool by_key = false;  // spend: a key's tasks one after another (default: interleaved over the keys)
  std::size_t keys = 10000, keys_per_org = 2, windows = 1, threads = 1, concurrency = 64, connections = 64;
  std::size_t transports = 1;  // spend: keys split over this many shared transports (key k on k % transports)
  long window_ms = 2000;
  int key_limit = 30, org_limit = 60;
  bool sim = false;            // spend: an in-process simulator on its own thread (tests, TSan)
  bool sim_limits = true;      // --sim: the simulator answers 429 over a key's or organisation's window
  std::string url;             // the server's base URL (CLEANLIST_BASE_URL or the in-process simulator)
};



// The same keys in the accounts document and in the clients: 40 characters, like real keys.
std::string key_of(std::size_t i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "clapi_mk%032zu", i);
  return buf;
}
std::string org_of(std::size_t i, std::size_t per_org) {
  return "org_mk_" + std::to_string(i / per_org);
}

void write_accounts(std::ostream& out, const args& a) {
  out << "{\"orgs\":[";
  for (std::size_t k = 0; k < a.keys; k += a.keys_per_org) {
    const auto org = org_of(k, a.keys_per_org);
    out << (k ? "," : "") << "{\"org_id\":\"" << org << "\",\"name\":\"" << org
              << "\",\"tier\":\"enterprise\",\"credits\":1000000000,\"users\":[{\"user_id\":\"u_" << org
              << "\",\"email\":\"" << org << "@bench.example\",\"name\":\"Bench\",\"keys\":[";
    for (std::size_t j = k; j < std::min(a.keys, k + a.keys_per_org); ++j)
      out << (j > k ? "," : "") << "\"" << key_of(j) << "\"";
    out << "]}]}";
  }
  out << "]}\n";
}

int run_accounts(const args& a) {
  write_accounts(std::cout, a);
  return 0;
}

std::string env_base_url() {
  const char* u = std::getenv("CLEANLIST_BASE_URL");
  return u && *u ? u : "http://127.0.0.1:9/api/v1/public";
}

struct fleet {
  std::vector<std::shared_ptr<cl::http_transport>> transports;
  std::vector<std::shared_ptr<cl::org_budget>> orgs;
  std::vector<std::unique_ptr<cl::client>> clients;
};

cl::rate_limit_params limits_of(const args& a) {
  cl::rate_limit_params rl;
  rl.per_key = a.key_limit;
  rl.per_org = a.org_limit;
  rl.window = std::chrono::milliseconds(a.window_ms);
  return rl;
}

// Clients [from, to) of the fleet: one per key, the organisation's budget shared by its keys.
void add_clients(fleet& f, const args& a, asio::any_io_executor ex, std::size_t from, std::size_t to) {
  const auto rl = limits_of(a);
  for (std::size_t k = from; k < to; ++k) {
    const std::size_t o = k / a.keys_per_org;
    if (o >= f.orgs.size()) f.orgs.push_back(cl::make_org_budget(rl));
    cl::client_params p;
    p.base_url = a.url;
    p.api_key = key_of(k);
    p.shared_transport = f.transports[k % f.transports.size()];
    p.shared_org_budget = f.orgs[o];
    p.rate_limit = rl;
    f.clients.push_back(std::make_unique<cl::client>(ex, std::move(p)));
  }
}

std::shared_ptr<cl::http_transport> make_transport(const args& a, asio::any_io_executor ex) {
  cl::transport_params tp;
  tp.base_url = a.url;
  tp.max_connections = a.connections;
  return std::make_shared<cl::http_transport>(ex, tp);
}

// ---------------------------------------------------------------- mode idle

int run_idle(const args& a) {
  asio::io_context ioc(1);
  fleet f;
  f.transports.push_back(make_transport(a, ioc.get_executor()));
  f.clients.reserve(a.keys + 1);
  f.orgs.reserve(a.keys / a.keys_per_org + 2);
  add_clients(f, a, ioc.get_executor(), 0, a.keys_per_org);  // warm-up: first allocations of every kind
  malloc_trim(0);
  const long rss0 = current_rss_kb();
  const auto heap0 = mallinfo2().uordblks;
  const auto t0 = clk::now();
  add_clients(f, a, ioc.get_executor(), a.keys_per_org, a.keys_per_org + a.keys);
  const double build_s = std::chrono::duration<double>(clk::now() - t0).count();
  malloc_trim(0);
  const auto heap1 = mallinfo2().uordblks;
  const long rss1 = current_rss_kb();
  const double n = static_cast<double>(a.keys);
  std::printf("RESULT name=many_keys mode=idle keys=%zu keys_per_org=%zu heap_bytes_per_client=%.0f "
              "rss_bytes_per_client=%.0f build_us_per_client=%.2f\n",
              a.keys, a.keys_per_org, static_cast<double>(heap1 - heap0) / n,
              static_cast<double>(rss1 - rss0) * 1024.0 / n, build_s * 1e6 / n);
  return 0;
}

// ---------------------------------------------------------------- mode spend

struct spend_state {
  fleet* f = nullptr;
  args a;
  std::size_t tasks = 0;
  std::atomic<std::size_t> next{0}, done{0}, errors{0};
  cl::poll_params poll;
};

asio::awaitable<void> spend_worker(spend_state* st) {
  auto tok = asio::as_tuple(asio::use_awaitable);
  for (;;) {
    const std::size_t t = st->next.fetch_add(1);
    if (t >= st->tasks) co_return;
    // Interleaved: task t goes to key t % keys, so every key works all along the run (the
    // state of every key is touched in turn); --order by-key: a key's tasks follow each other.
    const std::size_t per_key = st->tasks / st->a.keys;
    auto& c = *st->f->clients[st->a.by_key ? t / per_key : t % st->a.keys];
    cl::enrich_person_request req;
    req.email = "p" + std::to_string(t) + "." + st->a.tag + "@bench.example";
    auto [ec, started] = co_await c.async_enrich_person(std::move(req), tok);
    if (ec) {
      if (st->errors.fetch_add(1) == 0) std::fprintf(stderr, "first error (POST): %s\n", ec.message().c_str());
      continue;
    }
    auto [ec2, s] = co_await c.async_wait_for_workflow(std::move(started.workflow_id), st->poll, {}, tok);
    if (ec2 && st->errors.fetch_add(1) == 0) std::fprintf(stderr, "first error (wait): %s\n", ec2.message().c_str());
    st->done.fetch_add(1);
  }
}

int run_spend(args a) {
  std::optional<cl::testing::simulator> sim;
  if (a.sim) {
    cl::testing::simulator_params sp;
    sp.tls = false;
    std::ostringstream accounts;
    write_accounts(accounts, a);
    sp.orgs = cl::testing::parse_accounts(accounts.str());
    sp.rate_limits = a.sim_limits;
    sp.per_key_limit = a.key_limit;
    sp.per_org_limit = a.org_limit;
    sp.window = std::chrono::milliseconds(a.window_ms);
    sp.pending_for = std::chrono::milliseconds(0);
    sp.running_for = std::chrono::milliseconds(0);
    sim.emplace(sp);
    a.url = sim->base_url();
  }
  // The same io_context whatever the number of threads running it (the default concurrency
  // hint: a hint of 1 would let a 1-thread run skip the scheduler's locking, and the
  // comparison would measure Asio's configuration instead of contention in the library).
  asio::io_context ioc;
  fleet f;
  for (std::size_t i = 0; i < a.transports; ++i) f.transports.push_back(make_transport(a, ioc.get_executor()));
  f.clients.reserve(a.keys);
  add_clients(f, a, ioc.get_executor(), 0, a.keys);
  spend_state st;
  st.f = &f;
  st.a = a;
  st.tasks = a.keys * a.windows * static_cast<std::size_t>(std::max(1, a.key_limit / 2));
  st.poll.initial = std::chrono::milliseconds(1);  // the simulator's workflows end at once: one poll each
  st.poll.deadline = std::chrono::minutes(10);
  const double cpu0 = cpu_seconds();
  const auto t0 = clk::now();
  for (std::size_t w = 0; w < std::min(a.concurrency, st.tasks); ++w)
    asio::co_spawn(ioc, spend_worker(&st), asio::detached);
  std::vector<std::thread> more;
  for (std::size_t i = 1; i < a.threads; ++i) more.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : more) t.join();
  const double wall = std::chrono::duration<double>(clk::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  std::uint64_t requests = 0, r429 = 0, retries = 0;
  double limiter_wait_s = 0;
  for (auto& c : f.clients) {
    const auto s = c->stats();
    requests += s.requests;
    r429 += s.rate_limited_429;
    retries += s.retries;
    limiter_wait_s += std::chrono::duration<double>(s.limiter_wait).count();
  }
  std::size_t connections = 0;
  for (auto& t : f.transports) connections += t->open_connections();
  std::printf("RESULT name=many_keys mode=spend keys=%zu keys_per_org=%zu threads=%zu transports=%zu windows=%zu tasks=%zu "
              "requests=%llu r429=%llu retries=%llu errors=%zu wall_s=%.3f rps=%.0f cpu_s_per_1k=%.4f "
              "limiter_wait_s=%.2f connections=%zu\n",
              a.keys, a.keys_per_org, a.threads, a.transports, a.windows, st.tasks, static_cast<unsigned long long>(requests),
              static_cast<unsigned long long>(r429), static_cast<unsigned long long>(retries), st.errors.load(), wall,
              static_cast<double>(requests) / wall,
              cpu * 1000.0 / static_cast<double>(std::max<std::uint64_t>(1, requests)), limiter_wait_s,
              connections);
  return st.errors == 0 && st.done == st.tasks && r429 == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto v = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "missing value for " << k << "\n";
        std::exit(2);
      }
      return argv[++i];
    };
    auto count = [&]() { return std::max<std::size_t>(1, std::stoul(v())); };
    if (k == "--mode") a.mode = v();
    else if (k == "--tag") a.tag = v();
    else if (k == "--keys") a.keys = count();
    else if (k == "--keys-per-org") a.keys_per_org = count();
    else if (k == "--windows") a.windows = count();
    else if (k == "--threads") a.threads = count();
    else if (k == "--transports") a.transports = count();
    else if (k == "--concurrency") a.concurrency = count();
    else if (k == "--connections") a.connections = count();
    else if (k == "--window-ms") a.window_ms = std::stol(v());
    else if (k == "--key-limit") a.key_limit = std::stoi(v());
    else if (k == "--org-limit") a.org_limit = std::stoi(v());
    else if (k == "--sim") a.sim = true;
    else if (k == "--order") a.by_key = v() == "by-key";
    else if (k == "--sim-no-rate-limit") a.sim_limits = false;
    else if (k == "--help") {
      std::cout << "bench_many_keys --mode accounts|idle|spend [--keys K] [--keys-per-org P] [--windows N]\n"
                   "  [--threads T] [--concurrency C] [--connections M] [--window-ms W] [--key-limit 30]\n"
                   "  [--order interleaved|by-key] [--transports N]\n"
                   "  [--org-limit 60] [--tag T] [--sim [--sim-no-rate-limit]]\n"
                   "  (spend: CLEANLIST_BASE_URL from cleanlist-sim --http, or --sim: an in-process simulator)\n";
      return 0;
    } else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  a.url = env_base_url();
  try {
    if (a.mode == "accounts") return run_accounts(a);
    if (a.mode == "idle") return run_idle(a);
    if (a.mode == "spend") return run_spend(a);
    std::cerr << "unknown mode " << a.mode << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "bench_many_keys: " << e.what() << "\n";
    return 1;
  }
}
