// Shared by the examples: flag checks with plain messages (CLI11's PositiveNumber and
// NonNegativeNumber quote the largest double in theirs).
#pragma once

#include <limits>

#include <CLI/CLI.hpp>

namespace xgrad::examples {

constexpr double kNoLimit = std::numeric_limits<double>::infinity();

/// A number with low <= value <= high, or low < value when strict: "must be >= 0, got -1".
CLI::Validator in_range(double low, double high, bool strict = false);

}  // namespace xgrad::examples
