#pragma once
// Drives the `cleanlist` binary from the tests: fork + exec with a controlled environment,
// stdout and stderr captured separately, exit code decoded. A test that needs several
// commands to share one server (or to read its ledger) hosts a simulator in-process and hands
// its URL, key and CA to the child through CLEANLIST_BASE_URL / CLEANLIST_API_KEY /
// CLEANLIST_CA_FILE; otherwise the child runs on its own embedded simulator.
#include <cleanlist/testing/simulator.hpp>

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace cli_test {

namespace json = boost::json;
using env_map = std::map<std::string, std::optional<std::string>>;  // nullopt: unset

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
}

using row = std::vector<std::string>;

inline std::vector<row> read_csv(const std::string& path) {
  std::string t = read_file(path);
  if (t.rfind("\xEF\xBB\xBF", 0) == 0) t.erase(0, 3);
  std::vector<row> rows;
  row cur;
  std::string field;
  bool q = false, any = false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (q) {
      if (c == '"') {
        if (i + 1 < t.size() && t[i + 1] == '"') { field += '"'; ++i; }
        else q = false;
      } else field += c;
    } else if (c == '"') { q = true; any = true; }
    else if (c == ',') { cur.push_back(field); field.clear(); any = true; }
    else if (c == '\r') {}
    else if (c == '\n') {
      cur.push_back(field);
      field.clear();
      if (any || !(cur.size() == 1 && cur[0].empty())) rows.push_back(cur);
      cur.clear();
      any = false;
    } else { field += c; any = true; }
  }
  if (any || !field.empty()) { cur.push_back(field); rows.push_back(cur); }
  return rows;
}

struct cli_result {
  int code = -1;
  std::string out, err;
  /// stdout as one JSON document (a failed parse fails the test).
  json::value doc() const {
    boost::system::error_code ec;
    auto v = json::parse(out, ec);
    INFO("stdout: " << out << "\nstderr: " << err);
    REQUIRE_MESSAGE(!ec, "stdout is not one JSON document");
    return v;
  }
};

struct child {
  pid_t pid = -1;
  std::string out_path, err_path;
};

/// The folder of this run's files: CLEANLIST_TEST_WORK_DIR (each ctest entry has its own, so
/// they can run side by side), else the build's WORK_DIR.
inline const std::string& work_dir() {
  static const std::string dir = [] {
    const char* env = std::getenv("CLEANLIST_TEST_WORK_DIR");
    std::string d = env && *env ? env : WORK_DIR;
    std::error_code ec;
    std::filesystem::create_directories(d, ec);  // a failure shows in the first file written there
    return d;
  }();
  return dir;
}

inline std::string work_path(const std::string& name) { return work_dir() + "/" + name; }

/// Starts `cleanlist args...`. The CLEANLIST_* variables are unset unless given in `env`
/// (CLEANLIST_API_PREFIX is inherited, so a ctest variant can select /api/v2). Without a key in
/// `env` (nor --api-key-file), the command is asked to use its embedded simulator
/// (CLEANLIST_SIM=1) unless `env` says otherwise.
inline child spawn_cli(const std::vector<std::string>& args, const env_map& env = {}, const std::string& tag = "cli") {
  static std::atomic<int> counter{0};
  const int n = counter++;
  child c;
  c.out_path = work_path(tag + "." + std::to_string(::getpid()) + "." + std::to_string(n) + ".out");
  c.err_path = work_path(tag + "." + std::to_string(::getpid()) + "." + std::to_string(n) + ".err");
  // Everything the child needs is built before fork(): between fork() and exec the child of
  // a multi-threaded process (a hosted simulator runs its own thread) may only make
  // async-signal-safe calls. A malloc or setenv there can block for ever on a lock another
  // thread held at the fork (seen under ASan: a child stuck before exec, the test hung).
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    const std::string kv = *e;
    const std::string name = kv.substr(0, kv.find('='));
    bool drop = env.count(name) > 0;
    for (const char* v : {"CLEANLIST_API_KEY", "CLEANLIST_BASE_URL", "CLEANLIST_CA_FILE", "CLEANLIST_API_KEYS",
                          "CLEANLIST_REDIS_URL", "CLEANLIST_SIM"})
      drop = drop || name == v;
    if (!drop) env_strings.push_back(kv);
  }
  for (const auto& [k, v] : env)
    if (v) env_strings.push_back(k + "=" + *v);
  const auto key = env.find("CLEANLIST_API_KEY");
  const bool has_key = (key != env.end() && key->second) ||
                       std::any_of(args.begin(), args.end(), [](const std::string& a) { return a.rfind("--api-key-file", 0) == 0; });
  if (!has_key && env.count("CLEANLIST_SIM") == 0) env_strings.push_back("CLEANLIST_SIM=1");
  std::vector<char*> envp;
  for (auto& kv : env_strings) envp.push_back(kv.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings{CLEANLIST_EXE};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  c.pid = fork();
  REQUIRE(c.pid >= 0);
  if (c.pid == 0) {  // only async-signal-safe calls from here to exec
    int o = ::open(c.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = ::open(c.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0) _exit(126);
    dup2(o, STDOUT_FILENO);
    dup2(e, STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    execve(CLEANLIST_EXE, argv.data(), envp.data());
    _exit(127);
  }
  return c;
}

inline int decode(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

inline cli_result wait_cli(const child& c) {
  int status = 0;
  waitpid(c.pid, &status, 0);
  cli_result r;
  r.code = decode(status);
  r.out = read_file(c.out_path);
  r.err = read_file(c.err_path);
  std::remove(c.out_path.c_str());
  std::remove(c.err_path.c_str());
  return r;
}

inline cli_result run_cli(const std::vector<std::string>& args, const env_map& env = {}) {
  return wait_cli(spawn_cli(args, env));
}

/// Blocks until `ready()` holds, re-checking whenever a file under work_dir() changes
/// (inotify). Fails the test if the child exits first. No sleep, no timed assertion: the
/// 1 s poll() timeout only re-checks that the child is still alive.
inline void wait_until(const child& c, const std::function<bool()>& ready) {
  int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  REQUIRE(fd >= 0);
  REQUIRE(inotify_add_watch(fd, work_dir().c_str(), IN_MODIFY | IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO) >= 0);
  while (!ready()) {
    int status = 0;
    pid_t w = waitpid(c.pid, &status, WNOHANG);
    if (w == c.pid) {
      ::close(fd);
      FAIL("the child exited (code " << decode(status) << ") before the awaited state:\n" << read_file(c.err_path));
    }
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, 1000);
    char buf[4096];
    while (::read(fd, buf, sizeof buf) > 0) {}
  }
  ::close(fd);
}

/// A simulator shared by several commands of one test, and the environment pointing at it.
struct hosted_sim {
  explicit hosted_sim(cleanlist::testing::simulator_params p = params()) : sim(p) {
    ca_path = work_path("sim-ca." + std::to_string(::getpid()) + "." + std::to_string(sim.port()) + ".pem");
    write_file(ca_path, sim.ca_pem());
    const char* prefix = std::getenv("CLEANLIST_API_PREFIX");
    env["CLEANLIST_API_KEY"] = sim.default_api_key();
    env["CLEANLIST_BASE_URL"] = sim.base_url(prefix && *prefix ? prefix : "/api/v1/public");
    env["CLEANLIST_CA_FILE"] = ca_path;
  }
  ~hosted_sim() { std::remove(ca_path.c_str()); }
  static cleanlist::testing::simulator_params params() {
    cleanlist::testing::simulator_params p;
    p.pending_for = std::chrono::milliseconds(200);
    p.running_for = std::chrono::milliseconds(1000);
    p.rate_limits = false;  // several short-lived clients share the key: the server counts, never refuses
    return p;
  }
  cleanlist::testing::simulator sim;
  std::string ca_path;
  env_map env;
};

} // namespace cli_test
