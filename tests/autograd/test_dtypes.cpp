// int64 and bool tensors beside float32/float64: construction, factories, conversion, printing,
// comparisons, logical ops, argmax/argmin, integer arithmetic and sums, and the refusals (no
// gradients, no silent promotion). Expected values are NumPy's and PyTorch's for the same inputs.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <vector>

#include "bad_input.hpp"
#include "gradient_checks.hpp"

using namespace xgrad;
using xgrad::testing::BadCall;
using xgrad::testing::check_bad_calls;
using xgrad::testing::f32;
using xgrad::testing::f64;
using xgrad::testing::Throws;

namespace {

using I64 = std::vector<std::int64_t>;
using Bools = std::vector<bool>;

Tensor i64(const I64& values, const Shape& shape) {
  return from_vector(values, shape, int64);
}

}  // namespace

TEST_CASE("int64 and bool tensors have their dtype, values, items and printing",
          "[autograd][dtype]") {
  const Tensor labels = i64({2, 0, 1, 2}, {2, 2});
  CHECK(labels.dtype() == int64);
  CHECK(std::string(dtype_name(labels.dtype())) == "int64");
  CHECK(labels.shape() == Shape{2, 2});
  CHECK(labels.to_vector<std::int64_t>() == I64{2, 0, 1, 2});
  CHECK(labels.data<std::int64_t>()(1, 0) == 1);
  CHECK_FALSE(labels.requires_grad());

  const Tensor big = i64({9007199254740993}, {});  // 2^53 + 1: not a double
  CHECK(big.item<std::int64_t>() == 9007199254740993);

  const Tensor mask = from_vector(Bools{true, false, true}, {3});
  CHECK(mask.dtype() == boolean);
  CHECK(std::string(dtype_name(boolean)) == "bool");
  CHECK(mask.to_vector<bool>() == Bools{true, false, true});
  CHECK(mask.to_vector<double>() == std::vector<double>{1, 0, 1});

  std::ostringstream printed;
  printed << i64({3, -1}, {2}) << ' ' << from_vector(Bools{true, false}, {2});
  CHECK(printed.str() == "tensor({ 3, -1}, dtype=int64) tensor({ true, false}, dtype=bool)");
}

TEST_CASE("factories make int64 and bool tensors and refuse what cannot exist",
          "[autograd][dtype]") {
  CHECK(zeros({2}, int64).to_vector<std::int64_t>() == I64{0, 0});
  CHECK(full({3}, 7, int64).to_vector<std::int64_t>() == I64{7, 7, 7});
  CHECK(ones({2}, boolean).to_vector<bool>() == Bools{true, true});
  CHECK(arange(0, 5, 2, int64).to_vector<std::int64_t>() == I64{0, 2, 4});
  CHECK(eye(2, int64).to_vector<std::int64_t>() == I64{1, 0, 0, 1});
  CHECK(from_vector(std::vector<double>{1.5, 2.5}, {2}).dtype() == float64);
  CHECK(from_vector(std::vector<double>{1.5, -2.5}, {2}, int64).to_vector<std::int64_t>() ==
        I64{1, -2});  // truncated toward zero, as to() and PyTorch do
  check_bad_calls({
      {"an int64 tensor requiring grad", [] { zeros({2}, int64, true); }, Throws::invalid_argument,
       "only floating-point tensors can require gradients"},
      {"requires_grad_ on int64", [] { zeros({2}, int64).requires_grad_(); },
       Throws::invalid_argument,
       "requires_grad_: only floating-point tensors can require gradients; this tensor is int64"},
      {"requires_grad_ on bool", [] { ones({2}, boolean).requires_grad_(); },
       Throws::invalid_argument, "this tensor is bool"},
      {"rand of int64", [] { rand({2}, int64); }, Throws::invalid_argument,
       "rand: draws floating-point values; int64 is not float32 or float64"},
      {"full beyond int64", [] { full({1}, 1e30, int64); }, Throws::invalid_argument,
       "full: 1e+30 cannot be converted to int64"},
      {"from_vector count",
       [] {
         from_vector(I64{1, 2, 3}, {2, 2});
       },
       Throws::invalid_argument, "from_vector: 3 values do not fill shape (2, 2) (4 elements)"},
      {"item of NaN as int64", [] { f64(xt::xarray<double>(std::nan(""))).item<std::int64_t>(); },
       Throws::invalid_argument, "item: nan cannot be converted to int64"},
  });
}

TEST_CASE("to() converts between all four dtypes, with gradients only between floats",
          "[autograd][dtype]") {
  const Tensor x = f64({-1.75, 0, 2.5}, true);
  const Tensor as_int = x.to(int64);
  CHECK(as_int.to_vector<std::int64_t>() == I64{-1, 0, 2});
  CHECK_FALSE(as_int.requires_grad());
  CHECK(x.to(boolean).to_vector<bool>() == Bools{true, false, true});
  CHECK(as_int.to(float32).to_vector<float>() == std::vector<float>{-1, 0, 2});
  CHECK(from_vector(Bools{true, false}, {2}).to(int64).to_vector<std::int64_t>() == I64{1, 0});
  check_bad_calls({
      {"infinity to int64",
       [] {
         f32({1.0f, INFINITY}).to(int64);
       },
       Throws::invalid_argument, "to: inf cannot be converted to int64"},
  });
}

TEST_CASE("comparisons return bool tensors with broadcasting, NaN unequal to everything",
          "[autograd][dtype][comparison]") {
  const Tensor a = f64({{1.0, 2.0, std::nan("")}, {4.0, 2.0, 0.0}});
  const Tensor b = f64({1.0, 3.0, std::nan("")});
  CHECK((a == b).to_vector<bool>() == Bools{true, false, false, false, false, false});
  CHECK((a != b).to_vector<bool>() == Bools{false, true, true, true, true, true});
  CHECK((a < b).to_vector<bool>() == Bools{false, true, false, false, true, false});
  CHECK((a <= b).to_vector<bool>() == Bools{true, true, false, false, true, false});
  CHECK((a > b).to_vector<bool>() == Bools{false, false, false, true, false, false});
  CHECK((a >= b).to_vector<bool>() == Bools{true, false, false, true, false, false});
  CHECK((a > 1.5).to_vector<bool>() == Bools{false, true, false, true, true, false});
  CHECK(eq(a, 2.0).shape() == Shape{2, 3});
  // int64 against a scalar is exact beyond 2^53, where doubles are 2 apart.
  const Tensor big = i64({9007199254740993, 9007199254740992}, {2});
  CHECK(eq(big, 9007199254740992.0).to_vector<bool>() == Bools{false, true});
  CHECK((i64({1, 5}, {2}) == i64({1, 4}, {2})).to_vector<bool>() == Bools{true, false});
  check_bad_calls({
      {"float32 == int64", [] { eq(ones({2}), zeros({2}, int64)); }, Throws::invalid_argument,
       "eq: dtype mismatch: float32 and int64 (convert one with to())"},
      {"shapes that do not broadcast",
       [] {
         lt(ones({2, 3}), ones({2}));
       },
       Throws::invalid_argument, "lt: cannot broadcast (2, 3) with (2,)"},
  });
}

TEST_CASE("logical ops take bool tensors and broadcast", "[autograd][dtype][comparison]") {
  const Tensor p = from_vector(Bools{true, true, false, false}, {2, 2});
  const Tensor q = from_vector(Bools{true, false}, {2});
  CHECK((p & q).to_vector<bool>() == Bools{true, false, false, false});
  CHECK((p | q).to_vector<bool>() == Bools{true, true, true, false});
  CHECK(logical_xor(p, q).to_vector<bool>() == Bools{false, true, true, false});
  CHECK((~q).to_vector<bool>() == Bools{false, true});
  check_bad_calls({
      {"logical_and of floats", [] { logical_and(ones({2}), ones({2})); }, Throws::invalid_argument,
       "logical_and: a must be bool, got float32"},
  });
}

TEST_CASE("argmax and argmin return int64, first at ties, NaN wins as in PyTorch",
          "[autograd][dtype][comparison]") {
  const Tensor x = f64({{1.0, 5.0, 5.0}, {-2.0, -7.0, 0.5}});
  CHECK(argmax(x).item<std::int64_t>() == 1);
  CHECK(argmin(x).item<std::int64_t>() == 4);
  CHECK(argmax(x).dtype() == int64);
  CHECK(argmax(x, 1).to_vector<std::int64_t>() == I64{1, 2});
  CHECK(argmax(x, -1, true).shape() == Shape{2, 1});
  CHECK(argmin(x, 0).to_vector<std::int64_t>() == I64{1, 1, 1});
  CHECK(argmax(f64({1.0, std::nan(""), 3.0})).item<std::int64_t>() == 1);
  CHECK(argmax(i64({3, 9, 9}, {3})).item<std::int64_t>() == 1);
  check_bad_calls({
      {"argmax of an empty tensor", [] { argmax(zeros({0})); }, Throws::invalid_argument,
       "argmax: tensor of shape (0,) is empty"},
      {"argmax axis out of range", [] { argmax(zeros({2}), 1); }, Throws::out_of_range,
       "argmax: axis 1 out of range"},
  });
}

TEST_CASE("int64 tensors add, subtract, multiply and sum exactly; bools count",
          "[autograd][dtype]") {
  const Tensor a = i64({1, 2, 3, 4}, {2, 2});
  const Tensor b = i64({10, 20}, {2});
  CHECK((a + b).to_vector<std::int64_t>() == I64{11, 22, 13, 24});
  CHECK((a - b).to_vector<std::int64_t>() == I64{-9, -18, -7, -16});
  CHECK((a * b).dtype() == int64);
  CHECK((a * b).to_vector<std::int64_t>() == I64{10, 40, 30, 80});
  CHECK(sum(a).item<std::int64_t>() == 10);
  CHECK(sum(a, {0}).to_vector<std::int64_t>() == I64{4, 6});
  const Tensor correct = from_vector(Bools{true, false, true}, {3});
  CHECK(sum(correct).dtype() == int64);
  CHECK(sum(correct).item<std::int64_t>() == 2);
  check_bad_calls({
      {"int64 + float32",
       [&] {
         add(a, ones({2, 2}));
       },
       Throws::invalid_argument, "add: dtype mismatch: int64 and float32 (convert one with to())"},
      {"bool + bool", [&] { add(correct, correct); }, Throws::invalid_argument,
       "add: not defined for bool tensors (convert with to())"},
      {"exp of int64", [&] { exp(a); }, Throws::invalid_argument,
       "exp: expected a floating-point tensor (float32 or float64), got int64"},
      {"division of int64", [&] { div(a, a); }, Throws::invalid_argument,
       "div: expected a floating-point tensor"},
      {"mean of int64", [&] { mean(a); }, Throws::invalid_argument,
       "mean: expected a floating-point tensor"},
      {"matmul of int64", [&] { matmul(a, a); }, Throws::invalid_argument,
       "expected a floating-point tensor"},
  });
}

TEST_CASE("where picks between tensors by a bool condition, with gradients to both",
          "[autograd][dtype][where]") {
  const Tensor condition = from_vector(Bools{true, false, true}, {3});
  CHECK(where(condition, f64({1, 2, 3}), f64({{10, 20, 30}, {40, 50, 60}})).to_vector<double>() ==
        std::vector<double>{1, 20, 3, 1, 50, 3});
  CHECK(where(condition, i64({1, 2, 3}, {3}), i64({0, 0, 0}, {3})).to_vector<std::int64_t>() ==
        I64{1, 0, 3});
  const Tensor mask = from_vector(Bools{true, false, false, true, true, false}, {2, 3});
  SECTION("same shapes") {
    testing::check_gradients_twice([&](const auto& x) { return where(mask, x[0] * x[0], x[1]); },
                                   {testing::input({2, 3}, 1), testing::input({2, 3}, 2)});
  }
  SECTION("broadcast condition and inputs") {
    testing::check_gradients_twice(
        [&](const auto& x) { return where(condition, x[0] * x[1], x[1]); },
        {testing::input({2, 1}, 3), testing::input({3}, 4)});
  }
  check_bad_calls({
      {"a float condition", [] { where(ones({2}), ones({2}), ones({2})); },
       Throws::invalid_argument, "where: condition must be bool, got float32"},
  });
}

TEST_CASE("masked_fill fills where a bool mask holds, and no gradient flows there",
          "[autograd][dtype][where]") {
  const Tensor mask = from_vector(Bools{false, true, false}, {3});
  Tensor x = f64({{1, 2, 3}, {4, 5, 6}}, true);
  Tensor y = masked_fill(x, mask, -1e9);
  CHECK(y.to_vector<double>() == std::vector<double>{1, -1e9, 3, 4, -1e9, 6});
  sum(y * y).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{2, 0, 6, 8, 0, 12});
  testing::check_gradients_twice([&](const auto& v) { return masked_fill(v[0] * v[0], mask, 0.5); },
                                 {testing::input({4, 3}, 5)});
  check_bad_calls({
      {"a mask of the wrong shape",
       [&] {
         masked_fill(x, from_vector(Bools{true, false}, {2}), 0);
       },
       Throws::invalid_argument,
       "masked_fill: mask of shape (2,) does not broadcast to the tensor's shape (2, 3)"},
      {"an int64 mask", [&] { masked_fill(x, zeros({3}, int64), 0); }, Throws::invalid_argument,
       "masked_fill: mask must be bool, got int64"},
  });
}
