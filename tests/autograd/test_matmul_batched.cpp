// Tests of matmul on N-D operands (batched, broadcast, with 1-D operands promoted) and bmm: values
// against a loop of 2-D products, gradients summed over broadcast batch axes, first and second
// derivatives, and errors.
#include <catch2/catch.hpp>

#include <string>
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

// Matrix i of a stack (..., r, c) flattened over its batch axes.
Tensor matrix(const Tensor& stack, std::size_t i) {
  const Shape s = stack.shape();
  const long r = static_cast<long>(s[s.size() - 2]), c = static_cast<long>(s.back());
  return select(reshape(stack, {-1, r, c}), 0, i);
}

// Operand shapes of batched products: a batch on one side, on both, broadcast in every direction,
// and 1-D operands on either side.
const std::vector<std::pair<Shape, Shape>>& batched_shapes() {
  static const std::vector<std::pair<Shape, Shape>> shapes = {
      {{2, 3, 4}, {4, 5}},       {{3, 4}, {2, 4, 5}},    {{2, 3, 4}, {2, 4, 5}},
      {{2, 1, 3, 4}, {3, 4, 2}}, {{1, 3, 4}, {2, 4, 1}}, {{2, 3, 4}, {4}},
      {{4}, {2, 4, 3}},          {{2, 1, 4}, {1, 4, 3}}, {{2, 3, 1}, {2, 1, 5}}};
  return shapes;
}

}  // namespace

TEST_CASE("matmul of stacks multiplies matrix by matrix along the batch", "[autograd][matmul]") {
  const Tensor a = input({2, 3, 4}, 51).detach();
  const Tensor b = input({2, 4, 5}, 52).detach();
  const Tensor c = matmul(a, b);
  REQUIRE(c.shape() == Shape{2, 3, 5});
  for (std::size_t i = 0; i < 2; ++i) {
    INFO("batch entry " << i);
    check_values(matrix(c, i), {3, 5}, values(matmul(matrix(a, i), matrix(b, i))));
  }
  check_values(bmm(a, b), {2, 3, 5}, values(c));
}

TEST_CASE("matmul broadcasts batch axes as torch.matmul", "[autograd][matmul]") {
  SECTION("a stack times one matrix, and one matrix times a stack") {
    const Tensor a = input({2, 3, 4}, 53).detach();
    const Tensor w = input({4, 5}, 54).detach();
    const Tensor c = matmul(a, w);
    REQUIRE(c.shape() == Shape{2, 3, 5});
    check_values(matrix(c, 1), {3, 5}, values(matmul(matrix(a, 1), w)));
    const Tensor v = input({3, 2}, 55).detach();
    const Tensor d = matmul(v, a, true, false);  // v^T (2, 3) @ a[i] (3, 4)
    REQUIRE(d.shape() == Shape{2, 2, 4});
    check_values(matrix(d, 1), {2, 4}, values(matmul(v, matrix(a, 1), true, false)));
  }
  SECTION("batch axes of extent 1 on both sides") {
    const Tensor a = input({2, 1, 3, 4}, 56).detach();
    const Tensor b = input({3, 4, 2}, 57).detach();
    const Tensor c = matmul(a, b);
    REQUIRE(c.shape() == Shape{2, 3, 3, 2});
    // entry (i, j) is a[i, 0] @ b[j]
    check_values(matrix(c, 1 * 3 + 2), {3, 2}, values(matmul(matrix(a, 1), matrix(b, 2))));
  }
  SECTION("1-D operands are a row or a column whose axis is removed") {
    const Tensor a = input({2, 3, 4}, 58).detach();
    const Tensor v = input({4}, 59).detach();
    const Tensor c = matmul(a, v);
    REQUIRE(c.shape() == Shape{2, 3});
    check_values(select(c, 0, 1), {3}, values(matmul(matrix(a, 1), v)));
    const Tensor u = input({3}, 60).detach();
    const Tensor d = matmul(u, a);
    REQUIRE(d.shape() == Shape{2, 4});
    check_values(select(d, 0, 1), {4}, values(matmul(u, matrix(a, 1))));
  }
}

TEST_CASE("matmul sums the gradient of a broadcast operand over the batch", "[autograd][matmul]") {
  Tensor a = input({2, 3, 4}, 61);
  Tensor w = input({4, 5}, 62);
  Tensor dc = input({2, 3, 5}, 63).detach();
  matmul(a, w).backward(dc);
  // dW = sum_i a[i]^T dc[i]
  const Tensor expected = matmul(matrix(a, 0).detach(), matrix(dc, 0), true, false) +
                          matmul(matrix(a, 1).detach(), matrix(dc, 1), true, false);
  check_values(w.grad(), {4, 5}, values(expected), 1e-12);
  check_values(a.grad(), {2, 3, 4}, values(matmul(dc, w.detach(), false, true)), 1e-12);
}

TEST_CASE("batched matmul has correct first and second derivatives, broadcasting included",
          "[autograd][matmul]") {
  const std::pair<Shape, Shape> shapes = GENERATE(from_range(batched_shapes()));
  INFO("a is " << format_shape(shapes.first) << ", b is " << format_shape(shapes.second));
  check_gradients_twice([](const Inputs& x) { return matmul(x[0], x[1]); },
                        {input(shapes.first, 64), input(shapes.second, 65)});
}

TEST_CASE("batched matmul with transpose flags has correct derivatives", "[autograd][matmul]") {
  const bool ta = GENERATE(false, true);
  const bool tb = GENERATE(false, true);
  INFO("transpose_a " << ta << ", transpose_b " << tb);
  // op(a) is (.., 3, 4), op(b) is (.., 4, 2); a has a batch (2, 1), b a batch (3,)
  const Tensor a = input(ta ? Shape{2, 1, 4, 3} : Shape{2, 1, 3, 4}, 66);
  const Tensor b = input(tb ? Shape{3, 2, 4} : Shape{3, 4, 2}, 67);
  check_gradients_twice([ta, tb](const Inputs& x) { return matmul(x[0], x[1], ta, tb); }, {a, b});
  const Tensor expected = matmul(ta ? transpose(a, -1, -2) : a, tb ? transpose(b, -1, -2) : b);
  check_values(matmul(a, b, ta, tb), {2, 3, 3, 2}, values(expected), 1e-12);
}

TEST_CASE("bmm has correct first and second derivatives", "[autograd][matmul]") {
  check_gradients_twice([](const Inputs& x) { return bmm(x[0], x[1]); },
                        {input({3, 2, 4}, 68), input({3, 4, 5}, 69)});
}

TEST_CASE("matmul of float32 stacks matches float64", "[autograd][matmul]") {
  const Tensor a = input({4, 3, 5}, 70).detach();
  const Tensor b = input({5, 2}, 71).detach();
  check_values(matmul(a.to(float32), b.to(float32)), {4, 3, 2}, values(matmul(a, b)), 1e-5);
}

TEST_CASE(
    "batched matmul rejects batch axes that do not broadcast and inner dimensions that differ",
    "[autograd][matmul]") {
  const Tensor a = zeros({2, 3, 4}, float64);
  CHECK_THROWS_MATCHES(
      matmul(a, zeros({5, 4, 2}, float64)), std::invalid_argument,
      MessageContains("matmul: batch dimensions do not broadcast: a is (2, 3, 4), b is (5, 4, 2)"));
  CHECK_THROWS_MATCHES(
      matmul(a, zeros({2, 5, 2}, float64)), std::invalid_argument,
      MessageContains("matmul: inner dimensions differ: a is (2, 3, 4), b is (2, 5, 2)"));
  CHECK_THROWS_MATCHES(
      matmul(a, zeros({3}, float64)), std::invalid_argument,
      MessageContains("matmul: inner dimensions differ: a is (2, 3, 4), b is (3,)"));
  CHECK_THROWS_MATCHES(matmul(a, scalar_tensor(1, float64)), std::invalid_argument,
                       MessageContains("matmul: both arguments need at least one dimension"));
  CHECK_THROWS_MATCHES(bmm(a, zeros({3, 4, 2}, float64)), std::invalid_argument,
                       MessageContains("bmm: needs two 3-D tensors with the same batch size; a is "
                                       "(2, 3, 4), b is (3, 4, 2)"));
  CHECK_THROWS_MATCHES(
      bmm(a, zeros({2, 3, 2}, float64)), std::invalid_argument,
      MessageContains("bmm: inner dimensions differ: a is (2, 3, 4), b is (2, 3, 2)"));
}
