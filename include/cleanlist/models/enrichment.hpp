#pragma once
// Enrichment endpoints: POST /enrichment/person, /company, /by-task, /bulk and
// GET /enrichment/status/{workflow_id}.

#include <cleanlist/models/common.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cleanlist {

// ---------------------------------------------------------------- requests

/// POST /enrichment/person body. Identity: email, linkedin_url, person_id, or
/// first_name + last_name + (company_name or domain). `lead_list_id` is optional here (the
/// quickstart allows omitting it: the server then uses its "MCP Results" list).
struct enrich_person_request {
  std::optional<std::string> lead_list_id;
  std::optional<std::string> email;
  std::optional<std::string> linkedin_url;
  std::optional<std::string> phone;
  std::optional<std::string> first_name;
  std::optional<std::string> last_name;
  std::optional<std::string> company_name;
  std::optional<std::string> domain;
  std::optional<std::string> person_id;
  std::optional<::cleanlist::enrichment_type> enrichment_type;
  std::optional<bool> include_phone;
  std::optional<std::string> quote_id;
};

/// POST /enrichment/company body (any one identifier).
struct enrich_company_request {
  std::optional<std::string> domain;
  std::optional<std::string> company_name;
  std::optional<std::string> company_ticker;
  std::optional<std::string> company_id;
  std::optional<std::string> quote_id;
};

/// POST /enrichment/by-task body.
struct enrich_by_task_request {
  std::string task_id;                         ///< cohort handle (cl-task_...)
  std::vector<std::string> data_points;        ///< >= 1 (Email, Phone, LinkedIn / Industry, ...)
  std::optional<std::vector<std::string>> entity_ids;
  std::optional<std::string> lead_list_id;
  std::optional<std::string> quote_id;
};

/// POST /enrichment/bulk body (serialises `list_id`, `scope`, `quote_id`).
struct enrich_list_request {
  std::string list_id;
  std::optional<bulk_scope> scope;             ///< server default partial
  std::string quote_id;                        ///< required
};

// ---------------------------------------------------------------- responses

struct enrich_person_response : envelope {
  std::string workflow_id;
  std::string status;                          ///< "pending"
  std::int64_t credits_reserved = 0;
  std::string lead_list_id;
  std::string poll_url;
};

/// CompanyRecord: every field optional; additional properties are allowed (see `raw`).
struct company_record : envelope {
  std::optional<std::string> company_id;
  std::optional<std::string> name;
  std::optional<std::string> domain;
  std::optional<std::string> industry;
  std::optional<std::vector<std::string>> industries;
  std::optional<std::int64_t> employee_count;
  std::optional<std::string> employee_count_range;
  std::optional<std::string> revenue_range;
  std::optional<std::string> hq_location;
  std::optional<std::string> funding_stage;
  std::optional<std::int64_t> total_funding_usd;
  std::optional<std::vector<std::string>> tech_stack;
  std::optional<std::string> linkedin_url;
};

struct enrich_company_response : envelope {
  company_record company;
  std::int64_t credits_charged = 0;
};

struct enrich_by_task_entity_result : envelope {
  std::string entity_id;
  std::string status;                          ///< queued | enriched | skipped | failed (kept open)
  std::optional<std::string> error;
  std::optional<company_record> company;
};

struct enrich_by_task_response : envelope {
  std::string entity_kind;                     ///< person | company
  std::optional<std::string> workflow_id;      ///< person cohorts only
  std::string status;                          ///< pending | completed
  std::int64_t total_entities = 0;
  std::int64_t credits_reserved = 0;
  std::vector<enrich_by_task_entity_result> results;
};

struct enrich_list_response : envelope {
  std::string workflow_id;
  std::string status;                          ///< "pending"
  std::int64_t total_leads = 0;
  std::int64_t estimated_cost = 0;
  std::int64_t credits_reserved = 0;
  std::string poll_url;
};

/// SingleEnrichmentResultRead (inline `result` of a single-person workflow, terminal only).
struct single_enrichment_result : envelope {
  std::string lead_id;                         ///< empty when the cascade found nothing
  std::string status;                          ///< completed | failed
  std::optional<std::string> full_name;
  std::optional<std::string> first_name;
  std::optional<std::string> last_name;
  std::optional<std::string> email;
  std::optional<std::string> email_status;
  std::optional<std::string> phone;
  std::optional<std::string> linkedin_url;
  std::optional<std::string> title;
  std::optional<std::string> company;
  std::optional<std::string> enrichment_type;
  std::optional<std::string> provider;
};

/// GET /enrichment/status/{workflow_id}.
struct workflow_status_response : envelope {
  std::string workflow_id;
  std::string status;                          ///< open set; see is_terminal_status()
  std::optional<std::int64_t> progress;
  std::optional<std::int64_t> total;
  std::optional<std::int64_t> processed;
  std::optional<std::int64_t> completed;
  std::optional<std::int64_t> failed;
  std::optional<std::string> enrichment_type;
  std::optional<std::string> lead_list_id;
  std::optional<boost::json::object> summary;
  std::optional<std::string> refund_status;    ///< not_applicable | pending_review
  std::optional<std::string> refund_message;
  std::optional<single_enrichment_result> result;
  std::optional<std::int64_t> credits_charged;
  std::optional<std::int64_t> credits_refunded;

  bool is_terminal() const noexcept { return is_terminal_status(status); }
};

// ---------------------------------------------------------------- conversions

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const enrich_person_request& r);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const enrich_company_request& r);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const enrich_by_task_request& r);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const enrich_list_request& r);

enrich_person_response tag_invoke(boost::json::value_to_tag<enrich_person_response>,
                                  const boost::json::value& jv);
company_record tag_invoke(boost::json::value_to_tag<company_record>, const boost::json::value& jv);
enrich_company_response tag_invoke(boost::json::value_to_tag<enrich_company_response>,
                                   const boost::json::value& jv);
enrich_by_task_entity_result tag_invoke(boost::json::value_to_tag<enrich_by_task_entity_result>,
                                        const boost::json::value& jv);
enrich_by_task_response tag_invoke(boost::json::value_to_tag<enrich_by_task_response>,
                                   const boost::json::value& jv);
enrich_list_response tag_invoke(boost::json::value_to_tag<enrich_list_response>,
                                const boost::json::value& jv);
single_enrichment_result tag_invoke(boost::json::value_to_tag<single_enrichment_result>,
                                    const boost::json::value& jv);
workflow_status_response tag_invoke(boost::json::value_to_tag<workflow_status_response>,
                                    const boost::json::value& jv);

} // namespace cleanlist
