// Run-time warnings: advice that is not an error (a create_graph gradient stored in .grad(), say),
// sent once per process to a handler that prints it, as PyTorch's TORCH_WARN_ONCE.
#pragma once

#include <functional>
#include <string>

namespace xgrad {

/// Receives each warning's text. The default writes "xgrad warning: <text>" to std::cerr.
using WarningHandler = std::function<void(const std::string& message)>;

/// Installs `handler` (an empty one restores the default) and returns the previous handler.
WarningHandler set_warning_handler(WarningHandler handler);

namespace detail {

/// Sends `message` to the handler the first time `key` warns in this process; later calls with
/// the same key do nothing. Thread-safe.
void warn_once(const std::string& key, const std::string& message);
/// Forgets which keys have warned, so a test can see a warning again.
void reset_warnings();

}  // namespace detail

}  // namespace xgrad
