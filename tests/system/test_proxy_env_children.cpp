// The environment reading end to end: the `cleanlist` command and the quickstart example run
// as child processes with HTTPS_PROXY (and NO_PROXY) set, against their embedded simulator
// (HTTPS on 127.0.0.1): the proxy's log shows their tunnels, or none when NO_PROXY matches.
#include "proxy_support.hpp"

#include <doctest/doctest.h>

#include <map>
#include <optional>

using namespace proxytest;

// Only with the command or the examples built (CLEANLIST_BUILD_TOOLS / CLEANLIST_BUILD_EXAMPLES).
#if defined(CLEANLIST_EXE) || defined(QUICKSTART_EXE)
namespace {

struct exit_and_output {
  int code = -1;
  std::string output;
};

// Runs `exe args` with the proxy variables of `env` (others unset) and the CLEANLIST_* ones
// unset (so the embedded simulator is used); bounded by `limit`.
exit_and_output run_child(const std::string& exe, const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env, std::chrono::seconds limit) {
  char tmpl[] = "/tmp/cleanlist-proxy-child-XXXXXX";
  const int fd = ::mkstemp(tmpl);
  REQUIRE(fd >= 0);
  // Built before fork(): the child of a multi-threaded process may only make async-signal-safe
  // calls before exec (a malloc or setenv there can deadlock on a lock held at the fork).
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    const std::string kv = *e;
    const std::string name = kv.substr(0, kv.find('='));
    bool drop = env.count(name) > 0;
    for (const char* v : {"CLEANLIST_API_KEY", "CLEANLIST_BASE_URL", "CLEANLIST_CA_FILE", "CLEANLIST_API_KEYS",
                          "CLEANLIST_API_PREFIX", "https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy",
                          "ALL_PROXY", "no_proxy", "NO_PROXY"})
      drop = drop || name == v;
    if (!drop) env_strings.push_back(kv);
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& kv : env_strings) envp.push_back(kv.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings{exe};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execve(exe.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(fd);
  exit_and_output r;
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      FAIL("child did not finish in time: " << exe);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a child's exit, bounded
  }
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream in(tmpl);
  std::ostringstream s;
  s << in.rdbuf();
  r.output = s.str();
  std::filesystem::remove(tmpl);
  return r;
}

// Every CONNECT to the loopback simulator in the proxy's log.
std::size_t loopback_connects(const tinyproxy_process& proxy) {
  const std::string text = proxy.log();
  const std::string needle = "): CONNECT 127.0.0.1:";
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

void check_child(const std::string& exe, const std::vector<std::string>& args, std::chrono::seconds limit) {
  tinyproxy_process proxy;
  SUBCASE("HTTPS_PROXY: every connection is a tunnel through the proxy") {
    const auto r = run_child(exe, args, {{"HTTPS_PROXY", proxy.url()}}, limit);
    CHECK_MESSAGE(r.code == 0, r.output);
    CHECK(loopback_connects(proxy) >= 1);
  }
  SUBCASE("https_proxy (lower case) wins over HTTPS_PROXY") {
    const auto r = run_child(exe, args, {{"https_proxy", proxy.url()}, {"HTTPS_PROXY", "http://127.0.0.1:1"}}, limit);
    CHECK_MESSAGE(r.code == 0, r.output);
    CHECK(loopback_connects(proxy) >= 1);
  }
  SUBCASE("NO_PROXY matching the simulator: direct") {
    const auto r = run_child(exe, args, {{"HTTPS_PROXY", proxy.url()}, {"NO_PROXY", "localhost,127.0.0.1"}}, limit);
    CHECK_MESSAGE(r.code == 0, r.output);
    CHECK(loopback_connects(proxy) == 0);
  }
  SUBCASE("a proxy that is down: the command fails, it does not go direct") {
    const auto r = run_child(exe, args, {{"HTTPS_PROXY", "http://127.0.0.1:1"}}, limit);
    CHECK(r.code != 0);
    CHECK(r.output.find("proxy") != std::string::npos);
  }
}

} // namespace

#ifdef CLEANLIST_EXE
TEST_CASE("the cleanlist command reads HTTPS_PROXY / NO_PROXY") {
  check_child(CLEANLIST_EXE, {"--sim", "whoami"}, std::chrono::seconds(60));  // its embedded simulator, asked for
}
#endif

#ifdef QUICKSTART_EXE
TEST_CASE("the quickstart example reads HTTPS_PROXY / NO_PROXY") {
  check_child(QUICKSTART_EXE, {}, std::chrono::seconds(120));
}
#endif
#endif
