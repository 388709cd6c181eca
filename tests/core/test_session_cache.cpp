// The TLS session cache on its own: keys, lifetimes, bounds, single use of TLS 1.3 tickets.
// Sessions are bare SSL_SESSION objects (an id, a version, a timeout); time is passed in.
#include <doctest/doctest.h>

#include "transport/session_cache.hpp"

#include <chrono>
#include <string>

using namespace std::chrono_literals;
using cleanlist::transport::session_cache;
using cleanlist::transport::session_lifetime;
using cleanlist::transport::session_ptr;

namespace {

session_ptr make_session(int version, long timeout_s, unsigned char id_byte) {
  session_ptr s(SSL_SESSION_new());
  REQUIRE(s);
  SSL_SESSION_set_protocol_version(s.get(), version);
  SSL_SESSION_set_timeout(s.get(), timeout_s);
  unsigned char id[32];
  for (auto& b : id) b = id_byte;
  REQUIRE(SSL_SESSION_set1_id(s.get(), id, sizeof id) == 1);
  return s;
}

const session_cache::clock::time_point t0{std::chrono::hours(1000)};

} // namespace

TEST_CASE("session cache: keys name host, port, SNI and proxy") {
  CHECK(session_cache::key_for("api.example", 443, true) == session_cache::key_for("API.Example", 443, true));
  CHECK(session_cache::key_for("api.example", 443, true) != session_cache::key_for("api.example", 8443, true));
  CHECK(session_cache::key_for("api.example", 443, true) != session_cache::key_for("other.example", 443, true));
  CHECK(session_cache::key_for("127.0.0.1", 443, false) != session_cache::key_for("localhost", 443, true));
  CHECK(session_cache::key_for("api.example", 443, true) !=
        session_cache::key_for("api.example", 443, true, "proxy.local", 3128));
  CHECK(session_cache::key_for("api.example", 443, true, "proxy.local", 3128) !=
        session_cache::key_for("api.example", 443, true, "proxy.local", 3129));
}

TEST_CASE("session cache: lifetime is the shorter of ticket hint and timeout, at most 7 days") {
  CHECK(session_lifetime(7200, 300) == 300s);
  CHECK(session_lifetime(60, 7200) == 60s);
  CHECK(session_lifetime(0, 300) == 300s);
  CHECK(session_lifetime(300, 0) == 300s);
  CHECK(session_lifetime(100000000, 0) == std::chrono::seconds(7 * 24 * 3600));
  CHECK(session_lifetime(0, 0) == 0s);
}

TEST_CASE("session cache: a session is only given for its own key, and not after it expires") {
  session_cache c;
  const auto k = session_cache::key_for("a.example", 443, true);
  c.put(k, make_session(TLS1_2_VERSION, 10, 1), t0);
  CHECK(c.take(session_cache::key_for("b.example", 443, true), t0) == nullptr);
  auto s = c.take(k, t0 + 9s);
  REQUIRE(s);
  CHECK(c.size(k) == 1);  // TLS 1.2: a copy is given, the session stays
  CHECK(c.take(k, t0 + 10s) == nullptr);  // expired
  CHECK(c.size() == 0);
}

TEST_CASE("session cache: a TLS 1.3 ticket is given once, newest first") {
  session_cache c;
  const auto k = session_cache::key_for("a.example", 443, true);
  c.put(k, make_session(TLS1_3_VERSION, 7200, 1), t0);
  c.put(k, make_session(TLS1_3_VERSION, 7200, 2), t0 + 1s);
  auto s = c.take(k, t0 + 2s);
  REQUIRE(s);
  unsigned int len = 0;
  CHECK(SSL_SESSION_get_id(s.get(), &len)[0] == 2);
  CHECK(c.size(k) == 1);
  CHECK(c.take(k, t0 + 2s) != nullptr);
  CHECK(c.take(k, t0 + 2s) == nullptr);
}

TEST_CASE("session cache: bounded per key and in keys (least recently used key goes)") {
  session_cache c(true, 2, 3);
  const auto a = session_cache::key_for("a.example", 443, true);
  const auto b = session_cache::key_for("b.example", 443, true);
  const auto d = session_cache::key_for("d.example", 443, true);
  for (unsigned char i = 1; i <= 5; ++i) c.put(a, make_session(TLS1_3_VERSION, 7200, i), t0);
  CHECK(c.size(a) == 3);
  c.put(b, make_session(TLS1_3_VERSION, 7200, 9), t0 + 1s);
  CHECK(c.take(a, t0 + 2s) != nullptr);  // a is now the most recently used
  c.put(d, make_session(TLS1_3_VERSION, 7200, 10), t0 + 3s);
  CHECK(c.size(b) == 0);  // evicted
  CHECK(c.size(a) == 2);
  CHECK(c.size(d) == 1);
}

TEST_CASE("session cache: a refused session is forgotten; disabled stores nothing") {
  session_cache c;
  const auto k = session_cache::key_for("a.example", 443, true);
  c.put(k, make_session(TLS1_2_VERSION, 300, 7), t0);
  auto offered = c.take(k, t0);
  REQUIRE(offered);
  c.forget(k, offered.get());
  CHECK(c.size(k) == 0);

  session_cache off(false);
  off.put(k, make_session(TLS1_2_VERSION, 300, 7), t0);
  CHECK(off.size() == 0);
  CHECK(off.take(k, t0) == nullptr);
}
