// Tests of max_pool1d/2d, avg_pool1d/2d and adaptive_avg_pool2d: values and indices on small
// planes worked by hand, PyTorch's tie rule, ceil_mode, and first and second derivatives in
// float64.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "gradient_checks.hpp"

using namespace xgrad;
using xgrad::testing::check_gradients_twice;
using xgrad::testing::check_values;
using xgrad::testing::f64;
using xgrad::testing::input;
using xgrad::testing::spaced;
using xgrad::testing::values;
using Inputs = std::vector<Tensor>;

namespace {

// One 4x4 plane, (1, 1, 4, 4), holding 0 ... 15 scrambled: distinct values.
Tensor plane() {
  return f64({{{{3, 15, 2, 8}, {9, 0, 11, 4}, {1, 13, 6, 14}, {12, 5, 10, 7}}}});
}

// Max-pool indices are int64, as torch's return_indices=True.
void check_indices(const Tensor& indices, const Shape& shape,
                   const std::vector<std::int64_t>& expected) {
  CHECK(indices.dtype() == int64);
  CHECK(indices.shape() == shape);
  CHECK(indices.to_vector<std::int64_t>() == expected);
}

}  // namespace

TEST_CASE("max_pool2d picks each window's maximum and its flat index", "[autograd][pooling]") {
  auto [y, indices] = max_pool2d_with_indices(plane(), 2);
  check_values(y, {1, 1, 2, 2}, {15, 11, 13, 14});
  check_indices(indices, {1, 1, 2, 2}, {1, 6, 9, 11});
  // stride 1 and padding 1 (padding never wins), 3x3 windows
  auto [y3, i3] = max_pool2d_with_indices(plane(), 3, 2, 1);
  check_values(y3, {1, 1, 2, 2}, {15, 15, 13, 14});
  check_indices(i3, {1, 1, 2, 2}, {1, 1, 9, 11});
}

TEST_CASE("max_pool2d breaks ties at the first maximum in scan order, as PyTorch",
          "[autograd][pooling]") {
  const Tensor x = f64({{{{1, 5}, {5, 5}}}}, true);
  auto [y, indices] = max_pool2d_with_indices(x, 2);
  check_indices(indices, {1, 1, 1, 1}, {1});
  y.sum().backward();
  check_values(x.grad(), {1, 1, 2, 2}, {0, 1, 0, 0});  // all of it to the first 5
}

TEST_CASE("max_pool2d lets NaN win its window, unpadded and padded alike, as PyTorch",
          "[autograd][pooling]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // NaN after a larger value in the first window, before one in the second; the last NaN wins
  const Tensor x = f64({{{{7, 1, nan, 9}, {nan, 2, 3, 4}}}});
  for (int pad : {0, 1}) {
    auto [y, indices] = max_pool2d_with_indices(x, 2, 2, pad);
    const std::vector<double> v = y.to_vector<double>();
    const std::vector<std::int64_t> at = indices.to_vector<std::int64_t>();
    if (pad == 0) {  // windows {7, 1, NaN, 2} and {NaN, 9, 3, 4}
      CHECK(std::isnan(v[0]));
      CHECK(std::isnan(v[1]));
      CHECK(at == std::vector<std::int64_t>{4, 2});
    } else {  // (1, 3) windows of one or two values: 7, NaN 9 -> NaN, NaN -> NaN, ...
      REQUIRE(at.size() == 6);
      CHECK(at[0] == 0);
      CHECK(at[1] == 2);
      CHECK(at[3] == 4);
    }
  }
}

TEST_CASE("max_pool2d with dilation, ceil_mode and unbatched input", "[autograd][pooling]") {
  check_values(max_pool2d(plane(), 2, 1, 0, 2), {1, 1, 2, 2}, {6, 15, 12, 7});
  // ceil_mode: 4 wide with kernel 3 stride 2 gives 2 windows (the last one partly outside)
  check_values(max_pool2d(plane(), 3, 2, 0, 1, true), {1, 1, 2, 2}, {15, 14, 13, 14});
  check_values(max_pool2d(plane().reshape({1, 4, 4}), 2), {1, 2, 2}, {15, 11, 13, 14});
}

TEST_CASE("max_pool1d pools along the last axis with indices along it", "[autograd][pooling]") {
  const Tensor x = f64({{{3, 1, 4, 1, 5, 9, 2}}});
  auto [y, indices] = max_pool1d_with_indices(x, 3, 2, 1);
  check_values(y, {1, 1, 4}, {3, 4, 9, 9});
  check_indices(indices, {1, 1, 4}, {0, 2, 5, 5});
  check_values(max_pool1d(x, 2), {1, 1, 3}, {3, 4, 9});
}

TEST_CASE("avg_pool2d averages windows, counting padding by default", "[autograd][pooling]") {
  check_values(avg_pool2d(plane(), 2), {1, 1, 2, 2}, {27.0 / 4, 25.0 / 4, 31.0 / 4, 37.0 / 4});
  // padding 1, kernel 2, stride 2: the corner window holds only x[0, 0] = 3
  const Tensor with_pad = avg_pool2d(plane(), 2, 2, 1);
  CHECK(with_pad.shape() == Shape{1, 1, 3, 3});
  CHECK(values(with_pad)[0] == Approx(3.0 / 4));
  const Tensor without = avg_pool2d(plane(), 2, 2, 1, false, false);
  CHECK(values(without)[0] == Approx(3.0));
  CHECK(values(without)[1] == Approx((15 + 2) / 2.0));
}

TEST_CASE("avg_pool1d averages windows along the last axis", "[autograd][pooling]") {
  check_values(avg_pool1d(f64({{{1, 2, 3, 4, 5}}}), 2), {1, 1, 2}, {1.5, 3.5});
  check_values(avg_pool1d(f64({{1, 2, 3, 4, 5}}), 3, 2, 1), {1, 3}, {1, 3, 3});
}

TEST_CASE("adaptive_avg_pool2d tiles the plane with overlapping windows as PyTorch",
          "[autograd][pooling]") {
  // 4 rows into 3: rows [0, 2), [1, 3), [2, 4)
  const Tensor y = adaptive_avg_pool2d(plane(), {3, 1});
  check_values(y, {1, 1, 3, 1},
               {(3 + 15 + 2 + 8 + 9 + 0 + 11 + 4) / 8.0, (9 + 0 + 11 + 4 + 1 + 13 + 6 + 14) / 8.0,
                (1 + 13 + 6 + 14 + 12 + 5 + 10 + 7) / 8.0});
  check_values(adaptive_avg_pool2d(plane(), 1), {1, 1, 1, 1}, {7.5});
}

TEST_CASE("pooling gradients and second derivatives match finite differences",
          "[autograd][pooling][gradcheck]") {
  // spaced values: distinct by 0.07, so no window's maximum is near a tie
  const Tensor x = spaced({2, 1, 5, 5}, 0.3);
  const Tensor odd = spaced({1, 3, 3, 7}, -0.2);
  SECTION("max_pool2d") {
    check_gradients_twice([](const Inputs& in) { return max_pool2d(in[0], 2); }, {x});
    check_gradients_twice(
        [](const Inputs& in) {
          return max_pool2d(in[0], {3, 2}, {2, 1}, 1);
        },
        {odd});
    check_gradients_twice([](const Inputs& in) { return max_pool2d(in[0], 2, 1, 0, 2, true); },
                          {x});
  }
  SECTION("max_pool1d") {
    check_gradients_twice([](const Inputs& in) { return max_pool1d(in[0], 3, 2, 1); },
                          {spaced({2, 2, 7}, 0.1)});
  }
  SECTION("avg_pool2d") {
    check_gradients_twice([](const Inputs& in) { return avg_pool2d(in[0], 2); }, {x});
    check_gradients_twice(
        [](const Inputs& in) {
          return avg_pool2d(in[0], {3, 2}, {2, 1}, 1, true, false);
        },
        {odd});
  }
  SECTION("avg_pool1d") {
    check_gradients_twice([](const Inputs& in) { return avg_pool1d(in[0], 3, 2, 1); },
                          {input({1, 2, 6}, 4)});
  }
  SECTION("adaptive_avg_pool2d") {
    check_gradients_twice(
        [](const Inputs& in) {
          return adaptive_avg_pool2d(in[0], {2, 3});
        },
        {odd});
  }
}

TEST_CASE("max_pool2d's double backward gathers by the forward's indices",
          "[autograd][pooling][gradcheck]") {
  // d/dx of sum(max_pool(x)^2) is 2 max at each picked position; its own gradient is linear
  const Tensor x = spaced({1, 2, 4, 4}, 0.5);
  check_gradients_twice(
      [](const Inputs& in) {
        enable_grad guard;  // gradcheck evaluates f without grad; this f needs a graph
        Tensor y = max_pool2d(in[0], 2);
        return autograd::grad({(y * y).sum()}, {in[0]}, {}, true, true)[0];
      },
      {x});
}
