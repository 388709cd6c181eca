#pragma once
// Boost.JSON assignment (even move assignment) copies into the destination's memory resource
// when the source lives in another one. A parsed body lives in its own arena (parse_json);
// adopt() makes `dst` the source value itself, resource included, without a copy.
#include <memory>
#include <utility>

namespace cleanlist::protocol {

template <class Json>
void adopt(Json& dst, Json&& src) noexcept {
  std::destroy_at(&dst);
  std::construct_at(&dst, std::move(src));  // move construction keeps src's resource
}

} // namespace cleanlist::protocol
