#include "workflow_status_read.hpp"

#include "protocol/response.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <cstdint>
#include <memory>

namespace cleanlist::models_detail {

namespace {

namespace json = boost::json;

// Where the value of the key just read goes.
struct slot {
  enum kind_t : unsigned char { unknown, str, opt_str, opt_int, summary, result } kind = unknown;
  void* p = nullptr;
  unsigned bit = 0;  // for duplicate detection within the object
};

slot envelope_slot(std::string_view k, envelope& e) {
  if (k == "task_id") return {slot::opt_str, &e.task_id, 0};
  if (k == "timestamp_ms") return {slot::opt_int, &e.timestamp_ms, 1};
  if (k == "agent_instructions") return {slot::opt_str, &e.agent_instructions, 2};
  if (k == "usage") return {slot::opt_str, &e.usage, 3};
  if (k == "message") return {slot::opt_str, &e.message, 4};
  return {};
}

slot top_slot(std::string_view k, workflow_status_response& r) {
  switch (k.size()) {  // most keys are told apart by their length
  case 5:
    if (k == "total") return {slot::opt_int, &r.total, 10};
    break;
  case 6:
    if (k == "status") return {slot::str, &r.status, 11};
    if (k == "failed") return {slot::opt_int, &r.failed, 12};
    if (k == "result") return {slot::result, nullptr, 13};
    break;
  case 7:
    if (k == "summary") return {slot::summary, nullptr, 14};
    break;
  case 8:
    if (k == "progress") return {slot::opt_int, &r.progress, 15};
    break;
  case 9:
    if (k == "processed") return {slot::opt_int, &r.processed, 16};
    if (k == "completed") return {slot::opt_int, &r.completed, 17};
    break;
  case 11:
    if (k == "workflow_id") return {slot::str, &r.workflow_id, 18};
    break;
  case 12:
    if (k == "lead_list_id") return {slot::opt_str, &r.lead_list_id, 19};
    break;
  case 13:
    if (k == "refund_status") return {slot::opt_str, &r.refund_status, 20};
    break;
  case 14:
    if (k == "refund_message") return {slot::opt_str, &r.refund_message, 21};
    break;
  case 15:
    if (k == "enrichment_type") return {slot::opt_str, &r.enrichment_type, 22};
    if (k == "credits_charged") return {slot::opt_int, &r.credits_charged, 23};
    break;
  case 16:
    if (k == "credits_refunded") return {slot::opt_int, &r.credits_refunded, 24};
    break;
  }
  return envelope_slot(k, r);
}

slot result_slot(std::string_view k, single_enrichment_result& r) {
  if (k == "lead_id") return {slot::str, &r.lead_id, 10};
  if (k == "status") return {slot::str, &r.status, 11};
  if (k == "full_name") return {slot::opt_str, &r.full_name, 12};
  if (k == "first_name") return {slot::opt_str, &r.first_name, 13};
  if (k == "last_name") return {slot::opt_str, &r.last_name, 14};
  if (k == "email") return {slot::opt_str, &r.email, 15};
  if (k == "email_status") return {slot::opt_str, &r.email_status, 16};
  if (k == "phone") return {slot::opt_str, &r.phone, 17};
  if (k == "linkedin_url") return {slot::opt_str, &r.linkedin_url, 18};
  if (k == "title") return {slot::opt_str, &r.title, 19};
  if (k == "company") return {slot::opt_str, &r.company, 20};
  if (k == "enrichment_type") return {slot::opt_str, &r.enrichment_type, 21};
  if (k == "provider") return {slot::opt_str, &r.provider, 22};
  return envelope_slot(k, r);
}

// SAX handler. Levels: 1 = the response object, 2 = `result` or `summary`; anything under an
// unknown key is skipped (raw keeps it). Returning false (with `ec` set) hands the body back
// to the general reader.
struct handler {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  workflow_status_response& out;
  int depth = 0;           // objects/arrays open, the response object being 1
  int skip_from = 0;       // > 0: inside a skipped value opened at this depth
  enum { top, in_result, in_summary } where = top;
  slot cur;                // the slot of the last key read
  std::uint32_t seen_top = 0, seen_result = 0;
  std::string part;        // a key or string delivered in parts
  std::string key;         // the summary's current key

  explicit handler(workflow_status_response& o) : out(o) {}

  bool give_up(json::error_code& ec) {
    ec = make_error_code(error::bad_response);
    return false;
  }
  bool skipping() const { return skip_from > 0; }

  // A scalar at level 1 or 2 (not in a skipped value): its slot must accept it.
  bool take_null(json::error_code& ec) {
    switch (cur.kind) {
    case slot::unknown: return true;
    case slot::opt_str: static_cast<std::optional<std::string>*>(cur.p)->reset(); return true;
    case slot::opt_int: static_cast<std::optional<std::int64_t>*>(cur.p)->reset(); return true;
    case slot::result: out.result.reset(); return true;
    case slot::summary: out.summary.reset(); return true;
    default: return give_up(ec);  // a required string
    }
  }
  bool take_string(std::string_view s, json::error_code& ec) {
    switch (cur.kind) {
    case slot::unknown: return true;
    case slot::str: static_cast<std::string*>(cur.p)->assign(s); return true;
    case slot::opt_str: static_cast<std::optional<std::string>*>(cur.p)->emplace(s); return true;
    default: return give_up(ec);
    }
  }
  bool take_int(std::int64_t v, json::error_code& ec) {
    if (cur.kind == slot::unknown) return true;
    if (cur.kind != slot::opt_int) return give_up(ec);
    *static_cast<std::optional<std::int64_t>*>(cur.p) = v;
    return true;
  }
  bool take_other(json::error_code& ec) {  // bool, uint64, double: typed fields take none of them here
    return cur.kind == slot::unknown ? true : give_up(ec);
  }
  template <class V>
  bool summary_value(V&& v, json::error_code& ec) {
    if (out.summary->contains(key)) return give_up(ec);
    out.summary->emplace(key, std::forward<V>(v));
    return true;
  }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }

  bool open(json::error_code& ec, bool is_object) {
    ++depth;
    if (skipping()) return true;
    if (depth == 1) return is_object ? true : give_up(ec);
    if (where == in_summary) return give_up(ec);  // the summary is kept flat here
    if (cur.kind == slot::unknown) {  // under a key no model field reads: raw keeps it
      skip_from = depth;
      return true;
    }
    if (where == in_result || !is_object) return give_up(ec);  // a typed field given an object or array
    if (cur.kind == slot::result) {
      out.result.emplace();
      where = in_result;
      seen_result = 0;
      return true;
    }
    if (cur.kind == slot::summary) {
      // The default resource: the model is a value, its copies own their memory.
      out.summary.emplace();
      out.summary->reserve(8);
      where = in_summary;
      return true;
    }
    return give_up(ec);
  }
  bool close(json::error_code& ec) {
    if (skipping()) {
      if (depth-- == skip_from) skip_from = 0;
      return true;
    }
    --depth;
    if (depth == 1 && where == in_result) {
      constexpr std::uint32_t required = (1u << 10) | (1u << 11);  // lead_id, status
      if ((seen_result & required) != required) return give_up(ec);
    }
    where = top;
    return true;
  }
  bool on_object_begin(json::error_code& ec) { return open(ec, true); }
  bool on_object_end(std::size_t, json::error_code& ec) { return close(ec); }
  bool on_array_begin(json::error_code& ec) { return open(ec, false); }
  bool on_array_end(std::size_t, json::error_code& ec) { return close(ec); }

  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    if (!skipping()) part.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    if (skipping()) return true;
    std::string_view k(s.data(), s.size());
    if (!part.empty()) {
      part.append(s.data(), s.size());
      k = part;
    }
    bool ok = true;
    if (where == in_summary) {
      key.assign(k);
    } else {
      cur = where == top ? top_slot(k, out) : result_slot(k, *out.result);
      if (cur.kind != slot::unknown) {
        auto& seen = where == top ? seen_top : seen_result;
        if (seen & (1u << cur.bit)) ok = give_up(ec);  // a typed key twice: the general reader decides
        seen |= 1u << cur.bit;
      }
    }
    part.clear();
    return ok;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    if (!skipping()) part.append(s.data(), s.size());
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code& ec) {
    if (skipping()) return true;
    std::string_view v(s.data(), s.size());
    if (!part.empty()) {
      part.append(s.data(), s.size());
      v = part;
    }
    const bool ok = where == in_summary ? summary_value(json::string(v), ec) : take_string(v, ec);
    part.clear();
    return ok;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t v, json::string_view, json::error_code& ec) {
    if (skipping()) return true;
    return where == in_summary ? summary_value(v, ec) : take_int(v, ec);
  }
  bool on_uint64(std::uint64_t v, json::string_view, json::error_code& ec) {
    if (skipping()) return true;
    return where == in_summary ? summary_value(v, ec) : take_other(ec);
  }
  bool on_double(double v, json::string_view, json::error_code& ec) {
    if (skipping()) return true;
    return where == in_summary ? summary_value(v, ec) : take_other(ec);
  }
  bool on_bool(bool v, json::error_code& ec) {
    if (skipping()) return true;
    return where == in_summary ? summary_value(v, ec) : take_other(ec);
  }
  bool on_null(json::error_code& ec) {
    if (skipping()) return true;
    return where == in_summary ? summary_value(nullptr, ec) : take_null(ec);
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

} // namespace

bool read_workflow_status(std::string& body, workflow_status_response& out) {
  json::parse_options opts;
  opts.max_depth = protocol::max_json_depth;
  json::basic_parser<handler> p(opts, out);
  json::error_code ec;
  const std::size_t n = p.write_some(false, body.data(), body.size(), ec);
  if (ec || n != body.size() || !p.done()) return false;
  constexpr std::uint32_t required = (1u << 11) | (1u << 18);  // status, workflow_id
  if ((p.handler().seen_top & required) != required) return false;
  auto doc = std::make_shared<const std::string>(std::move(body));
  if (out.result) out.result->raw = raw_object::deferred(doc, "result");
  out.raw = raw_object::deferred(std::move(doc));
  return true;
}

} // namespace cleanlist::models_detail
