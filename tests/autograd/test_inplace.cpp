// In-place ops and version counters, with PyTorch's rules: a backward that saved values refuses to
// run once they changed in place (by an op, an optimizer step, the fused step or set_data); a leaf
// that requires grad changes only under no_grad; any other tensor in a graph continues its history
// from the in-place op.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "bad_input.hpp"
#include "gradient_checks.hpp"
#include "nn/nn.hpp"

using namespace xgrad;
using xgrad::testing::BadCall;
using xgrad::testing::check_bad_calls;
using xgrad::testing::f64;
using xgrad::testing::Throws;

namespace {

using Values = std::vector<double>;

std::string message_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no exception";
}

}  // namespace

TEST_CASE("in-place ops change the values every handle sees and bump the version",
          "[autograd][inplace]") {
  Tensor x = f64({1, 2, 3});
  Tensor alias = x.detach();
  CHECK(x.version() == 0);
  x.add_(f64({1, 1, 1}));
  CHECK(x.version() == 1);
  x.mul_(2.0).sub_(f64({1}));
  CHECK(alias.to_vector<double>() == Values{3, 5, 7});
  CHECK(alias.version() == 3);  // the version belongs to the values, shared by aliases
  x.div_(f64({1, 5, 7}));
  CHECK(x.to_vector<double>() == Values{3, 1, 1});
  x.clamp_(1.5, 2.5);
  CHECK(x.to_vector<double>() == Values{2.5, 1.5, 1.5});
  x.masked_fill_(from_vector(std::vector<bool>{false, true, false}, {3}), 9);
  CHECK(x.to_vector<double>() == Values{2.5, 9, 1.5});
  x.copy_(f64({4}));
  CHECK(x.to_vector<double>() == Values{4, 4, 4});
  x.fill_(-1).add_(f64({1, 2, 3}), 0.5);
  CHECK(x.to_vector<double>() == Values{-0.5, 0, 0.5});
  x.zero_();
  CHECK(x.to_vector<double>() == Values{0, 0, 0});
  CHECK(x.version() == 10);
  Tensor labels = from_vector(std::vector<std::int64_t>{1, 2}, {2});
  labels.add_(from_vector(std::vector<std::int64_t>{10, 10}, {2}));
  CHECK(labels.to_vector<std::int64_t>() == std::vector<std::int64_t>{11, 12});
}

TEST_CASE("copy_ expand and repeat broadcast int64 and bool tensors as they do floating ones",
          "[autograd][inplace]") {
  using Ints = std::vector<std::int64_t>;
  Tensor labels = from_vector(Ints{0, 0, 0, 0, 0, 0}, {2, 3});
  labels.copy_(from_vector(Ints{7, 8, 9}, {3}));
  CHECK(labels.to_vector<std::int64_t>() == Ints{7, 8, 9, 7, 8, 9});
  CHECK(labels.version() == 1);
  labels.copy_(from_vector(Ints{-1}, {1}));
  CHECK(labels.to_vector<std::int64_t>() == Ints{-1, -1, -1, -1, -1, -1});
  Tensor mask = from_vector(std::vector<bool>{false, false, false, false}, {2, 2});
  mask.copy_(from_vector(std::vector<bool>{true, false}, {1, 2}));
  CHECK(mask.to_vector<std::int64_t>() == Ints{1, 0, 1, 0});
  CHECK(mask.dtype() == boolean);

  const Tensor column = from_vector(Ints{1, 2}, {2, 1});
  CHECK(expand(column, {2, 3}).to_vector<std::int64_t>() == Ints{1, 1, 1, 2, 2, 2});
  CHECK(expand(column, {2, 3}).dtype() == int64);
  CHECK(repeat(from_vector(Ints{4, 5}, {2}), {2, 2}).to_vector<std::int64_t>() ==
        Ints{4, 5, 4, 5, 4, 5, 4, 5});
  CHECK(broadcast_to(from_vector(std::vector<bool>{true}, {1}), {3}).to_vector<std::int64_t>() ==
        Ints{1, 1, 1});
  CHECK_FALSE(broadcast_to(column, {2, 2}).requires_grad());

  CHECK_THROWS_WITH(labels.copy_(from_vector(Ints{1, 2}, {2})),
                    Catch::Contains("copy_: cannot broadcast (2, 3) with (2,)"));
  CHECK_THROWS_WITH(expand(column, {3, 3}), Catch::Contains("expand: cannot expand (2, 1) to"));
}

TEST_CASE("a backward whose saved values were changed in place throws, naming both ops",
          "[autograd][inplace]") {
  Tensor w = f64({1, 2, 3}, true);
  Tensor x = f64({4, 5, 6});
  SECTION("an input of mul changed by add_") {
    Tensor loss = sum(mul(w, x));
    x.add_(f64({1, 1, 1}));
    CHECK(message_of([&] { loss.backward(); }) ==
          "a tensor needed by the backward of 'mul' (input 1) was modified in place by 'add_' "
          "(version 1, saved at version 0); run the forward pass again after the change, or "
          "change a clone()");
  }
  SECTION("a saved output changed by mul_") {
    Tensor y = sigmoid(w);
    Tensor loss = sum(y);
    {
      no_grad guard;
      y.mul_(2.0);
    }
    CHECK_THAT(message_of([&] { loss.backward(); }),
               Catch::Matchers::StartsWith("the output of 'sigmoid', needed by its backward, was "
                                           "modified in place by 'mul_' (version 1, saved at "
                                           "version 0)"));
  }
  SECTION("a parameter replaced by set_data") {
    Tensor loss = sum(mul(w, w));
    w.set_data(f64({7, 8, 9}));
    CHECK_THAT(message_of([&] { loss.backward(); }),
               Catch::Matchers::Contains("needed by the backward of 'mul' (input 0) was replaced "
                                         "by 'set_data'"));
  }
  SECTION("ops that read no values ignore changes to their inputs, as in PyTorch") {
    Tensor loss = sum(add(w, x));
    x.add_(f64({1, 1, 1}));
    loss.backward();
    CHECK(w.grad().to_vector<double>() == Values{1, 1, 1});
  }
}

TEST_CASE("a retained graph refuses a second backward after an optimizer step",
          "[autograd][inplace][optim]") {
  Generator generator(3);
  nn::Linear layer(3, 2, true, nn::Init::kaiming_uniform, generator, float64);
  const Tensor input = uniform({4, 3}, -1, 1, generator, float64);
  SECTION("step() after backward") {
    optim::SGD sgd(layer.parameters(), 0.1);
    Tensor loss = sum(layer.forward(input));
    loss.backward(Tensor(), /*retain_graph=*/true);
    sgd.step();
    CHECK_THAT(message_of([&] { loss.backward(); }),
               Catch::Matchers::Contains("was modified in place by 'step'"));
  }
  SECTION("the fused step") {
    optim::Adam adam(layer.parameters(), 0.1);
    adam.fuse_into_backward();
    Tensor loss = sum(layer.forward(input));
    loss.backward(Tensor(), /*retain_graph=*/true);
    CHECK_THAT(message_of([&] { loss.backward(); }),
               Catch::Matchers::Contains("was modified in place by 'step'"));
  }
  SECTION("the fused SGD step written by the product itself") {
    optim::SGD sgd(layer.parameters(), 0.1);
    sgd.fuse_into_backward();
    Tensor loss = sum(layer.forward(input));
    loss.backward(Tensor(), /*retain_graph=*/true);
    CHECK_THAT(message_of([&] { loss.backward(); }),
               Catch::Matchers::Contains("was modified in place by 'step'"));
  }
}

TEST_CASE("training with optimizers, plain and fused, still runs after the version checks",
          "[autograd][inplace][optim]") {
  Generator generator(5);
  nn::Linear layer(3, 1, true, nn::Init::kaiming_uniform, generator);
  const Tensor input = uniform({8, 3}, -1, 1, generator);
  const Tensor target = uniform({8, 1}, -1, 1, generator);
  optim::SGD sgd(layer.parameters(), 0.1, 0.9);
  double first = 0, last = 0;
  for (int step = 0; step < 20; ++step) {
    sgd.zero_grad();
    Tensor loss = mse_loss(layer.forward(input), target);
    loss.backward();
    sgd.step();
    (step == 0 ? first : last) = loss.item();
  }
  CHECK(last < first);
}

TEST_CASE("in-place on a leaf that requires grad is refused outside no_grad",
          "[autograd][inplace][errors]") {
  Tensor w = f64({1, 2}, true);
  check_bad_calls({
      {"add_ on a parameter",
       [&] {
         w.add_(f64({1, 1}));
       },
       Throws::runtime_error,
       "add_: a leaf tensor that requires grad cannot be changed in place while grad mode is on; "
       "wrap the update in no_grad"},
      {"zero_ on a parameter", [&] { w.zero_(); }, Throws::runtime_error, "zero_"},
      {"mul_ broadcasting self up",
       [&] {
         f64({1, 2}).mul_(f64({{1, 2}, {3, 4}}));
       },
       Throws::invalid_argument,
       "mul_: cannot broadcast (2, 2) into the shape (2,) of the tensor being changed"},
      {"add_ of another dtype",
       [&] {
         f64({1, 2}).add_(ones({2}));
       },
       Throws::invalid_argument, "add_: dtype mismatch: float64 and float32"},
  });
  {
    no_grad guard;
    w.sub_(f64({1, 1}));
  }
  CHECK(w.to_vector<double>() == Values{0, 1});
  CHECK(w.version() == 1);
}

TEST_CASE("in-place ops inside a graph record themselves and differentiate correctly",
          "[autograd][inplace]") {
  SECTION("mul_ on an intermediate continues its history") {
    Tensor w = f64({1, 2, 3}, true);
    Tensor y = w * w;
    y.mul_(f64({2, 3, 4}));
    CHECK(y.grad_fn()->name() == "mul");
    sum(y).backward();
    CHECK(w.grad().to_vector<double>() == Values{4, 12, 24});  // d(c w^2)/dw = 2 c w
  }
  SECTION("add_ of a tensor that requires grad into a constant") {
    Tensor w = f64({1, 2}, true);
    Tensor acc = zeros({2}, float64);
    acc.add_(w * w, 3.0);
    CHECK(acc.requires_grad());
    sum(acc).backward();
    CHECK(w.grad().to_vector<double>() == Values{6, 12});
  }
  SECTION("copy_ sends the gradient to its source, summed over the broadcast") {
    Tensor w = f64({5}, true);
    Tensor buffer = zeros({3}, float64);
    buffer.copy_(w);
    sum(buffer * f64({1, 2, 3})).backward();
    CHECK(w.grad().to_vector<double>() == Values{6});
  }
  SECTION("fill_ cuts the gradient of what it overwrote") {
    Tensor w = f64({1, 2}, true);
    Tensor y = w * 3.0;
    y.fill_(4);
    Tensor loss = sum(y * w);
    loss.backward();
    CHECK(w.grad().to_vector<double>() == Values{4, 4});
  }
  SECTION("gradcheck through clamp_ and masked_fill_ on intermediates") {
    testing::check_gradients_twice(
        [](const std::vector<Tensor>& x) {
          Tensor y = x[0] * x[1];
          y.clamp_(-0.3, 0.35);  // inputs keep products away from the bounds (checked below)
          y.masked_fill_(from_vector(std::vector<bool>{true, false, false, false}, {4}), 0.0);
          return y * x[0];
        },
        {f64({0.9, -0.2, 0.5, 0.3}, true), f64({0.5, 0.5, -0.9, 0.5}, true)});
  }
}
