// `cleanlist enrich-csv` on N contacts (default 20,000) against a simulator at the documented
// limits (30 requests per window per key, 60 per organisation; the window may be scaled):
// requests per 1,000 contacts and wall time, the default (the whole file in one bulk run) or
// --chunk K (one bulk run per K contacts). The simulator runs in its own process (run_all.sh
// starts it; CLEANLIST_BASE_URL / CLEANLIST_API_KEY point at it); this program writes the
// input, runs the `cleanlist` binary once and prints one RESULT line.
//   bench_enrich_csv --cli PATH [--n 20000] [--chunk 0] [--window-ms 60000] [--work DIR] [--tag T]
#include "bench_measure.hpp"

#include <boost/json.hpp>

#include <spawn.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int usage() {
  std::cerr << "usage: bench_enrich_csv --cli PATH [--n 20000] [--chunk 0] [--window-ms 60000] [--work DIR] [--tag T]\n";
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  std::string cli, work = "/tmp", tag = "csv";
  long n = 20000, chunk = 0, window_ms = 60000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--cli") cli = v;
    else if (k == "--n") n = std::atol(v.c_str());
    else if (k == "--chunk") chunk = std::atol(v.c_str());
    else if (k == "--window-ms") window_ms = std::atol(v.c_str());
    else if (k == "--work") work = v;
    else if (k == "--tag") tag = v;
    else return usage();
  }
  if (cli.empty() || n <= 0 || chunk < 0 || window_ms < 100) return usage();
  if (!std::getenv("CLEANLIST_BASE_URL") || !std::getenv("CLEANLIST_API_KEY")) {
    std::cerr << "bench_enrich_csv: CLEANLIST_BASE_URL and CLEANLIST_API_KEY must point at a simulator\n";
    return 2;
  }

  const std::string in = work + "/" + tag + ".in.csv", out = work + "/" + tag + ".out.csv";
  {
    std::ofstream f(in, std::ios::binary | std::ios::trunc);
    f << "first_name,last_name,company,domain,email\n";
    for (long i = 0; i < n; ++i)
      f << "First" << i << ",Last" << i << ",Company " << i % 1000 << ",co" << i % 1000 << ".example,first" << i
        << ".last@co" << i % 1000 << ".example\n";
  }
  std::remove(out.c_str());
  std::remove((out + ".journal").c_str());

  std::vector<std::string> args{cli, "enrich-csv", in, out, "--json", "--quiet", "--chunk", std::to_string(chunk),
                                "--rate-window-ms", std::to_string(window_ms)};
  std::vector<char*> argp;
  for (auto& a : args) argp.push_back(a.data());
  argp.push_back(nullptr);
  const std::string summary_path = work + "/" + tag + ".summary.json";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, summary_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const double cpu0 = bench::children_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  pid_t pid = -1;
  if (posix_spawn(&pid, cli.c_str(), &fa, nullptr, argp.data(), environ) != 0) {
    std::perror("posix_spawn");
    return 1;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = bench::children_cpu_seconds() - cpu0;
  posix_spawn_file_actions_destroy(&fa);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

  boost::system::error_code ec;
  auto doc = boost::json::parse(slurp(summary_path), ec);
  if (ec || !doc.is_object() || code != 0) {
    std::cerr << "bench_enrich_csv: cleanlist exited " << code << "; summary: " << slurp(summary_path) << "\n";
    return 1;
  }
  const auto& s = doc.as_object();
  auto num = [&](const char* k) { return s.contains(k) ? s.at(k).to_number<std::int64_t>() : -1; };
  const auto requests = num("requests");
  std::printf("RESULT name=%s mode=csv n=%ld chunk=%ld window_ms=%ld requests=%lld req_per_1k=%.2f wall_s=%.2f "
              "r429=%lld ok_rows=%lld cpu_s=%.2f child_peak_rss_kb=%ld tag=%s\n",
              chunk == 0 ? "ours" : "chunked", n, chunk, window_ms, static_cast<long long>(requests),
              1000.0 * static_cast<double>(requests) / static_cast<double>(n), wall,
              static_cast<long long>(num("rate_limited_429")), static_cast<long long>(num("ok_rows")), cpu, bench::children_peak_rss_kb(),
              tag.c_str());
  std::remove(in.c_str());
  std::remove(out.c_str());
  std::remove((out + ".journal").c_str());
  std::remove(summary_path.c_str());
  return 0;
}
