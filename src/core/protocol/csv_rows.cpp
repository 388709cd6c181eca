#include "protocol/csv_rows.hpp"

#include <algorithm>
#include <cctype>

namespace cleanlist::api {

namespace {
bool present(const std::optional<std::string>& s) { return s && !s->empty(); }
const std::string& or_empty(const std::optional<std::string>& s) {
  static const std::string empty;
  return s ? *s : empty;
}
constexpr const char* header = "first_name,last_name,email,linkedin_url,company_name,company_domain\n";
} // namespace

bool csv_eligible(const enrich_person_request& c) {
  return present(c.email) || present(c.linkedin_url) ||
         (present(c.first_name) && present(c.last_name) && (present(c.company_name) || present(c.domain)));
}

std::map<std::string, std::string> csv_column_mapping() {
  return {{"first_name", "first_name"}, {"last_name", "last_name"},       {"email", "email"},
          {"linkedin_url", "linkedin_url"}, {"company_name", "company_name"}, {"company_domain", "company_domain"}};
}

std::string csv_field(std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(v);
  std::string out = "\"";
  for (char ch : v) {
    if (ch == '"') out += '"';
    out += ch;
  }
  out += '"';
  return out;
}

std::vector<std::string> csv_chunks(const std::vector<const enrich_person_request*>& rows, std::size_t max_bytes,
                                    std::size_t max_rows) {
  std::vector<std::string> chunks;
  std::string cur;
  std::size_t in_cur = 0;
  for (const auto* c : rows) {
    std::string line = csv_field(or_empty(c->first_name)) + ',' + csv_field(or_empty(c->last_name)) + ',' +
                       csv_field(or_empty(c->email)) + ',' + csv_field(or_empty(c->linkedin_url)) + ',' +
                       csv_field(or_empty(c->company_name)) + ',' + csv_field(or_empty(c->domain)) + '\n';
    if (!cur.empty() && (cur.size() + line.size() > max_bytes || in_cur >= max_rows)) {
      chunks.push_back(std::move(cur));
      cur.clear();
      in_cur = 0;
    }
    if (cur.empty()) cur = header;
    cur += line;
    ++in_cur;
  }
  if (!cur.empty()) chunks.push_back(std::move(cur));
  return chunks;
}

std::string normalise_key(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  std::string out(s);
  for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

std::string normalise_linkedin(std::string_view s) {
  auto k = normalise_key(s);
  for (std::string_view pre : {"https://", "http://"})
    if (k.starts_with(pre)) k.erase(0, pre.size());
  if (k.starts_with("www.")) k.erase(0, 4);
  while (!k.empty() && k.back() == '/') k.pop_back();
  return k;
}

namespace {
std::string name_key(const std::optional<std::string>& first, const std::optional<std::string>& last) {
  return normalise_key(or_empty(first)) + '|' + normalise_key(or_empty(last));
}
} // namespace

lead_matcher::lead_matcher(const std::vector<lead_row>& leads) {
  for (const auto& l : leads) {
    if (present(l.email)) by_email_.emplace(normalise_key(*l.email), &l);
    if (present(l.linkedin_url)) by_linkedin_.emplace(normalise_linkedin(*l.linkedin_url), &l);
    if (present(l.first_name) || present(l.last_name)) by_name_.emplace(name_key(l.first_name, l.last_name), &l);
  }
}

const lead_row* lead_matcher::find(const enrich_person_request& c) const {
  if (present(c.email))
    if (auto it = by_email_.find(normalise_key(*c.email)); it != by_email_.end()) return it->second;
  if (present(c.linkedin_url))
    if (auto it = by_linkedin_.find(normalise_linkedin(*c.linkedin_url)); it != by_linkedin_.end()) return it->second;
  if (present(c.first_name) && present(c.last_name)) {
    auto [b, e] = by_name_.equal_range(name_key(c.first_name, c.last_name));
    if (b == e) return nullptr;
    if (std::next(b) == e) return b->second;
    // Several leads share the name: prefer the one whose company matches.
    auto company = normalise_key(present(c.company_name) ? *c.company_name : or_empty(c.domain));
    for (auto it = b; it != e; ++it)
      if (present(it->second->company) && normalise_key(*it->second->company) == company) return it->second;
    return b->second;
  }
  return nullptr;
}

} // namespace cleanlist::api
