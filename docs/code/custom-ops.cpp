// The code of docs/custom-ops.md: differentiable ops written with record(), checked with gradcheck
// and gradgradcheck, and the errors the engine reports for a wrong backward; what record() saves
// for the version check, Saves::nothing, and dispatch / dispatch_any for the dtypes an op takes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <xtensor/xmath.hpp>

#include "autograd/autograd.hpp"
#include "autograd/dtype.hpp"
#include "autograd/node.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// [snippet: silu]
// my_silu(x) = x sigmoid(x), with d/dx = s (1 + x (1 - s)) where s = sigmoid(x).
Tensor my_silu(const Tensor& x) {
  Tensor y = [&] {
    no_grad guard;  // compute the values only: record() below is the op's single node
    return x * sigmoid(x);
  }();
  return record("my_silu", y, {x}, [x](const Tensor& dy) {
    Tensor s = sigmoid(x);  // tensor ops, so that create_graph can differentiate this too
    return Gradients{dy * s * (1.0 + x * (1.0 - s))};
  });
}
// [end]

// [snippet: exp2]
// exp2(x) = 2^x, with d/dx = ln(2) 2^x: the backward reads the output.
Tensor exp2(const Tensor& x) {
  Tensor y = [&] {
    no_grad guard;
    return exp(x * std::log(2.0));
  }();
  return record("exp2", y, {x}, [](const Tensor& dy, const Tensor& out) {
    return Gradients{dy * out * std::log(2.0)};
  });
}
// [end]

// [snippet: hypot]
// hypot(a, b) = sqrt(a^2 + b^2), broadcasting a against b; d/da = a / y and d/db = b / y.
Tensor hypot(const Tensor& a, const Tensor& b) {
  Tensor y = [&] {
    no_grad guard;
    return sqrt(a * a + b * b);
  }();
  return record("hypot", y, {a, b}, [a, b](const Tensor& dy, const Tensor& out) {
    // dy has the broadcast shape; each gradient is summed back to its input's shape. An
    // undefined Tensor means "no gradient", for an input that does not need one.
    return Gradients{a.requires_grad() ? reduce_to_shape(dy * a / out, a.shape()) : Tensor(),
                     b.requires_grad() ? reduce_to_shape(dy * b / out, b.shape()) : Tensor()};
  });
}
// [end]

// [snippet: forgot-reduce]
Tensor hypot_unreduced(const Tensor& a, const Tensor& b) {
  Tensor y = [&] {
    no_grad guard;
    return sqrt(a * a + b * b);
  }();
  return record("hypot", y, {a, b}, [a, b](const Tensor& dy, const Tensor& out) {
    return Gradients{dy * a / out, dy * b / out};  // wrong: no reduce_to_shape
  });
}
// [end]

// [snippet: wrong-formula]
Tensor silu_wrong(const Tensor& x) {
  Tensor y = [&] {
    no_grad guard;
    return x * sigmoid(x);
  }();
  return record("silu", y, {x}, [x](const Tensor& dy) {
    return Gradients{dy * sigmoid(x)};  // wrong: forgot the derivative of sigmoid
  });
}
// [end]

// [snippet: detached]
Tensor silu_detached(const Tensor& x) {
  Tensor y = [&] {
    no_grad guard;
    return x * sigmoid(x);
  }();
  return record("silu", y, {x}, [x](const Tensor& dy) {
    Tensor v = x.detach();  // wrong for second derivatives: cuts dx from the graph
    Tensor s = sigmoid(v);
    return Gradients{dy * s * (1.0 + v * (1.0 - s))};
  });
}
// [end]

}  // namespace

TEST_CASE("a custom op behaves as a built-in one", "[docs][custom-ops]") {
  // [snippet: use]
  Tensor x = Tensor(xt::xarray<double>{-1.0, 0.0, 2.0}, true);
  Tensor y = my_silu(x);
  CHECK(y.grad_fn()->name() == "my_silu");  // one node, named as you named it
  sum(y).backward();
  CHECK(xt::allclose(x.grad().data<double>(), xt::xarray<double>{0.0723295, 0.5, 1.0907842}));

  Tensor c = my_silu(Tensor(xt::xarray<double>{1.0}));  // no input requires grad:
  CHECK(c.grad_fn() == nullptr);                        // nothing is recorded
  // [end]
}

TEST_CASE("custom ops pass gradcheck and gradgradcheck", "[docs][custom-ops]") {
  // [snippet: check]
  Generator generator(0);
  Tensor x = uniform({3, 4}, -3.0, 3.0, generator, float64).requires_grad_();
  Tensor a = uniform({3, 2}, 0.5, 2.0, generator, float64).requires_grad_();
  Tensor b = uniform({2}, -2.0, -0.5, generator, float64).requires_grad_();  // broadcast over a

  auto f = [](const std::vector<Tensor>& in) { return my_silu(in[0]) + exp2(in[0]); };
  auto g = [](const std::vector<Tensor>& in) { return hypot(in[0], in[1]); };
  CHECK(gradcheck(f, {x}).passed);
  CHECK(gradgradcheck(f, {x}).passed);
  CHECK(gradcheck(g, {a, b}).passed);
  CHECK(gradgradcheck(g, {a, b}).passed);
  // [end]
}

TEST_CASE("the engine names an op whose backward returns the wrong gradients",
          "[docs][custom-ops]") {
  // [snippet: shape-error]
  Tensor a = ones({3, 2}, float64, true);
  Tensor b = ones({2}, float64, true);
  Tensor y = hypot_unreduced(a, b);
  CHECK_THROWS_WITH(sum(y).backward(),
                    "backward of 'hypot' returned a gradient of float64 (3, 2) "
                    "for input 1, which is float64 (2,)");
  // [end]
  CHECK_THROWS_AS(sum(hypot_unreduced(a, b)).backward(), std::logic_error);
  Tensor w = record("two_grads", a * 2.0, {a}, [](const Tensor& dy) { return Gradients{dy, dy}; });
  CHECK_THROWS_WITH(sum(w).backward(), "backward of 'two_grads' returned 2 gradients for 1 inputs");
}

TEST_CASE("gradcheck names the worst entry of a wrong derivative", "[docs][custom-ops]") {
  // [snippet: gradcheck-failure]
  Tensor x = Tensor(xt::xarray<double>{-2.0, 0.5, 3.0}, true);
  auto f = [](const std::vector<Tensor>& in) { return silu_wrong(in[0]); };
  GradcheckResult result = gradcheck(f, {x});
  CHECK_FALSE(result.passed);
  CHECK(result.input == 0);  // which input, and which element of it
  CHECK(result.index == 0);
  CHECK(result.analytic == Approx(0.1192029));  // sigmoid(-2)
  CHECK(result.numeric == Approx(-0.0907842));  // the true derivative
  CHECK_THAT(result.message, StartsWith("gradcheck failed: input 0, element 0, output element 0: "
                                        "analytic 0.119202922, numeric -0.09078424"));
  // [end]
}

TEST_CASE("gradgradcheck catches a backward that is not differentiable", "[docs][custom-ops]") {
  // [snippet: gradgradcheck-failure]
  Tensor x = Tensor(xt::xarray<double>{-2.0, 0.5, 3.0}, true);
  auto f = [](const std::vector<Tensor>& in) { return silu_detached(in[0]); };
  CHECK(gradcheck(f, {x}).passed);  // first derivatives are right...
  GradcheckResult second = gradgradcheck(f, {x});
  CHECK_FALSE(second.passed);   // ...second derivatives are not:
  CHECK(second.analytic == 0);  // the backward's graph stops at x.detach()
  CHECK(second.numeric == Approx(0.0996838));
  // [end]
}

TEST_CASE("a backward that reads its output holds no cycle", "[docs][custom-ops]") {
  std::weak_ptr<Node> node;
  {
    Tensor y = exp2(Tensor(xt::xarray<double>{3.0}, true));
    CHECK(y.item() == Approx(8.0));
    node = y.grad_fn();
  }
  CHECK(node.expired());
}

TEST_CASE("record takes a vector of inputs for ops of any arity", "[docs][custom-ops]") {
  // The page's closing sentence: one gradient per element of the vector.
  const auto total = [](const std::vector<Tensor>& xs) {
    Tensor y = [&] {
      no_grad guard;
      Tensor s = xs[0];
      for (std::size_t i = 1; i < xs.size(); ++i) s = s + xs[i];
      return s;
    }();
    return record("total", y, xs, [n = xs.size()](const Tensor& dy) { return Gradients(n, dy); });
  };
  Tensor a = ones({2}, float64, true);
  Tensor b = ones({2}, float64, true);
  Tensor c = ones({2}, float64, true);
  CHECK(gradgradcheck(total, {a, b, c}).passed);
}

namespace {

// [snippet: saves-nothing]
// scale_add(a, b) = a + 2 b. Its gradients, dy and 2 dy, read no input values: the backward
// captures only the shapes, and Saves::nothing tells record() not to watch the inputs' versions.
Tensor scale_add(const Tensor& a, const Tensor& b) {
  Tensor y = [&] {
    no_grad guard;
    return a + 2.0 * b;
  }();
  return record(
      "scale_add", y, {a, b},
      [a_shape = a.shape(), b_shape = b.shape()](const Tensor& dy) {
        return Gradients{reduce_to_shape(dy, a_shape), reduce_to_shape(2.0 * dy, b_shape)};
      },
      Saves::nothing);
}
// [end]

// [snippet: dispatch]
// softsign(x) = x / (1 + |x|), computed on the raw values: dispatch() calls the lambda with a
// float or a double, so one body serves float32 and float64, and throws for int64 and bool.
Tensor my_softsign(const Tensor& x) {
  if (!is_floating_point(x.dtype())) {
    throw std::invalid_argument(std::string("my_softsign: expected float32 or float64, got ") +
                                dtype_name(x.dtype()));
  }
  Tensor y = dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const xt::xarray<T>& v = x.data<T>();
    return Tensor(xt::xarray<T>(v / (T(1) + xt::abs(v))));
  });
  return record("my_softsign", y, {x}, [x](const Tensor& dy) {
    Tensor d = 1.0 + abs(x);
    return Gradients{dy / (d * d)};
  });
}

// Counting is defined for every dtype: dispatch_any adds std::int64_t and bool.
std::int64_t count_nonzero(const Tensor& x) {
  return dispatch_any(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const xt::xarray<T>& v = x.data<T>();
    return static_cast<std::int64_t>(
        std::count_if(v.begin(), v.end(), [](T e) { return e != T(0); }));
  });
}
// [end]

}  // namespace

TEST_CASE("record() watches the versions of the inputs the backward reads", "[docs][custom]") {
  // [snippet: versions]
  Tensor w = Tensor(xt::xarray<double>{1.0, 2.0}, true);
  Tensor h = w * 2.0;  // not a leaf, so it may be changed in place
  Tensor y = my_silu(h);
  h.mul_(3.0);  // my_silu's backward would read the new h: it refuses
  CHECK_THROWS_WITH(sum(y).backward(),
                    StartsWith("a tensor needed by the backward of 'my_silu' (input 0) was "
                               "modified in place by 'mul_' (version 1, saved at version 0)"));

  Tensor h2 = w * 2.0;
  Tensor z = scale_add(h2, h2);  // Saves::nothing: the values do not matter to its backward
  h2.mul_(3.0);
  sum(z).backward();  // z = h2 + 2 h2 with h2 = 2 w, as recorded: dz/dw = 3 * 2
  CHECK(xt::allclose(w.grad().data<double>(), xt::xarray<double>{6.0, 6.0}));
  // [end]
}

TEST_CASE("ops say which dtypes they take", "[docs][custom]") {
  // [snippet: dtypes]
  Tensor labels = from_vector(std::vector<std::int64_t>{0, 2, 0, 1}, {4});
  CHECK(count_nonzero(labels) == 2);
  CHECK(count_nonzero(labels > 0.5) == 2);  // bool
  CHECK_THROWS_WITH(my_softsign(labels), "my_softsign: expected float32 or float64, got int64");
  CHECK_THROWS_WITH(my_silu(labels),
                    "sigmoid: expected a floating-point tensor (float32 or "
                    "float64), got int64 (convert it with to())");

  Tensor x = Tensor(xt::xarray<double>{-2.0, 0.5, 3.0}, true);
  auto f = [](const std::vector<Tensor>& in) { return my_softsign(in[0]); };
  CHECK(gradcheck(f, {x}).passed);
  CHECK(gradgradcheck(f, {x}).passed);
  CHECK(my_softsign(labels.to(float32)).dtype() == float32);
  // [end]
}
