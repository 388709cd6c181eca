#pragma once
// Internals shared by the simulator's routing (sim_routing.cpp) and its handlers (sim_routes_*.cpp).
#include "protocol/credentials.hpp"
#include "testing/sim_state.hpp"

#include <climits>
#include <initializer_list>

namespace cleanlist::testing::detail {

namespace json = boost::json;

enum class route {
  none, whoami, balance, estimate, api_keys, usage,
  lists_create, lists_get, list_get, list_patch, list_delete,
  leads_get, leads_add, leads_remove, csv_import,
  enrich_person, enrich_company, enrich_by_task, enrich_bulk, enrich_status,
  agents_run, agents_list, agent_get, export_csv, export_json,
  l_validate, l_bulk, l_status, l_deliveries,
};

struct sim_state::ctx {
  ctx(const sim_request& q, sim_response& s, sim_clock::time_point t) : rq(q), rs(s), now(t) {}
  const sim_request& rq;
  sim_response& rs;
  sim_clock::time_point now;
  route r = route::none;
  bool legacy = false;
  std::string_view prefix;   ///< "/api/v1/public" or "/api/v2"
  std::string_view path_param; ///< list_id / workflow_id / smart_agent_task_id
  std::vector<std::pair<std::string, std::string>> query;
  int key = -1, user = -1, org = -1;
  bool jwt = false; ///< authenticated by a Clerk JWT (key == -1, all scopes)
  json::value body;
};

// ---- FastAPI-style validation ----
enum class ty { str, integer, number, boolean, arr_str, object, map_str, any };
struct fspec {
  std::string_view name;
  ty type = ty::str;
  bool required = false;
  bool nullable = true;
  std::vector<std::string_view> enums = {};
  std::int64_t lo = LLONG_MIN, hi = LLONG_MAX; ///< int: value; str: length; arrays/maps: size
};

struct verrs {
  json::array a;
  void add(json::array loc, std::string_view type, std::string msg, json::value input = nullptr);
  bool empty() const { return a.empty(); }
};

/// Validates `v` (the body, or null when absent) against `spec`; errors get loc ["body", ...].
void validate_body(const json::value* v, const std::vector<fspec>& spec, bool forbid_extra, verrs& e);

/// Writes a 422 {"detail": [...]} response.
void write_422(sim_response& rs, verrs& e);

// ---- JSON access helpers ----
inline const json::value* field(const json::value& v, std::string_view k) {
  if (!v.is_object()) return nullptr;
  auto* p = v.as_object().if_contains(k);
  return p && !p->is_null() ? p : nullptr;
}
inline std::string_view str_or(const json::value& v, std::string_view k, std::string_view d = {}) {
  auto* p = field(v, k);
  return p && p->is_string() ? std::string_view(p->as_string()) : d;
}
inline std::int64_t int_or(const json::value& v, std::string_view k, std::int64_t d) {
  auto* p = field(v, k);
  if (!p) return d;
  if (p->is_int64()) return p->as_int64();
  if (p->is_uint64()) return static_cast<std::int64_t>(p->as_uint64());
  if (p->is_double()) return static_cast<std::int64_t>(p->as_double());
  return d;
}
inline bool bool_or(const json::value& v, std::string_view k, bool d) {
  auto* p = field(v, k);
  return p && p->is_bool() ? p->as_bool() : d;
}

std::string iso_utc(std::chrono::system_clock::time_point t);
std::int64_t epoch_ms();
std::int64_t unit_cost(std::string_view type);           ///< partial 1, phone_only 10, full 11
std::int64_t lead_charge(std::string_view type, const person_outcome& o);
bool lead_ok(std::string_view type, const person_outcome& o);
std::string cursor_encode(std::int64_t offset);
std::optional<std::int64_t> cursor_decode(std::string_view c);
std::string route_template(int idx); ///< usage bucket name of usage_route[idx]
const std::vector<std::string>& all_scope_names(); ///< the 12 documented scopes
using ::cleanlist::detail::jwt_shaped; // core/protocol/credentials.hpp: the client checks the same shape
std::string make_jwt(std::uint64_t seed, std::string_view user_id, std::string_view org_id);
/// Terminal status of a run that was not cancelled: completed / completed_with_errors / failed.
const char* final_status(const workflow_rec& w);
/// Plans a p_cancel / `+cancel` cancellation for a new workflow (sets cancel_at).
void plan_cancel(workflow_rec& w, std::uint64_t seed, double p_cancel, std::chrono::milliseconds pending,
                 std::chrono::milliseconds running);

} // namespace cleanlist::testing::detail

namespace cleanlist::testing::detail {

/// The request handlers; friends of sim_state (all called with sim_state::mtx_ held).
struct handlers {
  using ctx = sim_state::ctx;
  static void error(sim_state& s, ctx& c, int status, std::string_view code, std::string problem,
                    std::string_view fix = {}, json::object extra = {}, bool retryable = false);
  static void legacy_error(ctx& c, int status, std::string_view detail);
  static void ok(ctx& c, json::object&& o, int status = 200, bool envelope = true);
  static bool parse_body(sim_state& s, ctx& c); ///< false: a 422 was written

  static void dispatch(sim_state& s, ctx& c);

  // ---- helpers over private state
  struct quote_check {
    quote_rec* q = nullptr;
    bool failed = false;
  };
  static list_rec* access_list(sim_state& s, ctx& c, std::string_view id, bool owner_only = false);
  static list_rec& user_list(sim_state& s, ctx& c, bool default_list);
  static quote_check check_quote(sim_state& s, ctx& c, std::string_view qid,
                                 std::initializer_list<std::string_view> tools, std::string_view target,
                                 std::string_view variant);
  static bool check_credits(sim_state& s, ctx& c, std::int64_t cost);
  static std::string bind_cohort(sim_state& s, ctx& c, const std::string& workflow_id);
  static workflow_rec& new_workflow(sim_state& s, ctx& c, wf_kind kind, std::string id, std::string type,
                                    std::string list_id, std::vector<wf_lead> leads, std::int64_t reserved);
  static json::object list_detail(const list_rec& l, bool reused);
  static const lead_rec* lead(sim_state& s, const std::string& id);
  static void status_body(sim_state& s, ctx& c, workflow_rec& w);

  static void whoami(sim_state& s, ctx& c);
  static void balance(sim_state& s, ctx& c);
  static void estimate(sim_state& s, ctx& c);
  static void api_keys(sim_state& s, ctx& c);
  static void usage(sim_state& s, ctx& c);
  static void lists_create(sim_state& s, ctx& c);
  static void lists_get(sim_state& s, ctx& c);
  static void list_get(sim_state& s, ctx& c);
  static void list_patch(sim_state& s, ctx& c);
  static void list_delete(sim_state& s, ctx& c);
  static void leads_get(sim_state& s, ctx& c);
  static void leads_add(sim_state& s, ctx& c);
  static void leads_remove(sim_state& s, ctx& c);
  static void csv_import(sim_state& s, ctx& c);
  static void enrich_person(sim_state& s, ctx& c);
  static void enrich_company(sim_state& s, ctx& c);
  static void enrich_by_task(sim_state& s, ctx& c);
  static void enrich_bulk(sim_state& s, ctx& c);
  static void enrich_status(sim_state& s, ctx& c);
  static void agents_run(sim_state& s, ctx& c);
  static void agents_list(sim_state& s, ctx& c);
  static void agent_get(sim_state& s, ctx& c);
  static void export_csv(sim_state& s, ctx& c);
  static void export_json(sim_state& s, ctx& c);
  static void l_validate(sim_state& s, ctx& c);
  static void l_bulk(sim_state& s, ctx& c);
  static void l_status(sim_state& s, ctx& c);
  static void l_deliveries(sim_state& s, ctx& c);
  // key management (/api/v1/api-keys, sim_routes_admin.cpp)
  static void mgmt_create_key(sim_state& s, ctx& c);
  static void mgmt_list_keys(sim_state& s, ctx& c);
  static void mgmt_revoke_key(sim_state& s, ctx& c);
  static json::object key_json(sim_state& s, const key_rec& k);
};

} // namespace cleanlist::testing::detail
