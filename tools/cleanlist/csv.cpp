#include "csv.hpp"
#include "output.hpp"

#include <cctype>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>

namespace cleanlist_cli {

bool parse_csv(std::string_view text, std::vector<csv_row>& out, std::string& problem) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  csv_row cur;
  std::string field;
  bool in_quotes = false, field_started = false, any = false;
  std::size_t line = 1;
  auto end_field = [&] {
    cur.push_back(std::move(field));
    field.clear();
    field_started = false;
  };
  auto end_row = [&] {
    end_field();
    if (!(cur.size() == 1 && cur[0].empty() && !any)) out.push_back(std::move(cur));
    cur.clear();
    any = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (in_quotes) {
      if (ch == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') { field += '"'; ++i; }
        else in_quotes = false;
      } else {
        if (ch == '\n') ++line;
        field += ch;
      }
      continue;
    }
    switch (ch) {
    case '"':
      if (!field_started || field.empty()) { in_quotes = true; field_started = true; any = true; }
      else field += ch;  // tolerant: a quote inside an unquoted field is kept as is
      break;
    case ',': end_field(); any = true; break;
    case '\r': break;
    case '\n': ++line; end_row(); break;
    default: field += ch; field_started = true; any = true;
    }
  }
  if (in_quotes) {
    problem = "unterminated quoted field (started before line " + std::to_string(line) + ")";
    return false;
  }
  if (!field.empty() || !cur.empty() || any) end_row();
  return true;
}

std::string csv_field(std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos && (v.empty() || (v.front() != ' ' && v.back() != ' ')))
    return std::string(v);
  std::string s = "\"";
  for (char ch : v) {
    if (ch == '"') s += '"';
    s += ch;
  }
  s += '"';
  return s;
}

void write_csv_row(std::ostream& os, const csv_row& r) {
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (i) os << ',';
    os << csv_field(r[i]);
  }
  os << "\r\n";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string header_key(std::string_view h) {
  std::string k;
  for (unsigned char ch : h)
    if (std::isalnum(ch)) k += static_cast<char>(std::tolower(ch));
  return k;
}

field_id field_of(const std::string& key) {
  static const std::map<std::string, field_id> aliases = {
      {"firstname", f_first},      {"first", f_first},           {"givenname", f_first},
      {"lastname", f_last},        {"last", f_last},             {"surname", f_last},
      {"familyname", f_last},      {"companyname", f_company},   {"company", f_company},
      {"organization", f_company}, {"organisation", f_company},  {"employer", f_company},
      {"domain", f_domain},        {"companydomain", f_domain},  {"website", f_domain},
      {"companywebsite", f_domain}, {"url", f_domain},           {"email", f_email},
      {"emailaddress", f_email},   {"mail", f_email},            {"workemail", f_email},
      {"linkedinurl", f_linkedin}, {"linkedin", f_linkedin},     {"linkedinprofile", f_linkedin},
      {"linkedinprofileurl", f_linkedin}};
  auto it = aliases.find(key);
  return it == aliases.end() ? f_count : it->second;
}

std::string canonical_field_of(std::string_view header) {
  static const char* names[] = {"first_name", "last_name", "company_name", "company_domain", "email", "linkedin_url"};
  const auto key = header_key(header);
  if (auto f = field_of(key); f != f_count) return names[f];
  static const std::map<std::string, std::string> more = {
      {"fullname", "full_name"},   {"name", "full_name"},       {"phone", "phone"},
      {"phonenumber", "phone"},    {"mobile", "mobile_phone"},  {"mobilephone", "mobile_phone"},
      {"workphone", "work_phone"}, {"title", "job_title"},      {"jobtitle", "job_title"},
      {"city", "city"},            {"state", "state"},          {"country", "country"}};
  auto it = more.find(key);
  return it == more.end() ? std::string{} : it->second;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

std::string normalise_domain(std::string d) {
  d = lower(trim(d));
  if (auto p = d.find("://"); p != std::string::npos) d.erase(0, p + 3);
  if (d.starts_with("www.")) d.erase(0, 4);
  if (auto p = d.find_first_of("/?#"); p != std::string::npos) d.erase(p);
  if (auto p = d.find('@'); p != std::string::npos) d.erase(0, p + 1);
  return d;
}

} // namespace cleanlist_cli
