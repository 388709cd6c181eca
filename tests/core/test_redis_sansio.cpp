// Sans-io parts of the Redis budget: URL parsing, RESP formatting/reading, key naming,
// script reply decoding, backoff. No sockets.
#include "redis/backoff.hpp"
#include "redis/budget_logic.hpp"
#include "redis/resp.hpp"
#include "redis/url.hpp"

#include <doctest/doctest.h>

using namespace cleanlist::redis;
using namespace std::chrono_literals;

TEST_CASE("url: host, port, db, user and password") {
  auto u = parse_url("redis://alice:s3cr%40t@cache.example:6380/2");
  REQUIRE(u);
  CHECK_FALSE(u->tls);
  CHECK(u->host == "cache.example");
  CHECK(u->port == 6380);
  CHECK(u->db == 2);
  CHECK(u->user == "alice");
  CHECK(u->password == "s3cr@t");
  CHECK(u->redacted() == "redis://alice:***@cache.example:6380/2");
  CHECK(u->redacted().find("s3cr") == std::string::npos);

  u = parse_url("rediss://h");
  REQUIRE(u);
  CHECK(u->tls);
  CHECK(u->port == 6379);
  CHECK(u->db == 0);
  CHECK(u->password.empty());

  u = parse_url("redis://:pw@[::1]:7000");
  REQUIRE(u);
  CHECK(u->host == "::1");
  CHECK(u->port == 7000);
  CHECK(u->user.empty());
  CHECK(u->password == "pw");
  CHECK(u->redacted() == "redis://:***@[::1]:7000/0");

  u = parse_url("redis://onlypassword@h/");
  REQUIRE(u);
  CHECK(u->password == "onlypassword");
  CHECK(u->user.empty());
}

TEST_CASE("url: malformed inputs are refused with bad_url, password never echoed") {
  for (const char* s : {"http://h", "redis://", "redis://h:", "redis://h:0", "redis://h:70000", "redis://h:12x",
                        "redis://[::1", "redis://u:p%zz@h", "redis://h/abc", "redis://h/-1", "redis://u:pw%4@h"}) {
    boost::system::error_code ec;
    CHECK_MESSAGE(!parse_url(s, &ec), s);
    CHECK(ec == errc::bad_url);
    CHECK(ec.message().find("pw") == std::string::npos);
  }
}

TEST_CASE("resp: format and read back, partial feeds, protocol error") {
  const std::vector<std::string> args{"SET", "k", std::string("a\0b", 3)};
  CHECK(format_command(args) == std::string("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na\0b\r\n", 29));

  reply_reader rd;
  boost::system::error_code ec;
  const std::string wire = "+OK\r\n:42\r\n$-1\r\n*2\r\n$3\r\nfoo\r\n-ERR bad\r\n-NOSCRIPT No matching script\r\n";
  // byte by byte: replies appear only when complete
  std::vector<reply> got;
  for (char c : wire) {
    REQUIRE(rd.feed(std::string_view(&c, 1)));
    while (auto r = rd.next(ec)) got.push_back(std::move(*r));
    REQUIRE_FALSE(ec);
  }
  REQUIRE(got.size() == 5);
  CHECK(got[0].type == reply::kind::status);
  CHECK(got[0].str == "OK");
  CHECK(got[1].integer == 42);
  CHECK(got[2].type == reply::kind::nil);
  REQUIRE(got[3].type == reply::kind::array);
  REQUIRE(got[3].elements.size() == 2);
  CHECK(got[3].elements[0].str == "foo");
  CHECK(got[3].elements[1].is_error("ERR"));
  CHECK(got[4].is_error("NOSCRIPT"));
  CHECK_FALSE(got[4].is_error("NOAUTH"));

  reply_reader bad;
  REQUIRE(bad.feed("?what\r\n"));
  CHECK_FALSE(bad.next(ec));
  CHECK(ec == errc::protocol_error);
}

TEST_CASE("budget keys: hashed identities, one hash slot per organisation, never the API key") {
  const std::string api_key = "cl_live_9f8e7d6c5b4a";
  const auto k = make_budget_keys("cleanlist:budget", "salt", api_key, "org-1");
  for (const auto* s : {&k.key_log, &k.org_log, &k.key_pause, &k.org_pause}) {
    CHECK(s->find(api_key) == std::string::npos);
    CHECK(s->find("org-1") == std::string::npos);
    CHECK(s->starts_with("cleanlist:budget:{"));
  }
  // same hash tag (Redis Cluster slot) for all four
  const auto tag = [](const std::string& s) { return s.substr(s.find('{'), s.find('}') - s.find('{') + 1); };
  CHECK(tag(k.key_log) == tag(k.org_log));
  CHECK(tag(k.key_pause) == tag(k.org_pause));
  CHECK(tag(k.key_log).size() == 34);
  // deterministic, salt-dependent, key-dependent
  CHECK(make_budget_keys("cleanlist:budget", "salt", api_key, "org-1").key_log == k.key_log);
  CHECK(make_budget_keys("cleanlist:budget", "other", api_key, "org-1").key_log != k.key_log);
  CHECK(make_budget_keys("cleanlist:budget", "salt", "cl_live_other", "org-1").key_log != k.key_log);
  CHECK(make_budget_keys("cleanlist:budget", "salt", "cl_live_other", "org-1").org_log == k.org_log);
  // HMAC-SHA256 (RFC 4231 test case 2), first 16 bytes
  CHECK(identity_hash("Jefe", "what do ya want for nothing?") == "5bdcc146bf60754e6a042426089575c7");
  CHECK(script_sha1("return 1") == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
}

TEST_CASE("budget: script arguments and reply decoding") {
  const auto k = make_budget_keys("p", "s", "key", "org");
  budget_limits l;
  l.per_key = 10;
  l.per_org = 20;
  l.window = 500ms;
  l.margin = 20ms;
  const auto a = acquire_args("abc", k, l, "m1");
  REQUIRE(a.size() == 11);
  CHECK(a[0] == "EVALSHA");
  CHECK(a[2] == "4");
  CHECK(a[7] == "10");
  CHECK(a[8] == "20");
  CHECK(a[9] == "520000");
  CHECK(a[10] == "m1");

  auto arr = [](std::vector<reply> e) {
    reply r;
    r.type = reply::kind::array;
    r.elements = std::move(e);
    return r;
  };
  auto integer = [](long long v) {
    reply r;
    r.type = reply::kind::integer;
    r.integer = v;
    return r;
  };
  auto str = [](std::string s) {
    reply r;
    r.type = reply::kind::string;
    r.str = std::move(s);
    return r;
  };
  boost::system::error_code ec;
  auto d = decode_acquire(arr({integer(1), str("1732950000123456"), integer(0), str("1732950000123000")}), ec);
  REQUIRE_FALSE(ec);
  CHECK(d.granted);
  CHECK(d.granted_at_us == 1732950000123456);
  CHECK(d.server_now_us == 1732950000123000);

  d = decode_acquire(arr({integer(0), str("250000"), integer(2), str("1732950000123000")}), ec);
  REQUIRE_FALSE(ec);
  CHECK_FALSE(d.granted);
  CHECK(d.wait_us == 250000);
  CHECK(d.reason == limited_by::org);

  reply e;
  e.type = reply::kind::error;
  e.str = "ERR boom";
  decode_acquire(e, ec);
  CHECK(ec == errc::server_error);
  decode_acquire(arr({integer(1), str("x"), integer(0), str("1")}), ec);
  CHECK(ec == errc::unexpected_reply);
  decode_acquire(arr({integer(0), str("1"), integer(7), str("1")}), ec);
  CHECK(ec == errc::unexpected_reply);
  decode_acquire(integer(1), ec);
  CHECK(ec == errc::unexpected_reply);
}

TEST_CASE("backoff: exponential, capped, jitter only shortens") {
  backoff_params p;
  p.initial = 50ms;
  p.max = 1000ms;
  p.jitter = 0.25;
  CHECK(backoff_delay(p, 0, 0.0) == 50ms);
  CHECK(backoff_delay(p, 1, 0.0) == 100ms);
  CHECK(backoff_delay(p, 4, 0.0) == 800ms);
  CHECK(backoff_delay(p, 5, 0.0) == 1000ms);
  CHECK(backoff_delay(p, 400, 0.0) == 1000ms);
  CHECK(backoff_delay(p, 5, 0.999) >= 750ms);
  CHECK(backoff_delay(p, 5, 0.5) == 875ms);
  p.jitter = 0;
  CHECK(backoff_delay(p, 2, 0.9) == 200ms);
}
