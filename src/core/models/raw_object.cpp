// raw_object: a response's JSON object, held or built from the body text when first read.
#include <cleanlist/models/common.hpp>

#include "protocol/json_adopt.hpp"
#include "protocol/response.hpp"

#include <mutex>

namespace cleanlist {

namespace json = boost::json;

struct raw_object::lazy {
  std::shared_ptr<const std::string> doc;
  std::string key;
  std::once_flag once;
  json::object obj;  // written once, under `once`; read-only afterwards
};

raw_object::raw_object(json::object o) noexcept : obj_(std::move(o)) {}
// A copy owns its memory (the default resource): a copy made on any thread never allocates from
// the source's parsing arena, which is neither thread-safe nor ever freed before the source.
raw_object::raw_object(const raw_object& o) : obj_(o.obj_, json::storage_ptr()), lazy_(o.lazy_) {}
raw_object::raw_object(raw_object&& o) noexcept : obj_(std::move(o.obj_)), lazy_(std::move(o.lazy_)) {}
raw_object::~raw_object() = default;

raw_object& raw_object::operator=(const raw_object& o) {
  if (this != &o) {
    protocol::adopt(obj_, json::object(o.obj_, json::storage_ptr()));
    lazy_ = o.lazy_;
  }
  return *this;
}

raw_object& raw_object::operator=(raw_object&& o) noexcept {
  if (this != &o) {
    protocol::adopt(obj_, std::move(o.obj_));  // keeps o's memory resource (no copy across arenas)
    lazy_ = std::move(o.lazy_);
  }
  return *this;
}

raw_object& raw_object::operator=(json::object&& o) noexcept {
  protocol::adopt(obj_, std::move(o));
  lazy_.reset();
  return *this;
}

raw_object raw_object::deferred(std::shared_ptr<const std::string> doc, std::string_view key) {
  raw_object r;
  r.lazy_ = std::make_shared<lazy>();
  r.lazy_->doc = std::move(doc);
  r.lazy_->key = std::string(key);
  return r;
}

const json::object& raw_object::get() const {
  if (!lazy_) return obj_;
  lazy& l = *lazy_;
  std::call_once(l.once, [&l] {
    if (!l.doc) return;
    error_code ec;
    json::value v = protocol::parse_json(*l.doc, ec);
    if (ec || !v.is_object()) return;
    if (l.key.empty()) {
      protocol::adopt(l.obj, std::move(v.get_object()));
    } else if (auto* sub = v.get_object().if_contains(l.key); sub && sub->is_object()) {
      protocol::adopt(l.obj, std::move(sub->get_object()));
    }
    l.doc.reset();  // the text is no longer needed by this object
  });
  return l.obj;
}

} // namespace cleanlist
