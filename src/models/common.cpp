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

std::string base64_encode(std::string_view data) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  const auto byte = [&](std::size_t k) { return static_cast<unsigned>(static_cast<unsigned char>(data[k])); };
  for (; i + 3 <= data.size(); i += 3) {
    const unsigned n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.push_back(alphabet[(n >> 6) & 63]);
    out.push_back(alphabet[n & 63]);
  }
  const std::size_t rest = data.size() - i;
  if (rest == 1) {
    const unsigned n = byte(i) << 16;
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.append("==");
  } else if (rest == 2) {
    const unsigned n = (byte(i) << 16) | (byte(i + 1) << 8);
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.push_back(alphabet[(n >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

} // namespace cleanlist
