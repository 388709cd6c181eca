#pragma once
// Smart-agent endpoints: POST /smart-agents/run, GET /smart-agents,
// GET /smart-agents/{smart_agent_task_id}.

#include <cleanlist/models/common.hpp>

#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cleanlist {

// ---------------------------------------------------------------- requests

/// POST /smart-agents/run body (RunSmartAgentRequest).
struct run_smart_agent_request {
  std::string list_id;
  /// custom_ai (server default) | cold_intro_email | title_normalizer | company_intel |
  /// pain_point_hypothesis
  std::optional<std::string> agent_type;
  std::optional<std::string> prompt;       ///< required when agent_type is (or defaults to) custom_ai
  std::string column_name;                 ///< 1..100 chars
  std::optional<std::string> lead_scope;   ///< subset (server default) | all
  std::optional<std::int64_t> max_rows;    ///< 1..10000, server default 100
  std::string quote_id;                    ///< required
  std::optional<bool> overwrite;
};

/// GET /smart-agents query (no body).
struct list_smart_agents_request {
  std::optional<std::string> list_id;
  std::optional<int> limit;                ///< 1..100, server default 20
};

// ---------------------------------------------------------------- responses

struct run_smart_agent_response : envelope {
  std::string smart_agent_task_id;
  std::map<std::string, std::string> smart_agent_task_ids;  ///< agent_type -> run id
  std::string status;
  std::string list_id;
  std::string column_name;
  std::int64_t estimated_cost = 0;
};

struct smart_agent_run : envelope {
  /// The run id (required). Hides envelope::task_id, which holds the same value.
  std::string task_id;
  std::string list_id;
  std::string column_name;
  std::string agent_type;
  std::string status;
  std::int64_t total = 0;
  std::int64_t processed = 0;
  std::int64_t failed = 0;
  std::optional<std::string> created_at;
};

struct list_smart_agents_response : envelope {
  std::vector<smart_agent_run> runs;
  std::int64_t total = 0;
};

struct smart_agent_result_row : envelope {
  std::string lead_id;
  boost::json::value value;                ///< any JSON; null when absent
  std::optional<std::string> error;
};

struct smart_agent_results_response : envelope {
  std::string smart_agent_task_id;
  std::string status;                      ///< pending | processing | completed | failed
  std::int64_t progress = 0;               ///< percent 0..100
  std::int64_t total = 0;
  std::int64_t succeeded = 0;
  std::int64_t failed = 0;
  std::vector<smart_agent_result_row> results;
};

// ---------------------------------------------------------------- conversions

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const run_smart_agent_request& r);

run_smart_agent_response tag_invoke(boost::json::value_to_tag<run_smart_agent_response>,
                                    const boost::json::value& jv);
smart_agent_run tag_invoke(boost::json::value_to_tag<smart_agent_run>, const boost::json::value& jv);
list_smart_agents_response tag_invoke(boost::json::value_to_tag<list_smart_agents_response>,
                                      const boost::json::value& jv);
smart_agent_result_row tag_invoke(boost::json::value_to_tag<smart_agent_result_row>,
                                  const boost::json::value& jv);
smart_agent_results_response tag_invoke(boost::json::value_to_tag<smart_agent_results_response>,
                                        const boost::json::value& jv);

} // namespace cleanlist
