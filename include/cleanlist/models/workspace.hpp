#pragma once
// Workspace endpoints: GET /whoami, GET /credits/balance, POST /credits/estimate,
// GET /api-keys, GET /usage; and the API-key management endpoints /api/v1/api-keys
// (Clerk session JWT only, reference §13).

#include <cleanlist/models/common.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cleanlist {

// ---------------------------------------------------------------- requests

/// POST /credits/estimate body (EstimateCostRequest).
struct estimate_request {
  std::string tool;                                ///< required: key of the server cost table
  std::optional<std::string> list_id;
  std::optional<boost::json::object> filters;
  std::optional<std::int64_t> row_count;
  std::optional<std::string> scope;                ///< for enrich_list: partial | full | phone-only
  std::optional<std::string> agent_type;
  std::optional<bool> include_phone;
  std::optional<std::string> provider;
  std::optional<std::string> sub_action;
  std::optional<std::string> enrichment_type;      ///< for bulk_import_csv: partial | phone_only | full
  std::optional<std::string> task_id;
  std::optional<std::vector<std::string>> data_points;
  std::optional<std::vector<std::string>> entity_ids;
  std::optional<boost::json::object> extra;
};

/// GET /usage query (no body).
struct usage_request {
  std::optional<int> days;                 ///< 1..365, server default 7
  std::optional<std::string> group_by;     ///< tool | key | day | error, server default tool
};

/// POST /api/v1/api-keys body (API-key management; Clerk session JWT only). Both optional:
/// an empty request creates a key named by the server that never expires.
struct create_api_key_request {
  std::optional<std::string> name;        ///< 1..200 characters; server default "API key N"
  /// ISO-8601 date or date-time ("2030-01-31", "2030-01-31T12:00:00Z", "...+02:00"); no
  /// offset = UTC. Its shape is checked client-side; a past date is refused by the server
  /// (error::invalid_argument, 400 validation_error). Absent = never expires.
  std::optional<std::string> expires_at;
};

// ---------------------------------------------------------------- responses

struct whoami_response : envelope {
  std::optional<std::string> user_email;   ///< required key, may be null; masked for API keys
  std::optional<std::string> user_id;
  std::optional<std::string> user_name;
  std::string organization_id;
  std::optional<std::string> organization_name;
  std::string auth_type;                   ///< clerk_jwt | api_key | oauth (kept open)
  std::vector<std::string> scopes;
  std::string tier;                        ///< free | starter | pro | enterprise (kept open)
  std::optional<std::int64_t> appsumo_tier;
  std::vector<std::string> features;
};

struct credits_balance_response : envelope {
  std::string organization_id;
  std::int64_t credits = 0;                ///< a fractional JSON number is rounded down
};

struct estimate_response : envelope {
  std::string quote_id;
  std::int64_t expires_at = 0;             ///< epoch SECONDS
  std::int64_t estimated_cost = 0;
  std::string tool;
  std::int64_t row_count = 0;
  std::string filter_hash;
  std::int64_t available_credits = 0;
  bool sufficient = false;
};

struct api_key_info : envelope {
  std::string key_id;
  std::string key_prefix;
  std::string key_last4;
  std::optional<std::string> name;
  std::vector<std::string> scopes;
  std::optional<std::string> created_at;
  std::optional<std::string> last_used_at;
  bool is_active = false;
};

struct api_keys_response : envelope {
  std::vector<api_key_info> keys;
};

/// POST /api/v1/api-keys answer. `api_key` is the full secret, returned this once only (the
/// server keeps prefix + last 4): store it now. It is not redacted from this struct or `raw`.
struct create_api_key_response : envelope {
  std::string api_key;                    ///< "clapi_..."
  std::optional<std::string> created_at;
  std::optional<std::string> expires_at;  ///< null/absent = never expires
  std::optional<std::string> key_id;      ///< for async_revoke_api_key (absent from the reference's example)
  std::optional<std::string> name;
};

/// DELETE /api/v1/api-keys/{key_id} answer (shape not documented: the simulator's
/// {key_id, revoked: true}; a 2xx without `revoked` reads as revoked).
struct revoke_api_key_response : envelope {
  std::optional<std::string> key_id;
  bool revoked = false;
};

struct usage_group_row : envelope {
  std::string group;
  std::int64_t calls = 0;
  double credits_spent = 0;
  std::int64_t errors = 0;
};

struct usage_response : envelope {
  std::int64_t days = 0;
  std::string group_by;
  std::int64_t total_calls = 0;
  double total_credits_spent = 0;
  std::int64_t total_errors = 0;
  std::vector<usage_group_row> rows;
};

// ---------------------------------------------------------------- conversions

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const estimate_request& r);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const create_api_key_request& r);

whoami_response tag_invoke(boost::json::value_to_tag<whoami_response>, const boost::json::value& jv);
credits_balance_response tag_invoke(boost::json::value_to_tag<credits_balance_response>,
                                    const boost::json::value& jv);
estimate_response tag_invoke(boost::json::value_to_tag<estimate_response>, const boost::json::value& jv);
api_key_info tag_invoke(boost::json::value_to_tag<api_key_info>, const boost::json::value& jv);
api_keys_response tag_invoke(boost::json::value_to_tag<api_keys_response>, const boost::json::value& jv);
create_api_key_response tag_invoke(boost::json::value_to_tag<create_api_key_response>,
                                   const boost::json::value& jv);
revoke_api_key_response tag_invoke(boost::json::value_to_tag<revoke_api_key_response>,
                                   const boost::json::value& jv);
usage_group_row tag_invoke(boost::json::value_to_tag<usage_group_row>, const boost::json::value& jv);
usage_response tag_invoke(boost::json::value_to_tag<usage_response>, const boost::json::value& jv);

} // namespace cleanlist
