#include <cleanlist/models/common.hpp>

namespace cleanlist {

std::string_view to_string(enrichment_type t) noexcept {
  switch (t) {
  case enrichment_type::partial: return "partial";
  case enrichment_type::phone_only: return "phone_only";
  case enrichment_type::full: return "full";
  }
  return "partial";
}

std::string_view to_string(bulk_scope s) noexcept {
  switch (s) {
  case bulk_scope::partial: return "partial";
  case bulk_scope::full: return "full";
  case bulk_scope::phone_only: return "phone-only";
  }
  return "partial";
}

std::optional<enrichment_type> parse_enrichment_type(std::string_view s) noexcept {
  if (s == "partial") return enrichment_type::partial;
  if (s == "phone_only") return enrichment_type::phone_only;
  if (s == "full") return enrichment_type::full;
  return std::nullopt;
}

std::optional<bulk_scope> parse_bulk_scope(std::string_view s) noexcept {
  if (s == "partial") return bulk_scope::partial;
  if (s == "full") return bulk_scope::full;
  if (s == "phone-only") return bulk_scope::phone_only;
  return std::nullopt;
}

bool is_terminal_status(std::string_view status) noexcept {
  return status == "completed" || status == "completed_with_errors" || status == "failed" || status == "cancelled";
}

bool is_known_status(std::string_view status) noexcept {
  return is_terminal_status(status) || status == "pending" || status == "queued" || status == "running" ||
         status == "processing";
}

std::string base64_encode(std::string_view in, bool url) {
  static constexpr char std_tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  static constexpr char url_tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const char* tab = url ? url_tab : std_tab;
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    out += tab[(v >> 18) & 63];
    out += tab[(v >> 12) & 63];
    out += tab[(v >> 6) & 63];
    out += tab[v & 63];
  }
  if (i + 1 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16;
    out += tab[(v >> 18) & 63];
    out += tab[(v >> 12) & 63];
    if (!url) out += "==";
  } else if (i + 2 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
    out += tab[(v >> 18) & 63];
    out += tab[(v >> 12) & 63];
    out += tab[(v >> 6) & 63];
    if (!url) out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  auto val = [](char ch) -> int {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+' || ch == '-') return 62;
    if (ch == '/' || ch == '_') return 63;
    return -1;
  };
  std::string out;
  out.reserve(in.size() / 4 * 3);
  unsigned acc = 0;
  int bits = 0;
  std::size_t pad = 0;
  for (char ch : in) {
    if (ch == '\n' || ch == '\r' || ch == ' ' || ch == '\t') continue;
    if (ch == '=') { ++pad; continue; }
    if (pad) return std::nullopt; // data after padding
    int v = val(ch);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (bits >= 6 || pad > 2) return std::nullopt;
  return out;
}

} // namespace cleanlist
