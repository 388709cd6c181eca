// The download of an export's signed URL, sans-io: which URLs are accepted and the request
// written (never a credential: the URL's signature is the access).
#include "protocol/download.hpp"

#include <doctest/doctest.h>

using cleanlist::protocol::make_download_request;

TEST_CASE("download request: https to any host, the path and query as given, no Authorization") {
  std::string problem;
  auto d = make_download_request("https://blob.example.net/exports/l1.csv?exp=1751404800&sig=Rk9P#frag", false,
                                 "cleanlist-cpp/test", problem);
  REQUIRE_MESSAGE(d, problem);
  CHECK(d->origin.tls);
  CHECK(d->origin.host == "blob.example.net");
  CHECK(d->origin.port == 443);
  CHECK(d->target == "/exports/l1.csv?exp=1751404800&sig=Rk9P");  // the fragment is not sent
  CHECK(d->request ==
        "GET /exports/l1.csv?exp=1751404800&sig=Rk9P HTTP/1.1\r\nHost: blob.example.net\r\n"
        "User-Agent: cleanlist-cpp/test\r\nAccept: text/csv, */*\r\nConnection: close\r\n\r\n");
  CHECK(d->request.find("Authorization") == std::string::npos);

  auto p = make_download_request("https://127.0.0.1:8443", false, "ua", problem);
  REQUIRE(p);
  CHECK(p->target == "/");
  CHECK(p->origin.port == 8443);
  CHECK(p->request.find("Host: 127.0.0.1:8443\r\n") != std::string::npos);
}

TEST_CASE("download request: plain http only when the API itself is plain http; no credentials in URLs") {
  std::string problem;
  CHECK_FALSE(make_download_request("http://127.0.0.1:8080/__exports/x.csv?sig=secret", false, "ua", problem));
  CHECK(problem.find("http") != std::string::npos);
  CHECK(problem.find("secret") == std::string::npos);  // the signature is a bearer token: never quoted
  auto h = make_download_request("http://127.0.0.1:8080/__exports/x.csv?sig=secret", true, "ua", problem);
  REQUIRE(h);
  CHECK_FALSE(h->origin.tls);
  CHECK(h->origin.port == 8080);

  for (const char* url : {"https://user:pw@blob.example.net/x.csv", "ftp://blob.example.net/x.csv", "file:///etc/passwd",
                          "https://blob.example.net/x.csv?sig=a b", "https://blob.example.net/x\r\nAuthorization: x",
                          "", "not a url", "https:///x.csv"}) {
    CAPTURE(url);
    problem.clear();
    CHECK_FALSE(make_download_request(url, true, "ua", problem));
    CHECK_FALSE(problem.empty());
    if (std::string_view(url).find("pw") != std::string_view::npos) CHECK(problem.find("pw") == std::string::npos);
  }
}
