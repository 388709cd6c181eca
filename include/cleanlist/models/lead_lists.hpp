#pragma once
// Lead-list endpoints: CRUD on /lead-lists, list/add/remove leads, CSV import.

#include <cleanlist/models/common.hpp>

#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cleanlist {

// ---------------------------------------------------------------- requests

/// POST /lead-lists body (CreateListRequest).
struct create_list_request {
  std::string name;                        ///< 1..200 chars
  std::optional<std::string> description;
  std::optional<std::string> folder_id;
};

/// GET /lead-lists query (no body).
struct list_lists_request {
  std::optional<int> limit;                ///< 1..100, server default 50
  std::optional<std::string> cursor;
  std::optional<std::string> folder_id;
};

/// PATCH /lead-lists/{list_id}. For description / folder_id: outer nullopt = absent (unchanged),
/// inner nullopt = JSON null (clears the description / unfiles the list).
struct update_list_request {
  std::string list_id;                     ///< path
  std::optional<std::string> name;
  std::optional<std::optional<std::string>> description;
  std::optional<std::optional<std::string>> folder_id;
};

/// GET /lead-lists/{list_id}/leads (no body).
struct list_leads_request {
  std::string list_id;                     ///< path
  std::optional<int> limit;                ///< 1..500, server default 100
  std::optional<std::string> cursor;
};

/// POST /lead-lists/{list_id}/leads. Exactly one mode:
///   mode A: lead_ids non-empty (AddByLeadIds), task_id/entity_ids absent;
///   mode B: task_id set (AddByCohort), lead_ids empty, entity_ids optional.
struct add_leads_request {
  std::string list_id;                     ///< path
  std::vector<std::string> lead_ids;
  std::optional<std::string> task_id;
  std::optional<std::vector<std::string>> entity_ids;
  std::optional<std::string> idempotency_key;  ///< <= 128 chars
};

/// DELETE /lead-lists/{list_id}/leads (JSON body {lead_ids}).
struct remove_leads_request {
  std::string list_id;                     ///< path
  std::vector<std::string> lead_ids;       ///< 1..100
};

/// POST /lead-lists/{list_id}/csv-import. `csv_content` is the RAW CSV text; the conversion
/// base64-encodes it into `csv_content_base64`.
struct csv_import_request {
  std::string list_id;                     ///< path
  std::string csv_content;                 ///< raw CSV, <= 150000 bytes ("150 KB", the safe reading)
  std::map<std::string, std::string> column_mapping;  ///< canonical field -> CSV header, >= 1
  std::optional<bool> dispatch_enrichment; ///< server default true
  std::optional<::cleanlist::enrichment_type> enrichment_type;
  std::optional<std::string> quote_id;
  std::optional<std::string> idempotency_key;
};

// ---------------------------------------------------------------- responses

/// ListDetailResponse (create / get / update).
struct list_detail : envelope {
  std::string list_id;
  std::string name;
  std::optional<std::string> description;
  std::int64_t lead_count = 0;
  std::int64_t enriched_count = 0;
  std::optional<std::string> folder_id;
  std::optional<std::string> created_at;
  bool reused = false;
};

struct list_summary : envelope {
  std::string list_id;
  std::string name;
  std::int64_t lead_count = 0;
  std::optional<std::string> folder_id;
  std::optional<std::string> created_at;
  std::optional<std::string> owner_name;
  std::optional<std::string> visibility;   ///< private | organization | shared (kept open)
};

struct lists_page : envelope {
  std::vector<list_summary> lists;
  std::int64_t total = 0;
  std::optional<std::string> cursor;       ///< nullopt at the end
};

struct delete_list_response : envelope {
  std::string list_id;
  bool deleted = false;
};

struct lead_row : envelope {
  std::string lead_id;
  std::optional<std::string> first_name;
  std::optional<std::string> last_name;
  std::optional<std::string> full_name;
  std::optional<std::string> email;
  std::optional<std::string> phone;
  std::optional<std::string> title;
  std::optional<std::string> company;
  std::optional<std::string> location;
  std::optional<std::string> linkedin_url;
  std::optional<std::string> provider;
};

struct leads_page : envelope {
  std::string list_id;
  std::vector<lead_row> leads;
  std::int64_t total = 0;
  std::optional<std::string> cursor;
};

struct add_leads_response : envelope {
  std::string list_id;
  std::int64_t added = 0;
  std::int64_t skipped_duplicates = 0;
  std::optional<std::int64_t> created;
  double credits_charged = 0;              ///< schema: number, default 0
};

struct remove_leads_response : envelope {
  std::string list_id;
  std::int64_t removed = 0;
};

struct csv_import_response : envelope {
  std::string list_id;
  std::int64_t rows_parsed = 0;
  std::int64_t rows_imported = 0;
  std::int64_t rows_skipped = 0;
  std::map<std::string, std::int64_t> skip_reasons;
  std::vector<std::int64_t> sample_skip_rows;
  std::optional<std::string> workflow_id;
  std::optional<std::string> enrichment_status_url;
  bool idempotency_replayed = false;
};

// ---------------------------------------------------------------- conversions

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const create_list_request& r);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const update_list_request& r);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const add_leads_request& r);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const remove_leads_request& r);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const csv_import_request& r);

list_detail tag_invoke(boost::json::value_to_tag<list_detail>, const boost::json::value& jv);
list_summary tag_invoke(boost::json::value_to_tag<list_summary>, const boost::json::value& jv);
lists_page tag_invoke(boost::json::value_to_tag<lists_page>, const boost::json::value& jv);
delete_list_response tag_invoke(boost::json::value_to_tag<delete_list_response>, const boost::json::value& jv);
lead_row tag_invoke(boost::json::value_to_tag<lead_row>, const boost::json::value& jv);
leads_page tag_invoke(boost::json::value_to_tag<leads_page>, const boost::json::value& jv);
add_leads_response tag_invoke(boost::json::value_to_tag<add_leads_response>, const boost::json::value& jv);
remove_leads_response tag_invoke(boost::json::value_to_tag<remove_leads_response>, const boost::json::value& jv);
csv_import_response tag_invoke(boost::json::value_to_tag<csv_import_response>, const boost::json::value& jv);

} // namespace cleanlist
