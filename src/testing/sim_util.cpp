// Small utilities of the simulator: hashing, base64, HMAC, identities and outcomes.
#include "testing/sim_state.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>

namespace cleanlist::testing {

namespace {
std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& ch : r) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return r;
}
} // namespace

std::string person_identity(std::string_view email, std::string_view linkedin_url,
                            std::string_view first_name, std::string_view last_name,
                            std::string_view company_or_domain, std::string_view person_id) {
  if (!email.empty()) return lower(email);
  if (!linkedin_url.empty()) return std::string(linkedin_url);
  if (!first_name.empty() || !last_name.empty()) {
    std::string r(first_name);
    r += ' ';
    r += last_name;
    r += '@';
    r += company_or_domain;
    return r;
  }
  return std::string(person_id);
}

person_outcome predict_outcome(std::uint64_t seed, std::string_view identity) {
  person_outcome o;
  auto at = identity.find('@');
  std::string_view local = at == std::string_view::npos ? identity : identity.substr(0, at);
  auto tagged = [&](std::string_view tag) { return local.find(tag) != std::string_view::npos; };
  if (tagged("+fail") || tagged("+error")) { o.workflow_fails = true; return o; }
  if (tagged("+cancel")) {
    o.cancels = true;
    return o;
  }
  if (tagged("+none")) return o;
  if (tagged("+all")) { o.email_found = o.phone_found = true; return o; }
  if (tagged("+email")) { o.email_found = true; return o; }
  if (tagged("+phone")) { o.phone_found = true; return o; }
  std::uint64_t h = detail::hash_str(seed, identity);
  o.email_found = (h % 100) < 80;
  o.phone_found = ((h >> 16) % 100) < 55;
  o.workflow_fails = ((h >> 32) % 100) < 3;
  return o;
}

namespace detail {

std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t hash_str(std::uint64_t seed, std::string_view s) noexcept {
  std::uint64_t h = 1469598103934665603ULL ^ splitmix64(seed);
  for (unsigned char ch : s) {
    h ^= ch;
    h *= 1099511628211ULL;
  }
  return splitmix64(h);
}

std::string base64_encode(std::string_view in, bool url) {
  static constexpr char std_tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  static constexpr char url_tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const char* tab = url ? url_tab : std_tab;
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    out += tab[(v >> 18) & 63];
    out += tab[(v >> 12) & 63];
    out += tab[(v >> 6) & 63];
    out += tab[v & 63];
  }
  if (i + 1 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16;
    out += tab[(v >> 18) & 63];
    out += tab[(v >> 12) & 63];
    if (!url) out += "==";
  } else if (i + 2 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
    out += tab[(v >> 18) & 63];
    out += tab[(v >> 12) & 63];
    out += tab[(v >> 6) & 63];
    if (!url) out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  auto val = [](char ch) -> int {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+' || ch == '-') return 62;
    if (ch == '/' || ch == '_') return 63;
    return -1;
  };
  std::string out;
  out.reserve(in.size() / 4 * 3);
  unsigned acc = 0;
  int bits = 0;
  std::size_t pad = 0;
  for (char ch : in) {
    if (ch == '\n' || ch == '\r' || ch == ' ' || ch == '\t') continue;
    if (ch == '=') { ++pad; continue; }
    if (pad) return std::nullopt; // data after padding
    int v = val(ch);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (bits >= 6 || pad > 2) return std::nullopt;
  return out;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

} // namespace detail
} // namespace cleanlist::testing
