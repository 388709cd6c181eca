#include "journal.hpp"
#include "csv.hpp"
#include "output.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <unordered_set>

namespace json = boost::json;

namespace cleanlist_cli {

namespace {

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

std::string str_of(const json::object& j, std::string_view k) {
  auto* p = j.if_contains(k);
  return p && p->is_string() ? std::string(p->as_string()) : std::string{};
}

} // namespace

std::string identity_key(const cleanlist::enrich_person_request& c) {
  std::string id;
  if (c.email) id = "e:" + lower(*c.email);
  else if (c.linkedin_url) id = "l:" + lower(*c.linkedin_url);
  else
    id = "n:" + lower(c.first_name.value_or("")) + "\x1f" + lower(c.last_name.value_or("")) + "\x1f" +
         lower(c.company_name.value_or("")) + "\x1f" + c.domain.value_or("");
  return hex64(fnv1a(id)) + hex64(fnv1a("salt/" + id));
}

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

namespace {
/// A record naming a batch's keys ({"keys": [...]}): each key's latest outcome becomes `o`.
void set_keys(const json::object& rec, const outcome& o, journal_state& s) {
  if (auto* ks = rec.if_contains("keys"); ks && ks->is_array())
    for (const auto& k : ks->as_array())
      if (k.is_string()) s.results[std::string(k.as_string())] = o;
}
} // namespace

journal_state load_journal(const std::string& path) {
  journal_state s;
  std::unordered_set<std::string> voided, dispatching;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    if (ec || !v.is_object()) continue;
    const auto& j = v.as_object();
    s.empty = false;
    if (auto* r = j.if_contains("run"); r && r->is_object()) {
      if (!s.run) s.run = r->as_object();
      continue;
    }
    if (auto* n = j.if_contains("intent_void"); n && n->is_string()) {
      voided.insert(std::string(n->as_string()));
      continue;
    }
    if (auto* n = j.if_contains("bulk_dispatching"); n && n->is_string()) {
      dispatching.insert(std::string(n->as_string()));
      continue;
    }
    if (auto* b = j.if_contains("bulk_intent"); b && b->is_object()) {
      const auto name = str_of(b->as_object(), "list_name");
      if (name.empty()) continue;
      outcome o;
      o.intent = name;
      set_keys(j, o, s);
      continue;
    }
    if (auto* b = j.if_contains("bulk"); b && b->is_object()) {
      const auto wf = str_of(b->as_object(), "workflow_id");
      const auto list = str_of(b->as_object(), "list_id");
      if (wf.empty() || list.empty()) continue;
      s.bulk_lists[wf] = list;
      outcome o;
      o.workflow_id = wf;
      set_keys(j, o, s);
      continue;
    }
    auto k = str_of(j, "k");
    if (k.empty()) continue;
    s.results[k] = outcome{str_of(j, "status"), str_of(j, "email"),   str_of(j, "email_status"), str_of(j, "phone"),
                           str_of(j, "linkedin_url"), str_of(j, "title"), str_of(j, "company"),   str_of(j, "error"),
                           str_of(j, "workflow_id"), std::string{}};
  }
  // A batch that returned: its keys still pointing at its intent were not dispatched.
  for (auto it = s.results.begin(); it != s.results.end();)
    if (it->second.undecided() && voided.count(it->second.intent)) it = s.results.erase(it);
    else {
      if (it->second.undecided()) it->second.dispatching = dispatching.count(it->second.intent) > 0;
      ++it;
    }
  return s;
}

std::string run_differences(const json::object& journal, const json::object& run) {
  std::string d;
  auto text = [](const json::value* v) { return v ? (v->is_string() ? std::string(v->as_string()) : json::serialize(*v)) : std::string("(none)"); };
  for (const auto& [k, v] : run) {
    const json::value* was = journal.if_contains(k);
    if (was && *was == v) continue;
    if (!d.empty()) d += ", ";
    d += std::string(k) + " " + text(was) + " (this run: " + text(&v) + ")";
  }
  return d;
}

void journal_writer::run_settings(const json::object& run) {
  json::object rec;
  rec["run"] = run;
  append(rec);
  sync();
}

journal_writer::journal_writer(const std::string& path)
    : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) {  // results: the owner's only
  if (fd_ < 0) throw input_error("cannot open the journal " + path + ": " + std::strerror(errno));
  // One run per journal: two runs (e.g. two shards given the same OUT) would each resume
  // from a journal the other is writing. The lock goes with the descriptor (close, exit, crash).
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    ::close(fd_);
    fd_ = -1;
    if (e == EWOULDBLOCK)
      throw input_error("the journal " + path + " is in use by another cleanlist run (each shard needs its own OUT)");
    throw input_error("cannot lock the journal " + path + ": " + std::strerror(e));
  }
}

journal_writer::~journal_writer() {
  if (fd_ >= 0) {
    ::fsync(fd_);
    ::close(fd_);
  }
}

void journal_writer::append(const json::object& rec) {
  std::string line = json::serialize(rec) + "\n";
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    auto n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw input_error(std::string("journal write failed: ") + std::strerror(errno));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void journal_writer::bulk_started(const std::string& list_id, const std::string& workflow_id,
                                  const std::vector<std::string>& keys) {
  json::object rec, b;
  b["list_id"] = list_id;
  b["workflow_id"] = workflow_id;
  rec["bulk"] = std::move(b);
  json::array ks;
  for (const auto& k : keys) ks.emplace_back(k);
  rec["keys"] = std::move(ks);
  append(rec);
  sync();  // paid for: on disk before anything else happens
}

void journal_writer::bulk_intent(const std::string& list_name, const std::vector<std::string>& keys) {
  json::object rec, b;
  b["list_name"] = list_name;
  rec["bulk_intent"] = std::move(b);
  json::array ks;
  for (const auto& k : keys) ks.emplace_back(k);
  rec["keys"] = std::move(ks);
  append(rec);
  sync();  // on disk before the batch sends its first request
}

void journal_writer::intent_void(const std::string& list_name) {
  json::object rec;
  rec["intent_void"] = list_name;
  append(rec);
  sync();
}

void journal_writer::bulk_dispatching(const std::string& list_name) {
  json::object rec;
  rec["bulk_dispatching"] = list_name;
  append(rec);
  sync();  // on disk before the paid request is sent
}

void journal_writer::sync() { ::fsync(fd_); }

} // namespace cleanlist_cli
