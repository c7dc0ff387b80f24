// PyTorch's indexing with signed indices: select, slice, narrow, index_select with an int64
// tensor, and Tensor::index with integers, Slice, None, Ellipsis, bool masks and int64 tensors.
// Expected values are what x[...] gives in NumPy/PyTorch for x = arange(24).reshape(2, 3, 4).
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "bad_input.hpp"
#include "gradient_checks.hpp"

using namespace xgrad;
using namespace xgrad::indexing;
using xgrad::testing::BadCall;
using xgrad::testing::check_bad_calls;
using xgrad::testing::Throws;

namespace {

using Values = std::vector<double>;
using I64 = std::vector<std::int64_t>;

Tensor grid() {
  return arange(0, 24, 1, float64).reshape({2, 3, 4});
}

Tensor indices(const I64& values) {
  return from_vector(values, {values.size()});
}

}  // namespace

TEST_CASE("select, slice and narrow count negative indices and bounds from the end",
          "[autograd][indexing]") {
  const Tensor x = arange(0, 4, 1, float64);
  CHECK(select(x, 0, -1).item() == 3);
  CHECK(slice(x, 0, 1, -1).to_vector<double>() == Values{1, 2});            // x[1:-1], 2 rows not 3
  CHECK(slice(x, 0, -3).to_vector<double>() == Values{1, 2, 3});            // x[-3:]
  CHECK(slice(x, 0, std::nullopt, 2).to_vector<double>() == Values{0, 1});  // x[:2]
  CHECK(slice(x, 0, std::nullopt, std::nullopt, 2).to_vector<double>() == Values{0, 2});
  CHECK(slice(x, 0, 1, std::nullopt, 2).to_vector<double>() == Values{1, 3});
  CHECK(slice(x, 0, -100, 100).to_vector<double>() == Values{0, 1, 2, 3});  // clipped
  CHECK(slice(x, 0, 3, 1).numel() == 0);
  CHECK(narrow(grid(), -1, -3, 2).shape() == Shape{2, 3, 2});
  CHECK(select(grid(), -2, -1).to_vector<double>() == Values{8, 9, 10, 11, 20, 21, 22, 23});
  check_bad_calls({
      {"select past the start", [&] { select(x, 0, -5); }, Throws::out_of_range,
       "select: index -5 out of range for axis 0 of extent 4"},
      {"select past the end", [&] { select(grid(), 1, 3); }, Throws::out_of_range,
       "select: index 3 out of range for axis 1 of extent 3"},
      {"slice with step 0", [&] { slice(x, 0, 0, 2, 0); }, Throws::invalid_argument,
       "slice: step must be positive, got 0"},
      {"narrow beyond the end", [&] { narrow(x, 0, 2, 3); }, Throws::out_of_range,
       "narrow: start 2 and length 3 do not fit axis 0 of extent 4"},
  });
}

TEST_CASE("index_select takes an int64 tensor of indices, negative ones from the end",
          "[autograd][indexing]") {
  const Tensor x = grid();
  CHECK(index_select(x, 1, indices({2, -3, 2})).to_vector<double>() ==
        Values{8,  9,  10, 11, 0,  1,  2,  3,  8,  9,  10, 11,
               20, 21, 22, 23, 12, 13, 14, 15, 20, 21, 22, 23});
  testing::check_gradients_twice(
      [](const auto& v) {
        return index_select(v[0] * v[0], -1, indices({3, 0, -1}));
      },
      {testing::input({2, 4}, 7)});
  check_bad_calls({
      {"float indices", [&] { index_select(x, 0, ones({2})); }, Throws::invalid_argument,
       "index_select: indices must be a 1-D int64 tensor, got float32 (2,)"},
      {"an index out of range",
       [&] {
         index_select(x, 0, indices({0, 2}));
       },
       Throws::out_of_range, "index_select: index 2 out of range for axis 0 of extent 2"},
  });
}

TEST_CASE("Tensor::index matches Python indexing", "[autograd][indexing]") {
  const Tensor x = grid();
  CHECK(x.index({1, Slice(1, -1), -1}).to_vector<double>() == Values{19});  // x[1, 1:-1, -1]
  CHECK(x.index({Slice(), 0}).shape() == Shape{2, 4});                      // x[:, 0]
  CHECK(x.index({Ellipsis, 2}).to_vector<double>() == Values{2, 6, 10, 14, 18, 22});
  CHECK(x.index({0, None, Slice(std::nullopt, 2)}).shape() == Shape{1, 2, 4});
  CHECK(x.index({None, Ellipsis, None}).shape() == Shape{1, 2, 3, 4, 1});
  CHECK(x.index({Slice(), Slice(std::nullopt, std::nullopt, 2), Slice(1, 3)}).to_vector<double>() ==
        Values{1, 2, 9, 10, 13, 14, 21, 22});
  // An int64 tensor index puts its own shape in place of the axis: x[:, [[2], [0]], 1].
  const Tensor picks = from_vector(I64{2, 0}, {2, 1});
  const Tensor y = x.index({Slice(), picks, 1});
  CHECK(y.shape() == Shape{2, 2, 1});
  CHECK(y.to_vector<double>() == Values{9, 1, 21, 13});
  // A bool mask keeps the entries where it holds, flattening the axes it covers.
  const Tensor mask = x.index({0}) > 9.5;
  CHECK(x.index({1, mask}).to_vector<double>() == Values{22, 23});
  CHECK(x.index({x > 20.5}).to_vector<double>() == Values{21, 22, 23});
}

TEST_CASE("Tensor::index is differentiable through slices, masks and int64 indices",
          "[autograd][indexing]") {
  const Tensor mask = from_vector(std::vector<bool>{true, false, true, true, false, true}, {2, 3});
  SECTION("slices and integers") {
    testing::check_gradients_twice(
        [](const auto& v) {
          return (v[0] * v[0]).index({Slice(1), -1});
        },
        {testing::input({3, 4}, 11)});
  }
  SECTION("a bool mask") {
    testing::check_gradients_twice([&](const auto& v) { return (v[0] * v[0]).index({mask}); },
                                   {testing::input({2, 3}, 12)});
  }
  SECTION("an int64 tensor with repeats") {
    testing::check_gradients_twice(
        [](const auto& v) {
          return (v[0] * v[0]).index({Ellipsis, indices({1, 1, -1})});
        },
        {testing::input({2, 3}, 13)});
  }
}

TEST_CASE("Tensor::index refuses indices that do not fit", "[autograd][indexing][errors]") {
  const Tensor x = grid();
  check_bad_calls({
      {"too many indices",
       [&] {
         x.index({0, 0, 0, 0});
       },
       Throws::invalid_argument, "index: too many indices (4) for a tensor of shape (2, 3, 4)"},
      {"two ellipses",
       [&] {
         x.index({Ellipsis, Ellipsis});
       },
       Throws::invalid_argument, "index: more than one Ellipsis"},
      {"a float index tensor", [&] { x.index({ones({2})}); }, Throws::invalid_argument,
       "index: a tensor index must be int64 or a bool mask of rank 1 or more, got float32 (2,)"},
      {"a mask of the wrong shape",
       [&] {
         x.index({x.index({0, 0}) > 1.0});
       },
       Throws::invalid_argument,
       "index: mask of shape (4,) does not match the shape (2,) of the axes it indexes"},
      {"an integer out of range",
       [&] {
         x.index({Slice(), 3});
       },
       Throws::out_of_range, "select: index 3 out of range for axis 1 of extent 3"},
  });
}
