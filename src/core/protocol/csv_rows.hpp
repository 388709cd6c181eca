#pragma once
// Sans-io pieces of the bulk path of enrich_many: contacts -> CSV chunks for the CSV import,
// and matching enriched leads back to the contacts they came from.
#include <cleanlist/models.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace cleanlist::api {

/// CSV import cap of the API (raw bytes per request).
inline constexpr std::size_t max_csv_bytes = 150000;  // "150 KB", the safe reading
/// No row cap is documented (only the byte cap, "~600 rows" of typical rows, and the skip
/// reason `row_cap_exceeded`): chunks are cut by bytes, and csv_import_plan adapts to a cap
/// the server reveals.
inline constexpr std::size_t no_row_cap = static_cast<std::size_t>(-1);

/// True when the contact can be imported by CSV (email, linkedin_url, or names + company/domain).
bool csv_eligible(const enrich_person_request& c);

/// The column_mapping that goes with csv_chunks (canonical field -> header).
std::map<std::string, std::string> csv_column_mapping();

/// The contacts to import once each: a contact whose email or LinkedIn URL (normalised as
/// lead_matcher does) an earlier kept contact has is dropped (the matcher finds it the lead
/// of that one). The server deduplicates within one upload only: without this a duplicate in
/// another chunk would become a second lead, enriched and charged twice. Order kept.
std::vector<const enrich_person_request*> distinct_rows(const std::vector<const enrich_person_request*>& rows);

/// Splits the contacts into CSV documents (header + rows), each at most max_bytes (RFC 4180
/// quoting) and max_rows rows. A single row larger than max_bytes still gets a chunk of its own
/// (the server will refuse it).
std::vector<std::string> csv_chunks(const std::vector<const enrich_person_request*>& rows, std::size_t max_bytes,
                                    std::size_t max_rows = no_row_cap);

/// The CSV imports of a bulk run, one after the other, adapting to a row cap the server
/// reveals. The server checks its cap before any other skip reason, so once it is reached
/// every later row of that upload is skipped as `row_cap_exceeded`: a response reporting
/// S such rows means the chunk's last S rows were not imported. They open the next chunk,
/// and every later chunk holds at most the rows that import took.
///
///   csv_import_plan plan(contacts, max_csv_bytes);
///   while (!plan.done()) { send(plan.next_chunk()); if (auto bad = plan.on_response(r.rows_imported, cap_skipped); !bad.empty()) fail(bad); }
class csv_import_plan {
public:
  csv_import_plan(const std::vector<const enrich_person_request*>& rows, std::size_t max_bytes,
                  std::size_t max_rows = no_row_cap);

  bool done() const noexcept { return next_ == lines_.size() && in_flight_ == 0; }
  /// The next chunk (header + rows from the first row not yet imported). Call once per
  /// response: a second call before on_response() returns the same rows.
  std::string next_chunk();
  /// Rows in the chunk last returned by next_chunk().
  std::size_t chunk_rows() const noexcept { return in_flight_; }
  /// The import's answer: `rows_imported`, and `cap_skipped` = skip_reasons.row_cap_exceeded
  /// (0 when absent). Empty on success; else why the plan cannot go on (an answer that
  /// contradicts the chunk, or a cap that admits no row): the caller stops importing.
  std::string on_response(std::int64_t rows_imported, std::int64_t cap_skipped);
  /// The row cap in force (no_row_cap until the server revealed one).
  std::size_t row_cap() const noexcept { return max_rows_; }
  /// Rows re-sent because a cap skipped them.
  std::size_t resent_rows() const noexcept { return resent_; }

private:
  std::vector<std::string> lines_;
  std::size_t max_bytes_, max_rows_;
  std::size_t next_ = 0;       // first row not in a chunk yet
  std::size_t in_flight_ = 0;  // rows of the chunk awaiting its answer
  std::size_t resent_ = 0;
};

/// The columns a bulk read-back asks the CSV export for: the default set carries no
/// `provider`, which tells an enriched lead from one the run found nothing for.
std::vector<std::string> export_columns();

/// Reads an exported list (the CSV of export_columns(), or any order of a superset) into
/// lead rows; empty cells are absent values. False with `problem` when the file is malformed
/// (strict RFC 4180, bounded fields), lacks the lead_id or provider column, or a row has a
/// different number of fields than the header.
bool parse_export_csv(std::string_view text, std::vector<lead_row>& out, std::string& problem);

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
