// libFuzzer target: cleanlist::protocol::classify on arbitrary status, headers and body.
//
// Input layout: [status: 2 bytes big-endian, mod 1000][retry-after length: 1][request-id
// length: 1][retry-after bytes][request-id bytes][body: the rest]. A seed is simply
// "\x00\xC8\x00\x00" + a JSON body (status 200).
//
// Properties checked (a violation aborts, i.e. is reported as a crash):
//  - classify never throws and never crashes (ASan/UBSan watch memory and UB);
//  - 2xx: success iff the body is a JSON object within the depth limit, else bad_response;
//  - non-2xx: always an error, never bad_response; http_status echoed;
//  - body_excerpt <= diagnostics::max_excerpt, request_id <= 128 bytes, no CR/LF/NUL in excerpt;
//  - with a secret, the secret never appears in any diagnostics field.
#include "protocol/response.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "property violated: %s\n", what);
    std::abort();
  }
}

bool has_secret(const cleanlist::diagnostics& d, std::string_view s) {
  const auto in = [&](const std::string& f) { return f.find(s) != std::string::npos; };
  for (const std::string* f : {&d.code, &d.problem, &d.cause, &d.fix, &d.docs_url, &d.request_id, &d.body_excerpt})
    if (in(*f)) return true;
  for (const auto& a : d.suggested_actions)
    if (in(a)) return true;
  for (const auto& [k, v] : d.details)
    if (in(k) || in(v)) return true;
  for (const auto& fe : d.field_errors) {
    if (in(fe.type) || in(fe.msg)) return true;
    for (const auto& l : fe.loc)
      if (in(l)) return true;
  }
  return in(d.to_string());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  const int status = ((data[0] << 8) | data[1]) % 1000;
  std::size_t ra_len = data[2], rid_len = data[3];
  std::string_view rest(reinterpret_cast<const char*>(data + 4), size - 4);
  ra_len = std::min(ra_len, rest.size());
  std::string_view retry_after = rest.substr(0, ra_len);
  rest.remove_prefix(ra_len);
  rid_len = std::min(rid_len, rest.size());
  std::string_view request_id = rest.substr(0, rid_len);
  rest.remove_prefix(rid_len);

  cleanlist::protocol::raw_response r{status, retry_after, request_id, rest};
  auto c = cleanlist::protocol::classify(r);
  const auto& d = c.diag;
  require(d.http_status == status, "http_status echoed");
  require(d.body_excerpt.size() <= cleanlist::diagnostics::max_excerpt, "excerpt bounded");
  require(d.request_id.size() <= 128 || d.request_id.size() <= rest.size(), "request_id bounded");
  for (char ch : d.body_excerpt) require(ch != '\r' && ch != '\0', "excerpt has no CR/NUL");
  if (status >= 200 && status < 300) {
    if (c.ec) {
      require(c.ec == cleanlist::error::bad_response, "2xx failure is bad_response");
      require(c.json.is_null(), "no JSON on failure");
    } else {
      require(c.json.is_object(), "2xx success carries an object");
    }
  } else {
    require(static_cast<bool>(c.ec), "non-2xx is an error");
    require(c.ec != cleanlist::error::bad_response, "non-2xx is not bad_response");
    require(!d.problem.empty(), "non-2xx has a problem text");
  }
  if (d.retry_after) require(d.retry_after->count() >= 0, "retry_after non-negative");

  // Redaction: plant a secret in the body and headers; it must not survive in diagnostics.
  static const std::string secret = "clapi_FUZZ_SECRET_0123456789";
  std::string body(rest);
  body.insert(body.size() / 2, secret);
  std::string rid(request_id);
  rid.insert(rid.size() / 2, secret);
  auto c2 = cleanlist::protocol::classify({status, retry_after, rid, body}, secret);
  require(!has_secret(c2.diag, secret), "secret redacted from diagnostics");
  return 0;
}
