// Issue 12's defects in the autograd layer, each pinned down against PyTorch's behaviour: a
// gradient that no longer fits its leaf, NaN through the comparison ops, and pow's edge cases.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "autograd/warning.hpp"
#include "gradient_checks.hpp"

using namespace xgrad;
using xgrad::testing::f64;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The values of t with NaN written as the string "nan", so a CHECK compares them exactly.
std::vector<std::string> shown(const std::vector<double>& values) {
  std::vector<std::string> out;
  for (double v : values) out.push_back(std::isnan(v) ? "nan" : std::to_string(v));
  return out;
}

std::vector<std::string> shown(const Tensor& t) {
  return shown(testing::values(t));
}

}  // namespace

TEST_CASE("a gradient that no longer fits its leaf is refused at backward", "[autograd][engine]") {
  // relu's backward reads only its own output, so no saved input notices the replaced values: the
  // leaf's own check must.
  Tensor w = f64({{1, 2}, {3, 4}}, true);
  Tensor loss = sum(relu(w));
  w.set_data(ones({5, 5}, float64));
  CHECK_THROWS_WITH(loss.backward(),
                    Catch::Contains("a gradient of float64 (2, 2) reaches a leaf that is now "
                                    "float64 (5, 5)"));
  CHECK_FALSE(w.grad().defined());
  SECTION("a new graph on the replaced leaf works while the old one is alive") {
    Tensor fresh = sum(w * 2.0);
    fresh.backward();
    CHECK(w.grad().shape() == Shape{5, 5});
  }
  SECTION("a dtype change is refused the same way") {
    Tensor v = f64({1, 2}, true);
    Tensor l = sum(relu(v));
    v.set_data(ones({2}, float32));
    CHECK_THROWS_WITH(l.backward(), Catch::Contains("reaches a leaf that is now float32 (2,)"));
  }
}

TEST_CASE("relu, maximum, minimum and max keep NaN and route its gradient as PyTorch",
          "[autograd][activation][nan]") {
  SECTION("relu: NaN out, gradient 1 (PyTorch's threshold_backward)") {
    Tensor x = f64({kNaN, 1.0, -1.0}, true);
    Tensor y = relu(x);
    CHECK(shown(y) == shown({kNaN, 1, 0}));
    sum(y).backward();
    CHECK(testing::values(x.grad()) == std::vector<double>{1, 1, 0});
  }
  SECTION("leaky_relu: NaN out, gradient the slope") {
    Tensor x = f64({kNaN, 1.0, -1.0}, true);
    Tensor y = leaky_relu(x, 0.1);
    CHECK(shown(y) == shown({kNaN, 1, -0.1}));
    sum(y).backward();
    CHECK(testing::values(x.grad()) == std::vector<double>{0.1, 1, 0.1});
  }
  SECTION("clamp and abs: NaN out, gradient 0") {
    Tensor x = f64({kNaN, 1.0, 0.2}, true);
    CHECK(shown(clamp(x, -0.5, 0.5)) == shown({kNaN, 0.5, 0.2}));
    CHECK(shown(abs(x)) == shown({kNaN, 1, 0.2}));
    sum(clamp(x, -0.5, 0.5) + abs(x)).backward();
    CHECK(testing::values(x.grad()) == std::vector<double>{0, 1, 2});
  }
  SECTION("maximum and minimum: NaN out, the whole gradient to both inputs") {
    for (bool take_max : {true, false}) {
      Tensor a = f64({kNaN, 1.0, 2.0}, true);
      Tensor b = f64({0.0, kNaN, 2.0}, true);
      Tensor y = take_max ? maximum(a, b) : minimum(a, b);
      CHECK(shown(y) == shown({kNaN, kNaN, 2}));
      sum(y).backward();
      CHECK(testing::values(a.grad()) == std::vector<double>{1, 1, 0.5});
      CHECK(testing::values(b.grad()) == std::vector<double>{1, 1, 0.5});
    }
  }
  SECTION("max: a NaN maximum sends the gradient to the NaN entry (PyTorch's max())") {
    Tensor x = f64({kNaN, 1.0, 2.0}, true);
    Tensor y = x.max();
    CHECK(std::isnan(y.item()));
    y.backward();
    CHECK(testing::values(x.grad()) == std::vector<double>{1, 0, 0});
  }
  SECTION("a NaN input to a ReLU network gives a NaN loss") {
    Tensor x = f64({{kNaN, 1.0}});
    Tensor w = f64({{1.0, -1.0}, {2.0, 0.5}}, true);
    Tensor loss = sum(relu(matmul(x, w)));
    CHECK(std::isnan(loss.item()));
  }
}

TEST_CASE("pow's edge cases match PyTorch", "[autograd][elementwise][pow]") {
  SECTION("pow(x, 0) leaves a zero gradient, not none") {
    Tensor x = f64({0.0, 1.0, 2.0}, true);
    sum(pow(x, 0.0)).backward();
    REQUIRE(x.grad().defined());
    CHECK(testing::values(x.grad()) == std::vector<double>{0, 0, 0});
  }
  SECTION("pow(x, p) at 0 for scalar p") {
    Tensor x = f64({0.0}, true);
    sum(pow(x, 3.0) + pow(x, 1.5)).backward();
    CHECK(testing::values(x.grad()) == std::vector<double>{0});
  }
  SECTION("pow(a, b) with tensors: 0 where the formulas meet 0 * inf") {
    // PyTorch 1.13 (libtorch), float64: a^b, da, db.
    Tensor a = f64({0, 0, 0, 2, -1, 0}, true);
    Tensor b = f64({0, 0.5, 2, 0, 2, -1}, true);
    Tensor y = pow(a, b);
    CHECK(shown(y) == shown({1, 0, 0, 1, 1, INFINITY}));
    sum(y).backward();
    CHECK(shown(a.grad()) == shown({0, INFINITY, 0, 0, -2, -INFINITY}));
    CHECK(shown(b.grad()) == shown({0, 0, 0, std::log(2.0), kNaN, -INFINITY}));
  }
  SECTION("pow(a, b) stays twice differentiable away from the edges") {
    Tensor a = f64({0.5, 1.5, 2.0}, true);
    Tensor b = f64({1.5, -0.5, 2.5}, true);
    testing::check_gradients_twice([](const std::vector<Tensor>& in) { return pow(in[0], in[1]); },
                                   {a, b});
  }
}

TEST_CASE("a create_graph backward into .grad() warns once, naming the remedy",
          "[autograd][engine][warning]") {
  std::vector<std::string> warnings;
  detail::reset_warnings();
  const WarningHandler previous =
      set_warning_handler([&](const std::string& message) { warnings.push_back(message); });
  for (int i = 0; i < 3; ++i) {
    Tensor x = f64({1.0, 2.0}, true);
    sum(x * x * x).backward(Tensor(), false, true);
    x.set_grad(Tensor());
  }
  // autograd::grad stores nothing: no warning from it
  Tensor y = f64({1.0}, true);
  autograd::grad({sum(y * y)}, {y}, {}, false, true);
  set_warning_handler(previous);
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::Contains("reference cycle") &&
                              Catch::Contains("set_grad(Tensor())") &&
                              Catch::Contains("autograd::grad"));
}
