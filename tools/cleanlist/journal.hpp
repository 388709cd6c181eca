#pragma once
// The resume journal of enrich-csv (OUT.journal): one JSON line per event, appended with one
// write(2) each (O_APPEND) and fsync'ed per batch, so a crash leaves at most one torn line.
//   {"run": {"api": ..., "path": ..., "type": ..., "shard": ..., "input": ...}}  first line: the
//                                                               settings its results belong to
//   {"k": KEY, "status": ..., "email": ..., ..., "error": ...}  a contact's final outcome
//   {"k": KEY, "workflow_id": WF}                                started (paid for), not awaited
//   {"bulk_intent": {"list_name": N}, "keys": [KEY...]}        a bulk batch about to start (before any
//                                                               request): its list will be named N
//   {"bulk_dispatching": N}                                      that batch's list is imported and
//                                                               quoted: its paid run is sent next
//   {"bulk": {"list_id": L, "workflow_id": WF}, "keys": [KEY...]} a bulk run dispatched (paid for)
//   {"intent_void": N}                                           that batch returned: each of its keys
//                                                               has its own later line, or was
//                                                               provably not dispatched (send again)
// A key whose latest line is a bulk_intent not voided: the process died (crash, SIGKILL) while
// the batch was creating its list, importing, quoting or dispatching. Without a
// bulk_dispatching line for N the run was never sent: the keys are sent again; with one, the
// next run looks for list N to decide (see cmd_enrich_csv.cpp: probe_undecided).
// KEY is a hash of the contact's identity, but a final outcome holds what was found (email,
// phone, title, company): the journal is created readable by its owner only (0600), like OUT's
// results it mirrors.
#include <cleanlist/models/enrichment.hpp>

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace cleanlist_cli {

struct outcome {
  std::string status, email, email_status, phone, linkedin_url, title, company, error;
  std::string workflow_id;  ///< set (with no status nor error) while started but not awaited
  std::string intent;       ///< set (alone) while a bulk batch for the list named so was under way
  bool dispatching = false;  ///< that batch reached its paid POST (bulk_dispatching journaled)
  bool in_flight() const { return status.empty() && error.empty() && !workflow_id.empty(); }
  bool undecided() const { return status.empty() && error.empty() && workflow_id.empty() && !intent.empty(); }
};

/// 128-bit hash of a contact's identity (email, else LinkedIn URL, else name at company/domain).
std::string identity_key(const cleanlist::enrich_person_request& c);

struct journal_state {
  std::unordered_map<std::string, outcome> results;            ///< key -> latest outcome
  std::unordered_map<std::string, std::string> bulk_lists;     ///< bulk workflow id -> its list id
  std::optional<boost::json::object> run;  ///< the run settings line, when there is one
  bool empty = true;                       ///< no line at all
};

/// The fields where `journal` (a journal's run settings) and `run` (this run's) differ, as
/// "name JOURNAL (this run: RUN)", comma-separated; empty when they agree.
std::string run_differences(const boost::json::object& journal, const boost::json::object& run);

/// Reads a journal (absent file: empty). A torn or foreign line is skipped.
journal_state load_journal(const std::string& path);

boost::json::object to_json(const std::string& key, const outcome& o);

class journal_writer {
public:
  /// Opens for appending and locks it (flock, exclusive): throws input_error when it cannot,
  /// e.g. another run holds it.
  explicit journal_writer(const std::string& path);
  ~journal_writer();
  journal_writer(const journal_writer&) = delete;
  journal_writer& operator=(const journal_writer&) = delete;

  void append(const boost::json::object& rec);  ///< one whole line per write(2)
  /// The run's settings, the first line of a new journal (fsync'ed).
  void run_settings(const boost::json::object& run);
  void bulk_started(const std::string& list_id, const std::string& workflow_id, const std::vector<std::string>& keys);
  /// Before a bulk batch sends anything (fsync'ed): its list's name and its contacts.
  void bulk_intent(const std::string& list_name, const std::vector<std::string>& keys);
  /// After that batch returned (fsync'ed).
  void intent_void(const std::string& list_name);
  /// The batch's paid run is about to be sent (on disk before it is).
  void bulk_dispatching(const std::string& list_name);
  void sync();

private:
  int fd_;
};

} // namespace cleanlist_cli
