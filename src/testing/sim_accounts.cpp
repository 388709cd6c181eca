// The accounts document of `cleanlist-sim --accounts` / `cleanlist sim --accounts`.
#include <cleanlist/testing/simulator.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace cleanlist::testing {

namespace {

namespace json = boost::json;

std::vector<std::string> strings(const json::value& v) {
  std::vector<std::string> r;
  if (v.is_array())
    for (auto& x : v.as_array())
      if (x.is_string()) r.emplace_back(x.as_string());
  return r;
}

std::string str(const json::object& o, std::string_view k, std::string d = {}) {
  auto* p = o.if_contains(k);
  return p && p->is_string() ? std::string(p->as_string()) : d;
}

[[noreturn]] void bad(const std::string& what) { throw std::invalid_argument("accounts: " + what); }

} // namespace

std::vector<organisation_config> parse_accounts(std::string_view json_text) {
  boost::system::error_code ec;
  auto root = json::parse(json_text, ec);
  if (ec) bad("not JSON: " + ec.message());
  const json::value* orgs = root.is_array() ? &root : (root.is_object() ? root.as_object().if_contains("orgs") : nullptr);
  if (!orgs || !orgs->is_array()) bad("expected {\"orgs\": [...]}");
  std::vector<organisation_config> out;
  for (auto& ov : orgs->as_array()) {
    if (!ov.is_object()) bad("each org must be an object");
    const auto& o = ov.as_object();
    organisation_config oc;
    oc.org_id = str(o, "org_id");
    oc.name = str(o, "name");
    oc.tier = str(o, "tier", "pro");
    if (auto* p = o.if_contains("features")) oc.features = strings(*p);
    if (auto* p = o.if_contains("credits"); p && p->is_number()) oc.credits = p->to_number<std::int64_t>();
    if (auto* us = o.if_contains("users"); us && us->is_array())
      for (auto& uv : us->as_array()) {
        if (!uv.is_object()) continue;
        const auto& u = uv.as_object();
        user_config uc{str(u, "user_id"), str(u, "email"), str(u, "name"), {}, {}};
        if (auto* js = u.if_contains("jwts")) uc.jwts = strings(*js);
        if (auto* ks = u.if_contains("keys"); ks && ks->is_array())
          for (auto& kv : ks->as_array()) {
            api_key_config kc;
            if (kv.is_string()) {
              kc.key = std::string(kv.as_string());
            } else if (kv.is_object()) {
              kc.key = str(kv.as_object(), "key");
              if (auto* sc = kv.as_object().if_contains("scopes")) kc.scopes = strings(*sc);
            } else {
              bad("a key must be a string or {key, scopes}");
            }
            // The key itself is not repeated in the message: errors never carry a key.
            if (!kc.key.starts_with("clapi_")) bad("API keys must start with clapi_ (user " + uc.user_id + ")");
            uc.keys.push_back(std::move(kc));
          }
        oc.users.push_back(std::move(uc));
      }
    out.push_back(std::move(oc));
  }
  if (out.empty() || out[0].users.empty() || out[0].users[0].keys.empty()) bad("the first org needs a user with a key");
  return out;
}

std::vector<organisation_config> load_accounts(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::invalid_argument(path + ": cannot be read");
  std::stringstream ss;
  ss << f.rdbuf();
  try {
    return parse_accounts(ss.str());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
}

} // namespace cleanlist::testing
