// Shared by the examples: turning tensors and numbers into what the programs print.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad::examples {

/// The values of a tensor in row-major order, as doubles.
std::vector<double> values(const Tensor& t);
/// 1234567 -> "1,234,567", as the notebooks print step counts.
std::string grouped(std::size_t n);
/// `decimals` digits after the point, and no "-0.000" for a value that rounds to zero.
std::string fixed(double value, int decimals);
/// The shortest form, as << prints it ("0.1", "1e-07").
std::string general(double value);

}  // namespace xgrad::examples
