#pragma once
#include <cleanlist/models.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/system_error.hpp>

#include <doctest/doctest.h>

#include <string>

namespace models_test {

/// Parse `json` into T; on failure return the error code and message through the out params.
template <class T> bool parses(const boost::json::value& jv, std::string* what = nullptr,
                               boost::system::error_code* ec = nullptr) {
  try {
    (void)boost::json::value_to<T>(jv);
    return true;
  } catch (const boost::system::system_error& e) {
    if (what) *what = e.what();
    if (ec) *ec = e.code();
    return false;
  }
}

/// Expect T to reject `json` with bad_response and a message containing `needle`.
template <class T> void expect_bad(const std::string& json, const std::string& needle) {
  std::string what;
  boost::system::error_code ec;
  INFO("input: ", json);
  CHECK_FALSE(parses<T>(boost::json::parse(json), &what, &ec));
  CHECK(ec == cleanlist::error::bad_response);
  INFO("message: ", what);
  CHECK(what.find(needle) != std::string::npos);
}

} // namespace models_test
