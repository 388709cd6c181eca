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
//     the pool and the HTTP work of the whole process), and context switches per 1,000
//     requests (getrusage: voluntary = the thread blocked, e.g. a futex or epoll_wait that
//     slept; involuntary = the scheduler took the core).
//     --contexts N: the other documented model, one io_context per thread: N io_contexts, each
//     with its own shared transport(s) (--transports per context) and run by its own T threads
//     (--threads keeps its meaning: threads per io_context); an organisation's keys and budget
//     stay in one context (organisation o on context o % N), the tasks and the concurrency are
//     split over the contexts. No state is shared between contexts but the simulator.
//     --rate R: offer R requests per second in all (a task, POST + wait, starts every 2/R s,
//     spread over the contexts) instead of as fast as the server answers: separates the cost of
//     contention from that of a saturated machine.
#include "bench_measure.hpp"

#include <cleanlist/client.hpp>
#include <cleanlist/testing/simulator.hpp>
#include <cleanlist/transport.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
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
  std::size_t contexts = 1;    // spend: io_contexts, each run by `threads` threads with its own transports
  double rate = 0;             // spend: offered requests per second in all (0: as fast as answered)
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
  args a;
  std::vector<cl::client*> clients;  // this context's keys
  std::size_t tasks = 0;
  std::atomic<std::size_t> next{0}, done{0}, errors{0};
  cl::poll_params poll;
  clk::time_point start;
  clk::duration task_interval{0};  // --rate: task t starts at start + t * task_interval
};

asio::awaitable<void> spend_worker(spend_state* st) {
  auto tok = asio::as_tuple(asio::use_awaitable);
  std::optional<asio::steady_timer> pace;
  if (st->task_interval.count() > 0) pace.emplace(co_await asio::this_coro::executor);
  for (;;) {
    const std::size_t t = st->next.fetch_add(1);
    if (t >= st->tasks) co_return;
    if (pace) {
      pace->expires_at(st->start + st->task_interval * static_cast<long>(t));
      co_await pace->async_wait(tok);
    }
    // Interleaved: task t goes to key t % keys, so every key works all along the run (the
    // state of every key is touched in turn); --order by-key: a key's tasks follow each other.
    const std::size_t n = st->clients.size();
    const std::size_t per_key = st->tasks / n;
    auto& c = *st->clients[st->a.by_key ? t / per_key : t % n];
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

// One io_context of the spend mode, its transports, budgets and clients, and its share of the tasks.
struct spend_context {
  // The same io_context whatever the number of threads running it (the default concurrency
  // hint: a hint of 1 would let a 1-thread run skip the scheduler's locking, and the
  // comparison would measure Asio's configuration instead of contention in the library).
  asio::io_context ioc;
  fleet f;
  spend_state st;
};

struct switches {
  long voluntary = 0, involuntary = 0;
};
switches context_switches() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return {ru.ru_nvcsw, ru.ru_nivcsw};
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
  const std::size_t nctx = std::min(a.contexts, (a.keys + a.keys_per_org - 1) / a.keys_per_org);
  std::vector<std::unique_ptr<spend_context>> ctxs;
  for (std::size_t c = 0; c < nctx; ++c) {
    auto& x = *ctxs.emplace_back(std::make_unique<spend_context>());
    for (std::size_t i = 0; i < a.transports; ++i) x.f.transports.push_back(make_transport(a, x.ioc.get_executor()));
    x.st.a = a;
  }
  // Organisation o (its keys and its budget) on context o % N; with one context, key k on
  // transport k % transports as before.
  const auto rl = limits_of(a);
  for (std::size_t o = 0; o * a.keys_per_org < a.keys; ++o) {
    auto& x = *ctxs[o % nctx];
    auto budget = cl::make_org_budget(rl);
    x.f.orgs.push_back(budget);
    for (std::size_t k = o * a.keys_per_org; k < std::min(a.keys, (o + 1) * a.keys_per_org); ++k) {
      cl::client_params p;
      p.base_url = a.url;
      p.api_key = key_of(k);
      p.shared_transport = x.f.transports[(nctx == 1 ? k : x.f.clients.size()) % a.transports];
      p.shared_org_budget = budget;
      p.rate_limit = rl;
      x.f.clients.push_back(std::make_unique<cl::client>(x.ioc.get_executor(), std::move(p)));
      x.st.clients.push_back(x.f.clients.back().get());
    }
  }
  const std::size_t per_window = static_cast<std::size_t>(std::max(1, a.key_limit / 2));
  std::size_t tasks = 0;
  for (auto& x : ctxs) {
    x->st.tasks = x->st.clients.size() * a.windows * per_window;
    tasks += x->st.tasks;
    x->st.poll.initial = std::chrono::milliseconds(1);  // the simulator's workflows end at once: one poll each
    x->st.poll.deadline = std::chrono::minutes(10);
    // --rate R: R / 2 tasks per second in all, each context its share.
    if (a.rate > 0)
      x->st.task_interval = std::chrono::duration_cast<clk::duration>(
          std::chrono::duration<double>(2.0 * static_cast<double>(nctx) / a.rate));
  }
  const std::size_t workers = std::max<std::size_t>(1, a.concurrency / nctx);
  const double cpu0 = cpu_seconds();
  const switches sw0 = context_switches();
  const auto t0 = clk::now();
  for (auto& x : ctxs) {
    x->st.start = t0;
    for (std::size_t w = 0; w < std::min(workers, x->st.tasks); ++w)
      asio::co_spawn(x->ioc, spend_worker(&x->st), asio::detached);
  }
  std::vector<std::thread> more;
  for (std::size_t c = 0; c < nctx; ++c)
    for (std::size_t i = c == 0 ? 1 : 0; i < a.threads; ++i) more.emplace_back([&ioc = ctxs[c]->ioc] { ioc.run(); });
  ctxs[0]->ioc.run();
  for (auto& t : more) t.join();
  const double wall = std::chrono::duration<double>(clk::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  const switches sw1 = context_switches();
  std::uint64_t requests = 0, r429 = 0, retries = 0;
  std::size_t connections = 0, errors = 0, done = 0;
  double limiter_wait_s = 0;
  for (auto& x : ctxs) {
    for (auto& c : x->f.clients) {
      const auto s = c->stats();
      requests += s.requests;
      r429 += s.rate_limited_429;
      retries += s.retries;
      limiter_wait_s += std::chrono::duration<double>(s.limiter_wait).count();
    }
    for (auto& t : x->f.transports) connections += t->open_connections();
    errors += x->st.errors.load();
    done += x->st.done.load();
  }
  const double per_1k = 1000.0 / static_cast<double>(std::max<std::uint64_t>(1, requests));
  std::printf("RESULT name=many_keys mode=spend keys=%zu keys_per_org=%zu threads=%zu transports=%zu windows=%zu tasks=%zu "
              "requests=%llu r429=%llu retries=%llu errors=%zu wall_s=%.3f rps=%.0f cpu_s_per_1k=%.4f "
              "limiter_wait_s=%.2f connections=%zu contexts=%zu rate=%.0f vcsw_per_1k=%.0f ivcsw_per_1k=%.0f\n",
              a.keys, a.keys_per_org, a.threads, a.transports, a.windows, tasks, static_cast<unsigned long long>(requests),
              static_cast<unsigned long long>(r429), static_cast<unsigned long long>(retries), errors, wall,
              static_cast<double>(requests) / wall, cpu * per_1k, limiter_wait_s, connections, nctx, a.rate,
              static_cast<double>(sw1.voluntary - sw0.voluntary) * per_1k,
              static_cast<double>(sw1.involuntary - sw0.involuntary) * per_1k);
  return errors == 0 && done == tasks && r429 == 0 ? 0 : 1;
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
    else if (k == "--contexts") a.contexts = count();
    else if (k == "--rate") a.rate = std::stod(v());
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
                   "  [--order interleaved|by-key] [--transports N] [--contexts N] [--rate R]\n"
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
