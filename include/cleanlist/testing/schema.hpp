#pragma once
// cleanlist::testing — request conformance against the official Cleanlist OpenAPI v2 schema.
//
// The simulator checks every request of the 24 schema operations against the vendored schema
// (api/cleanlist-openapi-v2.json, embedded into the library at build time: nothing is read at
// runtime) before its handlers run, and answers what the schema refuses with FastAPI's 422
// `{"detail": [{"type", "loc", "msg", "input", "ctx"?}]}`. These functions expose the same check
// so a client test can prove that a request it builds conforms, without a server:
//
//   auto body = boost::json::parse(R"({"email":"jane@acme.io","lead_list_id":"ll_1"})");
//   CHECK(cleanlist::testing::validate_request("POST", "/api/v2/enrichment/person", "", &body).empty());
//
// Paths. `path` is a concrete request path ("/api/v2/lead-lists/9c1f.../leads") or a template of
// the schema ("/api/v2/lead-lists/{list_id}/leads"); a "?query" suffix is split off and used
// when `query` is empty. The prefix chooses the contract:
//   - "/api/v2/..." (or a path without a prefix, e.g. "/enrichment/person"): the schema, exactly;
//   - "/api/v1/public/...": the schema plus the simulator's two documented v1 relaxations, the
//     quickstart's forms (src/testing/README.md): `POST /enrichment/person` may omit
//     `lead_list_id`, and `POST /enrichment/bulk` takes `lead_list_id` as an alias of `list_id`
//     (not both at once).
//
// What is checked: the JSON request body (`body == nullptr`: no body; a JSON null counts as no
// body, as in FastAPI) — required fields, additionalProperties:false, enums, min/maxLength in
// characters (UTF-8 code points), minimum/maximum, min/maxItems, min/maxProperties,
// propertyNames, types (strict JSON types: "5" is not an integer), nullable (anyOf with null),
// oneOf and $ref — and the query parameters (percent-encoded `query` without the '?': required
// ones, values parsed as their type, the last occurrence of a scalar wins, arrays repeat the
// name: `columns=a&columns=b`). Path parameters are plain strings and always conform. Business
// rules beyond the schema (e.g. "an identifier is required", "an empty PATCH is a 422") are not
// part of this check.
//
// Thread safety: all functions are thread-safe (the embedded schema is parsed once, lazily).

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace cleanlist::testing {

/// The violations of one request, one line each, formatted "loc: type: msg", e.g.
/// "body.lead_list_id: missing: Field required" or "query.limit: less_than_equal: Input should be
/// less than or equal to 100". Empty: the request conforms. An operation the schema does not
/// define (unknown path, or a method the path does not have) yields the single line
/// "path: unknown_operation: METHOD PATH is not an operation of the schema".
std::vector<std::string> validate_request(std::string_view method, std::string_view path, std::string_view query,
                                          const boost::json::value* body);

/// The same check, as the FastAPI 422 `detail` items the simulator would answer (query errors
/// first, then body errors; an unknown operation yields one item of type "unknown_operation"
/// with loc ["path"]). Empty: the request conforms.
boost::json::array validate_request_detail(std::string_view method, std::string_view path, std::string_view query,
                                           const boost::json::value* body);

/// The vendored OpenAPI v2 document the simulator enforces, byte for byte.
std::string_view openapi_v2_document();

} // namespace cleanlist::testing
