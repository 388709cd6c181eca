#include "transport/session_cache.hpp"

#include <algorithm>
#include <cstring>

namespace cleanlist::transport {

namespace {

// The context's cache: a heap shared_ptr freed with the SSL_CTX (its last reference may be
// held by a connection still closing after the transport is gone).
void free_ctx_cache(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<std::shared_ptr<session_cache>*>(ptr);
}

int ctx_index() {
  static const int i = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_ctx_cache);
  return i;
}

int ssl_index() {
  static const int i = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return i;
}

bool same_id(const SSL_SESSION* a, const SSL_SESSION* b) {
  unsigned int la = 0, lb = 0;
  const unsigned char* ia = SSL_SESSION_get_id(a, &la);
  const unsigned char* ib = SSL_SESSION_get_id(b, &lb);
  return la != 0 && la == lb && std::memcmp(ia, ib, la) == 0;
}

} // namespace

std::chrono::seconds session_lifetime(std::uint64_t hint_s, std::uint64_t timeout_s) {
  constexpr std::uint64_t week = 7 * 24 * 3600;
  std::uint64_t s = week;
  if (hint_s != 0) s = std::min(s, hint_s);
  if (timeout_s != 0) s = std::min(s, timeout_s);
  if (hint_s == 0 && timeout_s == 0) s = 0;  // nothing says it may be resumed later
  return std::chrono::seconds(static_cast<std::int64_t>(s));
}

session_cache::session_cache(bool enabled, std::size_t max_hosts, std::size_t max_per_host)
    : enabled_(enabled), max_hosts_(std::max<std::size_t>(1, max_hosts)),
      max_per_host_(std::max<std::size_t>(1, max_per_host)) {}

session_cache::~session_cache() = default;

void session_cache::install(SSL_CTX* ctx, std::shared_ptr<session_cache> cache) {
  if (cache->enabled()) {
    // Client sessions go to the callback only: OpenSSL's internal store is keyed by session id
    // alone, not by host, so it must not hold them.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, &session_cache::on_new_session);
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);  // TLS 1.2: asks for no ticket (TLS 1.3 ones are ignored)
  }
  auto* holder = new std::shared_ptr<session_cache>(std::move(cache));
  if (SSL_CTX_set_ex_data(ctx, ctx_index(), holder) != 1) delete holder;
}

std::shared_ptr<session_cache> session_cache::of(SSL_CTX* ctx) {
  const auto* holder = static_cast<const std::shared_ptr<session_cache>*>(SSL_CTX_get_ex_data(ctx, ctx_index()));
  return holder ? *holder : nullptr;
}

std::string session_cache::key_for(std::string_view host, std::uint16_t port, bool sni, std::string_view proxy_host,
                                   std::uint16_t proxy_port) {
  // Host names compare case-insensitively; the URL parser keeps them as written.
  std::string k;
  k.reserve(host.size() + proxy_host.size() + 24);
  for (char c : host) k.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  k.append(":").append(std::to_string(port)).append(sni ? " sni" : " nosni");
  if (!proxy_host.empty()) {
    k.append(" via ");
    for (char c : proxy_host) k.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    k.append(":").append(std::to_string(proxy_port));
  }
  return k;
}

session_cache::host* session_cache::find(const std::string& key) {
  for (auto& h : hosts_)
    if (h.key == key) return &h;
  return nullptr;
}

void session_cache::put(const std::string& key, session_ptr s, clock::time_point now) {
  if (!enabled_ || !s) return;
  const auto life = session_lifetime(SSL_SESSION_get_ticket_lifetime_hint(s.get()),
                                     static_cast<std::uint64_t>(std::max<long>(0, SSL_SESSION_get_timeout(s.get()))));
  if (life.count() == 0 || SSL_SESSION_is_resumable(s.get()) != 1) return;
  item it{std::move(s), now + life, false};
  it.single_use = SSL_SESSION_get_protocol_version(it.session.get()) >= TLS1_3_VERSION;
  session_ptr dropped;  // freed outside the lock
  std::vector<item> evicted;
  {
    std::lock_guard lk(mtx_);
    host* h = find(key);
    if (!h) {
      if (hosts_.size() >= max_hosts_) {
        auto lru = std::min_element(hosts_.begin(), hosts_.end(),
                                    [](const host& a, const host& b) { return a.used < b.used; });
        evicted = std::move(lru->items);
        hosts_.erase(lru);
      }
      hosts_.push_back(host{key, {}, now});
      h = &hosts_.back();
    }
    h->used = now;
    std::erase_if(h->items, [&](const item& i) { return i.expires <= now; });
    if (h->items.size() >= max_per_host_) {
      dropped = std::move(h->items.front().session);
      h->items.erase(h->items.begin());
    }
    h->items.push_back(std::move(it));
  }
}

session_ptr session_cache::take(const std::string& key, clock::time_point now) {
  if (!enabled_) return nullptr;
  std::vector<item> expired;  // freed outside the lock
  std::lock_guard lk(mtx_);
  host* h = find(key);
  if (!h) return nullptr;
  h->used = now;
  auto& v = h->items;
  for (auto i = v.begin(); i != v.end();)
    if (i->expires <= now) {
      expired.push_back(std::move(*i));
      i = v.erase(i);
    } else {
      ++i;
    }
  if (v.empty()) return nullptr;
  // The newest session: the freshest ticket, and the one made with the server's current keys.
  item& last = v.back();
  if (last.single_use) {
    session_ptr s = std::move(last.session);
    v.pop_back();
    return s;
  }
  // A copy: the connection that resumes it shares nothing with the cached one (OpenSSL would
  // mark a shared session unresumable when that connection ends without close_notify).
  return session_ptr(SSL_SESSION_dup(last.session.get()));
}

void session_cache::forget(const std::string& key, const SSL_SESSION* offered) {
  std::vector<item> gone;
  std::lock_guard lk(mtx_);
  host* h = find(key);
  if (!h || !offered) return;
  for (auto i = h->items.begin(); i != h->items.end();)
    if (same_id(i->session.get(), offered)) {
      gone.push_back(std::move(*i));
      i = h->items.erase(i);
    } else {
      ++i;
    }
}

void session_cache::bind(SSL* ssl, const binding* b) {
  SSL_set_ex_data(ssl, ssl_index(), const_cast<binding*>(b));
}

int session_cache::on_new_session(SSL* ssl, SSL_SESSION* s) {
  const auto* b = static_cast<const binding*>(SSL_get_ex_data(ssl, ssl_index()));
  if (!b || !b->cache) return 0;
  // Only sessions of a verified handshake (a failed verification ends the handshake first;
  // checked again because a session made on a connection of someone else's is not ours).
  if (SSL_get_verify_result(ssl) != X509_V_OK) return 0;
  // A copy: OpenSSL keeps (and may later mark) its own; returning 0 leaves its reference to it.
  session_ptr copy(SSL_SESSION_dup(s));
  if (copy) b->cache->put(b->key, std::move(copy), clock::now());
  return 0;
}

std::size_t session_cache::size() const {
  std::lock_guard lk(mtx_);
  std::size_t n = 0;
  for (const auto& h : hosts_) n += h.items.size();
  return n;
}

std::size_t session_cache::size(const std::string& key) const {
  std::lock_guard lk(mtx_);
  for (const auto& h : hosts_)
    if (h.key == key) return h.items.size();
  return 0;
}

} // namespace cleanlist::transport
