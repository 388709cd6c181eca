// enrich_csv IN.csv OUT.csv — enrich every contact of a CSV file, write every input row back
// with its result (or its error), resume without paying twice after an interruption.
//
//   ./enrich_csv examples/data/sample_contacts.csv /tmp/out.csv          # embedded simulator
//   CLEANLIST_API_KEY=clapi_... ./enrich_csv leads.csv leads-enriched.csv # the real API
//
// Input: RFC 4180 CSV with a header row. Headers are matched case-insensitively, ignoring
// spaces, '_' and '-': first_name/first name/firstname, last_name/surname, company_name/company,
// domain/company_domain/website, email, linkedin_url/linkedin. Every other column is kept.
//
// Output: every input row in input order, all original columns, then enriched_status,
// enriched_email, enriched_email_status, enriched_phone, enriched_linkedin_url, enriched_title,
// enriched_company, enrich_error. Each row has a status or an error. OUT is written atomically
// (OUT.tmp then rename).
//
// Resume: every finished contact is appended to OUT.journal (one JSON line, keyed by a hash of
// the contact's identity, fsync'ed) as soon as its batch returns. A re-run reads the journal and
// only sends the contacts not in it. Ctrl-C cancels the running batch cleanly (per-operation
// cancellation), journals what finished and writes OUT; run the same command again to finish.
// Rows without a usable identifier are reported as errors without any request (and never cost).
// Identical contacts (same identity) are enriched once.
//
// Options: --path auto|person|bulk (default auto: bulk from 5 contacts), --chunk N (contacts per
// batch, default 1000: the journal granularity), --type partial|full|phone_only, --quiet.
// Last line printed: "summary: rows=... contacts=... from_journal=... enriched_this_run=... ..."
#include "example_support.hpp"

#include <cleanlist/models/validation.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

namespace asio = boost::asio;
namespace json = boost::json;
namespace cl = cleanlist;
using namespace std::chrono_literals;

namespace {

// ---------------------------------------------------------------- CSV (RFC 4180)

using row = std::vector<std::string>;

/// Parses RFC 4180 CSV: quoted fields with "" escapes and embedded separators/newlines, CRLF or
/// LF line ends, a UTF-8 BOM. Blank lines are skipped. Returns false on an unterminated quote.
bool parse_csv(std::string_view text, std::vector<row>& out, std::string& problem) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  row cur;
  std::string field;
  bool in_quotes = false, field_started = false, any = false;
  std::size_t line = 1;
  auto end_field = [&] {
    cur.push_back(std::move(field));
    field.clear();
    field_started = false;
  };
  auto end_row = [&] {
    end_field();
    if (!(cur.size() == 1 && cur[0].empty() && !any)) out.push_back(std::move(cur));
    cur.clear();
    any = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (in_quotes) {
      if (ch == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') { field += '"'; ++i; }
        else in_quotes = false;
      } else {
        if (ch == '\n') ++line;
        field += ch;
      }
      continue;
    }
    switch (ch) {
    case '"':
      if (!field_started || field.empty()) { in_quotes = true; field_started = true; any = true; }
      else field += ch;  // tolerant: a quote inside an unquoted field is kept as is
      break;
    case ',': end_field(); any = true; break;
    case '\r': break;
    case '\n': ++line; end_row(); break;
    default: field += ch; field_started = true; any = true;
    }
  }
  if (in_quotes) {
    problem = "unterminated quoted field (started before line " + std::to_string(line) + ")";
    return false;
  }
  if (!field.empty() || !cur.empty() || any) end_row();
  return true;
}

std::string csv_field(std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos && (v.empty() || (v.front() != ' ' && v.back() != ' ')))
    return std::string(v);
  std::string s = "\"";
  for (char ch : v) {
    if (ch == '"') s += '"';
    s += ch;
  }
  s += '"';
  return s;
}

void write_row(std::ostream& os, const row& r) {
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (i) os << ',';
    os << csv_field(r[i]);
  }
  os << "\r\n";
}

// ---------------------------------------------------------------- header matching

std::string header_key(std::string_view h) {
  std::string k;
  for (unsigned char ch : h)
    if (std::isalnum(ch)) k += static_cast<char>(std::tolower(ch));
  return k;
}

enum field_id { f_first, f_last, f_company, f_domain, f_email, f_linkedin, f_count };

/// Which field a header names (after header_key), or f_count.
field_id field_of(const std::string& key) {
  static const std::map<std::string, field_id> aliases = {
      {"firstname", f_first},      {"first", f_first},           {"givenname", f_first},
      {"lastname", f_last},        {"last", f_last},             {"surname", f_last},
      {"familyname", f_last},      {"companyname", f_company},   {"company", f_company},
      {"organization", f_company}, {"organisation", f_company},  {"employer", f_company},
      {"domain", f_domain},        {"companydomain", f_domain},  {"website", f_domain},
      {"companywebsite", f_domain}, {"url", f_domain},           {"email", f_email},
      {"emailaddress", f_email},   {"mail", f_email},            {"workemail", f_email},
      {"linkedinurl", f_linkedin}, {"linkedin", f_linkedin},     {"linkedinprofile", f_linkedin},
      {"linkedinprofileurl", f_linkedin}};
  auto it = aliases.find(key);
  return it == aliases.end() ? f_count : it->second;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

/// "https://www.Acme.com/about" -> "acme.com".
std::string normalise_domain(std::string d) {
  d = lower(trim(d));
  if (auto p = d.find("://"); p != std::string::npos) d.erase(0, p + 3);
  if (d.starts_with("www.")) d.erase(0, 4);
  if (auto p = d.find_first_of("/?#"); p != std::string::npos) d.erase(p);
  if (auto p = d.find('@'); p != std::string::npos) d.erase(0, p + 1);
  return d;
}

// ---------------------------------------------------------------- identity and journal

std::string hex64(std::uint64_t v) {
  char b[17];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
  return b;
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : s) { h ^= ch; h *= 1099511628211ull; }
  return h;
}

/// The identity of a contact (what decides "the same person"): email, else LinkedIn URL, else
/// first + last name at company/domain; hashed so the journal holds no personal data.
std::string identity_key(const cl::enrich_person_request& c) {
  std::string id;
  if (c.email) id = "e:" + lower(*c.email);
  else if (c.linkedin_url) id = "l:" + lower(*c.linkedin_url);
  else
    id = "n:" + lower(c.first_name.value_or("")) + "\x1f" + lower(c.last_name.value_or("")) + "\x1f" +
         lower(c.company_name.value_or("")) + "\x1f" + c.domain.value_or("");
  return hex64(fnv1a(id)) + hex64(fnv1a("salt/" + id));  // 128 bits: collisions are not a concern
}

struct outcome {
  std::string status, email, email_status, phone, linkedin_url, title, company, error;
  std::string workflow_id;  ///< set (with no status) when the workflow was started but not awaited
  bool in_flight() const { return status.empty() && error.empty() && !workflow_id.empty(); }
};

json::object to_json(const std::string& key, const outcome& o) {
  json::object j;
  j["k"] = key;
  auto put = [&](const char* name, const std::string& v) {
    if (!v.empty()) j[name] = v;
  };
  put("status", o.status);
  put("email", o.email);
  put("email_status", o.email_status);
  put("phone", o.phone);
  put("linkedin_url", o.linkedin_url);
  put("title", o.title);
  put("company", o.company);
  put("error", o.error);
  put("workflow_id", o.workflow_id);
  return j;
}

std::string str_of(const json::object& j, std::string_view k) {
  auto* p = j.if_contains(k);
  return p && p->is_string() ? std::string(p->as_string()) : std::string{};
}

/// Reads OUT.journal; a torn last line (crash during a write) is ignored.
std::unordered_map<std::string, outcome> load_journal(const std::string& path) {
  std::unordered_map<std::string, outcome> m;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    if (ec || !v.is_object()) continue;
    const auto& j = v.as_object();
    auto k = str_of(j, "k");
    if (k.empty()) continue;
    m[k] = outcome{str_of(j, "status"), str_of(j, "email"),   str_of(j, "email_status"), str_of(j, "phone"),
                   str_of(j, "linkedin_url"), str_of(j, "title"), str_of(j, "company"),   str_of(j, "error"),
                   str_of(j, "workflow_id")};
  }
  return m;
}

class journal_writer {
public:
  explicit journal_writer(const std::string& path) : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) {
    if (fd_ < 0) throw std::runtime_error("cannot open journal " + path + ": " + std::strerror(errno));
  }
  ~journal_writer() { if (fd_ >= 0) ::close(fd_); }
  journal_writer(const journal_writer&) = delete;
  journal_writer& operator=(const journal_writer&) = delete;

  /// One whole line per write(2) (O_APPEND): a crash leaves at most one torn line.
  void append(const json::object& rec) {
    std::string line = json::serialize(rec) + "\n";
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
      auto n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error(std::string("journal write failed: ") + std::strerror(errno));
      }
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  }
  void sync() { ::fsync(fd_); }

private:
  int fd_;
};

/// Errors that a re-run should retry (nothing was charged, or the run was stopped); every other
/// outcome (found, not found, failed workflow, outcome unknown, ...) is final and journaled.
bool retry_on_rerun(const cl::enrich_item_result& r) {
  if (!r.ec) return false;
  const auto& ec = r.ec;
  if (ec == asio::error::operation_aborted || ec == cl::error::timeout || ec == cl::error::shutdown) return true;
  if (ec == cl::error::insufficient_credits || ec == cl::error::rate_limited || ec == cl::error::server_error ||
      ec == cl::error::bad_gateway || ec == cl::error::service_unavailable || ec == cl::error::gateway_timeout ||
      ec == cl::error::retry_budget_exhausted || ec == cl::error::unauthenticated || ec == cl::error::feature_gated ||
      ec == cl::error::insufficient_scope || ec == cl::error::spend_cap_exceeded)
    return true;
  return ec.category() != cl::error_category();  // transport errors (connection refused, ...)
}

outcome outcome_of(const cl::enrich_item_result& r) {
  outcome o;
  o.workflow_id = r.workflow_id;
  o.status = r.status;  // also for a workflow that ended failed/cancelled, or a lead not enriched
  if (r.ec) {
    o.error = r.problem.empty() ? r.ec.message() : r.problem;
    return o;
  }
  o.email = r.email.value_or("");
  o.email_status = r.email_status.value_or("");
  o.phone = r.phone.value_or("");
  o.linkedin_url = r.linkedin_url.value_or("");
  o.title = r.title.value_or("");
  o.company = r.company.value_or("");
  return o;
}

// ---------------------------------------------------------------- progress display

class progress_display {
public:
  progress_display(std::size_t total, bool quiet) : total_(total), tty_(::isatty(STDERR_FILENO) == 1), quiet_(quiet) {}

  void update(std::size_t done, bool force = false) {
    done_ = done;
    if (quiet_ || total_ == 0) return;
    auto now = std::chrono::steady_clock::now();
    if (tty_) {
      if (!force && now - last_draw_ < 100ms && done != total_) return;
      last_draw_ = now;
      const int width = 30;
      const int filled = static_cast<int>(width * done_ / total_);
      std::string bar(static_cast<std::size_t>(filled), '#');
      bar.resize(width, '.');
      std::fprintf(stderr, "\r  [%s] %zu/%zu (%3zu%%) %5.1fs", bar.c_str(), done_, total_, 100 * done_ / total_, elapsed());
      std::fflush(stderr);
    } else {
      const std::size_t decile = 10 * done_ / total_;
      if (done_ == last_printed_) return;
      if (!force && decile == last_decile_ && now - last_draw_ < 10s) return;
      last_printed_ = done_;
      last_decile_ = decile;
      last_draw_ = now;
      std::fprintf(stderr, "progress: %zu/%zu contacts (%zu%%) after %.1fs\n", done_, total_, 100 * done_ / total_, elapsed());
    }
  }
  void set_total(std::size_t t) { total_ = t; }
  void tick() { if (tty_) update(done_, true); }  // redraws the elapsed time while waiting
  void finish() {
    if (!quiet_ && tty_ && total_ > 0) std::fprintf(stderr, "\n");
  }

private:
  double elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  std::size_t total_, done_ = 0, last_decile_ = 0, last_printed_ = static_cast<std::size_t>(-1);
  bool tty_, quiet_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_draw_{};
};

// ---------------------------------------------------------------- the run

struct options {
  std::string in, out;
  cl::enrich_path path = cl::enrich_path::automatic;
  cl::enrichment_type type = cl::enrichment_type::partial;
  std::size_t chunk = 1000;
  bool quiet = false;
};

struct run_state {
  options opt;
  cl::client* client = nullptr;
  std::vector<cl::enrich_person_request> todo;  // unique contacts not in the journal
  std::vector<std::string> todo_keys;
  std::vector<std::pair<std::string, std::string>> resume;  // (key, workflow_id) started, never awaited
  std::size_t resume_next = 0;
  std::deque<asio::cancellation_signal> resume_cancel;  // one per resume worker
  std::unordered_map<std::string, cl::enrich_person_request> by_key;  // to re-send unknown workflows
  std::size_t resume_workers = 0;
  asio::steady_timer* resume_latch = nullptr;
  std::unordered_map<std::string, outcome>* results = nullptr;
  journal_writer* journal = nullptr;
  progress_display* progress = nullptr;
  asio::cancellation_signal cancel;
  bool interrupted = false;
  std::size_t sent = 0, finished = 0, to_retry = 0;
  std::exception_ptr failure;
};

/// Workflows an interrupted run started (and paid for) but did not wait for: wait for them
/// now instead of sending the contact again.
asio::awaitable<void> resume_worker(run_state* st, asio::cancellation_signal* cancel) {
  cl::poll_params poll;
  poll.initial = 1ms;  // finished long ago, most likely: ask at once
  poll.max_interval = 10s;
  while (st->resume_next < st->resume.size() && !st->interrupted) {
    auto [key, wf] = st->resume[st->resume_next++];
    auto [ec, ws] = co_await st->client->async_wait_for_workflow(
        wf, poll, {}, asio::bind_cancellation_slot(cancel->slot(), asio::as_tuple(asio::use_awaitable)));
    outcome o;
    o.workflow_id = wf;
    if (ec == cl::error::not_found) {
      // The server does not know this workflow (never created, or another server such as a
      // fresh embedded simulator): nothing was charged for it here, send the contact again.
      st->todo.push_back(st->by_key[key]);
      st->todo_keys.push_back(key);
      continue;
    }
    if (ec) {
      o.error = ec.message();
      ++st->to_retry;
      if (ec == asio::error::operation_aborted || ec == cl::error::timeout || ec == cl::error::shutdown ||
          ec.category() != cl::error_category()) {
        o.error = "not finished: waiting for workflow " + wf + " was interrupted (" + ec.message() + "); re-run to resume";
        (*st->results)[key] = std::move(o);
        continue;  // still in flight: the journal keeps its workflow_id
      }
    } else {
      o.status = ws.status;
      if (ws.result) {
        const auto& r = *ws.result;
        o.email = r.email.value_or("");
        o.email_status = r.email_status.value_or("");
        o.phone = r.phone.value_or("");
        o.linkedin_url = r.linkedin_url.value_or("");
        o.title = r.title.value_or("");
        o.company = r.company.value_or("");
      }
      ++st->finished;
    }
    st->journal->append(to_json(key, o));
    st->journal->sync();
    (*st->results)[key] = std::move(o);
  }
}

asio::awaitable<void> run_batches(run_state* st) {
  st->progress->set_total(st->todo.size());
  for (std::size_t begin = 0; begin < st->todo.size() && !st->interrupted; begin += st->opt.chunk) {
    const std::size_t end = std::min(st->todo.size(), begin + st->opt.chunk);
    std::vector<cl::enrich_person_request> batch(st->todo.begin() + static_cast<std::ptrdiff_t>(begin),
                                                 st->todo.begin() + static_cast<std::ptrdiff_t>(end));
    cl::enrich_many_options mo;
    mo.path = st->opt.path;
    mo.type = st->opt.type;
    mo.poll.initial = 1s;
    mo.poll.max_interval = 10s;
    progress_display* pd = st->progress;
    mo.on_progress = [pd, begin](std::size_t done, std::size_t) { pd->update(begin + done); };
    st->sent += batch.size();
    auto results = co_await st->client->async_enrich_many(
        std::move(batch), std::move(mo), asio::bind_cancellation_slot(st->cancel.slot(), asio::use_awaitable));
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& key = st->todo_keys[begin + i];
      auto o = outcome_of(results[i]);
      if (retry_on_rerun(results[i]) && !results[i].workflow_id.empty()) {
        // Started (and paid for) but not awaited: journal the workflow, the next run waits for it.
        ++st->to_retry;
        outcome pending;
        pending.workflow_id = results[i].workflow_id;
        st->journal->append(to_json(key, pending));
        o.error = "not finished: workflow " + pending.workflow_id + " started; re-run to collect it (no new charge)";
      } else if (retry_on_rerun(results[i])) {
        ++st->to_retry;
        if (st->interrupted) o.error = "not enriched: interrupted (re-run the same command to resume)";
        else o.error += " (not journaled: re-run to retry)";
      } else {
        st->journal->append(to_json(key, o));
        ++st->finished;
      }
      (*st->results)[key] = std::move(o);
    }
    st->journal->sync();
    st->progress->update(end, true);
  }
}

/// First wait for the workflows started by an earlier run, then enrich what is left.
asio::awaitable<void> run_all(run_state* st) {
  if (!st->resume.empty()) {
    asio::steady_timer latch(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
    st->resume_latch = &latch;
    st->resume_workers = std::min<std::size_t>(st->resume.size(), 32);
    for (std::size_t w = 0, n = st->resume_workers; w < n; ++w)
      asio::co_spawn(co_await asio::this_coro::executor, resume_worker(st, &st->resume_cancel.emplace_back()),
                     [st](std::exception_ptr e) {
                       if (e && !st->failure) st->failure = e;
                       if (--st->resume_workers == 0) st->resume_latch->cancel();
                     });
    co_await latch.async_wait(asio::as_tuple(asio::use_awaitable));
    if (st->failure) co_return;
  }
  if (!st->interrupted) co_await run_batches(st);
}

asio::awaitable<void> redraw(asio::steady_timer* t, progress_display* pd) {
  for (;;) {
    t->expires_after(250ms);
    auto [ec] = co_await t->async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    pd->tick();
  }
}

int usage() {
  std::cerr << "usage: enrich_csv IN.csv OUT.csv [--path auto|person|bulk] [--type partial|full|phone_only]\n"
               "                  [--chunk N] [--quiet]\n";
  return 2;
}

std::optional<options> parse_args(int argc, char** argv) {
  options o;
  std::vector<std::string> pos;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    if (a == "--path") {
      auto v = next();
      if (!v) return std::nullopt;
      if (*v == "auto") o.path = cl::enrich_path::automatic;
      else if (*v == "person") o.path = cl::enrich_path::person_by_person;
      else if (*v == "bulk") o.path = cl::enrich_path::bulk;
      else return std::nullopt;
    } else if (a == "--type") {
      auto v = next();
      if (!v) return std::nullopt;
      auto t = cl::parse_enrichment_type(*v);  // partial | phone_only | full
      if (!t) return std::nullopt;
      o.type = *t;
    } else if (a == "--chunk") {
      auto v = next();
      if (!v) return std::nullopt;
      o.chunk = std::max<std::size_t>(1, std::stoul(*v));
    } else if (a == "--quiet") o.quiet = true;
    else if (a.starts_with("--")) return std::nullopt;
    else pos.push_back(a);
  }
  if (pos.size() != 2) return std::nullopt;
  o.in = pos[0];
  o.out = pos[1];
  return o;
}

int run(options opt) {
  // 1. Read and parse the input.
  std::ifstream in(opt.in, std::ios::binary);
  if (!in) { std::cerr << "enrich_csv: cannot read " << opt.in << "\n"; return 1; }
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<row> rows;
  std::string problem;
  if (!parse_csv(ss.str(), rows, problem)) { std::cerr << "enrich_csv: " << opt.in << ": " << problem << "\n"; return 1; }
  if (rows.empty()) { std::cerr << "enrich_csv: " << opt.in << " has no header row\n"; return 1; }
  const row header = rows.front();
  rows.erase(rows.begin());

  int col[f_count];
  std::fill(std::begin(col), std::end(col), -1);
  for (std::size_t i = 0; i < header.size(); ++i)
    if (auto f = field_of(header_key(header[i])); f != f_count && col[f] < 0) col[f] = static_cast<int>(i);
  if (std::all_of(std::begin(col), std::end(col), [](int c) { return c < 0; })) {
    std::cerr << "enrich_csv: no known column in the header (expected some of first_name, last_name, company, domain, "
                 "email, linkedin_url)\n";
    return 1;
  }

  // 2. One contact per row; invalid rows are answered locally; identical identities share a result.
  std::vector<std::string> row_key(rows.size());
  std::vector<std::string> row_invalid(rows.size());
  std::vector<cl::enrich_person_request> unique;
  std::vector<std::string> unique_keys;
  std::unordered_map<std::string, std::size_t> seen;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    auto get = [&](field_id f) -> std::optional<std::string> {
      if (col[f] < 0 || static_cast<std::size_t>(col[f]) >= rows[r].size()) return std::nullopt;
      auto v = trim(rows[r][static_cast<std::size_t>(col[f])]);
      if (v.empty()) return std::nullopt;
      return v;
    };
    cl::enrich_person_request c;
    c.first_name = get(f_first);
    c.last_name = get(f_last);
    c.company_name = get(f_company);
    if (auto d = get(f_domain)) {
      auto nd = normalise_domain(*d);
      if (!nd.empty()) c.domain = nd;
    }
    c.email = get(f_email);
    c.linkedin_url = get(f_linkedin);
    if (auto bad = cl::validate(c); !bad.empty()) {
      row_invalid[r] = "no identifier: needs email, linkedin_url, or first_name + last_name + company or domain";
      continue;
    }
    row_key[r] = identity_key(c);
    if (seen.emplace(row_key[r], unique.size()).second) {
      unique.push_back(std::move(c));
      unique_keys.push_back(row_key[r]);
    }
  }

  // 3. The journal of earlier runs.
  const std::string journal_path = opt.out + ".journal";
  auto results = load_journal(journal_path);
  std::size_t from_journal = 0;

  run_state st;
  st.opt = opt;
  st.results = &results;
  for (std::size_t i = 0; i < unique.size(); ++i) {
    auto it = results.find(unique_keys[i]);
    if (it == results.end()) {
      st.todo.push_back(unique[i]);
      st.todo_keys.push_back(unique_keys[i]);
    } else if (it->second.in_flight()) {
      st.resume.emplace_back(unique_keys[i], it->second.workflow_id);
      st.by_key[unique_keys[i]] = unique[i];
    } else {
      ++from_journal;
    }
  }
  const std::size_t invalid = std::count_if(row_invalid.begin(), row_invalid.end(), [](auto& s) { return !s.empty(); });
  std::cout << "enrich_csv: " << rows.size() << " rows, " << unique.size() << " distinct contacts, " << invalid
            << " without identifier, " << from_journal << " already done (" << journal_path << "), "
            << st.resume.size() << " started earlier (waited for, not sent again), " << st.todo.size() << " to enrich\n"
            << std::flush;

  journal_writer journal(journal_path);
  st.journal = &journal;
  progress_display progress(st.todo.size(), opt.quiet);
  st.progress = &progress;
  cl::client_stats cstats;
  std::uint64_t sim_requests = 0;
  bool have_sim = false;

  // 4. Enrich what is left (nothing to do: no client, no simulator, no request).
  if (!st.todo.empty() || !st.resume.empty()) {
    cl::testing::simulator_params sp;  // embedded simulator: documented limits, short workflows
    sp.pending_for = 200ms;
    sp.running_for = 1s;
    auto setup = examples::make_setup(sp);
    asio::io_context ioc;
    cl::client c(ioc.get_executor(), setup.params);
    st.client = &c;

    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    int signal_count = 0;
    std::function<void(boost::system::error_code, int)> on_signal;
    on_signal = [&](boost::system::error_code ec, int) {
      if (ec) return;
      if (++signal_count > 1) std::_Exit(130);  // second Ctrl-C: the journal is already on disk
      std::cerr << "\nenrich_csv: interrupted — cancelling, then writing what is done (Ctrl-C again to quit now)\n";
      st.interrupted = true;
      st.cancel.emit(asio::cancellation_type::terminal);
      for (auto& s : st.resume_cancel) s.emit(asio::cancellation_type::terminal);
      signals.async_wait(on_signal);
    };
    signals.async_wait(on_signal);

    asio::steady_timer redraw_timer(ioc);
    asio::co_spawn(ioc, redraw(&redraw_timer, &progress), asio::detached);
    progress.update(0, true);
    asio::co_spawn(ioc, run_all(&st), [&](std::exception_ptr e) {
      if (e && !st.failure) st.failure = e;
      signals.cancel();
      redraw_timer.cancel();
    });
    ioc.run();
    progress.finish();
    cstats = c.stats();
    if (setup.sim) {
      have_sim = true;
      sim_requests = setup.sim->stats().requests;
    }
    if (st.failure) {
      try { std::rethrow_exception(st.failure); }
      catch (const cl::api_exception& e) { std::cerr << "enrich_csv: " << e.code().message() << " — " << e.diag().to_string() << "\n"; }
      catch (const std::exception& e) { std::cerr << "enrich_csv: " << e.what() << "\n"; }
      // fall through: still write every row with what is known
    }
  }

  // 5. Write OUT: every input row, in order, with its result or its error.
  const std::string tmp = opt.out + ".tmp";
  std::size_t ok_rows = 0, error_rows = 0;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) { std::cerr << "enrich_csv: cannot write " << tmp << "\n"; return 1; }
    row h = header;
    for (const char* name : {"enriched_status", "enriched_email", "enriched_email_status", "enriched_phone",
                             "enriched_linkedin_url", "enriched_title", "enriched_company", "enrich_error"})
      h.emplace_back(name);
    write_row(out, h);
    for (std::size_t r = 0; r < rows.size(); ++r) {
      row w = rows[r];
      w.resize(header.size());
      outcome o;
      if (!row_invalid[r].empty()) o.error = row_invalid[r];
      else if (auto it = results.find(row_key[r]); it != results.end()) o = it->second;
      else o.error = "not enriched: interrupted (re-run the same command to resume)";
      (o.status.empty() ? error_rows : ok_rows)++;
      for (const std::string* v : {&o.status, &o.email, &o.email_status, &o.phone, &o.linkedin_url, &o.title, &o.company, &o.error})
        w.push_back(*v);
      write_row(out, w);
    }
    out.flush();
    if (!out) { std::cerr << "enrich_csv: write to " << tmp << " failed\n"; return 1; }
  }
  if (std::rename(tmp.c_str(), opt.out.c_str()) != 0) {
    std::cerr << "enrich_csv: cannot rename " << tmp << " to " << opt.out << ": " << std::strerror(errno) << "\n";
    return 1;
  }

  std::cout << "wrote " << opt.out << ": " << rows.size() << " rows (" << ok_rows << " with a status, " << error_rows
            << " with an error)\n";
  std::cout << "summary: rows=" << rows.size() << " contacts=" << unique.size() << " from_journal=" << from_journal
            << " enriched_this_run=" << st.finished << " retry_later=" << st.to_retry << " invalid_rows=" << invalid
            << " requests=" << cstats.requests << " rate_limited_429=" << cstats.rate_limited_429;
  if (have_sim) std::cout << " sim_requests=" << sim_requests;
  std::cout << " interrupted=" << (st.interrupted ? 1 : 0) << "\n";
  if (st.interrupted) return 130;
  return st.failure ? 1 : 0;
}

} // namespace

int main(int argc, char** argv) {
  auto opt = parse_args(argc, argv);
  if (!opt) return usage();
  try {
    return run(std::move(*opt));
  } catch (const std::exception& e) {
    std::cerr << "enrich_csv: " << e.what() << "\n";
    return 1;
  }
}
