#pragma once
// The one CSV reader of the library and the simulator (RFC 4180: quoted fields, "" escapes,
// separators and line breaks inside quotes, CRLF or LF, a UTF-8 BOM, blank lines skipped).
// Pure, no sockets. The client reads what a server sent (an export file): strict and bounded,
// an error on anything malformed, never a crash. The simulator reads what a client uploaded
// the way a permissive server does (lenient: quotes anywhere, an unterminated quote runs to
// the end).
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace cleanlist::api {

using csv_table = std::vector<std::vector<std::string>>;

struct csv_limits {
  std::size_t max_field_bytes = 64 * 1024;
  std::size_t max_columns = 256;
  std::size_t max_rows = std::numeric_limits<std::size_t>::max();
};

/// Strict: a quote may only open a field and must be closed before the end, followed by a
/// separator or a line end; limits enforced. False with `problem` (a line number and what is
/// wrong, never the text itself); `rows` then holds what was read before the problem.
bool parse_csv_strict(std::string_view text, csv_table& rows, std::string& problem, const csv_limits& lim = {});

/// Lenient: never fails (a quote anywhere toggles quoting; an unterminated quote ends at the
/// end of the text). For the simulator's CSV import.
csv_table parse_csv_lenient(std::string_view text);

} // namespace cleanlist::api
