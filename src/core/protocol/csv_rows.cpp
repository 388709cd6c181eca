#include "protocol/csv_rows.hpp"
#include "protocol/csv_parse.hpp"

#include <algorithm>
#include <unordered_set>
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

namespace {
std::string csv_line(const enrich_person_request& c) {
  return csv_field(or_empty(c.first_name)) + ',' + csv_field(or_empty(c.last_name)) + ',' + csv_field(or_empty(c.email)) +
         ',' + csv_field(or_empty(c.linkedin_url)) + ',' + csv_field(or_empty(c.company_name)) + ',' +
         csv_field(or_empty(c.domain)) + '\n';
}
} // namespace

std::vector<const enrich_person_request*> distinct_rows(const std::vector<const enrich_person_request*>& rows) {
  std::vector<const enrich_person_request*> out;
  out.reserve(rows.size());
  std::unordered_set<std::string> emails, linkedins;
  for (const auto* c : rows) {
    const std::string e = present(c->email) ? normalise_key(*c->email) : std::string();
    const std::string l = present(c->linkedin_url) ? normalise_linkedin(*c->linkedin_url) : std::string();
    // Only kept contacts' keys are recorded: a dropped one's other key was never imported.
    if ((!e.empty() && emails.count(e)) || (!l.empty() && linkedins.count(l))) continue;
    if (!e.empty()) emails.insert(e);
    if (!l.empty()) linkedins.insert(l);
    out.push_back(c);
  }
  return out;
}

std::vector<std::string> csv_chunks(const std::vector<const enrich_person_request*>& rows, std::size_t max_bytes,
                                    std::size_t max_rows) {
  std::vector<std::string> chunks;
  csv_import_plan plan(rows, max_bytes, max_rows);
  while (!plan.done()) {
    chunks.push_back(plan.next_chunk());
    plan.on_response(static_cast<std::int64_t>(plan.chunk_rows()), 0);  // as if all were imported
  }
  return chunks;
}

csv_import_plan::csv_import_plan(const std::vector<const enrich_person_request*>& rows, std::size_t max_bytes,
                                 std::size_t max_rows)
    : max_bytes_(max_bytes), max_rows_(std::max<std::size_t>(max_rows, 1)) {
  lines_.reserve(rows.size());
  for (const auto* c : rows) lines_.push_back(csv_line(*c));
}

std::string csv_import_plan::next_chunk() {
  next_ -= in_flight_;  // asked again without an answer: the same rows
  in_flight_ = 0;
  std::string cur = header;
  while (next_ < lines_.size() && in_flight_ < max_rows_) {
    const auto& line = lines_[next_];
    // A row larger than the cap on its own still gets a chunk (the server refuses it).
    if (in_flight_ > 0 && cur.size() + line.size() > max_bytes_) break;
    cur += line;
    ++next_;
    ++in_flight_;
  }
  return cur;
}

std::string csv_import_plan::on_response(std::int64_t rows_imported, std::int64_t cap_skipped) {
  const auto sent = static_cast<std::int64_t>(in_flight_);
  in_flight_ = 0;
  if (rows_imported < 0 || cap_skipped < 0 || rows_imported + cap_skipped > sent)
    return "the CSV import answered " + std::to_string(rows_imported) + " rows imported and " +
           std::to_string(cap_skipped) + " skipped by its row cap for a chunk of " + std::to_string(sent) + " rows";
  if (cap_skipped == 0) return {};
  if (rows_imported == 0)
    return "the CSV import skipped every row of a chunk as row_cap_exceeded (" + std::to_string(cap_skipped) +
           " rows): no smaller chunk can get through";
  // The last cap_skipped rows go again; later chunks stay within what this import took.
  next_ -= static_cast<std::size_t>(cap_skipped);
  resent_ += static_cast<std::size_t>(cap_skipped);
  max_rows_ = std::min(max_rows_, static_cast<std::size_t>(rows_imported));
  return {};
}

std::vector<std::string> export_columns() {
  return {"lead_id", "first_name", "last_name", "full_name", "email", "phone",
          "title",   "company",    "location",  "linkedin_url", "provider"};
}

bool parse_export_csv(std::string_view text, std::vector<lead_row>& out, std::string& problem) {
  out.clear();
  csv_table rows;
  csv_limits lim;
  lim.max_field_bytes = 16 * 1024;  // a lead's field; a smart-agent column may be long, not this long
  lim.max_columns = 512;
  if (!parse_csv_strict(text, rows, problem, lim)) return false;
  if (rows.empty()) {
    problem = "the export has no header row";
    return false;
  }
  const auto& head = rows[0];
  auto col = [&](std::string_view name) -> std::ptrdiff_t {
    for (std::size_t i = 0; i < head.size(); ++i)
      if (head[i] == name) return static_cast<std::ptrdiff_t>(i);
    return -1;
  };
  const auto id = col("lead_id"), provider = col("provider");
  if (id < 0 || provider < 0) {
    problem = std::string("the export lacks the ") + (id < 0 ? "lead_id" : "provider") + " column";
    return false;
  }
  struct target {
    std::ptrdiff_t at;
    std::optional<std::string> lead_row::*field;
  };
  const target fields[] = {{col("first_name"), &lead_row::first_name}, {col("last_name"), &lead_row::last_name},
                           {col("full_name"), &lead_row::full_name},   {col("email"), &lead_row::email},
                           {col("phone"), &lead_row::phone},           {col("title"), &lead_row::title},
                           {col("company"), &lead_row::company},       {col("location"), &lead_row::location},
                           {col("linkedin_url"), &lead_row::linkedin_url}, {provider, &lead_row::provider}};
  out.reserve(rows.size() - 1);
  for (std::size_t r = 1; r < rows.size(); ++r) {
    auto& row = rows[r];
    if (row.size() != head.size()) {
      problem = "export row " + std::to_string(r) + " has " + std::to_string(row.size()) + " fields, the header " +
                std::to_string(head.size());
      out.clear();
      return false;
    }
    auto& id_cell = row[static_cast<std::size_t>(id)];
    if (id_cell.empty()) {
      problem = "export row " + std::to_string(r) + " has no lead_id";
      out.clear();
      return false;
    }
    lead_row l;
    l.lead_id = std::move(id_cell);
    for (const auto& f : fields)
      if (f.at >= 0 && !row[static_cast<std::size_t>(f.at)].empty()) l.*f.field = std::move(row[static_cast<std::size_t>(f.at)]);
    out.push_back(std::move(l));
  }
  return true;
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
