#include "protocol/csv_parse.hpp"

namespace cleanlist::api {

namespace {

// One state machine for both readings: `strict` turns the permissive cases into errors.
bool parse(std::string_view s, csv_table& rows, std::string& problem, const csv_limits& lim, bool strict) {
  rows.clear();
  if (s.starts_with("\xEF\xBB\xBF")) s.remove_prefix(3);
  std::vector<std::string> row;
  std::string cell;
  bool inq = false;      // inside quotes
  bool closed = false;   // a quoted field was closed: only a separator or a line end may follow (strict)
  bool any = false;      // the line has content (a separator or a quote counts)
  std::size_t line = 1, quote_line = 1;
  auto fail = [&](std::size_t at, const char* what) {
    problem = "CSV line " + std::to_string(at) + ": " + what;
    return false;
  };
  auto end_cell = [&]() -> bool {
    if (cell.size() > lim.max_field_bytes) return false;
    if (row.size() >= lim.max_columns) return false;
    row.push_back(std::move(cell));
    cell.clear();
    closed = false;
    return true;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    if (inq) {
      if (ch == '"') {
        if (i + 1 < s.size() && s[i + 1] == '"') {
          cell += '"';
          ++i;
        } else {
          inq = false;
          closed = strict;
        }
      } else {
        if (ch == '\n') ++line;
        cell += ch;
      }
      if (strict && cell.size() > lim.max_field_bytes) return fail(quote_line, "field larger than the limit");
      continue;
    }
    if (ch == ',') {
      if (!end_cell()) return fail(line, "field larger than the limit or too many columns");
      any = true;
    } else if (ch == '\n' || ch == '\r') {
      if (ch == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      if (any || !cell.empty()) {
        if (!end_cell()) return fail(line, "field larger than the limit or too many columns");
        if (rows.size() >= lim.max_rows) return fail(line, "more rows than the limit");
        rows.push_back(std::move(row));
      }
      row.clear();
      cell.clear();
      any = false;
      closed = false;
      ++line;
    } else if (strict && closed) {
      return fail(line, "text after a closing quote (expected a separator or a line end)");
    } else if (ch == '"') {
      if (strict && !cell.empty()) return fail(line, "quote inside an unquoted field");
      inq = true;
      any = true;
      quote_line = line;
    } else {
      cell += ch;
      any = true;
      if (strict && cell.size() > lim.max_field_bytes) return fail(line, "field larger than the limit");
    }
  }
  if (inq && strict) return fail(quote_line, "unterminated quoted field (torn file?)");
  if (any || !cell.empty()) {
    if (!end_cell()) return fail(line, "field larger than the limit or too many columns");
    if (rows.size() >= lim.max_rows) return fail(line, "more rows than the limit");
    rows.push_back(std::move(row));
  }
  return true;
}

} // namespace

bool parse_csv_strict(std::string_view text, csv_table& rows, std::string& problem, const csv_limits& lim) {
  return parse(text, rows, problem, lim, true);
}

csv_table parse_csv_lenient(std::string_view text) {
  csv_table rows;
  std::string ignored;
  csv_limits none;
  none.max_field_bytes = std::numeric_limits<std::size_t>::max();
  none.max_columns = std::numeric_limits<std::size_t>::max();
  parse(text, rows, ignored, none, false);
  return rows;
}

} // namespace cleanlist::api
