// The contract the simulator enforces before its handlers run: the embedded OpenAPI v2 schema on
// /api/v2, the same schema with the documented v1 relaxations on /api/v1/public; and the public
// entry points of include/cleanlist/testing/schema.hpp.
#include "testing/sim_schema.hpp"

#include <cleanlist/testing/schema.hpp>

#include <algorithm>

namespace cleanlist::testing::detail {

namespace {

constexpr std::string_view v1_prefix = "/api/v1/public";
constexpr std::string_view v2_prefix = "/api/v2";

// The v1 relaxations that are schema changes, applied to a copy of the document (README,
// "Decisions"): EnrichPersonRequest.lead_list_id is optional (quickstart: omitted -> the "MCP
// Results" list), and CsvImportRequest.column_mapping keys are open (the reference's own
// examples map title, company, domain, location, which the v2 schema's closed key set
// refuses). The bulk alias lead_list_id -> list_id is a rename, see check_request.
json::value v1_document() {
  json::value doc = json::parse(embedded_openapi_v2());
  auto& schemas = doc.at("components").at("schemas").as_object();
  auto& req = schemas.at("EnrichPersonRequest").as_object()["required"].as_array();
  req.erase(std::remove(req.begin(), req.end(), json::value("lead_list_id")), req.end());
  schemas.at("CsvImportRequest").as_object().at("properties").as_object().at("column_mapping").as_object().erase(
      "propertyNames");
  return doc;
}

const openapi_validator& v1_validator() {
  static const openapi_validator v(v1_document());
  return v;
}

// "/api/v1/public/x" -> {true, "/api/v2/x"}; "/api/v2/x" -> {false, same}; "/x" -> {false, "/api/v2/x"}
std::pair<bool, std::string> normalise(std::string_view path) {
  if (path.starts_with(v1_prefix) && (path.size() == v1_prefix.size() || path[v1_prefix.size()] == '/'))
    return {true, std::string(v2_prefix) + std::string(path.substr(v1_prefix.size()))};
  if (path.starts_with(v2_prefix) && (path.size() == v2_prefix.size() || path[v2_prefix.size()] == '/'))
    return {false, std::string(path)};
  return {false, std::string(v2_prefix) + (path.starts_with('/') ? "" : "/") + std::string(path)};
}

} // namespace

std::vector<schema_error> check_request(std::string_view method, std::string_view path, const query_params& q,
                                        const json::value* body, bool* known) {
  std::vector<schema_error> out;
  auto [v1, p] = normalise(path);
  const openapi_validator& val = v1 ? v1_validator() : openapi_validator::embedded();
  const operation_spec* op = val.find(method, p);
  if (known) *known = op != nullptr;
  if (!op) return out;
  val.validate_query(*op, q, out);
  // v1: POST /enrichment/bulk takes lead_list_id as an alias of list_id (quickstart). Both at
  // once: lead_list_id is an extra field, as with a pydantic alias and extra="forbid".
  if (v1 && op->path == "/api/v2/enrichment/bulk" && body && body->is_object() &&
      body->as_object().contains("lead_list_id") && !body->as_object().contains("list_id")) {
    json::object renamed;
    for (const auto& [k, v] : body->as_object()) renamed[k == "lead_list_id" ? std::string_view("list_id") : std::string_view(k)] = v;
    json::value alias(std::move(renamed));
    std::size_t first = out.size();
    val.validate_body(*op, &alias, out);
    for (std::size_t i = first; i < out.size(); ++i)
      if (out[i].loc.size() >= 2 && out[i].loc[1] == "list_id") out[i].loc[1] = "lead_list_id";
    return out;
  }
  val.validate_body(*op, body && !body->is_null() ? body : nullptr, out);
  return out;
}

bool takes_body(std::string_view method, std::string_view path) {
  auto [v1, p] = normalise(path);
  const operation_spec* op = (v1 ? v1_validator() : openapi_validator::embedded()).find(method, p);
  return op && op->body;
}

} // namespace cleanlist::testing::detail

namespace cleanlist::testing {

namespace {
std::vector<detail::schema_error> check(std::string_view method, std::string_view path, std::string_view query,
                                        const boost::json::value* body) {
  if (auto qm = path.find('?'); qm != std::string_view::npos) {
    if (query.empty()) query = path.substr(qm + 1);
    path = path.substr(0, qm);
  }
  bool known = false;
  auto errs = detail::check_request(method, path, detail::parse_query_string(query), body, &known);
  if (!known) {
    detail::schema_error e;
    e.loc.emplace_back("path");
    e.type = "unknown_operation";
    e.msg = std::string(method) + " " + std::string(path) + " is not an operation of the schema";
    e.input = boost::json::string(path);
    errs.push_back(std::move(e));
  }
  return errs;
}
} // namespace

std::vector<std::string> validate_request(std::string_view method, std::string_view path, std::string_view query,
                                          const boost::json::value* body) {
  std::vector<std::string> r;
  for (const auto& e : check(method, path, query, body)) r.push_back(e.to_string());
  return r;
}

boost::json::array validate_request_detail(std::string_view method, std::string_view path, std::string_view query,
                                           const boost::json::value* body) {
  boost::json::array a;
  for (const auto& e : check(method, path, query, body)) a.emplace_back(e.to_json());
  return a;
}

std::string_view openapi_v2_document() { return detail::embedded_openapi_v2(); }

} // namespace cleanlist::testing
