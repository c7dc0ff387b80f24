// Tests of the engine's semantics: accumulation, graph freeing, no_grad, detach, leaf rules,
// reuse of one tensor, deep graphs, memory, higher-order gradients and autograd::grad.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "gradient_checks.hpp"
#include "resident_memory.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;
using xgrad::testing::error_message;
using xgrad::testing::resident_bytes;

namespace {

Tensor vec(std::initializer_list<double> values, bool requires_grad = false) {
  auto a = xt::xarray<double>::from_shape({values.size()});
  std::copy(values.begin(), values.end(), a.begin());
  return Tensor(std::move(a), requires_grad);
}

double at(const Tensor& t, std::size_t i) {
  return t.data<double>().data()[i];
}

}  // namespace

TEST_CASE("gradients accumulate across backward calls", "[autograd][engine]") {
  Tensor x = vec({1.0, 2.0}, true);
  sum(x * 3.0).backward();
  sum(x * 3.0).backward();
  CHECK(at(x.grad(), 0) == Approx(6.0));
  CHECK(at(x.grad(), 1) == Approx(6.0));
}

TEST_CASE("zero_grad fills the gradient with zeros and keeps its buffer", "[autograd][engine]") {
  Tensor x = vec({1.0, 2.0}, true);
  sum(x * x).backward();
  const double* buffer = x.grad().data<double>().data();
  x.zero_grad();
  CHECK(at(x.grad(), 0) == 0.0);
  sum(x * x).backward();
  CHECK(x.grad().data<double>().data() == buffer);
  CHECK(at(x.grad(), 1) == Approx(4.0));
}

TEST_CASE("second backward through a freed graph throws", "[autograd][engine]") {
  Tensor x = vec({0.5}, true);
  Tensor y = sum(exp(x));
  y.backward();
  CHECK_THROWS_AS(y.backward(), std::runtime_error);
  CHECK_THAT(error_message([&] { y.backward(); }),
             Contains("second time") && Contains("retain_graph"));
}

TEST_CASE("retain_graph keeps the graph for a second backward", "[autograd][engine]") {
  Tensor x = vec({0.5}, true);
  Tensor y = sum(exp(x));
  y.backward(Tensor(), /*retain_graph=*/true);
  y.backward();
  CHECK(at(x.grad(), 0) == Approx(2 * std::exp(0.5)));
}

TEST_CASE("no_grad records nothing and restores the previous mode", "[autograd][engine]") {
  Tensor x = vec({1.0, 2.0}, true);
  {
    no_grad guard;
    CHECK_FALSE(GradMode::is_enabled());
    Tensor y = x * 2.0;
    CHECK_FALSE(y.requires_grad());
    CHECK(y.grad_fn() == nullptr);
    {
      enable_grad inner;
      CHECK((x * 2.0).requires_grad());
    }
    CHECK_FALSE(GradMode::is_enabled());
  }
  CHECK(GradMode::is_enabled());
  CHECK((x * 2.0).requires_grad());
}

TEST_CASE("detach shares the values and cuts the graph", "[autograd][engine]") {
  Tensor x = vec({1.0, 2.0}, true);
  Tensor y = x * 3.0;
  Tensor d = y.detach();
  CHECK(d.is_leaf());
  CHECK_FALSE(d.requires_grad());
  CHECK(d.data<double>().data() == y.data<double>().data());
  // Only the path through y carries a gradient; the detached factor is a constant.
  sum(y * d).backward();
  CHECK(at(x.grad(), 0) == Approx(3.0 * 3.0));  // d(3x * c)/dx = 3c with c = 3x = 3
  CHECK(at(x.grad(), 1) == Approx(3.0 * 6.0));
}

TEST_CASE("leaf rules: only leaves change requires_grad and receive .grad", "[autograd][engine]") {
  Tensor x = vec({1.0}, true);
  Tensor y = x * 2.0;
  CHECK(x.is_leaf());
  CHECK_FALSE(y.is_leaf());
  CHECK(y.requires_grad());
  CHECK_THROWS_AS(y.requires_grad_(false), std::invalid_argument);
  CHECK_THAT(error_message([&] { y.requires_grad_(false); }), Contains("mul"));
  sum(y).backward();
  CHECK(x.grad().defined());
  CHECK_FALSE(y.grad().defined());
  Tensor c = vec({1.0});
  CHECK_FALSE((c * 2.0).requires_grad());
}

TEST_CASE("a tensor used twice receives the sum of both gradients", "[autograd][engine]") {
  SECTION("x * x") {
    Tensor x = vec({3.0, -2.0}, true);
    sum(x * x).backward();
    CHECK(at(x.grad(), 0) == Approx(6.0));
    CHECK(at(x.grad(), 1) == Approx(-4.0));
  }
  SECTION("x + x") {
    Tensor x = vec({3.0, -2.0}, true);
    sum(x + x).backward();
    CHECK(at(x.grad(), 0) == Approx(2.0));
    CHECK(at(x.grad(), 1) == Approx(2.0));
  }
  SECTION("a diamond: y = x * 2 feeds two branches") {
    Tensor x = vec({1.5}, true);
    Tensor y = x * 2.0;
    sum(exp(y) + y * y).backward();  // d/dx = 2 e^(2x) + 8x
    CHECK(at(x.grad(), 0) == Approx(2 * std::exp(3.0) + 12.0));
  }
}

TEST_CASE("backward of a non-scalar needs a gradient of its shape", "[autograd][engine]") {
  Tensor x = vec({1.0, 2.0}).reshape({2, 1}).detach().requires_grad_();
  Tensor y = x * 2.0;
  CHECK_THROWS_AS(y.backward(), std::runtime_error);
  CHECK_THAT(error_message([&] { y.backward(); }),
             Contains("(2, 1) is not a scalar; pass a gradient of that shape"));
  CHECK_THAT(error_message([&] { y.backward(ones({2}, float64)); }),
             Contains("gradient is float64 (2,), tensor is float64 (2, 1)"));
  CHECK_THAT(error_message([&] {
               y.backward(ones({2, 1}, float32));
             }),
             Contains("gradient is float32"));
  y.backward(vec({1.0, 10.0}).reshape({2, 1}));
  CHECK(at(x.grad(), 0) == Approx(2.0));
  CHECK(at(x.grad(), 1) == Approx(20.0));
}

TEST_CASE("backward of a tensor that does not require grad throws", "[autograd][engine]") {
  Tensor c = vec({1.0});
  CHECK_THROWS_AS(sum(c).backward(), std::runtime_error);
  CHECK_THAT(error_message([&] { sum(c).backward(); }), Contains("does not require grad"));
}

TEST_CASE("a million-op chain runs backward and is freed without recursion", "[autograd][engine]") {
  Tensor x = Tensor(xt::xarray<double>{1.0}, true);
  std::weak_ptr<Node> first_node;
  {
    Tensor h = x;
    for (int i = 0; i < 1000000; ++i) {
      h = h + 1e-6;
      if (i == 0) first_node = h.grad_fn();
    }
    CHECK(h.item() == Approx(2.0));
    h.backward();
  }
  CHECK(x.grad().item() == 1.0);
  CHECK(first_node.expired());
}

TEST_CASE("a million-op graph that is never walked is destroyed without recursion",
          "[autograd][engine]") {
  Tensor x = Tensor(xt::xarray<double>{0.5}, true);
  std::weak_ptr<Node> first_node;
  {
    Tensor h = x;
    for (int i = 0; i < 1000000; ++i) {
      h = sigmoid(h);  // each node saves its output and captures nothing else
      if (i == 0) first_node = h.grad_fn();
    }
    CHECK_FALSE(first_node.expired());
  }
  CHECK(first_node.expired());
}

TEST_CASE("a node that saves its output does not keep itself alive", "[autograd][engine]") {
  Tensor x = vec({0.3, -0.7}, true);
  std::weak_ptr<Node> node;
  std::weak_ptr<detail::TensorImpl> output;
  {
    Tensor y = tanh(exp(x));
    node = y.grad_fn();
    output = y.impl();
  }
  CHECK(node.expired());
  CHECK(output.expired());
}

TEST_CASE("memory stays flat over 10,000 forward/backward iterations", "[autograd][engine]") {
  Generator generator(7);
  Tensor w = randn({32, 32}, generator).requires_grad_();
  Tensor b = zeros({32}).requires_grad_();
  Tensor input = randn({16, 32}, generator);
  auto step = [&] {
    Tensor h = tanh(matmul(input, w) + b);
    Tensor loss = mean(sigmoid(h) * h);
    loss.backward();
    w.zero_grad();
    b.zero_grad();
  };
  for (int i = 0; i < 1000; ++i) step();
  const std::size_t after_1000 = resident_bytes();
  for (int i = 0; i < 9000; ++i) step();
  const std::size_t after_10000 = resident_bytes();
  INFO("RSS after 1,000 steps: " << after_1000 << " bytes; after 10,000: " << after_10000);
  if (testing::resident_size_is_meaningful) CHECK(after_10000 <= after_1000 + after_1000 / 100);
}

TEST_CASE("create_graph gives second derivatives", "[autograd][engine]") {
  Tensor x = vec({2.0}, true);
  Tensor y = sum(x * x * x);  // y' = 3x^2, y'' = 6x
  std::vector<Tensor> g = autograd::grad({y}, {x}, {}, false, /*create_graph=*/true);
  CHECK(at(g[0], 0) == Approx(12.0));
  CHECK(g[0].requires_grad());
  std::vector<Tensor> gg = autograd::grad({sum(g[0])}, {x});
  CHECK(at(gg[0], 0) == Approx(12.0));
  CHECK_FALSE(x.grad().defined());  // grad() never touches .grad
}

TEST_CASE("backward with create_graph leaves a differentiable .grad", "[autograd][engine]") {
  Tensor x = vec({0.5, -1.0}, true);
  sum(exp(x * 2.0)).backward(Tensor(), false, /*create_graph=*/true);
  Tensor g = x.grad();  // 2 e^(2x)
  CHECK(g.requires_grad());
  std::vector<Tensor> gg = autograd::grad({sum(g)}, {x});  // 4 e^(2x)
  CHECK(at(gg[0], 0) == Approx(4 * std::exp(1.0)));
  CHECK(at(gg[0], 1) == Approx(4 * std::exp(-2.0)));
}

TEST_CASE("a Hessian-vector product matches the analytic Hessian", "[autograd][engine]") {
  // f(x) = sum(tanh(A x)) with A 2x2; H = A^T diag(-2 t (1 - t^2)) A, t = tanh(A x)
  Tensor a = Tensor(xt::xarray<double>{{1.0, 2.0}, {-0.5, 0.3}});
  Tensor x = vec({0.2, -0.1}, true);
  Tensor v = vec({1.0, -2.0});
  Tensor f = sum(tanh(matmul(a, x)));
  Tensor g = autograd::grad({f}, {x}, {}, false, true)[0];
  Tensor hv = autograd::grad({sum(g * v)}, {x})[0];
  const auto& A = a.data<double>();
  double expected[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    const double t = std::tanh(A(i, 0) * 0.2 + A(i, 1) * -0.1);
    const double d = -2 * t * (1 - t * t);
    const double av = A(i, 0) * 1.0 + A(i, 1) * -2.0;
    for (int j = 0; j < 2; ++j) expected[j] += A(i, j) * d * av;
  }
  CHECK(at(hv, 0) == Approx(expected[0]));
  CHECK(at(hv, 1) == Approx(expected[1]));
}

TEST_CASE("autograd::grad handles non-leaf inputs, unused inputs and grad_outputs",
          "[autograd][engine]") {
  Tensor x = vec({1.0, 2.0}, true);
  Tensor unused = vec({5.0}, true);
  Tensor h = x * 3.0;
  Tensor y = h * h;
  SECTION("gradient with respect to an intermediate tensor") {
    Tensor gh = autograd::grad({y}, {h}, {ones({2}, float64)})[0];
    CHECK(at(gh, 0) == Approx(6.0));
    CHECK(at(gh, 1) == Approx(12.0));
  }
  SECTION("an unused input is an error unless allowed") {
    CHECK_THROWS_AS(autograd::grad({sum(y)}, {x, unused}), std::invalid_argument);
    CHECK_THAT(error_message([&] {
                 autograd::grad({sum(y)}, {x, unused}, {}, true);
               }),
               Contains("input 1 of shape (1,) is not used"));
    std::vector<Tensor> g = autograd::grad({sum(y)}, {x, unused}, {}, false, false, true);
    CHECK(at(g[0], 0) == Approx(18.0));  // d(9x^2)/dx
    CHECK_FALSE(g[1].defined());
  }
  SECTION("an input that does not require grad is an error") {
    CHECK_THAT(error_message([&] { autograd::grad({sum(y)}, {vec({1.0})}); }),
               Contains("input 0 does not require grad"));
  }
}

TEST_CASE("several outputs backpropagate together", "[autograd][engine]") {
  Tensor x = vec({1.0, 2.0}, true);
  autograd::backward({sum(x * 2.0), sum(x * x)});
  CHECK(at(x.grad(), 0) == Approx(4.0));
  CHECK(at(x.grad(), 1) == Approx(6.0));
}

TEST_CASE("independent graphs run backward on different threads", "[autograd][engine]") {
  auto work = [](std::uint64_t seed, double* out) {
    Generator generator(seed);
    Tensor w = randn({8, 8}, generator, float64).requires_grad_();
    for (int i = 0; i < 200; ++i) {
      w.zero_grad();
      mean(tanh(matmul(w, w))).backward();
    }
    *out = sum(w.grad()).item();
  };
  double a = 0, b = 0, a_alone = 0;
  std::thread t1(work, 1, &a);
  std::thread t2(work, 2, &b);
  t1.join();
  t2.join();
  work(1, &a_alone);
  CHECK(a == a_alone);
  CHECK(b != a);
}

TEST_CASE("undefined tensors and wrong-dtype access give clear errors", "[autograd][engine]") {
  Tensor undefined;
  CHECK_FALSE(undefined.defined());
  CHECK_THAT(error_message([&] { undefined.shape(); }), Contains("undefined"));
  Tensor x = vec({1.0, 2.0});
  CHECK_THROWS_AS(x.data<float>(), std::invalid_argument);
  CHECK_THAT(error_message([&] { x.data<float>(); }), Contains("tensor is float64, not float32"));
  CHECK_THAT(error_message([&] { x.item(); }), Contains("(2,) has 2 elements"));
}
