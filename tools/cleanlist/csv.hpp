#pragma once
// RFC 4180 CSV reading and writing, and the header aliases shared by enrich-csv and
// `lists import` (first_name/first name/firstname, company/company_name, website/domain, ...).
#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace cleanlist_cli {

using csv_row = std::vector<std::string>;

/// Quoted fields with "" escapes and embedded separators/newlines, CRLF or LF, a UTF-8 BOM;
/// blank lines skipped. False (and `problem`) on an unterminated quote.
bool parse_csv(std::string_view text, std::vector<csv_row>& out, std::string& problem);
std::string csv_field(std::string_view v);
void write_csv_row(std::ostream& os, const csv_row& r);
/// The whole file, or input_error.
std::string read_file(const std::string& path);

/// Lower-case letters and digits only: "First Name" -> "firstname".
std::string header_key(std::string_view h);

/// Contact fields enrich-csv reads from a row.
enum field_id { f_first, f_last, f_company, f_domain, f_email, f_linkedin, f_count };
/// The field a header names (header_key'ed), or f_count.
field_id field_of(const std::string& key);
/// The API's canonical CSV-import field (first_name, ..., company_domain, job_title, city,
/// state, country, phone, full_name) a header names, or "".
std::string canonical_field_of(std::string_view header);

std::string trim(std::string_view s);
std::string lower(std::string s);
/// "https://www.Acme.com/about" -> "acme.com".
std::string normalise_domain(std::string d);

} // namespace cleanlist_cli
