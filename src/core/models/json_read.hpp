#pragma once
// Private helpers of the model conversions: a strict-but-tolerant reader over a JSON object
// that throws system_error(bad_response, "<ctx>.<field>: <what>") on a missing required field
// or a wrong type, and small writers for request bodies.

#include <cleanlist/error.hpp>
#include <cleanlist/models/common.hpp>

#include "protocol/json_adopt.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cleanlist::models_detail {

[[noreturn]] void fail(std::string_view ctx, std::string_view field, std::string_view what);

/// The object `jv`, or bad_response "<ctx>: expected a JSON object".
const boost::json::object& expect_object(const boost::json::value& jv, std::string_view ctx);

/// Integer from an int64/uint64 in range, or an integral double in range.
std::optional<std::int64_t> to_int(const boost::json::value& v) noexcept;
/// Any JSON number as a double.
std::optional<double> to_number(const boost::json::value& v) noexcept;

class reader {
public:
  reader(const boost::json::value& jv, std::string_view ctx);

  const boost::json::object& object() const noexcept { return obj_; }
  /// Where this object is (for error messages). A view of the string given to the
  /// constructor: readers are locals that never outlive it.
  std::string_view ctx() const noexcept { return ctx_; }
  /// The member, or nullptr when absent. Null is returned as a value (is_null()).
  const boost::json::value* find(std::string_view field) const noexcept;

  std::string req_string(std::string_view f) const;
  std::optional<std::string> opt_string(std::string_view f) const;
  /// Key must be present; value may be null.
  std::optional<std::string> req_nullable_string(std::string_view f) const;

  std::int64_t req_int(std::string_view f) const;
  std::optional<std::int64_t> opt_int(std::string_view f) const;
  std::int64_t int_or(std::string_view f, std::int64_t dflt) const;
  /// Integer, but a fractional number is accepted and rounded down.
  std::int64_t req_int_floor(std::string_view f) const;

  double req_number(std::string_view f) const;
  double number_or(std::string_view f, double dflt) const;

  bool req_bool(std::string_view f) const;
  bool bool_or(std::string_view f, bool dflt) const;

  std::vector<std::string> req_string_array(std::string_view f) const;
  std::optional<std::vector<std::string>> opt_string_array(std::string_view f) const;
  std::vector<std::int64_t> int_array_or_empty(std::string_view f) const;
  std::map<std::string, std::string> string_map_or_empty(std::string_view f) const;
  std::map<std::string, std::int64_t> int_map_or_empty(std::string_view f) const;

  const boost::json::array& req_array(std::string_view f) const;
  /// nullptr when absent or null.
  const boost::json::array* opt_array(std::string_view f) const;
  /// nullptr when absent or null.
  const boost::json::object* opt_object(std::string_view f) const;
  const boost::json::object& req_object(std::string_view f) const;
  /// The member (any kind, null included); bad_response when absent.
  const boost::json::value& req_value(std::string_view f) const { return *need(f); }

  /// Parse each element of the required array `f` with `parse(elem, "<ctx>.<f>[i]")`.
  template <class T, class F> std::vector<T> req_list(std::string_view f, F&& parse) const {
    const auto& arr = req_array(f);
    std::vector<T> out;
    out.reserve(arr.size());
    for (std::size_t i = 0; i < arr.size(); ++i)
      out.push_back(parse(arr[i], std::string(ctx_) + "." + std::string(f) + "[" + std::to_string(i) + "]"));
    return out;
  }

  /// Fill the envelope fields and `raw`.
  void envelope_into(envelope& e) const;

private:
  const boost::json::object& obj_;
  std::string_view ctx_;
  mutable std::size_t hint_ = 0;  // index after the last member found (see find)
  const boost::json::value* need(std::string_view f) const;
};

/// Lets a caller that owns the parsed body move it into the result's `raw` instead of
/// copying it: while a guard lives on this thread, the first envelope_into() called with
/// exactly `top` (the outer type's own envelope: every tag_invoke calls envelope_into on its
/// object before parsing members) leaves `raw` empty and records it; the caller then moves
/// `top` into the result's raw. Nested envelopes (other objects) are copied as before.
class raw_move_guard {
public:
  explicit raw_move_guard(const boost::json::object* top) noexcept;
  ~raw_move_guard();
  raw_move_guard(const raw_move_guard&) = delete;
  raw_move_guard& operator=(const raw_move_guard&) = delete;
  /// True if envelope_into() left the top object's raw empty for the caller to fill.
  bool skipped() const noexcept;

private:
  const boost::json::object* prev_top_;
  bool prev_skipped_;
};

// ---- writers (request bodies) -----------------------------------------------
inline void put(boost::json::object& o, std::string_view k, const std::string& v) { o[k] = v; }
inline void put(boost::json::object& o, std::string_view k, const std::optional<std::string>& v) {
  if (v) o[k] = *v;
}
inline void put(boost::json::object& o, std::string_view k, const std::optional<bool>& v) {
  if (v) o[k] = *v;
}
inline void put(boost::json::object& o, std::string_view k, const std::optional<std::int64_t>& v) {
  if (v) o[k] = *v;
}
inline void put(boost::json::object& o, std::string_view k, const std::optional<boost::json::object>& v) {
  if (v) o[k] = *v;
}
boost::json::array to_array(const std::vector<std::string>& v);
inline void put(boost::json::object& o, std::string_view k, const std::vector<std::string>& v) {
  o[k] = to_array(v);
}
inline void put(boost::json::object& o, std::string_view k,
                const std::optional<std::vector<std::string>>& v) {
  if (v) o[k] = to_array(*v);
}
/// Tri-state: outer nullopt = omit, inner nullopt = JSON null.
inline void put(boost::json::object& o, std::string_view k,
                const std::optional<std::optional<std::string>>& v) {
  if (!v) return;
  if (*v) o[k] = **v;
  else o[k] = nullptr;
}

} // namespace cleanlist::models_detail
