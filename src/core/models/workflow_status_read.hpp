#pragma once
// The hot path's reader: GET /enrichment/status bodies straight into the model, without a JSON
// document (a poll loop reads thousands of them). Everything it is not sure of goes back to
// the general reader (value_to<workflow_status_response>), which reports the errors.
#include <cleanlist/models/enrichment.hpp>

#include <string>

namespace cleanlist::models_detail {

/// Reads `body` into `out` when it is exactly what value_to<workflow_status_response> of its
/// parse would give without an error: a JSON object whose typed fields have their types
/// (integers as int64), required fields present, no typed key given twice. Then `body` is
/// taken (`out.raw` and `out.result->raw` keep it, built when first read) and true returned.
/// Otherwise false: `body` is untouched, `out` unspecified.
bool read_workflow_status(std::string& body, workflow_status_response& out);

} // namespace cleanlist::models_detail
