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
