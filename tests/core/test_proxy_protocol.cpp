// Sans-io pieces of the HTTP proxy support and the tree's one URL parser: no sockets.
#include "decisions/retry_policy.hpp"
#include "protocol/proxy.hpp"
#include "protocol/url.hpp"

#include <cleanlist/proxy.hpp>

#include <doctest/doctest.h>

#include <map>
#include <stdexcept>
#include <string>

namespace cl = cleanlist;
using namespace cleanlist::protocol;

TEST_CASE("parse_url: every part, percent-decoded userinfo, IPv6, port") {
  auto u = parse_url("HTTP://al%69ce:p%40ss:w@Host.Example:8080/a/b?x=1#frag");
  REQUIRE(u);
  CHECK(u->scheme == "http");
  CHECK(u->has_userinfo);
  CHECK(u->has_password);
  CHECK(u->user == "alice");
  CHECK(u->password == "p@ss:w");
  CHECK(u->host == "Host.Example");
  REQUIRE(u->port);
  CHECK(*u->port == 8080);
  CHECK(u->path == "/a/b");
  CHECK(u->has_query);
  CHECK(u->query == "x=1");
  CHECK(u->has_fragment);
  CHECK(u->fragment == "frag");

  u = parse_url("redis://[::1]");
  REQUIRE(u);
  CHECK(u->host == "::1");
  CHECK_FALSE(u->port);
  CHECK(u->path.empty());
  CHECK_FALSE(u->has_userinfo);

  u = parse_url("x://only-user@h:1/");
  REQUIRE(u);
  CHECK(u->has_userinfo);
  CHECK_FALSE(u->has_password);
  CHECK(u->user == "only-user");
  CHECK(u->path == "/");

  u = parse_url("x://:@h");  // empty userinfo parts are kept as such
  REQUIRE(u);
  CHECK(u->has_userinfo);
  CHECK(u->has_password);
  CHECK(u->user.empty());

  for (const char* bad : {"", "://h", "h", "1x://h", "http://", "http://u@", "http://h:", "http://h:0", "http://h:65536",
                          "http://h:1x", "http://[::1", "http://[::1]x", "http://[zz]/", "http://u:%zz@h", "http://u:%4@h",
                          "http://h h/", "http://h/\x01", "http://h\\x/", "http://a[b]/"})
    CHECK_MESSAGE(!parse_url(bad), bad);
}

TEST_CASE("parse_base_url keeps its shape on top of parse_url") {
  auto u = parse_base_url("https://[::1]:9443/api/v2/");
  REQUIRE(u);
  CHECK(u->authority() == "[::1]:9443");
  CHECK(u->path == "/api/v2");
  auto h = parse_base_url("http://api.example");
  REQUIRE(h);
  CHECK(h->port == 80);
  CHECK(h->authority() == "api.example:80");
  for (const char* bad : {"https://u:p@h/", "https://h/x@y", "https://h/#f", "HTTPS://h/", "redis://h"})
    CHECK_MESSAGE(!parse_base_url(bad), bad);
}

TEST_CASE("parse_proxy_url: curl's forms, errors never quote the URL") {
  auto p = parse_proxy_url("http://bob:s%3Acret@proxy.corp:3128");
  REQUIRE(p);
  CHECK(p->host == "proxy.corp");
  CHECK(p->port == 3128);
  CHECK(p->has_credentials);
  CHECK(p->user == "bob");
  CHECK(p->password == "s:cret");
  CHECK(p->redacted() == "http://***@proxy.corp:3128");

  p = parse_proxy_url("proxy.corp");  // no scheme: http://, port 1080 like curl
  REQUIRE(p);
  CHECK(p->port == 1080);
  CHECK_FALSE(p->has_credentials);
  CHECK(p->redacted() == "http://proxy.corp:1080");

  p = parse_proxy_url("http://[::1]:8888/");
  REQUIRE(p);
  CHECK(p->host == "::1");
  CHECK(p->redacted() == "http://[::1]:8888");

  for (const char* bad : {"https://u:topsecret@p:1", "socks5://u:topsecret@p:1", "ftp://u:topsecret@p",
                          "http://u:topsecret@p:1/path", "http://u:topsecret@p:1?q", "http://u:topsecret@:1",
                          "http://u:top%ZZsecret@p", "http://u:topsecret@p:0"}) {
    std::string why;
    CHECK_MESSAGE(!parse_proxy_url(bad, &why), bad);
    CHECK_FALSE(why.empty());
    CHECK(why.find("topsecret") == std::string::npos);
  }
}

TEST_CASE("no_proxy_matches: curl's rules (suffixes, IPs, CIDR, *, ports)") {
  struct row {
    const char* list;
    const char* host;
    std::uint16_t port;
    bool bypass;
  };
  const row rows[] = {
      {"", "api.example.com", 443, false},
      {"*", "api.example.com", 443, true},
      {"example.com", "example.com", 443, true},
      {"example.com", "api.example.com", 443, true},
      {"example.com", "notexample.com", 443, false},
      {".example.com", "example.com", 443, true},  // the leading dot changes nothing (curl)
      {".example.com", "a.b.example.com", 443, true},
      {"EXAMPLE.com", "Api.Example.COM.", 443, true},  // case and the host's trailing dot ignored
      {"other.org, example.com", "x.example.com", 443, true},
      {" other.org ,\texample.com ", "x.example.com", 443, true},
      {"other.org", "x.example.com", 443, false},
      {"example.com:8443", "api.example.com", 8443, true},
      {"example.com:8443", "api.example.com", 443, false},
      {"127.0.0.1", "127.0.0.1", 9443, true},
      {"127.0.0.1", "127.0.0.2", 9443, false},
      {"127.0.0.1:9443", "127.0.0.1", 9443, true},
      {"127.0.0.1:9443", "127.0.0.1", 9444, false},
      {"0.0.1", "127.0.0.1", 443, false},        // no suffix matching on IP addresses
      {"10.0.0.0/8", "10.1.2.3", 443, true},
      {"10.0.0.0/8", "11.1.2.3", 443, false},
      {"192.168.1.0/25", "192.168.1.127", 443, true},
      {"192.168.1.0/25", "192.168.1.128", 443, false},
      {"::1", "::1", 443, true},
      {"[::1]", "::1", 443, true},
      {"[::1]:9443", "::1", 9443, true},
      {"[::1]:9443", "::1", 9444, false},
      {"0:0::1", "::1", 443, true},              // compared as addresses
      {"fd00::/8", "fd12::5", 443, true},
      {"fd00::/8", "fe80::1", 443, false},
      {"localhost", "127.0.0.1", 443, false},    // names are not resolved
      {"10.0.0.0/40", "10.0.0.1", 443, false},   // malformed entries match nothing
      {"example.com:x", "example.com", 443, false},
      {"*.example.com", "a.example.com", 443, false},  // '*' only means "all" on its own (curl)
  };
  for (const auto& r : rows) {
    const std::string what = std::string(r.list) + " vs " + r.host + ":" + std::to_string(r.port);
    CHECK_MESSAGE(no_proxy_matches(r.list, r.host, r.port) == r.bypass, what);
  }
}

TEST_CASE("proxy_from_env: variables by scheme, lower case first, empty = unset") {
  std::map<std::string, std::string> env;
  const cl::env_lookup lookup = [&env](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  CHECK(cl::proxy_from_env("https://api.cleanlist.ai/api/v1/public", lookup).url.empty());

  env["HTTPS_PROXY"] = "http://upper:3128";
  CHECK(cl::proxy_from_env("https://api", lookup).url == "http://upper:3128");
  env["https_proxy"] = "http://lower:3128";
  CHECK(cl::proxy_from_env("https://api", lookup).url == "http://lower:3128");
  env["https_proxy"] = "";  // empty: unset
  CHECK(cl::proxy_from_env("https://api", lookup).url == "http://upper:3128");
  CHECK(cl::proxy_from_env("HTTPS://api", lookup).url == "http://upper:3128");

  // plain http: http_proxy only (curl ignores HTTP_PROXY: "httpoxy")
  env["HTTP_PROXY"] = "http://ignored:1";
  CHECK(cl::proxy_from_env("http://127.0.0.1:8080/api", lookup).url.empty());
  env["http_proxy"] = "http://plain:8080";
  CHECK(cl::proxy_from_env("http://127.0.0.1:8080/api", lookup).url == "http://plain:8080");

  // all_proxy as the fallback for both schemes
  env.clear();
  env["ALL_PROXY"] = "http://all:1";
  CHECK(cl::proxy_from_env("https://api", lookup).url == "http://all:1");
  CHECK(cl::proxy_from_env("http://api", lookup).url == "http://all:1");
  env["all_proxy"] = "http://all-lower:1";
  CHECK(cl::proxy_from_env("http://api", lookup).url == "http://all-lower:1");

  env["NO_PROXY"] = "upper.example";
  CHECK(cl::proxy_from_env("https://api", lookup).no_proxy == "upper.example");
  env["no_proxy"] = "lower.example";
  CHECK(cl::proxy_from_env("https://api", lookup).no_proxy == "lower.example");
}

TEST_CASE("CONNECT request: target, Host and Basic credentials") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("Aladdin:open sesame") == "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");

  const auto api = parse_base_url_or_throw("https://api.cleanlist.ai/api/v1/public");
  CHECK(build_connect_request(api, "", "", false) ==
        "CONNECT api.cleanlist.ai:443 HTTP/1.1\r\nHost: api.cleanlist.ai:443\r\n\r\n");
  CHECK(build_connect_request(api, "Aladdin", "open sesame", true) ==
        "CONNECT api.cleanlist.ai:443 HTTP/1.1\r\nHost: api.cleanlist.ai:443\r\n"
        "Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n");
  const auto v6 = parse_base_url_or_throw("http://[::1]:8080/api");
  CHECK(build_connect_request(v6, "", "", false) == "CONNECT [::1]:8080 HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
}

TEST_CASE("make_proxy_route: settings, overrides, bypass, refusals without the secret") {
  const auto api = parse_base_url_or_throw("https://127.0.0.1:9443/api/v1/public");
  cl::proxy_params p;
  CHECK_FALSE(make_proxy_route(p, api));  // no proxy

  p.url = "http://u%40corp:pa%3Ass@127.0.0.1:3128";
  auto r = make_proxy_route(p, api);
  REQUIRE(r);
  CHECK(r->host == "127.0.0.1");
  CHECK(r->port == 3128);
  CHECK(r->connect_request.find("Proxy-Authorization: Basic " + base64_encode("u@corp:pa:ss") + "\r\n") !=
        std::string::npos);
  CHECK(r->redacted == "http://***@127.0.0.1:3128");

  p.username = "other";  // separate settings win over the URL's userinfo
  p.password = "pw2";
  r = make_proxy_route(p, api);
  REQUIRE(r);
  CHECK(r->connect_request.find(base64_encode("other:pw2")) != std::string::npos);

  p.no_proxy = "example.com,127.0.0.1:9443";
  CHECK_FALSE(make_proxy_route(p, api));
  p.no_proxy = "127.0.0.1:1";
  CHECK(make_proxy_route(p, api));

  auto refused = [&](cl::proxy_params q) {
    try {
      (void)make_proxy_route(q, api);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  cl::proxy_params bad;
  bad.url = "https://u:topsecret@p:1";
  auto msg = refused(bad);
  CHECK(msg.find("https://") != std::string::npos);
  CHECK(msg.find("topsecret") == std::string::npos);
  bad.url = "http://p:1";
  bad.username = "a:b";
  bad.password = "topsecret";
  msg = refused(bad);
  CHECK(msg.find("user name") != std::string::npos);
  CHECK(msg.find("topsecret") == std::string::npos);
  bad.username = "a";
  bad.password = "top\r\nsecret";  // header injection
  msg = refused(bad);
  CHECK(msg.find("password") != std::string::npos);
  CHECK(msg.find("secret") == std::string::npos);
}

namespace {
using reader = connect_response_reader;

reader::result feed_all(reader& rd, std::string_view s, bool byte_by_byte) {
  reader::result r = reader::result::need_more;
  if (!byte_by_byte) return rd.feed(s);
  for (char c : s) {
    r = rd.feed(std::string_view(&c, 1));
    if (r != reader::result::need_more) return r;
  }
  return r;
}
} // namespace

TEST_CASE("connect_response_reader: answers, fed whole or byte by byte") {
  for (bool bytes : {false, true}) {
    CAPTURE(bytes);
    reader ok;
    CHECK(feed_all(ok, "HTTP/1.0 200 Connection established\r\nProxy-agent: tinyproxy/1.11.1\r\n\r\n", bytes) ==
          reader::result::done);
    CHECK(ok.status() == 200);
    CHECK(ok.leftover().empty());
    CHECK_FALSE(connect_status_error(ok.status()));

    reader auth;
    CHECK(feed_all(auth, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\n"
                         "Content-Length: 5\r\n\r\nhello",
                   bytes) == reader::result::done);
    CHECK(auth.status() == 407);
    CHECK(connect_status_error(auth.status()) == cl::error::proxy_auth_required);

    reader interim;  // a 1xx answer first: skipped
    CHECK(feed_all(interim, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n", bytes) == reader::result::done);
    CHECK(interim.status() == 200);
  }
  reader extra;
  CHECK(extra.feed("HTTP/1.1 200 OK\r\n\r\nXY") == reader::result::done);
  CHECK(extra.leftover() == "XY");
  reader no_reason;
  CHECK(no_reason.feed("HTTP/1.1 200\r\n\r\n") == reader::result::done);

  CHECK(connect_status_error(401) == cl::error::proxy_auth_required);  // tinyproxy, wrong credentials
  CHECK(connect_status_error(403) == cl::error::proxy_refused);
  CHECK(connect_status_error(302) == cl::error::proxy_refused);
  CHECK(connect_status_error(502) == cl::error::proxy_unavailable);
  CHECK(connect_status_error(504) == cl::error::proxy_unavailable);
}

TEST_CASE("connect_response_reader: garbage and oversized answers are errors, early") {
  for (const char* bad : {"SSH-2.0-OpenSSH\r\n\r\n", "\x16\x03\x01\x02\x00", "HTTP/2 200\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n",
                          "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 099 X\r\n\r\n", "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
                          "HTTP/1.1 200 OK\r\n folded: x\r\n\r\n", "HTTP/1.1 200 OK\r\nbad name: x\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nX: a\nb\r\n\r\n", "HTTP/1.1 200 O\x01K\r\n\r\n",
                          "HTTP/1.1 101 Switching Protocols\r\n\r\n"}) {
    reader rd;
    CHECK_MESSAGE(rd.feed(bad) == reader::result::error, bad);
  }
  // Garbage is refused at its first bytes, without waiting for a blank line or the limit.
  reader early;
  CHECK(early.feed("<html>") == reader::result::error);
  CHECK(early.feed("HTTP/1.1 200 OK\r\n\r\n") == reader::result::error);  // stays failed

  // A head above the limit: error at the limit, however it is fed.
  reader huge(1024);
  reader::result r = huge.feed("HTTP/1.1 200 OK\r\n");
  const std::string line = "X-Pad: " + std::string(100, 'a') + "\r\n";
  std::size_t fed = 17;
  while (r == reader::result::need_more && fed < 10 * 1024) {
    r = huge.feed(line);
    fed += line.size();
  }
  CHECK(r == reader::result::error);
  CHECK(fed <= 1024 + line.size());
  // The default limit is 16 KiB; room() shrinks as bytes come.
  reader def;
  CHECK(def.room() == 16 * 1024);
  def.feed("HTTP/1.1 ");
  CHECK(def.room() == 16 * 1024 - 9);
}

TEST_CASE("proxy errors: configuration refusals are permanent, the rest retried like a failed connect") {
  using cleanlist::core::is_permanent_local_error;
  CHECK(is_permanent_local_error(cl::error::proxy_auth_required));
  CHECK(is_permanent_local_error(cl::error::proxy_refused));
  CHECK_FALSE(is_permanent_local_error(cl::error::proxy_unavailable));
  CHECK_FALSE(is_permanent_local_error(cl::error::proxy_protocol_error));
  CHECK(cl::is_transient(cl::error::proxy_unavailable));
  CHECK_FALSE(cl::is_transient(cl::error::proxy_auth_required));

  cl::retry_params rp;
  cleanlist::core::retry_budget budget(rp);
  cleanlist::core::attempt_outcome o;
  o.idempotent = false;  // even a POST: nothing reached the API
  o.stage = cleanlist::core::send_stage::not_sent;
  o.ec = cl::error::proxy_unavailable;
  CHECK(cleanlist::core::decide_retry(o, 1, rp, budget, 0.5).retry);
  o.ec = cl::error::proxy_auth_required;
  CHECK_FALSE(cleanlist::core::decide_retry(o, 1, rp, budget, 0.5).retry);
  for (auto e : {cl::error::proxy_auth_required, cl::error::proxy_refused, cl::error::proxy_unavailable,
                 cl::error::proxy_protocol_error}) {
    const std::string m = cl::make_error_code(e).message();
    CHECK(m.find("proxy") != std::string::npos);
  }
}
