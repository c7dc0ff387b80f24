// Test helpers: gradient checks whose failures name the input, element, analytic and numeric value.
#pragma once

#include <catch2/catch.hpp>

#include <initializer_list>
#include <vector>

#include "autograd/autograd.hpp"

namespace xgrad::testing {

/// A float64 tensor of `shape` with values drawn uniformly from [low, high) by a fixed seed, that
/// requires grad: a gradcheck input.
inline Tensor input(const Shape& shape, std::uint64_t seed, double low = -1.0, double high = 1.0) {
  Generator generator(seed);
  Tensor t = uniform(shape, low, high, generator, float64);
  t.requires_grad_(true);
  return t;
}

/// Asserts that first derivatives match central differences; on failure, prints gradcheck's
/// report of the worst entry.
inline void check_gradients(const TensorFunction& f, const std::vector<Tensor>& inputs,
                            double atol = 1e-5, double rtol = 1e-3) {
  const GradcheckResult result = gradcheck(f, inputs, 1e-6, atol, rtol);
  INFO(result.message);
  CHECK(result.passed);
}

/// Asserts first and second derivatives.
inline void check_gradients_twice(const TensorFunction& f, const std::vector<Tensor>& inputs,
                                  double atol = 1e-5, double rtol = 1e-3) {
  check_gradients(f, inputs, atol, rtol);
  const GradcheckResult second = gradgradcheck(f, inputs, 1e-6, atol, rtol);
  INFO(second.message);
  CHECK(second.passed);
}

/// The message of the exception `f` throws, or "" if it throws none.
template <class F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace xgrad::testing
