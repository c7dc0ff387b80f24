// Run-time warnings: the handler and the set of warnings already given.
#include "autograd/warning.hpp"

#include <iostream>
#include <mutex>
#include <set>
#include <utility>

namespace xgrad {

namespace {

std::mutex warning_mutex;
WarningHandler warning_handler;
std::set<std::string> warned;

void print_warning(const std::string& message) {
  std::cerr << "xgrad warning: " << message << '\n';
}

}  // namespace

WarningHandler set_warning_handler(WarningHandler handler) {
  std::lock_guard<std::mutex> lock(warning_mutex);
  WarningHandler previous = std::move(warning_handler);
  warning_handler = std::move(handler);
  return previous ? previous : WarningHandler(print_warning);
}

namespace detail {

void warn_once(const std::string& key, const std::string& message) {
  WarningHandler handler;
  {
    std::lock_guard<std::mutex> lock(warning_mutex);
    if (!warned.insert(key).second) return;
    handler = warning_handler ? warning_handler : WarningHandler(print_warning);
  }
  handler(message);  // outside the lock: a handler may warn or throw
}

void reset_warnings() {
  std::lock_guard<std::mutex> lock(warning_mutex);
  warned.clear();
}

}  // namespace detail

}  // namespace xgrad
