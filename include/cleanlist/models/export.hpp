#pragma once
// Export endpoints: POST /export/csv/signed-url, GET /export/json.

#include <cleanlist/models/common.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cleanlist {

// ---------------------------------------------------------------- requests

/// POST /export/csv/signed-url body.
struct export_csv_request {
  std::string list_id;
  std::optional<std::vector<std::string>> columns;
  std::optional<bool> include_smart_agents;    ///< server default true
};

/// GET /export/json query (no body). Empty `columns` = parameter absent.
struct export_json_request {
  std::string list_id;
  std::optional<int> limit;                    ///< 1..500, server default 100
  std::optional<std::string> cursor;
  std::vector<std::string> columns;
};

// ---------------------------------------------------------------- responses

struct export_csv_response : envelope {
  std::string list_id;
  std::string download_url;
  std::string expires_at;                      ///< ISO-8601
  std::int64_t row_count = 0;
  std::int64_t file_size_bytes = 0;
};

struct export_json_response : envelope {
  std::string list_id;
  std::vector<boost::json::object> leads;      ///< free-form rows projected to the columns
  std::int64_t total = 0;
  std::optional<std::string> cursor;
};

// ---------------------------------------------------------------- conversions

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const export_csv_request& r);

export_csv_response tag_invoke(boost::json::value_to_tag<export_csv_response>, const boost::json::value& jv);
export_json_response tag_invoke(boost::json::value_to_tag<export_json_response>, const boost::json::value& jv);

} // namespace cleanlist
