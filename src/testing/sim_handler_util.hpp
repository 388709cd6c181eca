#pragma once
// Helpers shared by the simulator's route handlers (sim_routes_*.cpp, sim_settlement.cpp):
// record rendering, query parsing, the deterministic "found" data, CSV, workflow views.
#include "testing/sim_internal.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cleanlist::testing::detail {

using ctx = sim_state::ctx;

std::string lower(std::string_view s);
std::string hex16(std::uint64_t v);
lead_rec stub_lead(std::string id);
json::value str_or_null(std::string_view s);
json::value opt_or_null(const std::optional<std::string>& s);
const std::string* query_param(const ctx& c, std::string_view name);
/// Integer query parameter with FastAPI-style 422 errors.
std::int64_t query_int(const ctx& c, verrs& e, std::string_view name, std::int64_t def, std::int64_t lo, std::int64_t hi);
json::object lead_row(const lead_rec& l);
std::string lead_field(const lead_rec& l, std::string_view col);
const std::vector<std::string>& default_columns();
std::string found_email(const lead_rec& in);
std::string found_phone(std::uint64_t seed, std::string_view identity);
bool is_person_type(std::string_view t);
std::string dp_type(const std::vector<std::string>& dps);
std::vector<std::string> str_array(const json::value& body, std::string_view k);
std::int64_t agent_unit(std::string_view agent);
json::object company_record(std::uint64_t seed, std::string_view key, std::string_view name_in, std::string_view domain_in);
/// Minimal RFC 4180 CSV parser (quotes, "" escapes, CRLF/LF).
std::vector<std::vector<std::string>> parse_csv(std::string_view s);
std::string csv_escape(const std::string& v);

inline constexpr std::size_t csv_max_raw = 150000; // "150 KB", the safe (decimal) reading
inline constexpr std::size_t lists_cap = 1000;
inline constexpr std::int64_t approval_threshold = 500;
inline constexpr auto idem_ttl = std::chrono::hours(24);

struct wf_view {
  const char* status;
  std::int64_t total, processed, completed, failed;
  bool terminal;
};
/// A workflow's progress at `now` (pending, running, terminal), from its start and plan.
wf_view view_of(const workflow_rec& w, sim_clock::time_point now, std::chrono::milliseconds pending,
                std::chrono::milliseconds running);

} // namespace cleanlist::testing::detail
