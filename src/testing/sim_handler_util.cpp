// Helpers shared by the simulator's route handlers (see sim_handler_util.hpp).
#include "testing/sim_handler_util.hpp"
#include "protocol/csv_parse.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace cleanlist::testing::detail {

std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& ch : r) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return r;
}

std::string hex16(std::uint64_t v) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i) { s[static_cast<std::size_t>(i)] = hex[v & 15]; v >>= 4; }
  return s;
}

lead_rec stub_lead(std::string id) {
  lead_rec l;
  l.id = std::move(id);
  return l;
}

json::value str_or_null(std::string_view s) { return s.empty() ? json::value(nullptr) : json::value(s); }
json::value opt_or_null(const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); }

const std::string* query_param(const ctx& c, std::string_view name) {
  for (auto& [k, v] : c.query)
    if (k == name) return &v;
  return nullptr;
}

std::int64_t query_int(const ctx& c, verrs& e, std::string_view name, std::int64_t def, std::int64_t lo, std::int64_t hi) {
  const std::string* v = query_param(c, name);
  if (!v) return def;
  std::int64_t r = 0;
  bool okv = !v->empty() && v->size() < 18;
  std::size_t i = 0;
  bool neg = okv && (*v)[0] == '-';
  if (neg) i = 1;
  if (i >= v->size()) okv = false;
  for (; okv && i < v->size(); ++i) {
    if ((*v)[i] < '0' || (*v)[i] > '9') okv = false;
    else r = r * 10 + ((*v)[i] - '0');
  }
  json::array loc;
  loc.emplace_back("query");
  loc.emplace_back(name);
  if (!okv) {
    e.add(std::move(loc), "int_parsing", "Input should be a valid integer, unable to parse string as an integer", json::string(*v));
    return def;
  }
  if (neg) r = -r;
  if (r < lo) e.add(std::move(loc), "greater_than_equal", "Input should be greater than or equal to " + std::to_string(lo), json::string(*v));
  else if (r > hi) e.add(std::move(loc), "less_than_equal", "Input should be less than or equal to " + std::to_string(hi), json::string(*v));
  return r;
}

json::object lead_row(const lead_rec& l) {
  json::object o;
  o["lead_id"] = l.id;
  auto put = [&](std::string_view k, const std::string& v) { if (!v.empty()) o[k] = v; };
  put("first_name", l.first_name);
  put("last_name", l.last_name);
  put("full_name", l.full_name);
  put("email", l.email);
  put("phone", l.phone);
  put("title", l.title);
  put("company", l.company);
  put("location", l.location);
  put("linkedin_url", l.linkedin_url);
  put("provider", l.provider);
  return o;
}

std::string lead_field(const lead_rec& l, std::string_view col) {
  if (col == "lead_id") return l.id;
  if (col == "first_name") return l.first_name;
  if (col == "last_name") return l.last_name;
  if (col == "full_name") return l.full_name;
  if (col == "email") return l.email;
  if (col == "email_status") return l.email_status;
  if (col == "phone") return l.phone;
  if (col == "title" || col == "job_title") return l.title;
  if (col == "company" || col == "company_name") return l.company;
  if (col == "company_domain" || col == "domain") return l.domain;
  if (col == "location") return l.location;
  if (col == "linkedin_url") return l.linkedin_url;
  if (col == "provider") return l.provider;
  return {};
}

const std::vector<std::string>& default_columns() {
  // ExportCsvRequest.columns: "When omitted, the default set is used: lead_id, first_name,
  // last_name, email, title, company, domain, linkedin_url, phone, location."
  static const std::vector<std::string> c{"lead_id", "first_name", "last_name", "email", "title",
                                          "company", "domain", "linkedin_url", "phone", "location"};
  return c;
}

std::string found_email(const lead_rec& in) {
  if (!in.email.empty()) return lower(in.email);
  std::string domain = in.domain.empty() ? (in.company.empty() ? "example.com" : lower(in.company) + ".com") : lower(in.domain);
  domain.erase(std::remove(domain.begin(), domain.end(), ' '), domain.end());
  if (in.first_name.empty() && in.last_name.empty()) return "contact@" + domain;
  return lower(in.first_name) + "." + lower(in.last_name) + "@" + domain;
}

std::string found_phone(std::uint64_t seed, std::string_view identity) {
  auto h = hash_str(seed ^ 0x9001, identity);
  std::string digits = std::to_string(1000 + h % 9000);
  return "+1415555" + digits;
}

bool is_person_type(std::string_view t) { return t == "partial" || t == "phone_only" || t == "full"; }

std::string dp_type(const std::vector<std::string>& dps) {
  bool email = std::find(dps.begin(), dps.end(), "Email") != dps.end();
  bool phone = std::find(dps.begin(), dps.end(), "Phone") != dps.end();
  if (email && phone) return "full";
  if (phone) return "phone_only";
  return "partial";
}

std::vector<std::string> str_array(const json::value& body, std::string_view k) {
  std::vector<std::string> r;
  if (auto* p = field(body, k); p && p->is_array())
    for (auto& x : p->as_array())
      if (x.is_string()) r.emplace_back(x.as_string());
  return r;
}

std::int64_t agent_unit(std::string_view agent) { return agent == "cold_intro_email" ? 3 : 1; }

json::object company_record(std::uint64_t seed, std::string_view key, std::string_view name_in, std::string_view domain_in) {
  auto h = hash_str(seed ^ 0xc0, key);
  static const char* inds[] = {"Computer Software", "Financial Services", "Marketing & Advertising", "Hospital & Health Care", "Retail"};
  static const char* stages[] = {"Seed", "Series A", "Series B", "Series C", "Public"};
  std::string domain = domain_in.empty() ? lower(name_in) + ".com" : lower(domain_in);
  domain.erase(std::remove(domain.begin(), domain.end(), ' '), domain.end());
  std::string name(name_in);
  if (name.empty()) {
    name = domain.substr(0, domain.find('.'));
    if (!name.empty()) name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
  }
  json::object c;
  c["company_id"] = "company_" + hex16(h).substr(0, 8);
  c["name"] = name;
  c["domain"] = domain;
  const char* ind = inds[h % 5];
  c["industry"] = ind;
  json::array is;
  is.emplace_back(ind);
  is.emplace_back("SaaS");
  c["industries"] = std::move(is);
  std::int64_t emp = static_cast<std::int64_t>(10 + (h >> 8) % 5000);
  c["employee_count"] = emp;
  c["employee_count_range"] = emp <= 50 ? "11-50" : emp <= 200 ? "51-200" : emp <= 500 ? "201-500" : emp <= 1000 ? "501-1000" : "1001-5000";
  c["revenue_range"] = emp <= 200 ? "$1M-$10M" : "$25M-$50M";
  c["hq_location"] = "San Francisco, CA, US";
  c["funding_stage"] = stages[(h >> 20) % 5];
  c["total_funding_usd"] = static_cast<std::int64_t>(((h >> 24) % 100) * 1000000);
  json::array ts;
  ts.emplace_back("React");
  ts.emplace_back("Python");
  ts.emplace_back("AWS");
  c["tech_stack"] = std::move(ts);
  c["linkedin_url"] = "https://www.linkedin.com/company/" + lower(name);
  return c;
}

std::vector<std::vector<std::string>> parse_csv(std::string_view s) {
  // The library's reader (src/core/protocol/csv_parse.hpp), in its permissive reading.
  auto rows = api::parse_csv_lenient(s);
  for (auto& r : rows)
    for (auto& x : r) {
      while (!x.empty() && (x.back() == ' ' || x.back() == '\t')) x.pop_back();
      std::size_t b = 0;
      while (b < x.size() && (x[b] == ' ' || x[b] == '\t')) ++b;
      x.erase(0, b);
    }
  return rows;
}

std::string csv_escape(const std::string& v) {
  if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
  std::string r = "\"";
  for (char ch : v) { if (ch == '"') r += '"'; r += ch; }
  r += '"';
  return r;
}

wf_view view_of(const workflow_rec& w, sim_clock::time_point now, std::chrono::milliseconds pending,
                std::chrono::milliseconds running) {
  auto e = now - w.start;
  wf_view v{};
  v.total = static_cast<std::int64_t>(w.leads.size());
  if (w.cancel_at && now >= *w.cancel_at) {
    v.status = "cancelled";
    v.terminal = true;
    v.processed = std::min(v.total, w.cancel_processed);
  } else if (e < pending) {
    v.status = "pending";
  } else if (e < pending + running) {
    v.status = "running";
    if (w.kind != wf_kind::person && running.count() > 0) {
      auto in = std::chrono::duration_cast<std::chrono::microseconds>(e - pending).count();
      auto all = std::chrono::duration_cast<std::chrono::microseconds>(running).count();
      v.processed = std::min<std::int64_t>(v.total, static_cast<std::int64_t>((static_cast<__int128>(v.total) * in) / all));
    }
  } else {
    v.terminal = true;
    v.processed = v.total;
    v.status = final_status(w);
  }
  if (w.failed_whole) {
    v.completed = 0;
  } else {
    v.completed = w.ok_prefix[static_cast<std::size_t>(v.processed)];
  }
  v.failed = v.processed - v.completed;
  return v;
}

} // namespace cleanlist::testing::detail
