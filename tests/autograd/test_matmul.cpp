// Tests of matmul: every rank combination and transpose flag, empty inner dimensions, float32,
// first and second derivatives, and errors.
#include <catch2/catch.hpp>

#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "gradient_checks.hpp"

using namespace xgrad;
using xgrad::testing::check_gradients_twice;
using xgrad::testing::check_values;
using xgrad::testing::f64;
using xgrad::testing::input;
using xgrad::testing::MessageContains;
using xgrad::testing::values;
using Inputs = std::vector<Tensor>;

namespace {

// A = [[1, 2, 3], [4, 5, 6]] (2, 3) and B = [[7, 8], [9, 10], [11, 12]] (3, 2).
Tensor matrix_a(bool requires_grad = false) {
  return f64({{1, 2, 3}, {4, 5, 6}}, requires_grad);
}
Tensor matrix_b(bool requires_grad = false) {
  return f64({{7, 8}, {9, 10}, {11, 12}}, requires_grad);
}

// (m, k, n) for products of (m, k) by (k, n): 1 x 1, and non-square ones with k smaller and larger.
const std::vector<std::tuple<std::size_t, std::size_t, std::size_t>>& product_sizes() {
  static const std::vector<std::tuple<std::size_t, std::size_t, std::size_t>> sizes = {
      {1, 1, 1}, {3, 4, 2}, {2, 5, 3}, {4, 1, 3}};
  return sizes;
}

}  // namespace

TEST_CASE("matmul multiplies a matrix by a matrix", "[autograd][matmul]") {
  check_values(matmul(matrix_a(), matrix_b()), {2, 2}, {58, 64, 139, 154});
  check_values(matmul(matrix_b(), matrix_a()), {3, 3}, {39, 54, 69, 49, 68, 87, 59, 82, 105});
}

TEST_CASE("matmul multiplies a matrix by a vector and a vector by a matrix", "[autograd][matmul]") {
  check_values(matmul(matrix_a(), f64({1, 2, 3})), {2}, {14, 32});
  check_values(matmul(f64({1, 2}), matrix_a()), {3}, {9, 12, 15});
}

TEST_CASE("matmul of two vectors is their dot product, a scalar", "[autograd][matmul]") {
  check_values(matmul(f64({1, 2, 3}), f64({4, 5, 6})), {}, {32});
}

TEST_CASE("matmul with transpose flags equals the product of the transposed matrices",
          "[autograd][matmul]") {
  SECTION("concrete values for every flag combination") {
    const Tensor a = matrix_a();
    const Tensor b = matrix_b();
    check_values(matmul(a, b, false, false), {2, 2}, {58, 64, 139, 154});  // A B
    check_values(matmul(a, a, false, true), {2, 2}, {14, 32, 32, 77});     // A A^T
    check_values(matmul(a, a, true, false), {3, 3},                        // A^T A
                 {17, 22, 27, 22, 29, 36, 27, 36, 45});
    check_values(matmul(b, a, true, true), {2, 2}, {58, 139, 64, 154});  // B^T A^T
  }
  SECTION("against explicitly transposed operands") {
    const bool transpose_a = GENERATE(false, true);
    const bool transpose_b = GENERATE(false, true);
    INFO("transpose_a " << transpose_a << ", transpose_b " << transpose_b);
    // op(a) is (2, 3) and op(b) is (3, 4)
    const Tensor a = input(transpose_a ? Shape{3, 2} : Shape{2, 3}, 31).detach();
    const Tensor b = input(transpose_b ? Shape{4, 3} : Shape{3, 4}, 32).detach();
    const Tensor expected = matmul(transpose_a ? transpose(a) : a, transpose_b ? transpose(b) : b);
    check_values(matmul(a, b, transpose_a, transpose_b), {2, 4}, values(expected));
  }
}

TEST_CASE("matmul gradients are dC B^T and A^T dC", "[autograd][matmul]") {
  Tensor a = matrix_a(true);
  Tensor b = matrix_b(true);
  sum(matmul(a, b)).backward();
  check_values(a.grad(), {2, 3}, {15, 19, 23, 15, 19, 23});  // row sums of B, in every row
  check_values(b.grad(), {3, 2}, {5, 5, 7, 7, 9, 9});        // column sums of A, in every column
  Tensor v = f64({1, 2, 3}, true);
  Tensor m = matrix_a(true);
  matmul(m, v).backward(f64({1, -1}));
  check_values(m.grad(), {2, 3}, {1, 2, 3, -1, -2, -3});  // dy v^T
  check_values(v.grad(), {3}, {-3, -3, -3});              // A^T dy
}

TEST_CASE("matmul of matrices has correct first and second derivatives", "[autograd][matmul]") {
  const auto [m, k, n] = GENERATE(from_range(product_sizes()));
  INFO("(" << m << ", " << k << ") @ (" << k << ", " << n << ")");
  check_gradients_twice([](const Inputs& x) { return matmul(x[0], x[1]); },
                        {input({m, k}, 33), input({k, n}, 34)});
}

TEST_CASE("matmul with transpose flags has correct first and second derivatives",
          "[autograd][matmul]") {
  const bool transpose_a = GENERATE(false, true);
  const bool transpose_b = GENERATE(false, true);
  const auto [m, k, n] = GENERATE(from_range(product_sizes()));
  INFO("op(a) is (" << m << ", " << k << "), op(b) is (" << k << ", " << n << "), transpose_a "
                    << transpose_a << ", transpose_b " << transpose_b);
  const Tensor a = input(transpose_a ? Shape{k, m} : Shape{m, k}, 35);
  const Tensor b = input(transpose_b ? Shape{n, k} : Shape{k, n}, 36);
  check_gradients_twice(
      [transpose_a, transpose_b](const Inputs& x) {
        return matmul(x[0], x[1], transpose_a, transpose_b);
      },
      {a, b});
}

TEST_CASE("matmul with vectors has correct first and second derivatives", "[autograd][matmul]") {
  const auto [shape_a, shape_b] = GENERATE(values<std::pair<Shape, Shape>>({
      {{3, 4}, {4}},  // matrix by vector
      {{1, 3}, {3}},
      {{4, 1}, {1}},
      {{4}, {4, 3}},  // vector by matrix
      {{1}, {1, 2}},
      {{5}, {5}},  // vector by vector
      {{1}, {1}},
  }));
  INFO("a is " << format_shape(shape_a) << ", b is " << format_shape(shape_b));
  check_gradients_twice([](const Inputs& x) { return matmul(x[0], x[1]); },
                        {input(shape_a, 37), input(shape_b, 38)});
}

TEST_CASE("matmul with an empty inner dimension gives zeros and empty gradients",
          "[autograd][matmul]") {
  SECTION("matrix by matrix") {
    Tensor a = zeros({3, 0}, float64, true);
    Tensor b = zeros({0, 2}, float64, true);
    const Tensor c = matmul(a, b);
    check_values(c, {3, 2}, {0, 0, 0, 0, 0, 0});
    sum(c).backward();
    CHECK(a.grad().shape() == Shape{3, 0});
    CHECK(b.grad().shape() == Shape{0, 2});
  }
  SECTION("with transpose flags") {
    check_values(matmul(zeros({0, 3}, float64), zeros({2, 0}, float64), true, true), {3, 2},
                 {0, 0, 0, 0, 0, 0});
  }
  SECTION("matrix by vector and vector by vector") {
    check_values(matmul(zeros({3, 0}, float64), zeros({0}, float64)), {3}, {0, 0, 0});
    check_values(matmul(zeros({0}, float64), zeros({0, 2}, float64)), {2}, {0, 0});
    check_values(matmul(zeros({0}, float64), zeros({0}, float64)), {}, {0});
  }
  SECTION("an empty outer dimension gives an empty product") {
    CHECK(matmul(zeros({0, 3}, float64), ones({3, 2}, float64)).shape() == Shape{0, 2});
  }
}

TEST_CASE("matmul computes float32 products in float32", "[autograd][matmul]") {
  Tensor a(xt::xarray<float>{{1, 2, 3}, {4, 5, 6}}, true);
  Tensor b(xt::xarray<float>{{7, 8}, {9, 10}, {11, 12}}, true);
  const Tensor c = matmul(a, b);
  CHECK(c.dtype() == float32);
  check_values(c, {2, 2}, {58, 64, 139, 154}, 1e-6);
  check_values(matmul(a, b.detach(), true, true), {3, 3}, {39, 49, 59, 54, 68, 82, 69, 87, 105},
               1e-6);
  const Tensor v(xt::xarray<float>{1, 2, 3});
  check_values(matmul(a, v), {2}, {14, 32}, 1e-6);
  check_values(matmul(v, v), {}, {14}, 1e-6);
  sum(c).backward();
  CHECK(a.grad().dtype() == float32);
  check_values(a.grad(), {2, 3}, {15, 19, 23, 15, 19, 23}, 1e-6);
  check_values(b.grad(), {3, 2}, {5, 5, 7, 7, 9, 9}, 1e-6);
}

TEST_CASE("matmul names both shapes when inner dimensions differ", "[autograd][matmul]") {
  const Tensor a = ones({3, 4}, float64);
  CHECK_THROWS_MATCHES(
      matmul(a, ones({5, 2}, float64)), std::invalid_argument,
      MessageContains("matmul: inner dimensions differ: a is (3, 4), b is (5, 2)"));
  CHECK_THROWS_MATCHES(
      matmul(a, ones({5, 2}, float64), true, false), std::invalid_argument,
      MessageContains("matmul: inner dimensions differ: a is (3, 4) (transposed), b is (5, 2)"));
  CHECK_THROWS_MATCHES(
      matmul(a, ones({2, 5}, float64), false, true), std::invalid_argument,
      MessageContains("matmul: inner dimensions differ: a is (3, 4), b is (2, 5) (transposed)"));
  CHECK_THROWS_MATCHES(matmul(a, ones({5}, float64)), std::invalid_argument,
                       MessageContains("matmul: inner dimensions differ: a is (3, 4), b is (5,)"));
  CHECK_THROWS_MATCHES(matmul(ones({3}, float64), ones({4, 2}, float64)), std::invalid_argument,
                       MessageContains("matmul: inner dimensions differ: a is (3,), b is (4, 2)"));
  CHECK_THROWS_MATCHES(matmul(ones({3}, float64), ones({4}, float64)), std::invalid_argument,
                       MessageContains("matmul: inner dimensions differ: a is (3,), b is (4,)"));
}

TEST_CASE("matmul rejects other ranks, mixed dtypes and undefined tensors", "[autograd][matmul]") {
  CHECK_THROWS_MATCHES(
      matmul(ones({2, 3, 4}, float64), ones({3, 4, 2}, float64)), std::invalid_argument,
      MessageContains("matmul: batch dimensions do not broadcast: a is (2, 3, 4), b is (3, 4, 2)"));
  CHECK_THROWS_MATCHES(
      matmul(scalar_tensor(2, float64), ones({2}, float64)), std::invalid_argument,
      MessageContains("matmul: both arguments need at least one dimension; a is (), b is (2,)"));
  CHECK_THROWS_MATCHES(
      matmul(ones({3}, float64), ones({3, 2}, float64), true, false), std::invalid_argument,
      MessageContains("matmul: transposed products need 2-D tensors; a is (3,), b is (3, 2)"));
  CHECK_THROWS_MATCHES(matmul(ones({2, 3}, float32), ones({3, 2}, float64)), std::invalid_argument,
                       MessageContains("matmul: dtype mismatch: float32 and float64"));
  CHECK_THROWS_MATCHES(matmul(ones({2, 3}, float64), ones({3, 2}, float32), false, false),
                       std::invalid_argument,
                       MessageContains("matmul: dtype mismatch: float64 and float32"));
  CHECK_THROWS_MATCHES(matmul(Tensor(), ones({3, 2}, float64)), std::invalid_argument,
                       MessageContains("matmul: tensor is undefined"));
  CHECK_THROWS_MATCHES(matmul(ones({3, 2}, float64), Tensor(), true, true), std::invalid_argument,
                       MessageContains("matmul: tensor is undefined"));
}
