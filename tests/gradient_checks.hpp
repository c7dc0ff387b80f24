// Test helpers: gradient checks whose failures name the input, element, analytic and numeric
// value; small tensor builders; value and exception-message assertions.
#pragma once

#include <catch2/catch.hpp>

#include <initializer_list>
#include <string>
#include <utility>
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

/// A float64 tensor holding `values` (nested braces give a matrix), optionally requiring grad.
inline Tensor f64(xt::xarray<double> values, bool requires_grad = false) {
  return Tensor(std::move(values), requires_grad);
}
inline Tensor f32(xt::xarray<float> values, bool requires_grad = false) {
  return Tensor(std::move(values), requires_grad);
}

/// A float64 tensor that requires grad, holding offset + 0.07 m for distinct m in [-14, 14] in a
/// scrambled order (up to 29 elements): values 0.07 apart, so inputs for ops with kinks or ties
/// (relu, abs, max, minimum) can be kept away from them by choosing the offset.
inline Tensor spaced(const Shape& shape, double offset) {
  auto v = xt::xarray<double>::from_shape(shape);
  for (std::size_t i = 0; i < v.size(); ++i) {
    v.data()[i] = offset + 0.07 * (static_cast<double>((11 * i) % 29) - 14.0);
  }
  return Tensor(std::move(v), true);
}

/// The values of a tensor in row-major order, as doubles.
inline std::vector<double> values(const Tensor& t) {
  return dispatch(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const auto& a = t.data<T>();
    return std::vector<double>(a.data(), a.data() + a.size());
  });
}

/// The rows of a matrix, as vectors Catch can print when a comparison fails.
inline std::vector<std::vector<double>> rows(const Tensor& t) {
  REQUIRE(t.dim() == 2);
  const std::vector<double> flat = values(t);
  std::vector<std::vector<double>> out;
  for (std::size_t i = 0; i < t.size(0); ++i) {
    out.emplace_back(flat.begin() + static_cast<long>(i * t.size(1)),
                     flat.begin() + static_cast<long>((i + 1) * t.size(1)));
  }
  return out;
}

/// Asserts a tensor's shape and its row-major values, to a relative or absolute `tolerance`.
inline void check_values(const Tensor& t, const Shape& shape, const std::vector<double>& expected,
                         double tolerance = 1e-12) {
  CHECK(t.shape() == shape);
  CHECK_THAT(values(t), Catch::Matchers::Approx(expected).epsilon(tolerance).margin(tolerance));
}

/// Matches an exception whose message contains `part` (Catch's Message matcher wants it whole).
class MessageContains : public Catch::MatcherBase<std::exception> {
 public:
  explicit MessageContains(std::string part) : part_(std::move(part)) {}
  bool match(const std::exception& e) const override {
    return std::string(e.what()).find(part_) != std::string::npos;
  }
  std::string describe() const override { return "has a message containing \"" + part_ + "\""; }

 private:
  std::string part_;
};

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
