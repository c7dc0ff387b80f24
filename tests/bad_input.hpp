// The bad-input catalogue's table: rows of (what is wrong, the call, the exception type it must
// throw, a part of its message), checked one by one so that a failure names its row.
#pragma once

#include <catch2/catch.hpp>

#include <cxxabi.h>

#include <cstdlib>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <vector>

namespace xgrad::testing {

/// The exception types of the README's Errors section.
enum class Throws { invalid_argument, out_of_range, runtime_error, logic_error, training_diverged };

struct BadCall {
  std::string input;  // what is wrong with the call, shown when its row fails
  std::function<void()> call;
  Throws expected;
  std::string message;  // a part of the message that names the problem
};

inline std::string type_name(Throws type) {
  switch (type) {
    case Throws::invalid_argument:
      return "std::invalid_argument";
    case Throws::out_of_range:
      return "std::out_of_range";
    case Throws::runtime_error:
      return "std::runtime_error";
    case Throws::logic_error:
      return "std::logic_error";
    case Throws::training_diverged:
      return "xgrad::nn::TrainingDiverged";
  }
  return "?";
}

/// The exact type of `e`: a std::out_of_range is not accepted where a std::invalid_argument is
/// documented, though both are std::logic_errors.
inline std::string type_name(const std::exception& e) {
  int status = 0;
  char* demangled = abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status);
  std::string name = status == 0 && demangled ? demangled : typeid(e).name();
  std::free(demangled);
  return name;
}

/// Runs every row: each must throw its type with its message part.
inline void check_bad_calls(const std::vector<BadCall>& rows) {
  for (const BadCall& row : rows) {
    INFO("bad input: " << row.input);
    std::string thrown = "no exception", message;
    try {
      row.call();
    } catch (const std::exception& e) {
      thrown = type_name(e);
      message = e.what();
    }
    CHECK(thrown == type_name(row.expected));
    CHECK_THAT(message, Catch::Matchers::Contains(row.message));
  }
}

}  // namespace xgrad::testing
