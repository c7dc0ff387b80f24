// Tests of the shape ops (reshape, transpose, concat, index_select, slice, select, to, clone):
// values, gradients that land where the values came from, derivatives and errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
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

// A float64 tensor of `shape` holding `v` in row-major order (for shapes such as (2, 1), which a
// nested initializer list cannot spell unambiguously).
Tensor f64(const Shape& shape, const std::vector<double>& v, bool requires_grad = false) {
  auto a = xt::xarray<double>::from_shape(shape);
  std::copy(v.begin(), v.end(), a.begin());
  return Tensor(std::move(a), requires_grad);
}

// 0, 1, 2, ... in a float64 tensor of `shape`: element values name their row-major position.
Tensor counting(const Shape& shape, bool requires_grad = false) {
  std::vector<double> v(shape_numel(shape));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i);
  return f64(shape, v, requires_grad);
}

}  // namespace

TEST_CASE("reshape keeps row-major order and infers one -1 extent", "[autograd][shape_ops]") {
  const Tensor x = counting({2, 3});
  const std::vector<double> order = {0, 1, 2, 3, 4, 5};
  check_values(reshape(x, {3, 2}), {3, 2}, order);
  check_values(reshape(x, {-1}), {6}, order);
  check_values(reshape(x, {3, -1}), {3, 2}, order);
  check_values(reshape(x, {-1, 1}), {6, 1}, order);
  check_values(reshape(x, Shape{1, 6}), {1, 6}, order);
  check_values(reshape(x, std::vector<long>{2, 1, 3}), {2, 1, 3}, order);
  check_values(x.reshape({6}), {6}, order);
  check_values(reshape(scalar_tensor(7, float64), {1, 1}), {1, 1}, {7});
  check_values(reshape(f64({7}), Shape{}), {}, {7});
  CHECK(reshape(x, {2, 3}).is_same(x));  // same shape: the tensor itself
}

TEST_CASE("reshape sends the gradient back in the input's shape", "[autograd][shape_ops]") {
  Tensor x = counting({2, 3}, true);
  reshape(x, {3, -1}).backward(f64({{10, 11}, {12, 13}, {14, 15}}));
  check_values(x.grad(), {2, 3}, {10, 11, 12, 13, 14, 15});
}

TEST_CASE("reshape has correct first and second derivatives", "[autograd][shape_ops]") {
  // Each case changes the shape: a same-shape reshape returns its input itself, which gradcheck
  // cannot difference (the output would alias the input it perturbs).
  const auto [shape, target] = GENERATE(values<std::pair<Shape, std::vector<long>>>(
      {{{}, {1, 1}}, {{2, 3}, {3, 2}}, {{2, 3}, {-1}}, {{2, 3, 4}, {4, -1}}}));
  const std::vector<long> to_shape = target;
  INFO("x is " << format_shape(shape) << ", reshaped into " << Catch::Detail::stringify(to_shape));
  check_gradients_twice([to_shape](const Inputs& x) { return reshape(x[0], to_shape); },
                        {input(shape, 51)});
}

TEST_CASE("reshape rejects shapes of another size and bad extents", "[autograd][shape_ops]") {
  const Tensor x = counting({2, 3});
  CHECK_THROWS_MATCHES(reshape(x, {4, 2}), std::invalid_argument,
                       MessageContains("reshape: cannot reshape (2, 3) into (4, 2)"));
  CHECK_THROWS_MATCHES(reshape(x, Shape{5}), std::invalid_argument,
                       MessageContains("reshape: cannot reshape (2, 3) into (5,)"));
  CHECK_THROWS_MATCHES(reshape(x, {4, -1}), std::invalid_argument,
                       MessageContains("reshape: cannot reshape (2, 3) into (4, -1)"));
  CHECK_THROWS_MATCHES(reshape(x, {0, -1}), std::invalid_argument,
                       MessageContains("reshape: cannot reshape (2, 3) into (0, -1)"));
  CHECK_THROWS_MATCHES(reshape(x, {-1, -1}), std::invalid_argument,
                       MessageContains("reshape: bad shape (-1, -1) for a tensor of shape (2, 3)"));
  CHECK_THROWS_MATCHES(reshape(x, {-2, 3}), std::invalid_argument,
                       MessageContains("reshape: bad shape (-2, 3) for a tensor of shape (2, 3)"));
}

TEST_CASE("transpose swaps the axes of a matrix, or any two axes", "[autograd][shape_ops]") {
  const Tensor m = f64({{1, 2, 3}, {4, 5, 6}});
  check_values(transpose(m), {3, 2}, {1, 4, 2, 5, 3, 6});
  check_values(m.t(), {3, 2}, {1, 4, 2, 5, 3, 6});
  check_values(transpose(m, 1, 0), {3, 2}, {1, 4, 2, 5, 3, 6});
  const Tensor x = counting({2, 3, 4});  // element (a, b, c) is 12 a + 4 b + c
  const std::vector<double> swapped_0_2 = {0, 12, 4, 16, 8,  20, 1, 13, 5, 17, 9,  21,
                                           2, 14, 6, 18, 10, 22, 3, 15, 7, 19, 11, 23};
  check_values(transpose(x, 0, 2), {4, 3, 2}, swapped_0_2);
  check_values(transpose(x, -1, 0), {4, 3, 2}, swapped_0_2);
  check_values(transpose(x, 1, 2), {2, 4, 3}, {0,  4,  8,  1,  5,  9,  2,  6,  10, 3,  7,  11,
                                               12, 16, 20, 13, 17, 21, 14, 18, 22, 15, 19, 23});
  // Nothing to swap: the tensor itself.
  CHECK(transpose(x, 1, -2).is_same(x));
  const Tensor v = f64({1, 2, 3});
  CHECK(transpose(v).is_same(v));
}

TEST_CASE("transpose sends the gradient back transposed", "[autograd][shape_ops]") {
  Tensor x = counting({2, 3, 4}, true);
  transpose(x, 0, 2).backward(counting({4, 3, 2}));
  // dx[a][b][c] = dy[c][b][a] = 6 c + 2 b + a
  std::vector<double> expected;
  for (int a = 0; a < 2; ++a) {
    for (int b = 0; b < 3; ++b) {
      for (int c = 0; c < 4; ++c) expected.push_back(6 * c + 2 * b + a);
    }
  }
  check_values(x.grad(), {2, 3, 4}, expected);
}

TEST_CASE("transpose has correct first and second derivatives", "[autograd][shape_ops]") {
  SECTION("matrices") {
    check_gradients_twice([](const Inputs& x) { return transpose(x[0]); }, {input({3, 4}, 52)});
    check_gradients_twice([](const Inputs& x) { return transpose(x[0]); }, {input({1, 5}, 53)});
  }
  SECTION("two axes of a 3-D tensor") {
    const auto [axis0, axis1] =
        GENERATE(values<std::pair<long, long>>({{0, 2}, {1, -1}, {-3, -2}}));
    INFO("axes " << axis0 << ", " << axis1);
    const long a0 = axis0;
    const long a1 = axis1;
    check_gradients_twice([a0, a1](const Inputs& x) { return transpose(x[0], a0, a1); },
                          {input({2, 3, 4}, 54)});
  }
}

TEST_CASE("transpose rejects a tensor that is not 2-D and an axis out of range",
          "[autograd][shape_ops]") {
  const Tensor x = counting({2, 3, 4});
  CHECK_THROWS_MATCHES(
      transpose(x), std::invalid_argument,
      MessageContains(
          "transpose: tensor of shape (2, 3, 4) is not 2-D; name the two axes to swap"));
  CHECK_THROWS_MATCHES(
      transpose(x, 0, 3), std::out_of_range,
      MessageContains("transpose: axis 3 out of range for a tensor of shape (2, 3, 4)"));
  CHECK_THROWS_MATCHES(
      transpose(x, -4, 0), std::out_of_range,
      MessageContains("transpose: axis -4 out of range for a tensor of shape (2, 3, 4)"));
}

TEST_CASE("concat joins three tensors along axis 0 or 1", "[autograd][shape_ops]") {
  SECTION("axis 0") {
    const Tensor a = f64({{1, 2}});
    const Tensor b = f64({{3, 4}, {5, 6}});
    const Tensor c = f64({{7, 8}, {9, 10}, {11, 12}});
    check_values(concat({a, b, c}), {6, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
    check_values(concat({c, a}, -2), {4, 2}, {7, 8, 9, 10, 11, 12, 1, 2});
  }
  SECTION("axis 1") {
    const Tensor a = f64({2, 1}, {1, 2});
    const Tensor b = f64({{3, 4}, {5, 6}});
    const Tensor c = f64({{7, 8, 9}, {10, 11, 12}});
    const std::vector<double> joined = {1, 3, 4, 7, 8, 9, 2, 5, 6, 10, 11, 12};
    check_values(concat({a, b, c}, 1), {2, 6}, joined);
    check_values(concat({a, b, c}, -1), {2, 6}, joined);
  }
  SECTION("vectors, one of them empty") {
    check_values(concat({f64({1, 2}), zeros({0}, float64), f64({3})}), {3}, {1, 2, 3});
  }
}

TEST_CASE("concat gives each input the slice of the gradient it filled", "[autograd][shape_ops]") {
  Tensor a = f64({2, 1}, {1, 2}, true);
  Tensor b = f64({{3, 4}, {5, 6}}, true);
  Tensor c = f64({{7, 8, 9}, {10, 11, 12}}, true);
  concat({a, b, c}, 1).backward(counting({2, 6}));
  check_values(a.grad(), {2, 1}, {0, 6});
  check_values(b.grad(), {2, 2}, {1, 2, 7, 8});
  check_values(c.grad(), {2, 3}, {3, 4, 5, 9, 10, 11});
}

TEST_CASE("concat has correct first and second derivatives", "[autograd][shape_ops]") {
  const auto join = [](long axis) { return [axis](const Inputs& x) { return concat(x, axis); }; };
  SECTION("axis 0") {
    check_gradients_twice(join(0), {input({1, 3}, 55), input({2, 3}, 56), input({3, 3}, 57)});
  }
  SECTION("axis 1") {
    check_gradients_twice(join(1), {input({2, 1}, 55), input({2, 2}, 56), input({2, 3}, 57)});
  }
  SECTION("last axis of 3-D tensors") {
    check_gradients_twice(join(-1),
                          {input({2, 3, 1}, 55), input({2, 3, 2}, 56), input({2, 3, 1}, 57)});
  }
  SECTION("vectors") {
    check_gradients_twice(join(0), {input({2}, 55), input({3}, 56), input({1}, 57)});
  }
}

TEST_CASE("concat rejects no inputs, mismatched shapes or dtypes and a bad axis",
          "[autograd][shape_ops]") {
  const Tensor square = ones({2, 2}, float64);
  CHECK_THROWS_MATCHES(concat({}), std::invalid_argument,
                       MessageContains("concat: no tensors given"));
  CHECK_THROWS_MATCHES(
      concat({square, ones({2, 3}, float64)}, 0), std::invalid_argument,
      MessageContains("concat: tensor 1 has shape (2, 3), tensor 0 has (2, 2); only axis 0 may "
                      "differ"));
  CHECK_THROWS_MATCHES(
      concat({square, square, ones({2}, float64)}), std::invalid_argument,
      MessageContains("concat: tensor 2 has shape (2,), tensor 0 has (2, 2); only axis 0 may "
                      "differ"));
  CHECK_THROWS_MATCHES(concat({square, ones({2, 2}, float32)}), std::invalid_argument,
                       MessageContains("concat: dtype mismatch: float64 and float32"));
  CHECK_THROWS_MATCHES(concat({square, square}, 2), std::out_of_range,
                       MessageContains("concat: axis 2 out of range for a tensor of shape (2, 2)"));
  CHECK_THROWS_MATCHES(concat({square, Tensor()}), std::invalid_argument,
                       MessageContains("concat: tensor is undefined"));
}

TEST_CASE("index_select picks entries along an axis, repeats allowed", "[autograd][shape_ops]") {
  const Tensor x = f64({{1, 2}, {3, 4}, {5, 6}});
  check_values(index_select(x, 0, {2, 0, 2}), {3, 2}, {5, 6, 1, 2, 5, 6});
  check_values(index_select(x, 1, {1, 1, 0}), {3, 3}, {2, 2, 1, 4, 4, 3, 6, 6, 5});
  check_values(index_select(x, -1, {1}), {3, 1}, {2, 4, 6});
  CHECK(index_select(x, 0, {}).shape() == Shape{0, 2});
}

TEST_CASE("index_select accumulates the gradient of repeated indices", "[autograd][shape_ops]") {
  Tensor x = f64({{1, 2}, {3, 4}, {5, 6}}, true);
  SECTION("unit upstream gradient") {
    sum(index_select(x, 0, {2, 0, 2})).backward();
    check_values(x.grad(), {3, 2}, {1, 1, 0, 0, 2, 2});
  }
  SECTION("weighted upstream gradient") {
    index_select(x, 0, {2, 0, 2}).backward(f64({{1, 2}, {3, 4}, {5, 6}}));
    check_values(x.grad(), {3, 2}, {3, 4, 0, 0, 6, 8});
  }
  SECTION("along the last axis") {
    index_select(x, 1, {1, 1, 1}).backward(ones({3, 3}, float64));
    check_values(x.grad(), {3, 2}, {0, 3, 0, 3, 0, 3});
  }
}

TEST_CASE("index_select has correct first and second derivatives", "[autograd][shape_ops]") {
  SECTION("a vector, indices {4, 0, 4, 1}") {
    check_gradients_twice(
        [](const Inputs& x) {
          return index_select(x[0], 0, {4, 0, 4, 1});
        },
        {input({5}, 58)});
  }
  SECTION("rows of a (3, 4) matrix, indices {2, 0, 2}") {
    check_gradients_twice(
        [](const Inputs& x) {
          return index_select(x[0], 0, {2, 0, 2});
        },
        {input({3, 4}, 59)});
  }
  SECTION("columns of a (3, 4) matrix, indices {3, 3, 0}") {
    check_gradients_twice(
        [](const Inputs& x) {
          return index_select(x[0], 1, {3, 3, 0});
        },
        {input({3, 4}, 60)});
  }
  SECTION("axis -2 of a (2, 3, 4) tensor, indices {1, 1, 2, 0}") {
    check_gradients_twice(
        [](const Inputs& x) {
          return index_select(x[0], -2, {1, 1, 2, 0});
        },
        {input({2, 3, 4}, 61)});
  }
}

TEST_CASE("index_select rejects an index or axis out of range", "[autograd][shape_ops]") {
  const Tensor x = counting({5});
  CHECK_THROWS_MATCHES(
      index_select(x, 0, {1, 7}), std::out_of_range,
      MessageContains("index_select: index 7 out of range for axis 0 of extent 5"));
  CHECK_THROWS_MATCHES(
      index_select(counting({3, 2}), -1, {2}), std::out_of_range,
      MessageContains("index_select: index 2 out of range for axis -1 of extent 2"));
  CHECK_THROWS_MATCHES(
      index_select(x, 1, {0}), std::out_of_range,
      MessageContains("index_select: axis 1 out of range for a tensor of shape (5,)"));
}

TEST_CASE("slice takes a strided range along an axis, stop clipped", "[autograd][shape_ops]") {
  const Tensor x = counting({10});
  check_values(slice(x, 0, 1, 8, 3), {3}, {1, 4, 7});
  check_values(slice(x, 0, 5, 100, 2), {3}, {5, 7, 9});
  check_values(slice(x, 0, 2, 5), {3}, {2, 3, 4});
  CHECK(slice(x, 0, 3, 3).shape() == Shape{0});
  CHECK(slice(x, 0, 10, 12).shape() == Shape{0});  // start at the extent: empty, not an error
  const Tensor m = counting({3, 4});
  check_values(slice(m, 1, 0, 4, 2), {3, 2}, {0, 2, 4, 6, 8, 10});
  check_values(slice(m, -2, 1, 3), {2, 4}, {4, 5, 6, 7, 8, 9, 10, 11});
}

TEST_CASE("slice sends the gradient to the entries it took", "[autograd][shape_ops]") {
  Tensor x = counting({10}, true);
  slice(x, 0, 1, 8, 3).backward(f64({10, 20, 30}));
  check_values(x.grad(), {10}, {0, 10, 0, 0, 20, 0, 0, 30, 0, 0});
}

TEST_CASE("slice has correct first and second derivatives", "[autograd][shape_ops]") {
  SECTION("a vector, 1 to 8 in steps of 3") {
    check_gradients_twice([](const Inputs& x) { return slice(x[0], 0, 1, 8, 3); },
                          {input({10}, 62)});
  }
  SECTION("columns of a (3, 4) matrix, 1 to 4 in steps of 2") {
    check_gradients_twice([](const Inputs& x) { return slice(x[0], 1, 1, 4, 2); },
                          {input({3, 4}, 63)});
  }
  SECTION("axis -2 of a (3, 4) matrix, 1 to 3") {
    check_gradients_twice([](const Inputs& x) { return slice(x[0], -2, 1, 3); },
                          {input({3, 4}, 64)});
  }
  SECTION("axis 0 of a (2, 3, 4) tensor, 1 to 2") {
    check_gradients_twice([](const Inputs& x) { return slice(x[0], 0, 1, 2); },
                          {input({2, 3, 4}, 65)});
  }
}

TEST_CASE("slice rejects step 0 and a bad axis, and clips a start past the end as Python does",
          "[autograd][shape_ops]") {
  const Tensor x = counting({10});
  CHECK_THROWS_MATCHES(
      slice(x, 0, 0, 5, 0), std::invalid_argument,
      MessageContains("slice: step must be positive, got 0 (axis 0 of extent 10)"));
  CHECK(slice(x, 0, 11, 12).shape() == Shape{0});  // x[11:12] of 10 entries is empty
  CHECK_THROWS_MATCHES(slice(x, 1, 0, 1), std::out_of_range,
                       MessageContains("slice: axis 1 out of range for a tensor of shape (10,)"));
}

TEST_CASE("select takes one entry of an axis and drops the axis", "[autograd][shape_ops]") {
  const Tensor m = counting({3, 4});
  check_values(select(m, 0, 1), {4}, {4, 5, 6, 7});
  check_values(select(m, 1, 2), {3}, {2, 6, 10});
  check_values(select(m, -1, 3), {3}, {3, 7, 11});
  check_values(select(counting({5}), 0, 2), {}, {2});
  check_values(select(counting({2, 3, 4}), 1, 2), {2, 4}, {8, 9, 10, 11, 20, 21, 22, 23});
}

TEST_CASE("select sends the gradient to the entries it took", "[autograd][shape_ops]") {
  Tensor m = counting({3, 4}, true);
  select(m, 1, 2).backward(f64({1, 2, 3}));
  check_values(m.grad(), {3, 4}, {0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0});
}

TEST_CASE("select has correct first and second derivatives", "[autograd][shape_ops]") {
  SECTION("row 1 of a (3, 4) matrix") {
    check_gradients_twice([](const Inputs& x) { return select(x[0], 0, 1); }, {input({3, 4}, 66)});
  }
  SECTION("entry 3 of axis -1 of a (3, 4) matrix") {
    check_gradients_twice([](const Inputs& x) { return select(x[0], -1, 3); }, {input({3, 4}, 67)});
  }
  SECTION("entry 2 of a vector, a scalar") {
    check_gradients_twice([](const Inputs& x) { return select(x[0], 0, 2); }, {input({5}, 68)});
  }
  SECTION("entry 2 of axis 1 of a (2, 3, 4) tensor") {
    check_gradients_twice([](const Inputs& x) { return select(x[0], 1, 2); },
                          {input({2, 3, 4}, 69)});
  }
}

TEST_CASE("select rejects an index or axis out of range", "[autograd][shape_ops]") {
  const Tensor m = counting({3, 4});
  CHECK_THROWS_MATCHES(select(m, 0, 3), std::out_of_range,
                       MessageContains("select: index 3 out of range for axis 0 of extent 3"));
  CHECK_THROWS_MATCHES(select(m, -1, 4), std::out_of_range,
                       MessageContains("select: index 4 out of range for axis -1 of extent 4"));
  CHECK_THROWS_MATCHES(select(m, 2, 0), std::out_of_range,
                       MessageContains("select: axis 2 out of range for a tensor of shape (3, 4)"));
}

TEST_CASE("to converts between float32 and float64", "[autograd][shape_ops]") {
  const Tensor single(xt::xarray<float>{{1.5f, -2.25f}, {0.1f, 3.0f}});
  const Tensor wide = to(single, float64);
  CHECK(wide.dtype() == float64);
  check_values(wide, {2, 2}, {1.5, -2.25, static_cast<double>(0.1f), 3});
  const Tensor narrow = f64({0.1, 1e-3}).to(float32);
  CHECK(narrow.dtype() == float32);
  CHECK(narrow.data<float>()(0) == 0.1f);  // rounded once, to the nearest float
  CHECK(narrow.data<float>()(1) == 1e-3f);
  CHECK(to(single, float32).is_same(single));  // same dtype: the tensor itself
}

TEST_CASE("to sends the gradient back in the input's dtype", "[autograd][shape_ops]") {
  SECTION("float32 input, float64 computation") {
    Tensor x(xt::xarray<float>{1.5f, -2.25f}, true);
    const Tensor y = to(x, float64);
    sum(y * y).backward();
    REQUIRE(x.grad().defined());
    CHECK(x.grad().dtype() == float32);
    check_values(x.grad(), {2}, {3, -4.5});
  }
  SECTION("float64 input, float32 computation") {
    Tensor x = f64({1.5, -2.25}, true);
    sum(to(x, float32) * 3.0).backward();
    CHECK(x.grad().dtype() == float64);
    check_values(x.grad(), {2}, {3, 3});
  }
  SECTION("second derivative through a float32 input") {
    Tensor x(xt::xarray<float>{1, 2, 3}, true);
    const Tensor y = to(x, float64);
    const Tensor dx = autograd::grad({sum(y * y * y)}, {x}, {}, false, true)[0];
    CHECK(dx.dtype() == float32);
    check_values(dx, {3}, {3, 12, 27}, 1e-6);  // 3 x^2
    sum(dx).backward();
    CHECK(x.grad().dtype() == float32);
    check_values(x.grad(), {3}, {6, 12, 18}, 1e-6);  // 6 x
  }
}

TEST_CASE("to has correct first and second derivatives through a float32 round trip",
          "[autograd][shape_ops]") {
  // x -> float32 -> x^2 -> float64. float32 rounding (relative 6e-8) would swamp the default
  // finite-difference step of 1e-6, so the step is 1e-2; central differences are exact for this
  // quadratic and its linear vector-Jacobian product, so only the rounding remains.
  const TensorFunction f = [](const Inputs& x) {
    const Tensor single = to(x[0], float32);
    return to(single * single, float64);
  };
  const Shape shape = GENERATE(values<Shape>({{}, {5}, {3, 4}}));
  INFO("x is " << format_shape(shape));
  const Tensor x = input(shape, 70);
  const GradcheckResult first = gradcheck(f, {x}, 1e-2);
  INFO(first.message);
  CHECK(first.passed);
  const GradcheckResult second = gradgradcheck(f, {x}, 1e-2);
  INFO(second.message);
  CHECK(second.passed);
}

TEST_CASE("clone copies the values and passes the gradient through", "[autograd][shape_ops]") {
  Tensor x = f64({1, 2, 3}, true);
  Tensor y = clone(x);
  check_values(y, {3}, {1, 2, 3});
  CHECK_FALSE(y.is_same(x));
  CHECK(y.grad_fn() != nullptr);
  y.data<double>()(0) = 100;  // a copy: the original is untouched
  check_values(x, {3}, {1, 2, 3});
  (x.clone() * f64({4, 5, 6})).backward(ones({3}, float64));
  check_values(x.grad(), {3}, {4, 5, 6});
}

TEST_CASE("clone has correct first and second derivatives", "[autograd][shape_ops]") {
  const Shape shape = GENERATE(values<Shape>({{}, {5}, {3, 4}}));
  INFO("x is " << format_shape(shape));
  check_gradients_twice([](const Inputs& x) { return clone(x[0]); }, {input(shape, 71)});
}

TEST_CASE("shape ops name themselves on an undefined tensor", "[autograd][shape_ops]") {
  const Tensor undefined;
  const std::vector<std::pair<std::string, std::function<Tensor()>>> calls = {
      {"reshape", [&] { return reshape(undefined, {2}); }},
      {"reshape", [&] { return reshape(undefined, Shape{2}); }},
      {"transpose", [&] { return transpose(undefined); }},
      {"transpose", [&] { return transpose(undefined, 0, 1); }},
      {"concat", [&] { return concat({undefined}); }},
      {"index_select", [&] { return index_select(undefined, 0, {0}); }},
      {"slice", [&] { return slice(undefined, 0, 0, 1); }},
      {"select", [&] { return select(undefined, 0, 0); }},
      {"to", [&] { return to(undefined, float64); }},
      {"clone", [&] { return clone(undefined); }}};
  for (const auto& [name, call] : calls) {
    INFO(name);
    CHECK_THROWS_MATCHES(call(), std::invalid_argument,
                         MessageContains(name + ": tensor is undefined"));
  }
}
