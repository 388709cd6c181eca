#pragma once
// Client-side validation, run before any request is sent.
// Each validate() returns an empty string when the request is valid, otherwise one clear
// message naming the offending field (e.g. "add_leads_request.lead_ids: at most 1000 ids").

#include <cleanlist/models/enrichment.hpp>
#include <cleanlist/models/export.hpp>
#include <cleanlist/models/lead_lists.hpp>
#include <cleanlist/models/legacy.hpp>
#include <cleanlist/models/smart_agents.hpp>
#include <cleanlist/models/workspace.hpp>
#include <cleanlist/poll.hpp>

#include <string>
#include <string_view>

namespace cleanlist {

/// A path segment id (list_id, workflow_id, smart_agent_task_id, ...): non-empty, not "." or
/// "..", and free of '/', '\\', '?', '#', '%', whitespace and control characters.
/// Empty string = valid; otherwise "path id: <problem>".
std::string validate_path_id(std::string_view id);

/// Polling parameters: initial > 0 (a zero first interval never grows and would spend the
/// key's whole budget on one wait), multiplier >= 1, max_interval > 0, deadline > 0.
std::string validate(const poll_params& p);

std::string validate(const estimate_request& r);
std::string validate(const usage_request& r);
/// name 1..200 characters; expires_at an ISO-8601 date or date-time (shape only).
std::string validate(const create_api_key_request& r);

std::string validate(const create_list_request& r);
std::string validate(const list_lists_request& r);
std::string validate(const update_list_request& r);
std::string validate(const list_leads_request& r);
std::string validate(const add_leads_request& r);
std::string validate(const remove_leads_request& r);
std::string validate(const csv_import_request& r);

std::string validate(const enrich_person_request& r);
std::string validate(const enrich_company_request& r);
std::string validate(const enrich_by_task_request& r);
std::string validate(const enrich_list_request& r);

std::string validate(const run_smart_agent_request& r);
std::string validate(const list_smart_agents_request& r);

std::string validate(const export_csv_request& r);
std::string validate(const export_json_request& r);

std::string validate(const legacy_bulk_request& r);
std::string validate(const legacy_status_request& r);

} // namespace cleanlist
