#pragma once
// A small, sans-io JSON-Schema validator for the subset of JSON Schema (2020-12 / OpenAPI 3.1)
// that the Cleanlist OpenAPI v2 document uses for request bodies and query parameters, reporting
// violations the way FastAPI/pydantic v2 does (422 `detail[]` items: type, loc, msg, input, ctx).
//
// Keywords: $ref (inside the document), type (string or array of names), enum, const, anyOf,
// oneOf, allOf, properties, required, additionalProperties (bool or schema), propertyNames,
// minProperties, maxProperties, items, minItems, maxItems, minLength, maxLength (counted in
// characters = UTF-8 code points), minimum, maximum, exclusiveMinimum, exclusiveMaximum.
// Annotations (title, description, default, examples, example, format) are ignored.
//
// Types are JSON-Schema types, with no coercion in bodies ("5" is not an integer, 5.0 is);
// query values are strings parsed as the parameter's type first (as FastAPI does).
#include <boost/json.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cleanlist::testing::detail {

namespace json = boost::json;

/// One violation, shaped like a FastAPI/pydantic v2 validation error.
struct schema_error {
  json::array loc;   ///< e.g. ["body", "name"], ["query", "limit"], ["body", "lead_ids", 0]
  std::string type;  ///< pydantic error type: missing, extra_forbidden, string_too_long, ...
  std::string msg;
  json::value input; ///< the offending value (the whole object for `missing` in a body)
  json::object ctx;  ///< constraint context (omitted from JSON when empty)

  json::object to_json() const;  ///< {"type","loc","msg","input"[,"ctx"]}
  std::string to_string() const; ///< "body.lead_ids.0: string_type: Input should be a valid string"
};

using query_params = std::vector<std::pair<std::string, std::string>>;

struct param_spec {
  std::string name;
  bool required = false;
  const json::value* schema = nullptr;
};

/// One operation of the document (pointers point into the owning validator's document).
struct operation_spec {
  std::string method;       ///< upper case
  std::string path;         ///< template as written in the document, e.g. "/api/v2/lead-lists/{list_id}"
  std::string operation_id;
  const json::value* body = nullptr; ///< application/json request body schema; nullptr: none
  bool body_required = false;
  std::vector<param_spec> query;     ///< query parameters, document order
};

class openapi_validator {
public:
  /// Indexes the operations of an OpenAPI 3.x document; throws std::invalid_argument when
  /// `document` has no `paths` object.
  explicit openapi_validator(json::value document);
  openapi_validator(const openapi_validator&) = delete; // operations point into the document
  openapi_validator& operator=(const openapi_validator&) = delete;

  /// The vendored v2 contract, embedded at build time (parsed once, thread-safe).
  static const openapi_validator& embedded();

  const json::value& document() const { return doc_; }
  const std::vector<operation_spec>& operations() const { return ops_; }

  /// The operation for `method` (case-insensitive) and `path`: a template of the document or a
  /// concrete path ("/api/v2/lead-lists/abc/leads"); literal segments win over `{param}` ones.
  /// nullptr when none matches.
  const operation_spec* find(std::string_view method, std::string_view path) const;

  /// Query parameters (already percent-decoded): missing required ones, values parsed as the
  /// parameter's type (the last occurrence wins for scalars; arrays take every occurrence), then
  /// validated. Errors get loc ["query", name] and the raw string as input.
  void validate_query(const operation_spec& op, const query_params& q, std::vector<schema_error>& out) const;
  /// The request body (nullptr: absent). No request body in `op`: nothing is checked.
  void validate_body(const operation_spec& op, const json::value* body, std::vector<schema_error>& out) const;
  /// Validates `v` against `schema` (a schema of this document); `loc` is the location of `v`.
  void validate(const json::value& schema, const json::value& v, json::array& loc,
                std::vector<schema_error>& out) const;
  /// "#/components/schemas/X" (JSON pointer inside the document) or nullptr.
  const json::value* resolve(std::string_view ref) const;

private:
  json::value doc_;
  std::vector<operation_spec> ops_;
};

/// The simulator's contract check of one request (sim_contract.cpp): `path` is a concrete path or
/// a template under /api/v2 (the schema, exactly) or /api/v1/public (the schema with the v1
/// relaxations of the README: person without lead_list_id, bulk lead_list_id alias). Query
/// errors first, then body errors. `known` (optional) tells whether the
/// operation is in the schema; an operation that is not passes.
std::vector<schema_error> check_request(std::string_view method, std::string_view path, const query_params& q,
                                        const json::value* body, bool* known = nullptr);

/// Whether the schema gives the operation a request body (FastAPI parses no other body).
bool takes_body(std::string_view method, std::string_view path);

/// Number of characters (code points) of UTF-8 text.
std::size_t utf8_length(std::string_view s);
/// Splits and percent-decodes a query string ("a=1&b=x%20y", '+' is a space).
query_params parse_query_string(std::string_view q);
/// The vendored cleanlist-openapi-v2.json, embedded at build time (generated source).
std::string_view embedded_openapi_v2();

/// Percent-decoding of a query component ('+' is a space; malformed escapes kept as they are).
std::string pct_decode(std::string_view s);

} // namespace cleanlist::testing::detail
