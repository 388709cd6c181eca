#pragma once
// Legacy v1-only endpoints (/api/v1/public): GET /auth/validate-key, POST /enrich/bulk,
// GET /enrich/status, GET /webhooks/deliveries. Response shapes of the last two are not
// documented; the structs keep the few known fields and the whole body in `raw`.

#include <cleanlist/models/common.hpp>

#include <boost/json/array.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cleanlist {

// ---------------------------------------------------------------- requests

/// One contact of POST /enrich/bulk: linkedin_url, or first+last+(company_domain or company_name).
struct legacy_contact {
  std::optional<std::string> linkedin_url;
  std::optional<std::string> first_name;
  std::optional<std::string> last_name;
  std::optional<std::string> company_domain;
  std::optional<std::string> company_name;
  std::optional<std::string> email;
};

/// POST /enrich/bulk body.
struct legacy_bulk_request {
  std::optional<std::string> enrichment_type;  ///< none | partial | phone_only | full | prospecting_only
  std::optional<std::string> webhook_url;
  std::vector<legacy_contact> contacts;        ///< 1..250
};

/// GET /enrich/status query: exactly one of workflow_id / task_id (no body).
struct legacy_status_request {
  std::optional<std::string> workflow_id;
  std::optional<std::string> task_id;
};

// ---------------------------------------------------------------- responses

struct validate_key_response : envelope {
  bool valid = false;
  std::string user_id;                         ///< required when valid
  std::string organization_id;                 ///< required when valid
};

/// POST /enrich/bulk answer; `message` is envelope::message.
struct legacy_bulk_response : envelope {
  std::string workflow_id;
  std::string status;                          ///< "processing"
  std::vector<std::string> task_ids;           ///< one per contact, input order
  std::int64_t total_contacts = 0;
};

/// GET /enrich/status answer (shape undocumented): `task_id` is envelope::task_id.
struct legacy_status_response : envelope {
  std::optional<std::string> workflow_id;
  std::string status;
};

/// GET /webhooks/deliveries answer (shape undocumented). A bare JSON array body is accepted
/// as the deliveries (raw then stays empty).
struct webhook_deliveries_response : envelope {
  std::optional<std::string> workflow_id;
  boost::json::array deliveries;               ///< empty when absent
};

// ---------------------------------------------------------------- conversions

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const legacy_contact& c);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const legacy_bulk_request& r);

validate_key_response tag_invoke(boost::json::value_to_tag<validate_key_response>, const boost::json::value& jv);
legacy_bulk_response tag_invoke(boost::json::value_to_tag<legacy_bulk_response>, const boost::json::value& jv);
legacy_status_response tag_invoke(boost::json::value_to_tag<legacy_status_response>, const boost::json::value& jv);
webhook_deliveries_response tag_invoke(boost::json::value_to_tag<webhook_deliveries_response>,
                                       const boost::json::value& jv);

} // namespace cleanlist
