#pragma once
// Shared pieces of the typed models: the success envelope every response carries, the
// enrichment enums, and small helpers (base64, terminal-status test).
//
// Conversions (declared next to each type, defined in src/core/models/*.cpp):
//   responses: X tag_invoke(boost::json::value_to_tag<X>, const boost::json::value&)
//     - unknown fields are tolerated and kept in `raw` (the whole body object);
//     - explicit JSON null is accepted for every optional field;
//     - a missing required field or a wrong type throws boost::system::system_error with
//       cleanlist::error::bad_response and the message "<type>.<field>: <what>"
//       (nested objects: "<type>.<field>[i].<field>: <what>").
//   requests: void tag_invoke(boost::json::value_from_tag, boost::json::value&, const X&)
//     - only the JSON body fields; path/query parameters are not serialised;
//     - absent optionals are omitted.

#include <cleanlist/error.hpp>

#include <boost/json/conversion.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace cleanlist {

/// A response's JSON object as received, unknown fields included: what a model does not
/// type. Read it like a `const boost::json::object` (`raw.at("x")`, `raw->size()`, `*raw`,
/// or pass it where a `const boost::json::object&` is taken). Responses read on the hot path
/// (workflow status) keep only the body text and build the object when it is first read, once
/// and thread-safely: a poll loop that never looks at it does not pay for a JSON document.
/// Copies share that text and are cheap; an object assigned to it is held as is.
class raw_object {
public:
  raw_object() = default;
  raw_object(boost::json::object o) noexcept;  // NOLINT: implicit, as the field's old type
  raw_object(const raw_object& o);
  raw_object(raw_object&& o) noexcept;
  raw_object& operator=(const raw_object& o);
  raw_object& operator=(raw_object&& o) noexcept;
  /// Holds `o` itself (its memory resource included: no copy).
  raw_object& operator=(boost::json::object&& o) noexcept;
  ~raw_object();

  /// The object under `key` of the JSON document `doc` (an empty key: the document itself),
  /// built when first read. `doc` must be a JSON object that parses within the library's
  /// depth limit; otherwise the object read is empty.
  static raw_object deferred(std::shared_ptr<const std::string> doc, std::string_view key = {});

  const boost::json::object& get() const;
  operator const boost::json::object&() const { return get(); }  // NOLINT: reads like the object
  const boost::json::object& operator*() const { return get(); }
  const boost::json::object* operator->() const { return &get(); }

  const boost::json::value& at(std::string_view key) const { return get().at(key); }
  bool contains(std::string_view key) const { return get().contains(key); }
  const boost::json::value* if_contains(std::string_view key) const { return get().if_contains(key); }
  std::size_t size() const { return get().size(); }
  bool empty() const { return get().empty(); }
  boost::json::object::const_iterator begin() const { return get().begin(); }
  boost::json::object::const_iterator end() const { return get().end(); }

  friend bool operator==(const raw_object& a, const boost::json::object& b) { return a.get() == b; }
  friend bool operator==(const raw_object& a, const raw_object& b) { return a.get() == b.get(); }

private:
  struct lazy;
  boost::json::object obj_;      // held object (when lazy_ is null)
  std::shared_ptr<lazy> lazy_;   // the text it is built from, and the object once built
};

/// Optional, additive fields of the modern success envelope (§3), plus the whole body.
/// Every response struct derives from it; for nested rows `raw` is that row's object.
struct envelope {
  std::optional<std::string> task_id;            ///< cohort handle (`cl-task_...`) when present
  std::optional<std::int64_t> timestamp_ms;      ///< server time, epoch milliseconds
  std::optional<std::string> agent_instructions; ///< hint for LLM agents
  std::optional<std::string> usage;
  std::optional<std::string> message;
  raw_object raw;                                ///< the whole response object, unknown fields included
};

/// Person enrichment depth (`enrichment_type` of /enrichment/person and CSV import).
enum class enrichment_type { partial, phone_only, full };

/// Scope of POST /enrichment/bulk. JSON spelling of phone_only is "phone-only" (hyphen).
enum class bulk_scope { partial, full, phone_only };

/// "partial" / "phone_only" / "full".
std::string_view to_string(enrichment_type t) noexcept;
/// "partial" / "full" / "phone-only".
std::string_view to_string(bulk_scope s) noexcept;

/// Exact, case-sensitive parse of the JSON spelling; nullopt when unknown.
std::optional<enrichment_type> parse_enrichment_type(std::string_view s) noexcept;
/// Exact parse: "partial", "full", "phone-only" (the underscore form is NOT accepted, as the schema).
std::optional<bulk_scope> parse_bulk_scope(std::string_view s) noexcept;

/// Workflow `status` is an open set; true for the documented terminal values completed,
/// completed_with_errors (some leads failed), failed and cancelled. See also
/// client_params::extra_terminal_statuses.
bool is_terminal_status(std::string_view status) noexcept;

/// True for the statuses the library knows: the terminal ones and pending, queued, running,
/// processing. Any other status is reported when a wait meets it (it keeps being polled).
bool is_known_status(std::string_view status) noexcept;

/// RFC 4648 base64: the standard alphabet with '=' padding, or (url_safe) the URL alphabet
/// without padding (as in JWTs); no line breaks. The tree's one base64.
std::string base64_encode(std::string_view data, bool url_safe = false);
/// Decodes either alphabet, padded or not (ASCII whitespace ignored); nullopt if malformed.
std::optional<std::string> base64_decode(std::string_view text);

} // namespace cleanlist
