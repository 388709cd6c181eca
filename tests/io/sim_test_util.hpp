#pragma once
#include "sim_client.hpp"

#include <cleanlist/testing/simulator.hpp>
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <chrono>
#include <string>
#include <thread>

namespace simtest {

namespace json = boost::json;
namespace ct = cleanlist::testing;
using namespace std::chrono_literals;

inline ct::simulator_params fast_params() {
  ct::simulator_params p;
  p.tls = false;
  p.rate_limits = false;
  p.pending_for = 40ms;
  p.running_for = 120ms;
  return p;
}

inline json::value J(std::string_view s) { return json::parse(s); }

inline std::string S(const json::value& v, std::string_view k) {
  auto* p = v.as_object().if_contains(k);
  return p && p->is_string() ? std::string(p->as_string()) : std::string();
}
inline std::int64_t I(const json::value& v, std::string_view k) {
  auto* p = v.as_object().if_contains(k);
  return p ? p->to_number<std::int64_t>() : -1;
}

/// Polls a workflow until it is terminal; returns the last body. `max` only guards against a
/// hang (generous for a loaded machine): it is not a measure of speed.
inline json::value wait_terminal(client& c, const std::string& wf, std::chrono::milliseconds max = 60s) {
  auto until = std::chrono::steady_clock::now() + max;
  json::value last;
  while (std::chrono::steady_clock::now() < until) {
    auto r = c.get("/enrichment/status/" + wf);
    REQUIRE(r.status == 200);
    last = r.json();
    auto st = S(last, "status");
    if (st == "completed" || st == "completed_with_errors" || st == "failed" || st == "cancelled") return last;
    std::this_thread::sleep_for(20ms);
  }
  FAIL("workflow did not finish: " << json::serialize(last));
  return last;
}

inline std::string b64(std::string_view s) {
  static constexpr char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    unsigned v = (unsigned char)s[i] << 16 | (unsigned char)s[i + 1] << 8 | (unsigned char)s[i + 2];
    out += tab[v >> 18 & 63]; out += tab[v >> 12 & 63]; out += tab[v >> 6 & 63]; out += tab[v & 63];
  }
  if (i + 1 == s.size()) { unsigned v = (unsigned char)s[i] << 16; out += tab[v >> 18 & 63]; out += tab[v >> 12 & 63]; out += "=="; }
  else if (i + 2 == s.size()) { unsigned v = (unsigned char)s[i] << 16 | (unsigned char)s[i + 1] << 8; out += tab[v >> 18 & 63]; out += tab[v >> 12 & 63]; out += tab[v >> 6 & 63]; out += '='; }
  return out;
}

/// Creates a list with n leads (via CSV import without dispatch); returns the list id.
inline std::string make_list(client& c, const std::string& name, int n) {
  auto r = c.post("/lead-lists", {{"name", name}});
  REQUIRE((r.status == 201 || r.status == 200));
  std::string id = S(r.json(), "list_id");
  if (n > 0) {
    std::string csv = "First,Last,Email,Company\n";
    for (int i = 0; i < n; ++i)
      csv += "First" + std::to_string(i) + ",Last" + std::to_string(i) + ",person" + std::to_string(i) + "." + name + "@acme.io,Acme\n";
    auto imp = c.post("/lead-lists/" + id + "/csv-import",
                      {{"csv_content_base64", b64(csv)},
                       {"column_mapping", {{"first_name", "First"}, {"last_name", "Last"}, {"email", "Email"}, {"company_name", "Company"}}},
                       {"dispatch_enrichment", false}});
    REQUIRE(imp.status == 201);
    REQUIRE(I(imp.json(), "rows_imported") == n);
  }
  return id;
}

inline std::string quote(client& c, json::object req) {
  auto r = c.post("/credits/estimate", req);
  REQUIRE_MESSAGE(r.status == 200, r.body);
  return S(r.json(), "quote_id");
}

} // namespace simtest
