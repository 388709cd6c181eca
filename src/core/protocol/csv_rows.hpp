#pragma once
// Sans-io pieces of the bulk path of enrich_many: contacts -> CSV chunks for the CSV import,
// and matching enriched leads back to the contacts they came from.
#include <cleanlist/models.hpp>

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace cleanlist::api {

/// CSV import cap of the API (raw bytes per request).
inline constexpr std::size_t max_csv_bytes = 150000;  // "150 KB", the safe reading
/// Rows one import takes: the server skips the rest as `row_cap_exceeded`.
inline constexpr std::size_t max_csv_rows = 1000;

/// True when the contact can be imported by CSV (email, linkedin_url, or names + company/domain).
bool csv_eligible(const enrich_person_request& c);

/// The column_mapping that goes with csv_chunks (canonical field -> header).
std::map<std::string, std::string> csv_column_mapping();

/// Splits the contacts into CSV documents (header + rows), each at most max_bytes (RFC 4180
/// quoting) and max_rows rows. A single row larger than max_bytes still gets a chunk of its own
/// (the server will refuse it).
std::vector<std::string> csv_chunks(const std::vector<const enrich_person_request*>& rows, std::size_t max_bytes,
                                    std::size_t max_rows = max_csv_rows);

/// Quotes one CSV field when needed.
std::string csv_field(std::string_view v);

/// Finds the lead a contact became: by email, else LinkedIn URL, else first+last name
/// (and company when several leads share the name). Case-insensitive.
class lead_matcher {
public:
  explicit lead_matcher(const std::vector<lead_row>& leads);
  const lead_row* find(const enrich_person_request& c) const;

private:
  std::unordered_map<std::string, const lead_row*> by_email_, by_linkedin_;
  std::unordered_multimap<std::string, const lead_row*> by_name_;
};

/// Lower-cases and trims; LinkedIn URLs lose scheme, "www." and trailing '/'.
std::string normalise_key(std::string_view s);
std::string normalise_linkedin(std::string_view s);

} // namespace cleanlist::api
