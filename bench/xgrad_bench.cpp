// The benchmark program: xgrad's twin of the peers in ../shared/bench/peers. It runs the workloads
// of ../shared/bench/WORKLOADS.md in float32 with xgrad's autograd and prints one JSON line per
// workload in the peers' format, so compare.py can set it beside NumPy, PyTorch and libtorch.
// --smoke runs each workload once, untimed (one pass of op_overhead, one matmul_512 iteration, the
// full training of the others), and checks the results against WORKLOADS.md's reference values:
// the test suite's check that every workload runs and converges.
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <xtensor-blas/xblas.hpp>

#include "autograd/autograd.hpp"
#include "nn/activation.hpp"
#include "nn/linear.hpp"
#include "nn/optim/sgd.hpp"
#include "nn/recurrent.hpp"
#include "nn/sequential.hpp"

namespace {

using xgrad::Generator;
using xgrad::Shape;
using xgrad::Tensor;

// ---- workload constants (WORKLOADS.md) ---------------------------------------------------------
constexpr std::size_t kOpN = 16, kOpK = 1000, kOpPasses = 300;
constexpr std::size_t kMmN = 512, kMmIters = 100;
constexpr std::size_t kSmallPerClass = 1024, kSmallClasses = 3, kSmallStride = 1201;
constexpr std::size_t kSmallBatch = 32, kSmallEpochs = 100;
constexpr double kSmallLr = 0.1;
const std::vector<std::size_t> kSmallSizes{2, 64, 64, 3}, kLargeSizes{784, 1024, 1024, 10};
constexpr std::size_t kLargeBatch = 256, kLargePool = 2560, kLargeSteps = 50;
constexpr double kLargeLr = 0.01;
constexpr std::size_t kRegN = 100000, kRegD = 20, kRegEpochs = 1000;
constexpr double kLinLr = 0.1, kLogLr = 0.5;

// ---- data: float64 from the splitmix64 streams, rounded once to float32 ------------------------
// The first n draws of stream `seed`, each mapped by f (uniform or normal draws, as f chooses).
template <class F>
std::vector<double> stream(std::uint64_t seed, std::size_t n, F f) {
  Generator g(seed);
  std::vector<double> v(n);
  for (double& e : v) e = f(g);
  return v;
}

std::vector<double> uniforms(std::uint64_t seed, std::size_t n) {
  return stream(seed, n, [](Generator& g) { return g.uniform(); });
}

std::vector<double> normals(std::uint64_t seed, std::size_t n) {
  return stream(seed, n, [](Generator& g) { return g.normal(); });
}

// A float32 tensor of `shape` whose element i (row-major) is value(i), computed in float64 and
// rounded to nearest once. Elements are made in order, so value may draw from a stream; no float64
// copy of the data is ever held (it would count in the peak RSS).
template <class F>
Tensor float32_tensor(const Shape& shape, F value, bool requires_grad = false) {
  auto out = xt::xarray<float>::from_shape(shape);
  for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] = static_cast<float>(value(i));
  return Tensor(std::move(out), requires_grad);
}

// ---- timing and output -------------------------------------------------------------------------
struct Result {
  std::vector<double> times;               // seconds per timed repetition
  std::string unit;                        // of the reported metric
  std::function<double(double)> value_of;  // seconds per repetition -> metric
  std::vector<std::pair<std::string, double>> checks;
  double flops = 0;  // GEMM FLOPs per repetition, for GFLOP/s
};

// One warm-up run of body(setup()), discarded, then `reps` runs timed from a fresh setup() each
// (setup is outside the clock). Returns what the last run returned, for the checks.
template <class Setup, class Body>
auto measure(std::size_t reps, std::vector<double>& times, Setup setup, Body body) {
  auto state = setup();
  auto out = body(state);
  for (std::size_t r = 0; r < reps; ++r) {
    state = setup();
    const auto t0 = std::chrono::steady_clock::now();
    out = body(state);
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return out;
}

// What setup() returns for workloads whose tensors no repetition changes.
struct NoState {};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// One JSON line, field for field as the peers print it.
void emit(const char* impl, const char* workload, int threads, const Result& r) {
  const double med = median(r.times);
  const double best = *std::min_element(r.times.begin(), r.times.end());
  std::printf(
      "{\"impl\": \"%s\", \"workload\": \"%s\", \"threads\": %d, \"reps\": %zu, "
      "\"median_s\": %.9g, \"min_s\": %.9g, \"unit\": \"%s\", \"value\": %.9g",
      impl, workload, threads, r.times.size(), med, best, r.unit.c_str(), r.value_of(med));
  if (r.flops > 0) std::printf(", \"gflops\": %.9g", r.flops / med / 1e9);
  for (const auto& [name, value] : r.checks) std::printf(", \"%s\": %.9g", name.c_str(), value);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf(", \"peak_rss_mb\": %.1f}\n", usage.ru_maxrss / 1024.0);
  std::fflush(stdout);
}

// ---- models: Linear layers as autograd ops, plain SGD ------------------------------------------
struct Linear {
  Tensor weight;  // [in, out]
  Tensor bias;    // [out]
};
using Mlp = std::vector<Linear>;

// He-uniform W[a, b] = (2 U(seed + l)[a out + b] - 1) sqrt(6 / in) for layer l, zero bias.
Mlp he_uniform_mlp(const std::vector<std::size_t>& sizes, std::uint64_t first_seed) {
  Mlp layers;
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
    const std::size_t in = sizes[l], out = sizes[l + 1];
    const double bound = std::sqrt(6.0 / in);
    Generator g(first_seed + l);
    Tensor w = float32_tensor(
        {in, out}, [&](std::size_t) { return (2.0 * g.uniform() - 1.0) * bound; }, true);
    layers.push_back({w, xgrad::zeros({out}, xgrad::float32, true)});
  }
  return layers;
}

// Linear, ReLU, ..., Linear: x [n, sizes[0]] -> logits [n, sizes.back()].
Tensor forward(const Mlp& layers, Tensor h) {
  for (std::size_t l = 0; l < layers.size(); ++l) {
    // [n, in] @ [in, out] + [out], the bias added inside the gemm
    h = xgrad::addmm(layers[l].bias, h, layers[l].weight);
    if (l + 1 < layers.size()) h = xgrad::relu(h);
  }
  return h;
}

std::vector<Tensor> parameters(const Mlp& layers) {
  std::vector<Tensor> params;
  for (const Linear& layer : layers) params.insert(params.end(), {layer.weight, layer.bias});
  return params;
}

// Drops the gradients, as torch's zero_grad(set_to_none=True): backward then adopts its buffers.
void clear_grads(const std::vector<Tensor>& params) {
  for (Tensor p : params) p.set_grad(Tensor());
}

// p <- p - lr dloss/dp, unrecorded.
void sgd_step(const std::vector<Tensor>& params, double lr) {
  xgrad::no_grad guard;
  for (Tensor p : params) xgrad::add_(p, p.grad(), -lr);
}

// ---- workloads ---------------------------------------------------------------------------------
// How a workload runs: `reps` timed repetitions after the warm-up; smoke runs the warm-up only,
// and op_overhead and matmul_512 then make one pass instead of a repetition's hundreds.
struct Config {
  std::size_t reps;
  bool smoke;
  bool fused_step;  // the MLPs' SGD step inside backward (optim::SGD::fuse_into_backward)
  // op_overhead and the MLPs' steps captured once and replayed (CapturedGraph): the capture runs
  // the first pass or step, inside the clock, and replay() every later one.
  bool graph;
};

Result op_overhead(const Config& config) {
  const std::size_t passes = config.smoke ? 1 : kOpPasses;
  Result r{{}, "ns/op", [](double s) { return s / (kOpPasses * kOpK) * 1e9; }, {}};
  Generator g1(1);
  Tensor x = xgrad::uniform({kOpN}, -1.0, 1.0, g1);  // -1 + 2u: exactly 2u - 1 in float64
  x.requires_grad_();
  auto body = [&](NoState) {
    Tensor loss;
    auto pass = [&] {
      x.set_grad(Tensor());
      Tensor h = x;
      for (std::size_t c = 0; c < kOpK / 5; ++c) h = xgrad::sigmoid(xgrad::tanh((h + x) * x) * 0.5);
      loss = h.sum();
      loss.backward();
    };
    if (config.graph) {
      xgrad::CapturedGraph graph = xgrad::CapturedGraph::capture(pass);
      for (std::size_t p = 1; p < passes; ++p) graph.replay();
      return loss;
    }
    for (std::size_t p = 0; p < passes; ++p) pass();
    return loss;
  };
  const Tensor loss = measure(
      config.reps, r.times, [] { return NoState{}; }, body);
  r.checks = {{"final_loss", loss.item()}, {"grad_sum", x.grad().sum().item()}};
  return r;
}

Result matmul_512(const Config& config) {
  const std::size_t iters = config.smoke ? 1 : kMmIters;
  Result r{{}, "ms/iter", [](double s) { return s / kMmIters * 1e3; }, {}};
  Generator g2(2), g3(3);
  Tensor a = xgrad::rand({kMmN, kMmN}, g2).requires_grad_();
  Tensor b = xgrad::rand({kMmN, kMmN}, g3).requires_grad_();
  const std::vector<Tensor> params{a, b};
  auto body = [&](NoState) {
    Tensor loss;
    for (std::size_t i = 0; i < iters; ++i) {
      clear_grads(params);
      loss = xgrad::matmul(a, b).sum();  // [512, 512] @ [512, 512], summed
      loss.backward();
    }
    return loss;
  };
  const Tensor loss = measure(
      config.reps, r.times, [] { return NoState{}; }, body);
  r.checks = {{"final_loss", loss.item()},
              {"grad_sum", a.grad().sum().item() + b.grad().sum().item()}};
  // Per iteration: C = A @ B, dA = dC @ B^T, dB = A^T @ dC.
  r.flops = kMmIters * 3 * (2.0 * kMmN * kMmN * kMmN);
  return r;
}

// A classification set: features and labels, whose batches each step takes with slice() inside
// the timed region, as the peers take views (xgrad has no views: slice copies the rows).
struct Classification {
  Tensor x;  // [n, features]
  std::vector<std::int64_t> y;
};

Classification spiral_data() {
  const std::size_t m = kSmallPerClass, n = m * kSmallClasses;
  const std::vector<double> noise = normals(10, n);
  std::vector<std::int64_t> y(n);
  // Row j holds point q = 1201 j mod n: class c = q div m at radius r = (q mod m) / (m - 1) and
  // angle t = 4 c + 4 r + 0.2 N(10)[q], at (r sin t, r cos t).
  Tensor x = float32_tensor({n, 2}, [&](std::size_t i) {
    const std::size_t q = i / 2 * kSmallStride % n;
    const std::size_t c = q / m;
    const double radius = (q % m) / (m - 1.0);
    const double t = 4.0 * c + 4.0 * radius + 0.2 * noise[q];
    y[i / 2] = static_cast<std::int64_t>(c);
    return i % 2 == 0 ? radius * std::sin(t) : radius * std::cos(t);
  });
  return {x, y};
}

Classification mlp_large_data() {
  const std::size_t n = kLargePool, d = kLargeSizes[0];
  const std::vector<double> label = uniforms(22, n), proto = uniforms(20, 10 * d);
  std::vector<std::int64_t> y(n);
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<std::int64_t>(std::floor(10.0 * label[i]));
  // X[i, k] = 0.2 (2 P[y_i, k] - 1) + 0.8 (2 U(21)[784 i + k] - 1), U(21) drawn in order
  Generator noise(21);
  Tensor x = float32_tensor({n, d}, [&](std::size_t e) {
    const double prototype = proto[y[e / d] * d + e % d];
    return 0.2 * (2.0 * prototype - 1.0) + 0.8 * (2.0 * noise.uniform() - 1.0);
  });
  return {x, y};
}

// One SGD step of mean cross-entropy on rows [begin, end) of `set`. With the step fused into the
// backward pass, backward() updates the parameters and step() finds no gradient left to apply.
void sgd_step_on_rows(const Mlp& layers, xgrad::optim::SGD& sgd, const Classification& set,
                      std::size_t begin, std::size_t end) {
  const Tensor x = xgrad::slice(set.x, 0, begin, end);  // [batch, features]
  const std::vector<std::int64_t> y(set.y.begin() + begin, set.y.begin() + end);
  clear_grads(sgd.params());
  xgrad::cross_entropy(forward(layers, x), y).backward();
  sgd.step();
}

// `steps` SGD steps on the batches of `batch` rows starting at rows first_row(0), first_row(1), ...
// with one captured step replayed: the batch is copied into the step's input tensors first.
template <class FirstRow>
void train_captured(const Mlp& layers, xgrad::optim::SGD& sgd, const Classification& set,
                    std::size_t steps, std::size_t batch, FirstRow first_row) {
  const std::size_t d = set.x.size(1);
  Tensor x = xgrad::zeros({batch, d}, xgrad::float32), y = xgrad::zeros({batch}, xgrad::int64);
  auto feed = [&](std::size_t begin) {
    std::memcpy(x.data<float>().data(), set.x.data<float>().data() + begin * d,
                batch * d * sizeof(float));
    std::memcpy(y.data<std::int64_t>().data(), set.y.data() + begin, batch * sizeof(std::int64_t));
  };
  feed(first_row(0));
  xgrad::CapturedGraph graph = xgrad::CapturedGraph::capture([&] {
    clear_grads(sgd.params());
    xgrad::cross_entropy(forward(layers, x), y).backward();
    sgd.step();
  });
  for (std::size_t s = 1; s < steps; ++s) {
    feed(first_row(s));
    graph.replay();
  }
}

// optim::SGD over the MLP's parameters, its step taken inside backward() unless config says after.
std::unique_ptr<xgrad::optim::SGD> make_sgd(const Mlp& layers, double lr, bool fused) {
  auto sgd = std::make_unique<xgrad::optim::SGD>(parameters(layers), lr);
  if (fused) sgd->fuse_into_backward();
  return sgd;
}

// Mean cross-entropy of logits [n, classes] against y, and the fraction of rows whose argmax
// logit is the label.
std::vector<std::pair<std::string, double>> make_checks(const Tensor& logits,
                                                        const std::vector<std::int64_t>& y) {
  const std::size_t n = y.size(), classes = logits.size(1);
  const float* z = logits.data<float>().data();
  std::size_t correct = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float* row = z + i * classes;
    correct += std::max_element(row, row + classes) - row == y[i];
  }
  return {{"final_loss", xgrad::cross_entropy(logits, y).item()},
          {"final_acc", static_cast<double>(correct) / n}};
}

// make_checks over the whole set.
std::vector<std::pair<std::string, double>> classification_checks(const Mlp& model,
                                                                  const Classification& set) {
  xgrad::no_grad guard;
  return make_checks(forward(model, set.x), set.y);
}

Result mlp_small(const Config& config) {
  const Classification set = spiral_data();
  const std::size_t n = set.y.size();
  Result r{{}, "samples/s", [n](double s) { return double(kSmallEpochs * n) / s; }, {}};
  // 100 epochs of the batches of rows [32k, 32k + 32), in order
  auto train = [&](Mlp& layers) {
    const auto sgd = make_sgd(layers, kSmallLr, config.fused_step);
    if (config.graph) {
      train_captured(layers, *sgd, set, kSmallEpochs * (n / kSmallBatch), kSmallBatch,
                     [n](std::size_t s) { return s * kSmallBatch % n; });
      return layers;
    }
    for (std::size_t e = 0; e < kSmallEpochs; ++e) {
      for (std::size_t i = 0; i < n; i += kSmallBatch) {
        sgd_step_on_rows(layers, *sgd, set, i, i + kSmallBatch);
      }
    }
    return layers;
  };
  const Mlp model = measure(
      config.reps, r.times, [] { return he_uniform_mlp(kSmallSizes, 11); }, train);
  r.checks = classification_checks(model, set);
  return r;
}

Result mlp_large(const Config& config) {
  const Classification set = mlp_large_data();
  Result r{{}, "samples/s", [](double s) { return double(kLargeSteps * kLargeBatch) / s; }, {}};
  // step s uses rows [256 (s mod 10), 256 (s mod 10) + 256)
  auto train = [&](Mlp& layers) {
    const auto sgd = make_sgd(layers, kLargeLr, config.fused_step);
    if (config.graph) {
      train_captured(layers, *sgd, set, kLargeSteps, kLargeBatch,
                     [](std::size_t s) { return s % (kLargePool / kLargeBatch) * kLargeBatch; });
      return layers;
    }
    for (std::size_t s = 0; s < kLargeSteps; ++s) {
      const std::size_t begin = s % (kLargePool / kLargeBatch) * kLargeBatch;
      sgd_step_on_rows(layers, *sgd, set, begin, begin + kLargeBatch);
    }
    return layers;
  };
  const Mlp model = measure(
      config.reps, r.times, [] { return he_uniform_mlp(kLargeSizes, 23); }, train);
  r.checks = classification_checks(model, set);
  // Per step: forward X@W1, H1@W2, H2@W3; backward two GEMMs per layer, but no dX for layer 1.
  const double b = kLargeBatch, d0 = kLargeSizes[0], d1 = kLargeSizes[1], d2 = kLargeSizes[2],
               d3 = kLargeSizes[3];
  r.flops = kLargeSteps * (2 * (2 * b * d0 * d1) + 3 * (2 * b * d1 * d2) + 3 * (2 * b * d2 * d3));
  return r;
}

// x = 2 U(xs) - 1 [n, d] and the teacher's s_i = 0.5 + sum_k x_ik w*_k (k in order, from the
// float64 x) + scale N(ns)[i], with w*_k = 2 U(ws)[k] - 1: x rounded to float32, s in float64.
std::pair<Tensor, std::vector<double>> linear_teacher(std::uint64_t xs, std::uint64_t ws,
                                                      std::uint64_t ns, double scale) {
  std::vector<double> w = uniforms(ws, kRegD);
  for (double& v : w) v = 2.0 * v - 1.0;
  const std::vector<double> noise = normals(ns, kRegN);
  std::vector<double> s(kRegN, 0.5);
  Generator gx(xs);
  Tensor x = float32_tensor({kRegN, kRegD}, [&](std::size_t e) {
    const double v = 2.0 * gx.uniform() - 1.0;
    s[e / kRegD] += v * w[e % kRegD];
    return v;
  });
  for (std::size_t i = 0; i < kRegN; ++i) s[i] += scale * noise[i];
  return {x, s};
}

// Full-batch gradient descent of Linear(20, 1) from zero weights on `loss`, the model and loss
// fused into one pass over x (linear_loss); the checks recompute the loss with the unfused ops.
Linear full_batch_gd(const Config& config, std::vector<double>& times, const Tensor& x,
                     const Tensor& y, xgrad::LinearLoss loss, double lr) {
  auto zero_linear = [] {
    return Linear{xgrad::zeros({kRegD, 1}, xgrad::float32, true),
                  xgrad::zeros({1}, xgrad::float32, true)};
  };
  return measure(config.reps, times, zero_linear, [&](Linear& model) {
    const std::vector<Tensor> params{model.weight, model.bias};
    for (std::size_t e = 0; e < kRegEpochs; ++e) {
      clear_grads(params);
      // loss([N, 20] @ [20, 1] + [1], y)
      xgrad::linear_loss(loss, x, model.weight, model.bias, y).backward();
      sgd_step(params, lr);
    }
    return model;
  });
}

Result linreg(const Config& config) {
  const auto [x, s] = linear_teacher(30, 31, 32, 0.1);
  const Tensor y = float32_tensor({kRegN, 1}, [&s = s](std::size_t i) { return s[i]; });
  Result r{{}, "epochs/s", [](double t) { return kRegEpochs / t; }, {}};
  const Linear model = full_batch_gd(config, r.times, x, y, xgrad::LinearLoss::mse, kLinLr);
  xgrad::no_grad guard;
  const Tensor z = xgrad::addmm(model.bias, x, model.weight);  // [N, 1]
  r.checks = {{"final_loss", xgrad::mse_loss(z, y).item()}};
  return r;
}

Result logreg(const Config& config) {
  const auto [x, s] = linear_teacher(40, 41, 42, 0.5);
  const Tensor y = float32_tensor({kRegN, 1}, [&s = s](std::size_t i) { return s[i] > 0.0; });
  Result r{{}, "epochs/s", [](double t) { return kRegEpochs / t; }, {}};
  const Linear model = full_batch_gd(config, r.times, x, y,
                                     xgrad::LinearLoss::binary_cross_entropy_with_logits, kLogLr);
  xgrad::no_grad guard;
  const Tensor z = xgrad::addmm(model.bias, x, model.weight);  // [N, 1]
  const float* zp = z.data<float>().data();
  std::size_t correct = 0;
  for (std::size_t i = 0; i < kRegN; ++i) correct += (zp[i] > 0) == (s[i] > 0.0);
  r.checks = {{"final_loss", xgrad::binary_cross_entropy_with_logits(z, y).item()},
              {"final_acc", static_cast<double>(correct) / kRegN}};
  return r;
}

// conv_digits and conv2d_large, written with the helpers above.
#include "conv_workloads.hpp"
// seed_mlp, with nn::Sequential.
#include "seed_mlp.hpp"

// lstm_seq, with nn::LSTM.
#include "lstm_seq.hpp"

const std::vector<std::pair<std::string, Result (*)(const Config&)>> kWorkloads{
    {"op_overhead", op_overhead}, {"matmul_512", matmul_512},   {"mlp_small", mlp_small},
    {"mlp_large", mlp_large},     {"linreg", linreg},           {"logreg", logreg},
    {"seed_mlp", seed_mlp},       {"conv_digits", conv_digits}, {"conv2d_large", conv2d_large},
    {"lstm_seq", lstm_seq}};

// ---- smoke checks: WORKLOADS.md's reference values and tolerances -----------------------------
struct Reference {
  const char* workload;
  const char* check;
  double value;
  bool relative;  // |a - ref| <= tol |ref|, else |a - ref| <= tol
  double tolerance;
};

const std::vector<Reference> kReferences{
    {"op_overhead", "final_loss", 8.420476, true, 1e-4},
    {"op_overhead", "grad_sum", 0.9995380, true, 1e-4},
    {"matmul_512", "final_loss", 33589752, true, 1e-3},
    {"matmul_512", "grad_sum", 134289760, true, 1e-3},
    {"mlp_small", "final_loss", 0.01155873, true, 1e-2},
    {"mlp_small", "final_acc", 0.9990234, false, 2e-3},
    {"mlp_large", "final_loss", 1.844676, true, 1e-3},
    {"mlp_large", "final_acc", 0.4632812, false, 2e-3},
    {"linreg", "final_loss", 0.009947855, true, 1e-4},
    {"logreg", "final_loss", 0.2217717, true, 1e-4},
    {"logreg", "final_acc", 0.90064, false, 2e-4},
    {"seed_mlp", "final_loss", 0.2286230, true, 1e-3},
    {"seed_mlp", "final_acc", 0.9464, false, 1e-3},
    {"conv_digits", "final_loss", 2.266037, true, 1e-3},  // docs/benchmarks.md, not WORKLOADS.md
    {"conv_digits", "final_acc", 0.1296875, false, 5e-3},
    {"conv2d_large", "dw_sum", -751470.8, true, 1e-3},
    {"lstm_seq", "first_loss", 0.2157026, true, 1e-4},  // PyTorch: bench/peers/lstm_seq_torch.py
    {"lstm_seq", "final_loss", 0.2119843, true, 1e-4},
};

// Prints one line per check of `workload`; returns false if any is out of tolerance.
bool smoke_check(const std::string& workload, const Result& r) {
  bool ok = true;
  for (const Reference& ref : kReferences) {
    if (workload != ref.workload) continue;
    const auto found = std::find_if(r.checks.begin(), r.checks.end(),
                                    [&](const auto& c) { return c.first == ref.check; });
    const double value = found == r.checks.end() ? std::nan("") : found->second;
    const double bound = ref.relative ? ref.tolerance * std::abs(ref.value) : ref.tolerance;
    const bool pass = std::abs(value - ref.value) <= bound;
    ok = ok && pass;
    std::printf("smoke: %-11s %-10s %.9g (reference %.9g, %s %g): %s\n", ref.workload, ref.check,
                value, ref.value, ref.relative ? "rel" : "abs", ref.tolerance,
                pass ? "ok" : "FAILED");
  }
  std::fflush(stdout);
  return ok;
}

// ---- command line ------------------------------------------------------------------------------
struct Options {
  int threads = 1;
  int reps = 5;
  bool smoke = false;
  bool fused_step = true;
  bool graph = false;
  std::string workload = "all";
};

void usage(std::FILE* out, const char* program) {
  std::fprintf(
      out,
      "usage: %s [--threads N] [--workload NAME|all] [--reps R] [--step fused|after] [--graph]\n"
      "          [--smoke]\n"
      "  workloads:",
      program);
  for (const auto& [name, run] : kWorkloads) std::fprintf(out, " %s", name.c_str());
  std::fprintf(
      out,
      "\n  defaults: --threads 1 --workload all --reps 5 --step fused\n"
      "  --step: where the MLPs' SGD step is taken: inside backward\n"
      "          (optim::SGD::fuse_into_backward; impl \"xgrad\") or after it, by\n"
      "          step() from .grad() as the peers do (impl \"xgrad_step_after\")\n"
      "  --graph: op_overhead, mlp_small, mlp_large and seed_mlp capture their first pass\n"
      "           or step (CapturedGraph) and replay it for the rest (impl \"xgrad_graph\";\n"
      "           the capture is inside the clock); the other workloads run as usual\n"
      "  --smoke: run each workload once, untimed, and check its results against the\n"
      "           reference values of WORKLOADS.md (exit status 1 if any is off)\n");
}

// A positive int, or an error naming the flag and the text.
int positive(const std::string& flag, const char* text) {
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || errno != 0 || v <= 0 || v > INT_MAX) {
    throw std::invalid_argument(flag + " must be a positive integer, got '" + text + "'");
  }
  return static_cast<int>(v);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--smoke") {
      o.smoke = true;
      continue;
    }
    if (flag == "--graph") {
      o.graph = true;
      continue;
    }
    if (flag != "--threads" && flag != "--reps" && flag != "--workload" && flag != "--step") {
      throw std::invalid_argument("unknown argument '" + flag + "'");
    }
    if (i + 1 == argc) throw std::invalid_argument(flag + " needs a value");
    const char* value = argv[++i];
    if (flag == "--threads") o.threads = positive(flag, value);
    if (flag == "--reps") o.reps = positive(flag, value);
    if (flag == "--workload") o.workload = value;
    if (flag == "--step") {
      if (std::strcmp(value, "fused") != 0 && std::strcmp(value, "after") != 0) {
        throw std::invalid_argument("--step must be fused or after, got '" + std::string(value) +
                                    "'");
      }
      o.fused_step = std::strcmp(value, "fused") == 0;
    }
  }
  const bool known = std::any_of(kWorkloads.begin(), kWorkloads.end(),
                                 [&](const auto& w) { return w.first == o.workload; });
  if (!known && o.workload != "all") {
    throw std::invalid_argument("--workload: unknown workload '" + o.workload + "'");
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      usage(stdout, argv[0]);
      return 0;
    }
  }
  Options options;
  try {
    options = parse(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    usage(stderr, argv[0]);
    return 2;
  }
  // One cap for every pool xgrad uses (OpenBLAS's, already loaded, so its setter rather than the
  // environment, which it read at load time).
  xgrad::set_num_threads(options.threads);

  const Config config{options.smoke ? 0 : static_cast<std::size_t>(options.reps), options.smoke,
                      options.fused_step, options.graph};
  bool ok = true;
  for (const auto& [name, run] : kWorkloads) {
    if (options.workload != "all" && options.workload != name) continue;
    try {
      const Result result = run(config);
      if (options.smoke) {
        ok = smoke_check(name, result) && ok;
      } else {
        const char* impl = options.graph
                               ? (options.fused_step ? "xgrad_graph" : "xgrad_graph_step_after")
                           : options.fused_step ? "xgrad"
                                                : "xgrad_step_after";
        emit(impl, name.c_str(), options.threads, result);
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: %s: %s\n", argv[0], name.c_str(), e.what());
      return 1;
    }
  }
  return ok ? 0 : 1;
}
