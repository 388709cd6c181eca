#include <cleanlist/models/validation.hpp>

#include <array>
#include <cstddef>

namespace cleanlist {

namespace {

bool present(const std::optional<std::string>& s) noexcept { return s && !s->empty(); }

/// Number of UTF-8 code points (what the server's length limits count); bytes that are not
/// continuation bytes are counted, so malformed input is still bounded by its byte length.
std::size_t chars(std::string_view s) noexcept {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string msg(std::string_view type, std::string_view field, std::string_view what) {
  std::string m;
  m.append(type).append(".").append(field).append(": ").append(what);
  return m;
}

std::string path_id_problem(std::string_view id) {
  if (id.empty()) return "must not be empty";
  if (id == "." || id == "..") return "must not be '.' or '..'";
  for (unsigned char c : id) {
    if (c < 0x20 || c == 0x7F) return "must not contain control characters";
    if (c == ' ') return "must not contain whitespace";
    if (c == '/') return "must not contain '/'";
    if (c == '?') return "must not contain '?'";
    if (c == '#') return "must not contain '#'";
    if (c == '%') return "must not contain '%'";
    if (c == '\\') return "must not contain '\\'";
  }
  return {};
}

std::string check_path_id(std::string_view type, std::string_view field, std::string_view id) {
  auto p = path_id_problem(id);
  return p.empty() ? std::string() : msg(type, field, p);
}

std::string check_limit(std::string_view type, const std::optional<int>& limit, int max) {
  if (limit && (*limit < 1 || *limit > max))
    return msg(type, "limit", "must be between 1 and " + std::to_string(max) + " (got " + std::to_string(*limit) + ")");
  return {};
}

std::string check_non_empty(std::string_view type, std::string_view field, std::string_view v) {
  return v.empty() ? msg(type, field, "must not be empty") : std::string();
}

std::string check_ids(std::string_view type, std::string_view field, const std::vector<std::string>& ids) {
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (ids[i].empty()) return msg(type, std::string(field) + "[" + std::to_string(i) + "]", "must not be empty");
  return {};
}

template <std::size_t N>
bool one_of(std::string_view v, const std::array<std::string_view, N>& set) noexcept {
  for (auto s : set)
    if (s == v) return true;
  return false;
}

template <std::size_t N> std::string join(const std::array<std::string_view, N>& set) {
  std::string out;
  for (auto s : set) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

constexpr std::array<std::string_view, 4> group_by_values{"tool", "key", "day", "error"};
constexpr std::array<std::string_view, 5> agent_types{"custom_ai", "cold_intro_email", "title_normalizer",
                                                      "company_intel", "pain_point_hypothesis"};
constexpr std::array<std::string_view, 2> lead_scopes{"subset", "all"};
constexpr std::array<std::string_view, 5> legacy_types{"none", "partial", "phone_only", "full",
                                                       "prospecting_only"};

bool digits_at(std::string_view s, std::size_t pos, std::size_t n, int lo, int hi) noexcept {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  return v >= lo && v <= hi;
}

/// ISO-8601 as the server parses it: YYYY-MM-DD, optionally followed by [T ]HH:MM[:SS[.fff]]
/// and Z or +-HH:MM (no offset = UTC). Shape only: field ranges, not the calendar.
bool iso8601_shaped(std::string_view s) noexcept {
  if (s.size() > 64 || !digits_at(s, 0, 4, 0, 9999) || s.size() < 10 || s[4] != '-' || !digits_at(s, 5, 2, 1, 12) ||
      s[7] != '-' || !digits_at(s, 8, 2, 1, 31))
    return false;
  std::size_t i = 10;
  if (i == s.size()) return true;
  if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return false;
  if (!digits_at(s, i + 1, 2, 0, 23) || i + 3 >= s.size() || s[i + 3] != ':' || !digits_at(s, i + 4, 2, 0, 59)) return false;
  i += 6;
  if (i < s.size() && s[i] == ':') {
    if (!digits_at(s, i + 1, 2, 0, 60)) return false;
    i += 3;
    if (i < s.size() && s[i] == '.') {
      const auto first = ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
      if (i == first) return false;
    }
  }
  if (i == s.size()) return true;
  if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == s.size()) return true;
  return (s[i] == '+' || s[i] == '-') && i + 6 == s.size() && digits_at(s, i + 1, 2, 0, 23) && s[i + 3] == ':' &&
         digits_at(s, i + 4, 2, 0, 59);
}

#define CL_RETURN_IF(expr)                                                                          \
  do {                                                                                              \
    if (auto m_ = (expr); !m_.empty()) return m_;                                                   \
  } while (0)

} // namespace

std::string validate_path_id(std::string_view id) {
  auto p = path_id_problem(id);
  return p.empty() ? std::string() : "path id: " + p;
}

std::string validate(const poll_params& p) {
  if (p.initial.count() <= 0) return "poll_params.initial must be > 0";
  if (!(p.multiplier >= 1.0)) return "poll_params.multiplier must be >= 1";
  if (p.max_interval.count() <= 0) return "poll_params.max_interval must be > 0";
  if (p.deadline.count() <= 0) return "poll_params.deadline must be > 0";
  return {};
}

// ---------------------------------------------------------------- workspace

std::string validate(const estimate_request& r) {
  constexpr std::string_view t = "estimate_request";
  CL_RETURN_IF(check_non_empty(t, "tool", r.tool));
  if (r.row_count && *r.row_count < 0) return msg(t, "row_count", "must not be negative");
  return {};
}

std::string validate(const usage_request& r) {
  constexpr std::string_view t = "usage_request";
  if (r.days && (*r.days < 1 || *r.days > 365))
    return msg(t, "days", "must be between 1 and 365 (got " + std::to_string(*r.days) + ")");
  if (r.group_by && !one_of(*r.group_by, group_by_values))
    return msg(t, "group_by", "must be one of " + join(group_by_values));
  return {};
}

std::string validate(const create_api_key_request& r) {
  constexpr std::string_view t = "create_api_key_request";
  if (r.name) {
    const auto n = chars(*r.name);
    if (n < 1 || n > 200) return msg(t, "name", "must be 1 to 200 characters (got " + std::to_string(n) + ")");
  }
  if (r.expires_at && !iso8601_shaped(*r.expires_at))
    return msg(t, "expires_at",
               "must be an ISO-8601 date or date-time such as 2030-01-31 or 2030-01-31T12:00:00Z (offset +HH:MM allowed)");
  return {};
}

// ---------------------------------------------------------------- lead lists

std::string validate(const create_list_request& r) {
  constexpr std::string_view t = "create_list_request";
  const auto n = chars(r.name);
  if (n < 1 || n > 200) return msg(t, "name", "must be 1 to 200 characters (got " + std::to_string(n) + ")");
  return {};
}

std::string validate(const list_lists_request& r) { return check_limit("list_lists_request", r.limit, 100); }

std::string validate(const update_list_request& r) {
  constexpr std::string_view t = "update_list_request";
  CL_RETURN_IF(check_path_id(t, "list_id", r.list_id));
  if (!r.name && !r.description && !r.folder_id)
    return std::string(t) + ": at least one of name, description, folder_id must be set";
  if (r.name) {
    const auto n = chars(*r.name);
    if (n < 1 || n > 200) return msg(t, "name", "must be 1 to 200 characters (got " + std::to_string(n) + ")");
  }
  return {};
}

std::string validate(const list_leads_request& r) {
  constexpr std::string_view t = "list_leads_request";
  CL_RETURN_IF(check_path_id(t, "list_id", r.list_id));
  return check_limit(t, r.limit, 500);
}

std::string validate(const add_leads_request& r) {
  constexpr std::string_view t = "add_leads_request";
  CL_RETURN_IF(check_path_id(t, "list_id", r.list_id));
  const bool mode_a = !r.lead_ids.empty();
  const bool mode_b = r.task_id.has_value();
  if (mode_a && mode_b) return std::string(t) + ": set either lead_ids (mode A) or task_id (mode B), not both";
  if (!mode_a && !mode_b) return std::string(t) + ": set lead_ids (mode A) or task_id (mode B)";
  if (mode_a) {
    if (r.lead_ids.size() > 1000)
      return msg(t, "lead_ids", "at most 1000 ids (got " + std::to_string(r.lead_ids.size()) + ")");
    CL_RETURN_IF(check_ids(t, "lead_ids", r.lead_ids));
    if (r.entity_ids) return msg(t, "entity_ids", "only allowed with task_id (mode B)");
  } else {
    CL_RETURN_IF(check_non_empty(t, "task_id", *r.task_id));
    if (r.entity_ids) {
      if (r.entity_ids->size() > 2000)
        return msg(t, "entity_ids", "at most 2000 ids (got " + std::to_string(r.entity_ids->size()) + ")");
      CL_RETURN_IF(check_ids(t, "entity_ids", *r.entity_ids));
    }
  }
  if (r.idempotency_key && chars(*r.idempotency_key) > 128)
    return msg(t, "idempotency_key", "at most 128 characters");
  return {};
}

std::string validate(const remove_leads_request& r) {
  constexpr std::string_view t = "remove_leads_request";
  CL_RETURN_IF(check_path_id(t, "list_id", r.list_id));
  if (r.lead_ids.empty() || r.lead_ids.size() > 100)
    return msg(t, "lead_ids", "must hold 1 to 100 ids (got " + std::to_string(r.lead_ids.size()) + ")");
  return check_ids(t, "lead_ids", r.lead_ids);
}

std::string validate(const csv_import_request& r) {
  constexpr std::string_view t = "csv_import_request";
  CL_RETURN_IF(check_path_id(t, "list_id", r.list_id));
  if (r.csv_content.empty()) return msg(t, "csv_content", "must not be empty");
  // The docs say "150 KB": the safe reading, 150,000 bytes (a 153,600-byte upload could be refused).
  if (r.csv_content.size() > 150000)
    return msg(t, "csv_content", "at most 150 KB (150000 bytes) of raw CSV (got " +
                                     std::to_string(r.csv_content.size()) + " bytes); split the file");
  if (r.column_mapping.empty()) return msg(t, "column_mapping", "must map at least one column");
  for (const auto& [k, v] : r.column_mapping)
    if (k.empty() || v.empty()) return msg(t, "column_mapping", "keys and CSV headers must not be empty");
  return {};
}

// ---------------------------------------------------------------- enrichment

std::string validate(const enrich_person_request& r) {
  constexpr std::string_view t = "enrich_person_request";
  if (r.lead_list_id && r.lead_list_id->empty()) return msg(t, "lead_list_id", "must not be empty when set");
  if (present(r.email) || present(r.linkedin_url) || present(r.person_id)) return {};
  if (present(r.first_name) && present(r.last_name) && (present(r.company_name) || present(r.domain))) return {};
  return std::string(t) +
         ": an identifier is required: email, linkedin_url, person_id, or first_name + last_name with "
         "company_name or domain";
}

std::string validate(const enrich_company_request& r) {
  if (present(r.domain) || present(r.company_name) || present(r.company_ticker) || present(r.company_id)) return {};
  return "enrich_company_request: an identifier is required: domain, company_name, company_ticker or company_id";
}

std::string validate(const enrich_by_task_request& r) {
  constexpr std::string_view t = "enrich_by_task_request";
  CL_RETURN_IF(check_non_empty(t, "task_id", r.task_id));
  if (r.data_points.empty()) return msg(t, "data_points", "must hold at least one data point");
  CL_RETURN_IF(check_ids(t, "data_points", r.data_points));
  return {};
}

std::string validate(const enrich_list_request& r) {
  constexpr std::string_view t = "enrich_list_request";
  CL_RETURN_IF(check_non_empty(t, "list_id", r.list_id));
  CL_RETURN_IF(check_non_empty(t, "quote_id", r.quote_id));
  return {};
}

// ---------------------------------------------------------------- smart agents

std::string validate(const run_smart_agent_request& r) {
  constexpr std::string_view t = "run_smart_agent_request";
  CL_RETURN_IF(check_non_empty(t, "list_id", r.list_id));
  const auto n = chars(r.column_name);
  if (n < 1 || n > 100) return msg(t, "column_name", "must be 1 to 100 characters (got " + std::to_string(n) + ")");
  if (r.agent_type && !one_of(*r.agent_type, agent_types))
    return msg(t, "agent_type", "must be one of " + join(agent_types));
  if (r.lead_scope && !one_of(*r.lead_scope, lead_scopes))
    return msg(t, "lead_scope", "must be one of " + join(lead_scopes));
  if (r.max_rows && (*r.max_rows < 1 || *r.max_rows > 10000))
    return msg(t, "max_rows", "must be between 1 and 10000 (got " + std::to_string(*r.max_rows) + ")");
  if (r.agent_type.value_or("custom_ai") == "custom_ai" && !present(r.prompt))
    return msg(t, "prompt", "required when agent_type is custom_ai (the default)");
  CL_RETURN_IF(check_non_empty(t, "quote_id", r.quote_id));
  return {};
}

std::string validate(const list_smart_agents_request& r) {
  constexpr std::string_view t = "list_smart_agents_request";
  if (r.list_id && r.list_id->empty()) return msg(t, "list_id", "must not be empty when set");
  return check_limit(t, r.limit, 100);
}

// ---------------------------------------------------------------- export

std::string validate(const export_csv_request& r) {
  return check_non_empty("export_csv_request", "list_id", r.list_id);
}

std::string validate(const export_json_request& r) {
  constexpr std::string_view t = "export_json_request";
  CL_RETURN_IF(check_non_empty(t, "list_id", r.list_id));
  return check_limit(t, r.limit, 500);
}

// ---------------------------------------------------------------- legacy

std::string validate(const legacy_bulk_request& r) {
  constexpr std::string_view t = "legacy_bulk_request";
  if (r.enrichment_type && !one_of(*r.enrichment_type, legacy_types))
    return msg(t, "enrichment_type", "must be one of " + join(legacy_types));
  if (r.webhook_url) {
    const std::string_view u = *r.webhook_url;
    if (!(u.starts_with("https://") || u.starts_with("http://")) || u.size() <= 8)
      return msg(t, "webhook_url", "must be an http(s) URL");
    for (unsigned char c : u)
      if (c <= 0x20 || c == 0x7F) return msg(t, "webhook_url", "must not contain whitespace or control characters");
  }
  if (r.contacts.empty() || r.contacts.size() > 250)
    return msg(t, "contacts", "must hold 1 to 250 contacts (got " + std::to_string(r.contacts.size()) + ")");
  for (std::size_t i = 0; i < r.contacts.size(); ++i) {
    const auto& c = r.contacts[i];
    if (present(c.linkedin_url)) continue;
    if (present(c.first_name) && present(c.last_name) && (present(c.company_domain) || present(c.company_name)))
      continue;
    return msg(t, "contacts[" + std::to_string(i) + "]",
               "needs linkedin_url, or first_name + last_name with company_domain or company_name");
  }
  return {};
}

std::string validate(const legacy_status_request& r) {
  const bool w = present(r.workflow_id), k = present(r.task_id);
  if (w && k) return "legacy_status_request: set exactly one of workflow_id or task_id, not both";
  if (!w && !k) return "legacy_status_request: set exactly one of workflow_id or task_id";
  return {};
}

} // namespace cleanlist
