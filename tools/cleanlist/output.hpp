#pragma once
// Output of the `cleanlist` command: a table for people, or one JSON document for scripts
// (--json). Results go to stdout; notes, progress and errors go to stderr, so stdout of a
// --json run is always exactly one JSON value.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <exception>
#include <string_view>
#include <string>
#include <vector>

namespace cleanlist_cli {

/// Exit codes (documented in `cleanlist --help` and README.md).
enum exit_code : int {
  exit_ok = 0,
  exit_api_error = 1,     ///< the API (or the network) refused or failed the request
  exit_usage = 2,         ///< bad command line: unknown flag, missing argument, bad value
  exit_input = 3,         ///< a local file could not be read or written, or is not valid CSV
  exit_workflow = 4,      ///< a waited-for workflow ended failed or cancelled
  exit_interrupted = 130, ///< Ctrl-C / SIGTERM: stopped cleanly (enrich-csv: re-run to resume)
};

/// A command-line or input problem found before anything was sent.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
/// A local file problem (exit_input).
struct input_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class output {
public:
  explicit output(bool json, bool quiet) : json_(json), quiet_(quiet) {}
  bool json() const { return json_; }
  bool quiet() const { return quiet_; }

  /// One record: JSON as is (--json), else "key  value" lines of its scalar members, nested
  /// values compact. `keys` (optional) chooses and orders the members shown in the table.
  void record(const boost::json::object& o, const std::vector<std::string>& keys = {}) const;
  /// Rows of a listing: JSON `doc` as is (--json, it holds the rows), else a table of `rows`
  /// with `columns` (missing members print as "-") followed by `footer` when non-empty.
  void table(const boost::json::value& doc, const boost::json::array& rows, const std::vector<std::string>& columns,
             const std::string& footer = {}) const;
  /// A note for people on stderr (nothing with --quiet).
  void note(const std::string& line) const;
  /// Any JSON value on stdout (used by --json results built by the commands).
  void json_value(const boost::json::value& v) const;
  /// The embedded simulator answers this run: every JSON document says `"simulated": true`.
  void set_simulated() { simulated_ = true; }
  bool simulated() const { return simulated_; }

private:
  void emit_json(const boost::json::value& v) const;
  bool json_, quiet_;
  bool simulated_ = false;
};

/// Width of UTF-8 text in a terminal's columns, counted as characters (code points).
std::size_t text_width(std::string_view s);
/// `s` cut to at most `max` characters (the last three "..."), never inside a character.
std::string fit(std::string s, std::size_t max);

/// Compact text of a JSON value for a table cell: strings unquoted, null as "-".
std::string cell(const boost::json::value* v);

} // namespace cleanlist_cli
