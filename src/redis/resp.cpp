#include "redis/resp.hpp"

#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include <new>

namespace cleanlist::redis {
namespace {

reply convert(const redisReply* r) {
  reply out;
  switch (r->type) {
  case REDIS_REPLY_STRING: out.type = reply::kind::string; out.str.assign(r->str, r->len); break;
  case REDIS_REPLY_STATUS: out.type = reply::kind::status; out.str.assign(r->str, r->len); break;
  case REDIS_REPLY_ERROR: out.type = reply::kind::error; out.str.assign(r->str, r->len); break;
  case REDIS_REPLY_INTEGER: out.type = reply::kind::integer; out.integer = r->integer; break;
  case REDIS_REPLY_ARRAY:
    out.type = reply::kind::array;
    out.elements.reserve(r->elements);
    for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
    break;
  default: out.type = reply::kind::nil; break;
  }
  return out;
}

} // namespace

void append_command(std::string& out, std::span<const std::string> args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  char* cmd = nullptr;
  const int n = redisFormatCommandArgv(&cmd, static_cast<int>(args.size()), argv.data(), lens.data());
  if (n < 0 || cmd == nullptr) throw std::bad_alloc();
  out.append(cmd, static_cast<std::size_t>(n));
  redisFreeCommand(cmd);
}

std::string format_command(std::span<const std::string> args) {
  std::string s;
  append_command(s, args);
  return s;
}

struct reply_reader::impl {
  redisReader* r = nullptr;
  impl() : r(redisReaderCreate()) {
    if (!r) throw std::bad_alloc();
  }
  ~impl() { redisReaderFree(r); }
};

reply_reader::reply_reader() : impl_(std::make_unique<impl>()) {}
reply_reader::~reply_reader() = default;

void reply_reader::reset() { impl_ = std::make_unique<impl>(); }

bool reply_reader::feed(std::string_view bytes) {
  return redisReaderFeed(impl_->r, bytes.data(), bytes.size()) == REDIS_OK;
}

std::optional<reply> reply_reader::next(boost::system::error_code& ec) {
  void* raw = nullptr;
  if (redisReaderGetReply(impl_->r, &raw) != REDIS_OK) {
    ec = errc::protocol_error;
    return std::nullopt;
  }
  ec = {};
  if (!raw) return std::nullopt;
  reply out = convert(static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return out;
}

} // namespace cleanlist::redis
