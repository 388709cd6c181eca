// The operation runner's completion (src/io/client/operation.hpp): exactly once, whatever the body
// does — completes twice, throws after completing, or throws before.
#include <doctest/doctest.h>

#include "client/operation.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <stdexcept>
#include <string>

namespace asio = boost::asio;
using cleanlist::diagnostics;
using cleanlist::error_code;
using cleanlist::op_completion;

namespace {

struct result_log {
  int calls = 0;
  error_code ec;
  std::string value;
};

auto recorder(result_log& log) {
  return [&log](error_code ec, std::string v) {
    ++log.calls;
    log.ec = ec;
    log.value = std::move(v);
  };
}

} // namespace

TEST_CASE("op_completion completes once: a second completion and a later exception do nothing") {
  asio::io_context ioc;
  result_log log;
  diagnostics d;
  op_completion<std::string> done(ioc.get_executor(), recorder(log), &d);
  diagnostics first;
  first.problem = "first";
  done.complete({}, std::make_unique<std::string>("value"), std::move(first));
  CHECK(done.done());
  diagnostics second;
  second.problem = "second";
  done.complete(cleanlist::error::timeout, nullptr, std::move(second));
  done.fail_unexpected(std::make_exception_ptr(std::runtime_error("late")), "");
  ioc.run();
  CHECK(log.calls == 1);
  CHECK_FALSE(log.ec);
  CHECK(log.value == "value");
  CHECK(d.problem == "first");
}

TEST_CASE("an exception before completion completes with internal_error, the secret redacted") {
  asio::io_context ioc;
  result_log log;
  diagnostics d;
  op_completion<std::string> done(ioc.get_executor(), recorder(log), &d);
  done.fail_unexpected(std::make_exception_ptr(std::runtime_error("boom near clapi_secret_key_123")), "clapi_secret_key_123");
  ioc.run();
  CHECK(log.calls == 1);
  CHECK(log.ec == cleanlist::error::internal_error);
  CHECK(log.value.empty());
  CHECK(d.problem.find("boom") != std::string::npos);
  CHECK(d.problem.find("clapi_secret_key_123") == std::string::npos);
}

TEST_CASE("an error completion carries a default value, never a partial one") {
  asio::io_context ioc;
  result_log log;
  op_completion<std::string> done(ioc.get_executor(), recorder(log), nullptr);
  done.complete(cleanlist::error::timeout, std::make_unique<std::string>("partial"), diagnostics{});
  ioc.run();
  CHECK(log.calls == 1);
  CHECK(log.ec == cleanlist::error::timeout);
  CHECK(log.value.empty());
}
