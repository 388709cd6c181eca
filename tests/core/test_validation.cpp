// Client-side validation: every rule checked on both sides of its boundary.
#include "models_test_util.hpp"

using namespace cleanlist;

namespace {
std::vector<std::string> ids(std::size_t n, const std::string& prefix = "id") {
  std::vector<std::string> v;
  v.reserve(n);
  for (std::size_t i = 0; i < n; ++i) v.push_back(prefix + std::to_string(i));
  return v;
}
// Expect an error message containing `needle`.
#define CHECK_INVALID(expr, needle)                                                                \
  do {                                                                                             \
    const std::string m_ = (expr);                                                                 \
    INFO("message: ", m_);                                                                         \
    CHECK_FALSE(m_.empty());                                                                       \
    CHECK(m_.find(needle) != std::string::npos);                                                   \
  } while (0)
#define CHECK_VALID(expr)                                                                          \
  do {                                                                                             \
    const std::string m_ = (expr);                                                                 \
    CHECK_MESSAGE(m_.empty(), m_);                                                                 \
  } while (0)
} // namespace

TEST_CASE("validate_path_id") {
  CHECK_VALID(validate_path_id("9c1f7e2a-4b6d-4f21-9a3e-2b7c8d1e5f04"));
  CHECK_VALID(validate_path_id("cl-task_8b21f4"));
  CHECK_VALID(validate_path_id("bulk-enrich-a1b2"));
  CHECK_INVALID(validate_path_id(""), "empty");
  CHECK_INVALID(validate_path_id("a/b"), "'/'");
  CHECK_INVALID(validate_path_id("a?b=1"), "'?'");
  CHECK_INVALID(validate_path_id("a#b"), "'#'");
  CHECK_INVALID(validate_path_id("a%2Fb"), "'%'");
  CHECK_INVALID(validate_path_id("a b"), "whitespace");
  CHECK_INVALID(validate_path_id("a\tb"), "control");
  CHECK_INVALID(validate_path_id("a\r\nHost: x"), "control");
  CHECK_INVALID(validate_path_id(std::string("a\0b", 3)), "control");
  CHECK_INVALID(validate_path_id("a\x7f"), "control");
  CHECK_INVALID(validate_path_id(".."), "'..'");
  CHECK_INVALID(validate_path_id("."), "'.'");
}

TEST_CASE("enrich_person: identifier forms") {
  enrich_person_request r;
  CHECK_INVALID(validate(r), "identifier");
  r.email = "";
  CHECK_INVALID(validate(r), "identifier");  // empty counts as absent
  r.email = "jane@acme.io";
  CHECK_VALID(validate(r));

  enrich_person_request li;
  li.linkedin_url = "https://www.linkedin.com/in/jane";
  CHECK_VALID(validate(li));
  enrich_person_request pid;
  pid.person_id = "p1";
  CHECK_VALID(validate(pid));

  enrich_person_request n;
  n.first_name = "Jane";
  n.last_name = "Doe";
  CHECK_INVALID(validate(n), "identifier");  // names alone are not enough
  n.company_name = "";
  CHECK_INVALID(validate(n), "identifier");
  n.domain = "acme.io";
  CHECK_VALID(validate(n));
  n.domain.reset();
  n.company_name = "Acme";
  CHECK_VALID(validate(n));
  n.last_name = "";
  CHECK_INVALID(validate(n), "identifier");

  enrich_person_request ph;  // phone alone is not an identifier
  ph.phone = "+14155550142";
  CHECK_INVALID(validate(ph), "identifier");

  enrich_person_request l;
  l.email = "a@b.c";
  l.lead_list_id = "";
  CHECK_INVALID(validate(l), "lead_list_id");
  l.lead_list_id = "ll_1";
  CHECK_VALID(validate(l));
}

TEST_CASE("enrich_company: one identifier") {
  enrich_company_request r;
  CHECK_INVALID(validate(r), "identifier");
  r.quote_id = "q";
  CHECK_INVALID(validate(r), "identifier");
  r.company_ticker = "ACME";
  CHECK_VALID(validate(r));
}

TEST_CASE("create_list / update_list: name length 1..200 characters") {
  create_list_request c;
  CHECK_INVALID(validate(c), "create_list_request.name");
  c.name = "x";
  CHECK_VALID(validate(c));
  c.name = std::string(200, 'x');
  CHECK_VALID(validate(c));
  c.name = std::string(201, 'x');
  CHECK_INVALID(validate(c), "create_list_request.name");
  // 200 multi-byte characters (400 bytes) are still 200 characters.
  c.name.clear();
  for (int i = 0; i < 200; ++i) c.name += "\xC3\xA9";
  CHECK_VALID(validate(c));
  c.name += "\xC3\xA9";
  CHECK_INVALID(validate(c), "name");

  update_list_request u;
  u.list_id = "l1";
  CHECK_INVALID(validate(u), "at least one");
  u.description = std::optional<std::string>{};  // clearing counts as a change
  CHECK_VALID(validate(u));
  u.description.reset();
  u.folder_id = std::optional<std::string>("f");
  CHECK_VALID(validate(u));
  u.name = "";
  CHECK_INVALID(validate(u), "update_list_request.name");
  u.name = std::string(201, 'n');
  CHECK_INVALID(validate(u), "update_list_request.name");
  u.name = "ok";
  CHECK_VALID(validate(u));
  u.list_id = "l/1";
  CHECK_INVALID(validate(u), "update_list_request.list_id");
  u.list_id = "";
  CHECK_INVALID(validate(u), "update_list_request.list_id");
}

TEST_CASE("limits: list_lists 1..100, list_leads 1..500, export_json 1..500, list_smart_agents 1..100") {
  list_lists_request ll;
  CHECK_VALID(validate(ll));
  for (int ok : {1, 100}) {
    ll.limit = ok;
    CHECK_VALID(validate(ll));
  }
  for (int bad : {0, 101, -1}) {
    ll.limit = bad;
    CHECK_INVALID(validate(ll), "list_lists_request.limit");
  }

  list_leads_request lr;
  lr.list_id = "l1";
  CHECK_VALID(validate(lr));
  lr.limit = 500;
  CHECK_VALID(validate(lr));
  lr.limit = 501;
  CHECK_INVALID(validate(lr), "list_leads_request.limit");
  lr.limit = 0;
  CHECK_INVALID(validate(lr), "limit");
  lr.limit = 1;
  lr.list_id = "a b";
  CHECK_INVALID(validate(lr), "list_leads_request.list_id");

  export_json_request ej;
  CHECK_INVALID(validate(ej), "export_json_request.list_id");
  ej.list_id = "l1";
  CHECK_VALID(validate(ej));
  ej.limit = 500;
  CHECK_VALID(validate(ej));
  ej.limit = 501;
  CHECK_INVALID(validate(ej), "export_json_request.limit");
  ej.limit = 0;
  CHECK_INVALID(validate(ej), "limit");

  list_smart_agents_request sa;
  CHECK_VALID(validate(sa));
  sa.limit = 100;
  CHECK_VALID(validate(sa));
  sa.limit = 101;
  CHECK_INVALID(validate(sa), "list_smart_agents_request.limit");
  sa.limit = 0;
  CHECK_INVALID(validate(sa), "limit");
}

TEST_CASE("add_leads: modes and bounds") {
  add_leads_request r;
  r.list_id = "l1";
  CHECK_INVALID(validate(r), "lead_ids (mode A) or task_id");  // neither
  r.lead_ids = {"a"};
  CHECK_VALID(validate(r));
  r.task_id = "cl-task_1";
  CHECK_INVALID(validate(r), "not both");
  r.task_id.reset();
  r.lead_ids = ids(1000);
  CHECK_VALID(validate(r));
  r.lead_ids = ids(1001);
  CHECK_INVALID(validate(r), "add_leads_request.lead_ids");
  r.lead_ids = {"a", ""};
  CHECK_INVALID(validate(r), "lead_ids[1]");
  r.lead_ids = {"a"};
  r.entity_ids = std::vector<std::string>{"e"};
  CHECK_INVALID(validate(r), "entity_ids");  // entity_ids only in mode B
  r.entity_ids.reset();

  r.idempotency_key = std::string(128, 'k');
  CHECK_VALID(validate(r));
  r.idempotency_key = std::string(129, 'k');
  CHECK_INVALID(validate(r), "idempotency_key");
  r.idempotency_key.reset();

  add_leads_request b;
  b.list_id = "l1";
  b.task_id = "cl-task_1";
  CHECK_VALID(validate(b));
  b.entity_ids = ids(2000);
  CHECK_VALID(validate(b));
  b.entity_ids = ids(2001);
  CHECK_INVALID(validate(b), "add_leads_request.entity_ids");
  b.entity_ids.reset();
  b.task_id = "";
  CHECK_INVALID(validate(b), "task_id");
  b.task_id = "t";
  b.list_id = "x?y";
  CHECK_INVALID(validate(b), "add_leads_request.list_id");
}

TEST_CASE("remove_leads: 1..100 ids") {
  remove_leads_request r{"l1", {}};
  CHECK_INVALID(validate(r), "remove_leads_request.lead_ids");
  r.lead_ids = ids(1);
  CHECK_VALID(validate(r));
  r.lead_ids = ids(100);
  CHECK_VALID(validate(r));
  r.lead_ids = ids(101);
  CHECK_INVALID(validate(r), "remove_leads_request.lead_ids");
  r.lead_ids = ids(1);
  r.list_id = "";
  CHECK_INVALID(validate(r), "remove_leads_request.list_id");
}

TEST_CASE("csv_import: content, size cap, mapping") {
  csv_import_request r;
  r.list_id = "l1";
  r.column_mapping = {{"email", "Email"}};
  CHECK_INVALID(validate(r), "csv_content");
  r.csv_content = "Email\na@b.c\n";
  CHECK_VALID(validate(r));
  r.csv_content = std::string(150000, 'x');
  CHECK_VALID(validate(r));
  r.csv_content = std::string(150001, 'x');
  CHECK_INVALID(validate(r), "150000");
  r.csv_content = "Email\n";
  r.column_mapping.clear();
  CHECK_INVALID(validate(r), "column_mapping");
  r.column_mapping = {{"email", ""}};
  CHECK_INVALID(validate(r), "column_mapping");
  r.column_mapping = {{"email", "Email"}};
  r.list_id = "l#1";
  CHECK_INVALID(validate(r), "csv_import_request.list_id");
}

TEST_CASE("usage: days 1..365, group_by enum") {
  usage_request r;
  CHECK_VALID(validate(r));
  r.days = 1;
  CHECK_VALID(validate(r));
  r.days = 365;
  CHECK_VALID(validate(r));
  r.days = 0;
  CHECK_INVALID(validate(r), "usage_request.days");
  r.days = 366;
  CHECK_INVALID(validate(r), "usage_request.days");
  r.days.reset();
  for (const char* g : {"tool", "key", "day", "error"}) {
    r.group_by = g;
    CHECK_VALID(validate(r));
  }
  r.group_by = "month";
  CHECK_INVALID(validate(r), "usage_request.group_by");
  r.group_by = "";
  CHECK_INVALID(validate(r), "group_by");
}

TEST_CASE("run_smart_agent: column_name, max_rows, prompt, enums, quote") {
  run_smart_agent_request r;
  r.list_id = "l1";
  r.column_name = "Fit";
  r.quote_id = "q";
  r.prompt = "Summarise";
  CHECK_VALID(validate(r));

  SUBCASE("column_name 1..100") {
    r.column_name = "";
    CHECK_INVALID(validate(r), "column_name");
    r.column_name = std::string(100, 'c');
    CHECK_VALID(validate(r));
    r.column_name = std::string(101, 'c');
    CHECK_INVALID(validate(r), "column_name");
  }
  SUBCASE("max_rows 1..10000") {
    r.max_rows = 1;
    CHECK_VALID(validate(r));
    r.max_rows = 10000;
    CHECK_VALID(validate(r));
    r.max_rows = 0;
    CHECK_INVALID(validate(r), "max_rows");
    r.max_rows = 10001;
    CHECK_INVALID(validate(r), "max_rows");
  }
  SUBCASE("prompt required for custom_ai, explicit or default") {
    r.prompt.reset();
    CHECK_INVALID(validate(r), "prompt");
    r.agent_type = "custom_ai";
    CHECK_INVALID(validate(r), "prompt");
    r.prompt = "";
    CHECK_INVALID(validate(r), "prompt");
    r.prompt.reset();
    r.agent_type = "cold_intro_email";
    CHECK_VALID(validate(r));
  }
  SUBCASE("agent_type and lead_scope enums") {
    for (const char* t : {"custom_ai", "cold_intro_email", "title_normalizer", "company_intel", "pain_point_hypothesis"}) {
      r.agent_type = t;
      CHECK_VALID(validate(r));
    }
    r.agent_type = "gpt_magic";
    CHECK_INVALID(validate(r), "agent_type");
    r.agent_type.reset();
    r.lead_scope = "subset";
    CHECK_VALID(validate(r));
    r.lead_scope = "all";
    CHECK_VALID(validate(r));
    r.lead_scope = "some";
    CHECK_INVALID(validate(r), "lead_scope");
  }
  SUBCASE("quote_id and list_id non-empty") {
    r.quote_id = "";
    CHECK_INVALID(validate(r), "quote_id");
    r.quote_id = "q";
    r.list_id = "";
    CHECK_INVALID(validate(r), "list_id");
  }
}

TEST_CASE("enrich_list / enrich_by_task / estimate / export_csv") {
  enrich_list_request l{"l1", bulk_scope::full, "q"};
  CHECK_VALID(validate(l));
  l.quote_id = "";
  CHECK_INVALID(validate(l), "enrich_list_request.quote_id");
  l.quote_id = "q";
  l.list_id = "";
  CHECK_INVALID(validate(l), "enrich_list_request.list_id");

  enrich_by_task_request t;
  t.task_id = "cl-task_1";
  CHECK_INVALID(validate(t), "data_points");
  t.data_points = {"Email"};
  CHECK_VALID(validate(t));
  t.data_points = {"Email", ""};
  CHECK_INVALID(validate(t), "data_points[1]");
  t.data_points = {"Email"};
  t.task_id = "";
  CHECK_INVALID(validate(t), "enrich_by_task_request.task_id");

  estimate_request e;
  CHECK_INVALID(validate(e), "estimate_request.tool");
  e.tool = "enrich_list";
  CHECK_VALID(validate(e));
  e.row_count = -1;
  CHECK_INVALID(validate(e), "row_count");
  e.row_count = 0;
  CHECK_VALID(validate(e));

  export_csv_request x;
  CHECK_INVALID(validate(x), "export_csv_request.list_id");
  x.list_id = "l1";
  CHECK_VALID(validate(x));
}

TEST_CASE("legacy bulk: 1..250 contacts, contact identity, enrichment_type enum, webhook") {
  legacy_contact li;
  li.linkedin_url = "https://linkedin.com/in/x";
  legacy_bulk_request r;
  CHECK_INVALID(validate(r), "contacts");
  r.contacts = {li};
  CHECK_VALID(validate(r));
  r.contacts.assign(250, li);
  CHECK_VALID(validate(r));
  r.contacts.assign(251, li);
  CHECK_INVALID(validate(r), "contacts");

  legacy_contact names;
  names.first_name = "Jane";
  names.last_name = "Doe";
  r.contacts = {li, names};
  CHECK_INVALID(validate(r), "contacts[1]");
  names.company_name = "Acme";
  r.contacts = {li, names};
  CHECK_VALID(validate(r));
  names.company_name.reset();
  names.company_domain = "acme.io";
  r.contacts = {li, names};
  CHECK_VALID(validate(r));
  legacy_contact email_only;
  email_only.email = "a@b.c";
  r.contacts = {email_only};
  CHECK_INVALID(validate(r), "contacts[0]");
  legacy_contact empty_li;
  empty_li.linkedin_url = "";
  r.contacts = {empty_li};
  CHECK_INVALID(validate(r), "contacts[0]");

  r.contacts = {li};
  for (const char* t : {"none", "partial", "phone_only", "full", "prospecting_only"}) {
    r.enrichment_type = t;
    CHECK_VALID(validate(r));
  }
  r.enrichment_type = "phone-only";
  CHECK_INVALID(validate(r), "enrichment_type");
  r.enrichment_type.reset();

  r.webhook_url = "https://hooks.example.com/x";
  CHECK_VALID(validate(r));
  r.webhook_url = "http://127.0.0.1:8080/hook";
  CHECK_VALID(validate(r));
  r.webhook_url = "ftp://x";
  CHECK_INVALID(validate(r), "webhook_url");
  r.webhook_url = "https://x/a b";
  CHECK_INVALID(validate(r), "webhook_url");
}

TEST_CASE("legacy status: exactly one of workflow_id / task_id") {
  legacy_status_request r;
  CHECK_INVALID(validate(r), "exactly one");
  r.workflow_id = "public_bulk_1";
  CHECK_VALID(validate(r));
  r.task_id = "t1";
  CHECK_INVALID(validate(r), "not both");
  r.workflow_id.reset();
  CHECK_VALID(validate(r));
  r.task_id = "";
  CHECK_INVALID(validate(r), "exactly one");
}
