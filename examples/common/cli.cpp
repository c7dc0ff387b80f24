// Shared by the examples: flag checks.
#include "common/cli.hpp"

#include <cmath>
#include <string>

#include "common/format.hpp"

namespace xgrad::examples {

CLI::Validator in_range(double low, double high, bool strict) {
  const std::string what = std::isinf(high) ? (strict ? "> " : ">= ") + general(low)
                                            : "in [" + general(low) + ", " + general(high) + "]";
  return CLI::Validator(
      [=](std::string& input) -> std::string {
        double value = std::numeric_limits<double>::quiet_NaN();
        try {
          value = std::stod(input);
        } catch (const std::exception&) {
        }
        const bool ok = (strict ? value > low : value >= low) && value <= high;
        return ok ? "" : "must be " + what + ", got " + input;
      },
      what);
}

}  // namespace xgrad::examples
