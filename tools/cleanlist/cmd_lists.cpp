// lists create|list|show|import|export.
#include "commands.hpp"
#include "csv.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>

namespace json = boost::json;
namespace cl = cleanlist;

namespace cleanlist_cli {

namespace {

boost::asio::awaitable<int> create(session* s, cl::create_list_request req) {
  auto r = co_await s->client().async_create_list(req);
  s->out().record(r.raw, {"list_id", "name", "description", "lead_count", "reused", "created_at"});
  co_return exit_ok;
}

boost::asio::awaitable<int> list(session* s, cl::list_lists_request req, bool all) {
  json::object doc;
  json::array rows;
  std::string footer;
  if (all) {
    auto lists = co_await s->client().async_list_all_lists(req);
    for (auto& l : lists) rows.push_back(*l.raw);
    doc["lists"] = rows;
    doc["total"] = rows.size();
  } else {
    auto page = co_await s->client().async_list_lists(req);
    for (auto& l : page.lists) rows.push_back(*l.raw);
    doc = page.raw;
    if (page.cursor) footer = "more: --cursor " + *page.cursor + " (or --all)";
  }
  s->out().table(doc, rows, {"list_id", "name", "lead_count", "visibility", "created_at"}, footer);
  co_return exit_ok;
}

boost::asio::awaitable<int> show(session* s, std::string list_id, bool leads) {
  auto d = co_await s->client().async_get_list(list_id);
  if (!leads) {
    s->out().record(d.raw, {"list_id", "name", "description", "lead_count", "enriched_count", "folder_id", "created_at"});
    co_return exit_ok;
  }
  cl::list_leads_request lr;
  lr.list_id = list_id;
  auto all = co_await s->client().async_list_all_leads(lr);
  json::array rows;
  for (auto& l : all) rows.push_back(*l.raw);
  json::object doc;
  doc["list"] = *d.raw;
  doc["leads"] = rows;
  if (!s->out().json())
    s->out().record(d.raw, {"list_id", "name", "lead_count", "enriched_count"});
  s->out().table(doc, rows, {"lead_id", "first_name", "last_name", "email", "title", "company", "phone", "provider"});
  co_return exit_ok;
}

/// Splits a CSV (header + rows) into imports of at most `cap` bytes and `max_rows` data rows
/// (the API imports at most 1000 rows per upload, skipping the rest as row_cap_exceeded), the
/// header repeated in each.
std::vector<std::string> chunks_of(const std::vector<csv_row>& rows, std::size_t cap, std::size_t max_rows) {
  std::vector<std::string> out;
  std::ostringstream head;
  write_csv_row(head, rows.front());
  std::string cur = head.str();
  std::size_t in_cur = 0;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    std::ostringstream line;
    write_csv_row(line, rows[r]);
    if (in_cur > 0 && (cur.size() + line.str().size() > cap || in_cur >= max_rows)) {
      out.push_back(std::move(cur));
      cur = head.str();
      in_cur = 0;
    }
    cur += line.str();
    ++in_cur;
  }
  if (in_cur > 0) out.push_back(std::move(cur));
  return out;
}

struct import_job {
  std::string list_id;
  std::vector<std::string> chunks;
  std::map<std::string, std::string> mapping;
  bool dispatch = false;
  std::string type;
};

boost::asio::awaitable<int> import_csv(session* s, import_job job) {
  std::int64_t parsed = 0, imported = 0, skipped = 0;
  json::array workflows;
  for (std::size_t i = 0; i < job.chunks.size(); ++i) {
    cl::csv_import_request req;
    req.list_id = job.list_id;
    req.csv_content = job.chunks[i];
    req.column_mapping = job.mapping;
    req.dispatch_enrichment = job.dispatch;
    if (!job.type.empty()) req.enrichment_type = cl::parse_enrichment_type(job.type);
    auto r = co_await s->client().async_csv_import(req);
    parsed += r.rows_parsed;
    imported += r.rows_imported;
    skipped += r.rows_skipped;
    if (r.workflow_id) workflows.emplace_back(*r.workflow_id);
    if (job.chunks.size() > 1)
      s->out().note("chunk " + std::to_string(i + 1) + "/" + std::to_string(job.chunks.size()) + ": " +
                    std::to_string(r.rows_imported) + " imported");
  }
  json::object o;
  o["list_id"] = job.list_id;
  o["chunks"] = job.chunks.size();
  o["rows_parsed"] = parsed;
  o["rows_imported"] = imported;
  o["rows_skipped"] = skipped;
  o["workflow_ids"] = workflows;
  json::object m;
  for (auto& [k, v] : job.mapping) m[k] = v;
  o["column_mapping"] = m;
  s->out().record(o);
  co_return exit_ok;
}

struct export_opts {
  std::string list_id, format, out_path, columns;  // format "": json with --json, else csv
  bool signed_url = false;
};

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> v;
  std::stringstream ss(s);
  std::string x;
  while (std::getline(ss, x, ','))
    if (!trim(x).empty()) v.push_back(trim(x));
  return v;
}

boost::asio::awaitable<int> export_list(session* s, export_opts o) {
  const auto columns = split_commas(o.columns);
  if (o.signed_url) {
    cl::export_csv_request req;
    req.list_id = o.list_id;
    if (!columns.empty()) req.columns = columns;
    auto r = co_await s->client().async_export_csv(req);
    s->out().record(r.raw, {"list_id", "download_url", "expires_at", "row_count", "file_size_bytes"});
    co_return exit_ok;
  }
  cl::export_json_request req;
  req.list_id = o.list_id;
  req.columns = columns;
  req.limit = 500;
  auto rows = co_await s->client().async_export_all_json(req);
  if (o.format.empty()) o.format = s->out().json() ? "json" : "csv";
  std::string text;
  if (o.format == "json") {
    json::array a;
    for (auto& r : rows) a.push_back(r);
    text = json::serialize(a) + "\n";
  } else {
    std::vector<std::string> cols = columns;
    if (cols.empty()) {
      std::set<std::string> seen;
      for (auto& r : rows)
        for (auto& kv : r)
          if (seen.insert(std::string(kv.key())).second) cols.emplace_back(kv.key());
    }
    std::ostringstream os;
    write_csv_row(os, cols);
    for (auto& r : rows) {
      csv_row line;
      for (auto& c : cols) {
        auto* v = r.if_contains(c);
        line.push_back(!v || v->is_null() ? std::string{} : v->is_string() ? std::string(v->as_string()) : json::serialize(*v));
      }
      write_csv_row(os, line);
    }
    text = os.str();
  }
  if (o.out_path.empty() || o.out_path == "-") {
    std::cout << text;
  } else {
    std::ofstream f(o.out_path, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f) throw input_error("cannot write " + o.out_path);
    json::object r;
    r["list_id"] = o.list_id;
    r["rows"] = rows.size();
    r["format"] = o.format;
    r["path"] = o.out_path;
    s->out().record(r);
  }
  co_return exit_ok;
}

} // namespace

void add_lists_commands(CLI::App& app, action_fn& action) {
  auto* lists = app.add_subcommand("lists", "Lead lists: create, list, show, import a CSV, export");
  lists->require_subcommand(1);

  auto c = std::make_shared<cl::create_list_request>();
  auto desc = std::make_shared<std::string>(), folder = std::make_shared<std::string>();
  auto* create_cmd = lists->add_subcommand("create", "Create a lead list (an existing list of that name is reused)");
  create_cmd->add_option("name", c->name, "List name (1-200 characters)")->required();
  create_cmd->add_option("--description", *desc, "Description");
  create_cmd->add_option("--folder", *folder, "Folder id");
  create_cmd->callback([&action, c, desc, folder] {
    auto req = *c;
    if (!desc->empty()) req.description = *desc;
    if (!folder->empty()) req.folder_id = *folder;
    action = [req](const global_options& g) { return run_in_session(g, [req](session& s) { return create(&s, req); }); };
  });

  auto l = std::make_shared<cl::list_lists_request>();
  auto limit = std::make_shared<int>(0);
  auto cursor = std::make_shared<std::string>(), lfolder = std::make_shared<std::string>();
  auto all = std::make_shared<bool>(false);
  auto* list_cmd = lists->add_subcommand("list", "List the lead lists (one page; --all for every page)");
  list_cmd->add_option("--limit", *limit, "Lists per page (1-100)")->check(CLI::Range(1, 100));
  list_cmd->add_option("--cursor", *cursor, "Page cursor from a previous call");
  list_cmd->add_option("--folder", *lfolder, "Only this folder");
  list_cmd->add_flag("--all", *all, "Every page");
  list_cmd->callback([&action, limit, cursor, lfolder, all] {
    cl::list_lists_request req;
    if (*limit > 0) req.limit = *limit;
    if (!cursor->empty()) req.cursor = *cursor;
    if (!lfolder->empty()) req.folder_id = *lfolder;
    bool a = *all;
    action = [req, a](const global_options& g) { return run_in_session(g, [req, a](session& s) { return list(&s, req, a); }); };
  });

  auto show_id = std::make_shared<std::string>();
  auto show_leads = std::make_shared<bool>(false);
  auto* show_cmd = lists->add_subcommand("show", "Show a list; --leads also lists its leads (every page)");
  show_cmd->add_option("list_id", *show_id, "List id")->required();
  show_cmd->add_flag("--leads", *show_leads, "Also show the leads");
  show_cmd->callback([&action, show_id, show_leads] {
    auto id = *show_id;
    bool leads = *show_leads;
    action = [id, leads](const global_options& g) {
      return run_in_session(g, [id, leads](session& s) { return show(&s, id, leads); });
    };
  });

  auto imp_id = std::make_shared<std::string>(), imp_file = std::make_shared<std::string>(),
       imp_type = std::make_shared<std::string>();
  auto imp_map = std::make_shared<std::vector<std::string>>();
  auto imp_dispatch = std::make_shared<bool>(false);
  auto* imp = lists->add_subcommand("import", "Import a CSV file into a list (split into imports of at most 150 KB and 1000 rows). Columns are "
                                              "mapped from their headers (first_name, last_name, email, company, domain, "
                                              "linkedin_url, title, phone, city, ...) unless --map is given");
  imp->add_option("list_id", *imp_id, "List id")->required();
  imp->add_option("csv_file", *imp_file, "CSV file with a header row")->required();
  imp->add_option("--map", *imp_map, "FIELD=HEADER: canonical field to CSV header (repeatable)");
  imp->add_flag("--dispatch", *imp_dispatch, "Start the enrichment of the imported rows (charged)");
  imp->add_option("--type", *imp_type, "Enrichment type with --dispatch")->check(CLI::IsMember({"partial", "phone_only", "full"}));
  imp->callback([&action, imp_id, imp_file, imp_type, imp_map, imp_dispatch] {
    import_job job;
    job.list_id = *imp_id;
    job.dispatch = *imp_dispatch;
    job.type = *imp_type;
    // Checked here, before anything is read or sent: the API refuses a dispatch without a type
    // only after the rows were imported, and a type without --dispatch would be ignored.
    if (job.dispatch && job.type.empty())
      throw usage_error("--dispatch starts a paid enrichment: say which with --type partial|phone_only|full");
    if (!job.dispatch && !job.type.empty())
      throw usage_error("--type " + job.type + " applies to --dispatch only (nothing would be enriched)");
    std::vector<csv_row> rows;
    std::string problem;
    const std::string text = read_file(*imp_file);
    if (!parse_csv(text, rows, problem)) throw input_error(*imp_file + ": " + problem);
    if (rows.size() < 2) throw input_error(*imp_file + ": no data row");
    for (const auto& m : *imp_map) {
      auto eq = m.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == m.size()) throw CLI::ValidationError("--map", "expected FIELD=HEADER, got " + m);
      job.mapping[m.substr(0, eq)] = m.substr(eq + 1);
    }
    if (job.mapping.empty())
      for (const auto& h : rows.front())
        if (auto f = canonical_field_of(h); !f.empty() && !job.mapping.count(f)) job.mapping[f] = h;
    if (job.mapping.empty()) throw input_error(*imp_file + ": no known column in the header; give --map FIELD=HEADER");
    job.chunks = chunks_of(rows, 150000, 1000);
    action = [job](const global_options& g) { return run_in_session(g, [job](session& s) { return import_csv(&s, job); }); };
  });

  auto e = std::make_shared<export_opts>();
  auto* exp = lists->add_subcommand("export", "Export a list's leads as CSV or JSON (every page), or get a signed CSV URL");
  exp->add_option("list_id", e->list_id, "List id")->required();
  exp->add_option("--format", e->format, "csv or json (default: json with --json, else csv)")->check(CLI::IsMember({"csv", "json"}));
  exp->add_option("--out", e->out_path, "Write to this file (default: stdout)");
  exp->add_option("--columns", e->columns, "Comma-separated columns");
  exp->add_flag("--signed-url", e->signed_url, "Ask the API for a signed CSV download URL instead");
  exp->callback([&action, e] {
    auto o = *e;
    action = [o](const global_options& g) { return run_in_session(g, [o](session& s) { return export_list(&s, o); }); };
  });
}

} // namespace cleanlist_cli
