#pragma once
// Proxies for the proxy tests: a real tinyproxy (Debian's, started per test on an ephemeral
// loopback port with its own config and log) and a hostile one written here (an Asio server
// that answers CONNECT badly on purpose). Both stop when destroyed.
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace proxytest {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

/// A port that was free a moment ago (tinyproxy needs it in its config; a lost race is
/// retried with another port by tinyproxy_process).
inline std::uint16_t free_port() {
  asio::io_context ioc;
  tcp::acceptor a(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

/// tinyproxy -d -c <ephemeral config>: Listen 127.0.0.1, a free port, no ConnectPort line
/// (tinyproxy 1.11: then CONNECT is allowed to every port), the log in a temp folder at
/// LogLevel Info (each request line is logged: "Request (file descriptor N): CONNECT h:p HTTP/1.1"),
/// and BasicAuth when a user is given.
class tinyproxy_process {
public:
  struct options {
    std::string user;
    std::string password;
  };

  explicit tinyproxy_process(options o = {}) {
    const char* bin = std::getenv("CLEANLIST_TINYPROXY");
    bin_ = bin && *bin ? bin : "/usr/bin/tinyproxy";
    if (::access(bin_.c_str(), X_OK) != 0)
      throw std::runtime_error("tinyproxy not found at " + bin_ + " (scripts/install-deps.sh installs it)");
    char tmpl[] = "/tmp/cleanlist-proxy-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    for (int tries = 0; tries < 5; ++tries) {
      port_ = free_port();
      write_config(o);
      if (start()) return;
    }
    const std::string output = read(dir_ / "out.txt");
    cleanup();
    throw std::runtime_error("tinyproxy did not start; its output:\n" + output);
  }

  ~tinyproxy_process() { cleanup(); }
  tinyproxy_process(const tinyproxy_process&) = delete;
  tinyproxy_process& operator=(const tinyproxy_process&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return read(dir_ / "tinyproxy.log"); }

  /// CONNECT requests for `authority` ("127.0.0.1:9443") in the log so far.
  std::size_t connects_to(const std::string& authority) const {
    const std::string needle = "): CONNECT " + authority + " HTTP/1.1";
    const std::string text = log();
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
  }

  /// Stops tinyproxy (SIGTERM, then SIGKILL after 5 s); idempotent.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling a child's exit
    }
    pid_ = -1;
  }

private:
  static std::string read(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

  void write_config(const options& o) {
    std::ofstream c(dir_ / "tinyproxy.conf", std::ios::trunc);
    c << "Listen 127.0.0.1\n"
      << "Port " << port_ << "\n"
      << "Timeout 60\n"
      << "MaxClients 400\n"
      << "LogFile \"" << (dir_ / "tinyproxy.log").string() << "\"\n"
      << "LogLevel Info\n";
    if (!o.user.empty()) c << "BasicAuth " << o.user << " " << o.password << "\n";
  }

  // Spawns tinyproxy and waits (bounded) until it accepts; false if it exited (port taken).
  bool start() {
    const std::string conf = (dir_ / "tinyproxy.conf").string();
    const std::string out = (dir_ / "out.txt").string();
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<char*> argv{const_cast<char*>(bin_.c_str()), const_cast<char*>("-d"), const_cast<char*>("-c"),
                            const_cast<char*>(conf.c_str()), nullptr};
    const int rc = ::posix_spawn(&pid_, bin_.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error("posix_spawn(tinyproxy) failed");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    asio::io_context ioc;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      tcp::socket s(ioc);
      boost::system::error_code ec;
      s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
      if (!ec) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling readiness, bounded above
    }
    stop();
    throw std::runtime_error("tinyproxy did not accept within 10 s");
  }

  void cleanup() {
    stop();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  std::string bin_;
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

/// How the hostile proxy answers CONNECT.
enum class hostile_mode {
  garbage,          ///< a non-HTTP line ("SSH-2.0-...")
  huge_header,      ///< "HTTP/1.1 200 OK" then header lines without end (up to 4 MiB)
  stall,            ///< reads the CONNECT, never answers
  close_after_200,  ///< answers 200, then closes at once
  close_mid_tls,    ///< answers 200, reads the TLS ClientHello, then closes
  stall_mid_tls,    ///< answers 200, reads the ClientHello, never answers
  status_403,       ///< "403 Forbidden"
  status_502,       ///< "502 Bad Gateway"
  extra_after_200,  ///< "200" with bytes after the empty line (a server speaking first)
};

/// A proxy that misbehaves in one way, on 127.0.0.1 (ephemeral port), a thread per connection.
/// Records each CONNECT request head and what came after it.
class hostile_proxy {
public:
  explicit hostile_proxy(hostile_mode m) : mode_(m), acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~hostile_proxy() {
    stopping_ = true;
    boost::system::error_code ec;
    {
      // A blocking accept() is not woken by close() from another thread: a connection wakes it.
      tcp::socket wake(ioc_);
      wake.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port()), ec);
      if (accept_thread_.joinable()) accept_thread_.join();
    }
    acceptor_.close(ec);
    {
      std::lock_guard lk(mu_);
      for (auto& s : sockets_) s->shutdown(tcp::socket::shutdown_both, ec);  // wakes blocked reads/writes
    }
    for (auto& t : threads_) t.join();
  }
  hostile_proxy(const hostile_proxy&) = delete;
  hostile_proxy& operator=(const hostile_proxy&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::size_t connections() const { return connections_; }
  /// Every CONNECT head received, and every byte that followed it.
  std::string received() const {
    std::lock_guard lk(mu_);
    return received_;
  }

private:
  void accept_loop() {
    for (;;) {
      auto s = std::make_shared<tcp::socket>(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(*s, ec);
      if (ec || stopping_) return;
      ++connections_;
      std::lock_guard lk(mu_);
      sockets_.push_back(s);
      threads_.emplace_back([this, s] { serve(*s); });
    }
  }

  void record(std::string_view bytes) {
    std::lock_guard lk(mu_);
    received_.append(bytes);
  }

  // Reads until the peer closes (or the test ends); records what it reads.
  void drain(tcp::socket& s) {
    char buf[4096];
    boost::system::error_code ec;
    for (;;) {
      const auto n = s.read_some(asio::buffer(buf), ec);
      if (ec) return;
      record(std::string_view(buf, n));
    }
  }

  void serve(tcp::socket& s) {
    boost::system::error_code ec;
    std::string head;
    const auto n = asio::read_until(s, asio::dynamic_buffer(head), "\r\n\r\n", ec);
    if (ec) return;
    record(head);  // the head, and whatever already followed it
    (void)n;
    auto send = [&](std::string_view text) { asio::write(s, asio::buffer(text), ec); };
    switch (mode_) {
    case hostile_mode::garbage:
      send("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
      drain(s);
      return;
    case hostile_mode::huge_header: {
      send("HTTP/1.1 200 OK\r\n");
      const std::string line = "X-Pad: " + std::string(1000, 'a') + "\r\n";
      for (int i = 0; i < 4096 && !ec && !stopping_; ++i) send(line);
      drain(s);
      return;
    }
    case hostile_mode::stall:
      drain(s);
      return;
    case hostile_mode::close_after_200:
      send("HTTP/1.1 200 Connection established\r\n\r\n");
      s.close(ec);
      return;
    case hostile_mode::close_mid_tls: {
      send("HTTP/1.1 200 Connection established\r\n\r\n");
      char buf[4096];
      const auto got = s.read_some(asio::buffer(buf), ec);
      if (!ec) record(std::string_view(buf, got));
      s.close(ec);
      return;
    }
    case hostile_mode::stall_mid_tls:
      send("HTTP/1.1 200 Connection established\r\n\r\n");
      drain(s);
      return;
    case hostile_mode::status_403:
      send("HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nforbidden");
      drain(s);
      return;
    case hostile_mode::status_502:
      send("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
      drain(s);
      return;
    case hostile_mode::extra_after_200:
      send("HTTP/1.1 200 Connection established\r\n\r\nHELLO");
      drain(s);
      return;
    }
  }

  hostile_mode mode_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread accept_thread_;
  std::vector<std::thread> threads_;
  std::vector<std::shared_ptr<tcp::socket>> sockets_;
  mutable std::mutex mu_;
  std::string received_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> connections_{0};
};

} // namespace proxytest
