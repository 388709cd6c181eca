#pragma once
// Client-side TLS session cache of one transport (TLS 1.3 tickets, TLS 1.2 session ids and
// tickets), so that a reconnect resumes instead of repeating the certificate exchange.
//
// A session is filed under a key naming what it was verified for: the host:port, whether SNI
// was sent, and the proxy the tunnel went through. It is only ever offered to a connection
// with the same key, so a session from one host is never offered to another (resumption
// skips certificate verification: the session stands for the verification done when it was
// made). The verification settings themselves (trusted CAs) belong to the SSL_CTX the cache is
// installed on, so they are the same for every key.
//
// Sessions arrive through OpenSSL's new-session callback (for TLS 1.3, after the handshake,
// while the first response is read); the cache stores a copy, so how the connection ends
// (OpenSSL marks the session of a connection closed without close_notify as not resumable)
// does not affect it. Bounded: at most `max_hosts` keys (least recently used key evicted),
// `max_per_host` sessions each (the transport keeps two per pooled connection); a session expires after its ticket's lifetime (or its
// timeout). A TLS 1.3 ticket is used once (RFC 8446 C.4: reuse lets a passive observer link
// connections); a TLS 1.2 session is reused until it expires or the server refuses it.
//
// Thread-safe (a mutex): the callback runs inside whatever SSL call reads the ticket, the
// connect on the transport's strand; the critical sections are a few pointer moves.
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace cleanlist::transport {

struct ssl_session_free {
  void operator()(SSL_SESSION* s) const noexcept { SSL_SESSION_free(s); }
};
using session_ptr = std::unique_ptr<SSL_SESSION, ssl_session_free>;

/// How long a session may be offered: the shorter of the ticket's lifetime hint and the
/// session's timeout (each when non-zero), at most 7 days (RFC 8446 4.6.1). Zero: never.
std::chrono::seconds session_lifetime(std::uint64_t ticket_lifetime_hint_s, std::uint64_t timeout_s);

class session_cache : public std::enable_shared_from_this<session_cache> {
public:
  using clock = std::chrono::steady_clock;

  /// `enabled` false: nothing is stored or offered; handshakes are still counted.
  explicit session_cache(bool enabled = true, std::size_t max_hosts = 16, std::size_t max_per_host = 4);
  ~session_cache();
  session_cache(const session_cache&) = delete;
  session_cache& operator=(const session_cache&) = delete;

  /// Sets `ctx` up for client-side caching through `cache` (when enabled) and attaches the
  /// cache to it: connections made with ctx find it with of(). The context keeps it alive.
  static void install(SSL_CTX* ctx, std::shared_ptr<session_cache> cache);
  /// The cache installed on ctx, or null.
  static std::shared_ptr<session_cache> of(SSL_CTX* ctx);

  /// The key of a connection to host:port (sni: the host name was sent as SNI, i.e. it is not
  /// an IP literal), through the proxy proxy_host:proxy_port (empty: direct).
  static std::string key_for(std::string_view host, std::uint16_t port, bool sni, std::string_view proxy_host = {},
                             std::uint16_t proxy_port = 0);

  /// Files `s` under `key` (takes it). Expired or unresumable sessions are dropped.
  void put(const std::string& key, session_ptr s, clock::time_point now);
  /// A session to offer for `key`, or null: a TLS 1.3 one leaves the cache (used once), a
  /// TLS 1.2 one is copied (it stays). Expired sessions are dropped on the way.
  session_ptr take(const std::string& key, clock::time_point now);
  /// The server did not resume the session `offered` (e.g. its ticket key changed): drop the
  /// cached sessions of `key` with the same id, so it is not offered again.
  void forget(const std::string& key, const SSL_SESSION* offered);

  /// Where the new-session callback of one connection files its sessions.
  struct binding {
    std::shared_ptr<session_cache> cache;
    std::string key;
  };
  /// Makes the new-session callback of `ssl` file its sessions as `b` says (b must outlive ssl).
  static void bind(SSL* ssl, const binding* b);

  bool enabled() const noexcept { return enabled_; }
  std::size_t size() const;                       ///< sessions held, over every key
  std::size_t size(const std::string& key) const;  ///< sessions held for one key

  void count_handshake(bool resumed) noexcept {
    (resumed ? resumed_ : full_).fetch_add(1, std::memory_order_relaxed);
  }
  std::uint64_t full_handshakes() const noexcept { return full_.load(std::memory_order_relaxed); }
  std::uint64_t resumed_handshakes() const noexcept { return resumed_.load(std::memory_order_relaxed); }

private:
  struct item {
    session_ptr session;
    clock::time_point expires;
    bool single_use;  // TLS 1.3
  };
  struct host {
    std::string key;
    std::vector<item> items;  // oldest first
    clock::time_point used;
  };
  host* find(const std::string& key);  // mtx_ held
  static int on_new_session(SSL* ssl, SSL_SESSION* s);

  const bool enabled_;
  const std::size_t max_hosts_;
  const std::size_t max_per_host_;
  mutable std::mutex mtx_;
  std::vector<host> hosts_;  // a few entries: a transport talks to one origin (plus downloads)
  std::atomic<std::uint64_t> full_{0}, resumed_{0};
};

} // namespace cleanlist::transport
