// Tests of CapturedGraph: a step recorded once and replayed gives, bit for bit, what running the
// step again gives (elementwise chains with broadcasting, an MLP's training step with SGD, also
// fused into backward, and with Adam), and capture and replay refuse what they cannot repeat.
#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

#include "autograd/autograd.hpp"
#include "gradient_checks.hpp"
#include "nn/optim/adam.hpp"
#include "nn/optim/clip.hpp"
#include "nn/optim/sgd.hpp"

using namespace xgrad;
using xgrad::testing::MessageContains;
using xgrad::testing::values;

namespace {

Tensor random_tensor(const Shape& shape, std::uint64_t seed, Dtype dtype) {
  Generator generator(seed);
  return uniform(shape, -1.0, 1.0, generator, dtype);
}

// Gives `t` the values of `from` in place, as a user feeds a captured step a new batch.
void feed(Tensor t, const Tensor& from) {
  no_grad guard;
  t.copy_(from);
}

// op_overhead's chain: h = sigmoid(0.5 tanh((h + x) x)), `cycles` times, and loss = sum(h).
Tensor chain(const Tensor& x, int cycles) {
  Tensor h = x;
  for (int c = 0; c < cycles; ++c) h = sigmoid(tanh((h + x) * x) * 0.5);
  return h.sum();
}

}  // namespace

TEST_CASE("a replayed chain gives the values and gradients a new run gives", "[capture]") {
  const Dtype dtype = GENERATE(float32, float64);
  Tensor x = random_tensor({16}, 1, dtype).requires_grad_();
  Tensor loss;
  CapturedGraph step = CapturedGraph::capture([&] {
    x.set_grad(Tensor());
    loss = chain(x, 20);
    loss.backward();
  });
  CHECK(step.kernels() > 100);
  for (std::uint64_t seed = 2; seed < 5; ++seed) {
    const Tensor next = random_tensor({16}, seed, dtype);
    feed(x, next);
    step.replay();
    // the same step run as usual, on a fresh leaf with the same values
    Tensor fresh = next.clone().requires_grad_();
    Tensor expected = chain(fresh, 20);
    expected.backward();
    CHECK(values(loss) == values(expected));
    CHECK(values(x.grad()) == values(fresh.grad()));
  }
}

namespace {

struct Layer {
  Tensor weight, bias;
};

// A 2-8-8-3 MLP (addmm with its bias, relu), its parameters from `seed`.
std::vector<Layer> mlp(std::uint64_t seed, Dtype dtype) {
  const std::size_t sizes[] = {2, 8, 8, 3};
  std::vector<Layer> layers;
  for (std::size_t l = 0; l < 3; ++l) {
    layers.push_back({random_tensor({sizes[l], sizes[l + 1]}, seed + 2 * l, dtype).requires_grad_(),
                      random_tensor({sizes[l + 1]}, seed + 2 * l + 1, dtype).requires_grad_()});
  }
  return layers;
}

std::vector<Tensor> parameters(const std::vector<Layer>& layers) {
  std::vector<Tensor> params;
  for (const Layer& layer : layers) params.insert(params.end(), {layer.weight, layer.bias});
  return params;
}

Tensor forward(const std::vector<Layer>& layers, Tensor h) {
  for (std::size_t l = 0; l < layers.size(); ++l) {
    h = addmm(layers[l].bias, h, layers[l].weight);
    if (l + 1 < layers.size()) h = relu(h);
  }
  return h;
}

// Batch `b` of a fixed stream: 6 rows of inputs in [-1, 1) and labels 0, 1, 2.
std::pair<Tensor, Tensor> batch(std::uint64_t b, Dtype dtype) {
  std::vector<std::int64_t> labels;
  for (std::uint64_t i = 0; i < 6; ++i) labels.push_back(static_cast<std::int64_t>((b + i) % 3));
  return {random_tensor({6, 2}, 100 + b, dtype), from_vector(labels, {6}, int64)};
}

// One training step of `layers` on a batch, as a user writes it: its loss.
Tensor train_step(const std::vector<Layer>& layers, optim::Optimizer& opt, const Tensor& x,
                  const Tensor& y) {
  opt.zero_grad();
  Tensor loss = cross_entropy(forward(layers, x), y);
  loss.backward();
  opt.step();
  return loss;
}

}  // namespace

TEST_CASE("a replayed training step trains as running the step again does", "[capture]") {
  const Dtype dtype = GENERATE(float32, float64);
  const bool fused = GENERATE(false, true);
  const std::vector<Layer> captured = mlp(7, dtype), eager = mlp(7, dtype);
  optim::SGD sgd(parameters(captured), 0.1), eager_sgd(parameters(eager), 0.1);
  if (fused) {
    sgd.fuse_into_backward();
    eager_sgd.fuse_into_backward();
  }
  auto [x, y] = batch(0, dtype);
  Tensor loss;
  CapturedGraph graph = CapturedGraph::capture([&] { loss = train_step(captured, sgd, x, y); });
  train_step(eager, eager_sgd, x, y);
  for (std::uint64_t b = 1; b < 6; ++b) {
    const auto [next_x, next_y] = batch(b, dtype);
    feed(x, next_x);
    feed(y, next_y);
    graph.replay();
    const Tensor expected = train_step(eager, eager_sgd, next_x, next_y);
    CHECK(values(loss) == values(expected));
    for (std::size_t p = 0; p < 6; ++p) {
      CHECK(values(parameters(captured)[p]) == values(parameters(eager)[p]));
    }
  }
}

TEST_CASE("SGD with momentum, captured after its first step's state, keeps its momentum",
          "[capture]") {
  const std::vector<Layer> captured = mlp(3, float64), eager = mlp(3, float64);
  optim::SGD sgd(parameters(captured), 0.05, 0.9), eager_sgd(parameters(eager), 0.05, 0.9);
  auto [x, y] = batch(0, float64);
  CapturedGraph graph = CapturedGraph::capture([&] { train_step(captured, sgd, x, y); });
  train_step(eager, eager_sgd, x, y);
  for (std::uint64_t b = 1; b < 5; ++b) {
    const auto [next_x, next_y] = batch(b, float64);
    feed(x, next_x);
    feed(y, next_y);
    graph.replay();
    train_step(eager, eager_sgd, next_x, next_y);
  }
  for (std::size_t p = 0; p < 6; ++p) {
    CHECK(values(parameters(captured)[p]) == values(parameters(eager)[p]));
  }
}

TEST_CASE("Adam AdamW and amsgrad replay step after step with their bias corrections",
          "[capture]") {
  const int variant = GENERATE(0, 1, 2);  // Adam with L2 decay, AdamW, Adam with amsgrad
  const Dtype dtype = GENERATE(float32, float64);
  auto make = [variant](const std::vector<Tensor>& params) -> std::unique_ptr<optim::Adam> {
    if (variant == 0)
      return std::make_unique<optim::Adam>(params, 0.01, std::make_pair(0.9, 0.99), 1e-8, 0.01);
    if (variant == 1) return std::make_unique<optim::AdamW>(params, 0.01);
    return std::make_unique<optim::Adam>(params, 0.01, std::make_pair(0.8, 0.9), 1e-6, 0.0, true);
  };
  const std::vector<Layer> captured = mlp(5, dtype), eager = mlp(5, dtype);
  std::unique_ptr<optim::Adam> adam = make(parameters(captured)),
                               eager_adam = make(parameters(eager));
  auto [x, y] = batch(0, dtype);
  Tensor loss;
  CapturedGraph graph = CapturedGraph::capture([&] { loss = train_step(captured, *adam, x, y); });
  train_step(eager, *eager_adam, x, y);
  for (std::uint64_t b = 1; b < 6; ++b) {
    const auto [next_x, next_y] = batch(b, dtype);
    feed(x, next_x);
    feed(y, next_y);
    graph.replay();
    const Tensor expected = train_step(eager, *eager_adam, next_x, next_y);
    CHECK(values(loss) == values(expected));
  }
  // Bit for bit after six steps: each replay took step t's own bias corrections.
  for (std::size_t p = 0; p < 6; ++p) {
    CHECK(values(parameters(captured)[p]) == values(parameters(eager)[p]));
  }
}

TEST_CASE("a replay sums gradients over broadcast axes as backward does", "[capture]") {
  Tensor x = random_tensor({4, 3}, 1, float64);
  Tensor w = random_tensor({3}, 2, float64).requires_grad_();
  Tensor b = random_tensor({1}, 3, float64).requires_grad_();
  Tensor loss;
  auto run = [&](const Tensor& in, const Tensor& weight, const Tensor& bias) {
    return tanh(in * weight + bias).mean() * 3.0;
  };
  CapturedGraph graph = CapturedGraph::capture([&] {
    w.set_grad(Tensor());
    b.set_grad(Tensor());
    loss = run(x, w, b);
    loss.backward();
  });
  const Tensor next = random_tensor({4, 3}, 9, float64);
  feed(x, next);
  graph.replay();
  Tensor w2 = w.detach().clone().requires_grad_(), b2 = b.detach().clone().requires_grad_();
  Tensor expected = run(next, w2, b2);
  expected.backward();
  CHECK(values(loss) == values(expected));
  CHECK(values(w.grad()) == values(w2.grad()));
  CHECK(values(b.grad()) == values(b2.grad()));
}

TEST_CASE("capture refuses what replay cannot repeat, naming it", "[capture]") {
  Tensor x = random_tensor({4, 3}, 1, float32).requires_grad_();
  auto refused = [](const std::function<void()>& step) {
    std::string message;
    try {
      CapturedGraph::capture(step);
    } catch (const std::invalid_argument& e) {
      message = e.what();
    }
    return message;
  };
  // random values
  CHECK_THAT(refused([&] { dropout(x, 0.5).sum().backward(); }),
             Catch::Contains("capture:") && Catch::Contains("cannot repeat"));
  // an op without a replayable kernel
  CHECK_THAT(refused([&] { softmax(x).sum().backward(); }), Catch::Contains("capture:"));
  // a host read
  CHECK_THAT(refused([&] { (void)x.sum().item(); }), Catch::Contains("item()"));
  // targets given as a std::vector: new ones could not be fed
  CHECK_THAT(refused([&] {
               (void)cross_entropy(x, std::vector<std::int64_t>{0, 1, 2, 0});
             }),
             Catch::Contains("not an int64 tensor"));
  // an in-place change made by copying a result in, which is not recorded
  Tensor y = random_tensor({4, 3}, 2, float32);
  CHECK_THAT(refused([&] {
               no_grad guard;
               y.mul_(2.0);
             }),
             Catch::Contains("'mul_' changed the values"));
  // captures do not nest, and anomaly mode reads values on the host
  CHECK_THAT(refused([&] { CapturedGraph::capture([] {}); }), Catch::Contains("already running"));
  {
    detect_anomaly anomaly;
    CHECK_THAT(refused([] {}), Catch::Contains("anomaly mode"));
  }
  // after a refusal, capture works again
  CHECK_NOTHROW(CapturedGraph::capture([&] { (x * 2.0).sum(); }));
}

TEST_CASE("replay refuses inputs replaced by set_data and bumps what it changes", "[capture]") {
  Tensor x = random_tensor({4}, 1, float64);
  Tensor w = random_tensor({4}, 2, float64).requires_grad_();
  optim::SGD sgd({w}, 0.1);
  CapturedGraph graph = CapturedGraph::capture([&] {
    sgd.zero_grad();
    (x * w).sum().backward();
    sgd.step();
  });
  // a graph that saved w's values refuses to run once a replay has stepped w
  Tensor saved = (w * w).sum();
  graph.replay();
  CHECK_THROWS_MATCHES(saved.backward(), std::runtime_error,
                       MessageContains("modified in place by 'step'"));
  // values replaced rather than copied in: the kernels would read the old ones
  x.set_data(random_tensor({4}, 3, float64));
  CHECK_THROWS_MATCHES(graph.replay(), std::runtime_error, MessageContains("set_data"));
  // also when the kernels saw the values through a handle that is gone (a detached alias)
  Tensor z = random_tensor({4}, 4, float64);
  Tensor out;
  CapturedGraph through_alias = CapturedGraph::capture([&] { out = z.detach() * 2.0; });
  through_alias.replay();
  z.set_data(random_tensor({4}, 5, float64));
  CHECK_THROWS_MATCHES(through_alias.replay(), std::runtime_error, MessageContains("set_data"));
}

TEST_CASE("capture refuses losses whose backward bakes in a value read on the host", "[capture]") {
  Tensor x = random_tensor({4, 3}, 1, float64).requires_grad_();
  const Tensor t = random_tensor({4, 3}, 2, float64);
  CHECK_THROWS_MATCHES(CapturedGraph::capture([&] { mse_loss(x, t).backward(); }),
                       std::invalid_argument, MessageContains("capture:"));
}

TEST_CASE("capture refuses gradient clipping, which scales gradients on the host's say",
          "[capture]") {
  Tensor w = random_tensor({4}, 1, float64).requires_grad_();
  optim::SGD sgd({w}, 0.1);
  CHECK_THROWS_MATCHES(CapturedGraph::capture([&] {
                         sgd.zero_grad();
                         (w * w).sum().backward();
                         optim::clip_grad_norm_({w}, 0.5);
                         sgd.step();
                       }),
                       std::invalid_argument, MessageContains("clip_grad_norm_"));
}
