// The benchmark program: xgrad's twin of the peers in ../shared/bench/peers. It runs the workloads
// of ../shared/bench/WORKLOADS.md in float32 with xgrad's autograd and prints one JSON line per
// workload in the peers' format, so compare.py can set it beside NumPy, PyTorch and libtorch.
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
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "autograd/autograd.hpp"

// OpenBLAS reads OPENBLAS_NUM_THREADS once, when it is loaded (before main); this caps it later.
extern "C" void openblas_set_num_threads(int);

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

// A float32 tensor of `shape` holding `values` (row-major), each rounded to nearest.
Tensor float32_tensor(const std::vector<double>& values, const Shape& shape,
                      bool requires_grad = false) {
  auto out = xt::xarray<float>::from_shape(shape);
  std::transform(values.begin(), values.end(), out.data(),
                 [](double v) { return static_cast<float>(v); });
  return Tensor(std::move(out), requires_grad);
}

// Rows [begin, end) of a row-major [n, cols] float64 matrix as a float32 tensor.
Tensor rows_tensor(const std::vector<double>& x, std::size_t cols, std::size_t begin,
                   std::size_t end) {
  std::vector<double> part(x.begin() + begin * cols, x.begin() + end * cols);
  return float32_tensor(part, {end - begin, cols});
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
void emit(const char* workload, int threads, const Result& r) {
  const double med = median(r.times);
  const double best = *std::min_element(r.times.begin(), r.times.end());
  std::printf(
      "{\"impl\": \"xgrad\", \"workload\": \"%s\", \"threads\": %d, \"reps\": %zu, "
      "\"median_s\": %.9g, \"min_s\": %.9g, \"unit\": \"%s\", \"value\": %.9g",
      workload, threads, r.times.size(), med, best, r.unit.c_str(), r.value_of(med));
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
    std::vector<double> w = uniforms(first_seed + l, in * out);
    for (double& e : w) e = (2.0 * e - 1.0) * bound;
    layers.push_back(
        {float32_tensor(w, {in, out}, true), xgrad::zeros({out}, xgrad::float32, true)});
  }
  return layers;
}

// Linear, ReLU, ..., Linear: x [n, sizes[0]] -> logits [n, sizes.back()].
Tensor forward(const Mlp& layers, Tensor h) {
  for (std::size_t l = 0; l < layers.size(); ++l) {
    h = xgrad::matmul(h, layers[l].weight) + layers[l].bias;  // [n, in] @ [in, out] + [out]
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
Result op_overhead(std::size_t reps) {
  Result r{{}, "ns/op", [](double s) { return s / (kOpPasses * kOpK) * 1e9; }, {}};
  Generator g1(1);
  Tensor x = xgrad::uniform({kOpN}, -1.0, 1.0, g1);  // -1 + 2u: exactly 2u - 1 in float64
  x.requires_grad_();
  auto body = [&](NoState) {
    Tensor loss;
    for (std::size_t p = 0; p < kOpPasses; ++p) {
      x.set_grad(Tensor());
      Tensor h = x;
      for (std::size_t c = 0; c < kOpK / 5; ++c) h = xgrad::sigmoid(xgrad::tanh((h + x) * x) * 0.5);
      loss = h.sum();
      loss.backward();
    }
    return loss;
  };
  const Tensor loss = measure(
      reps, r.times, [] { return NoState{}; }, body);
  r.checks = {{"final_loss", loss.item()}, {"grad_sum", x.grad().sum().item()}};
  return r;
}

Result matmul_512(std::size_t reps) {
  Result r{{}, "ms/iter", [](double s) { return s / kMmIters * 1e3; }, {}};
  Generator g2(2), g3(3);
  Tensor a = xgrad::rand({kMmN, kMmN}, g2).requires_grad_();
  Tensor b = xgrad::rand({kMmN, kMmN}, g3).requires_grad_();
  const std::vector<Tensor> params{a, b};
  auto body = [&](NoState) {
    Tensor loss;
    for (std::size_t i = 0; i < kMmIters; ++i) {
      clear_grads(params);
      loss = xgrad::matmul(a, b).sum();  // [512, 512] @ [512, 512], summed
      loss.backward();
    }
    return loss;
  };
  const Tensor loss = measure(
      reps, r.times, [] { return NoState{}; }, body);
  r.checks = {{"final_loss", loss.item()},
              {"grad_sum", a.grad().sum().item() + b.grad().sum().item()}};
  return r;
}

// Rows in batches of a classification set; xgrad has no views, so the rows of each batch are
// copied out once, as part of the data, rather than sliced (copied) in every step.
struct Batch {
  Tensor x;
  std::vector<std::int64_t> y;
};

struct Classification {
  std::vector<double> x;  // [n, features], row-major
  std::vector<std::int64_t> y;
  std::size_t features;

  Batch rows(std::size_t begin, std::size_t end) const {
    return {rows_tensor(x, features, begin, end), {y.begin() + begin, y.begin() + end}};
  }
};

Classification spiral_data() {
  const std::size_t m = kSmallPerClass, n = m * kSmallClasses;
  const std::vector<double> noise = normals(10, n);
  Classification set{std::vector<double>(2 * n), std::vector<std::int64_t>(n), 2};
  for (std::size_t j = 0; j < n; ++j) {
    const std::size_t q = j * kSmallStride % n;  // row j holds point q
    const std::size_t c = q / m;
    const double radius = (q % m) / (m - 1.0);
    const double t = 4.0 * c + 4.0 * radius + 0.2 * noise[q];
    set.x[2 * j] = radius * std::sin(t);
    set.x[2 * j + 1] = radius * std::cos(t);
    set.y[j] = static_cast<std::int64_t>(c);
  }
  return set;
}

Classification mlp_large_data() {
  const std::size_t n = kLargePool, d = kLargeSizes[0];
  const std::vector<double> label = uniforms(22, n), proto = uniforms(20, 10 * d),
                            noise = uniforms(21, n * d);
  Classification set{std::vector<double>(n * d), std::vector<std::int64_t>(n), d};
  for (std::size_t i = 0; i < n; ++i) {
    set.y[i] = static_cast<std::int64_t>(std::floor(10.0 * label[i]));
    const double* prototype = &proto[set.y[i] * d];
    for (std::size_t k = 0; k < d; ++k) {
      set.x[i * d + k] = 0.2 * (2.0 * prototype[k] - 1.0) + 0.8 * (2.0 * noise[i * d + k] - 1.0);
    }
  }
  return set;
}

// One pass of mean cross-entropy and SGD over `batches`, in order.
Mlp train_mlp(Mlp& layers, const std::vector<Batch>& batches, double lr) {
  const std::vector<Tensor> params = parameters(layers);
  for (const Batch& batch : batches) {
    clear_grads(params);
    xgrad::cross_entropy(forward(layers, batch.x), batch.y).backward();
    sgd_step(params, lr);
  }
  return layers;
}

// Over the whole set: mean cross-entropy, and the fraction of rows whose argmax logit is the label.
std::vector<std::pair<std::string, double>> classification_checks(const Mlp& model,
                                                                  const Classification& set) {
  xgrad::no_grad guard;
  const std::size_t n = set.y.size();
  const Tensor logits = forward(model, set.rows(0, n).x);  // [n, classes]
  const std::size_t classes = logits.size(1);
  const float* z = logits.data<float>().data();
  std::size_t correct = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float* row = z + i * classes;
    correct += std::max_element(row, row + classes) - row == set.y[i];
  }
  return {{"final_loss", xgrad::cross_entropy(logits, set.y).item()},
          {"final_acc", static_cast<double>(correct) / n}};
}

Result mlp_small(std::size_t reps) {
  const Classification set = spiral_data();
  const std::size_t n = set.y.size();
  Result r{{}, "samples/s", [n](double s) { return double(kSmallEpochs * n) / s; }, {}};
  std::vector<Batch> batches;  // 100 epochs of the batches of rows [32k, 32k + 32)
  for (std::size_t e = 0; e < kSmallEpochs; ++e) {
    for (std::size_t i = 0; i < n; i += kSmallBatch) {
      batches.push_back(set.rows(i, i + kSmallBatch));
    }
  }
  const Mlp model = measure(
      reps, r.times, [] { return he_uniform_mlp(kSmallSizes, 11); },
      [&](Mlp& layers) { return train_mlp(layers, batches, kSmallLr); });
  r.checks = classification_checks(model, set);
  return r;
}

Result mlp_large(std::size_t reps) {
  const Classification set = mlp_large_data();
  Result r{{}, "samples/s", [](double s) { return double(kLargeSteps * kLargeBatch) / s; }, {}};
  std::vector<Batch> batches;  // step s uses rows [256 (s mod 10), 256 (s mod 10) + 256)
  for (std::size_t s = 0; s < kLargeSteps; ++s) {
    const std::size_t begin = s % (kLargePool / kLargeBatch) * kLargeBatch;
    batches.push_back(set.rows(begin, begin + kLargeBatch));
  }
  const Mlp model = measure(
      reps, r.times, [] { return he_uniform_mlp(kLargeSizes, 23); },
      [&](Mlp& layers) { return train_mlp(layers, batches, kLargeLr); });
  r.checks = classification_checks(model, set);
  // Per step: forward X@W1, H1@W2, H2@W3; backward two GEMMs per layer, but no dX for layer 1.
  const double b = kLargeBatch, d0 = kLargeSizes[0], d1 = kLargeSizes[1], d2 = kLargeSizes[2],
               d3 = kLargeSizes[3];
  r.flops = kLargeSteps * (2 * (2 * b * d0 * d1) + 3 * (2 * b * d1 * d2) + 3 * (2 * b * d2 * d3));
  return r;
}

// x ~ U[-1, 1) [n, d] from seed xs; s_i = 0.5 + sum_k x_ik w*_k (k in order) + scale N(ns)[i],
// with w*_k = 2 U(ws)[k] - 1; all in float64.
std::pair<std::vector<double>, std::vector<double>> linear_teacher(std::uint64_t xs,
                                                                   std::uint64_t ws,
                                                                   std::uint64_t ns, double scale) {
  std::vector<double> x = uniforms(xs, kRegN * kRegD), w = uniforms(ws, kRegD);
  const std::vector<double> noise = normals(ns, kRegN);
  for (double& v : x) v = 2.0 * v - 1.0;
  for (double& v : w) v = 2.0 * v - 1.0;
  std::vector<double> s(kRegN);
  for (std::size_t i = 0; i < kRegN; ++i) {
    double acc = 0.5;
    for (std::size_t k = 0; k < kRegD; ++k) acc += x[i * kRegD + k] * w[k];
    s[i] = acc + scale * noise[i];
  }
  return {x, s};
}

// Full-batch gradient descent of Linear(20, 1) from zero weights, `loss_of(z, y)` the loss.
template <class Loss>
Linear full_batch_gd(std::size_t reps, std::vector<double>& times, const Tensor& x, const Tensor& y,
                     Loss loss_of, double lr) {
  auto zero_linear = [] {
    return Linear{xgrad::zeros({kRegD, 1}, xgrad::float32, true),
                  xgrad::zeros({1}, xgrad::float32, true)};
  };
  return measure(reps, times, zero_linear, [&](Linear& model) {
    const std::vector<Tensor> params{model.weight, model.bias};
    for (std::size_t e = 0; e < kRegEpochs; ++e) {
      clear_grads(params);
      loss_of(xgrad::matmul(x, model.weight) + model.bias, y).backward();  // [N, 20] @ [20, 1]
      sgd_step(params, lr);
    }
    return model;
  });
}

Result linreg(std::size_t reps) {
  const auto [xd, s] = linear_teacher(30, 31, 32, 0.1);
  const Tensor x = float32_tensor(xd, {kRegN, kRegD}), y = float32_tensor(s, {kRegN, 1});
  Result r{{}, "epochs/s", [](double t) { return kRegEpochs / t; }, {}};
  auto mse = [](const Tensor& z, const Tensor& t) { return xgrad::mse_loss(z, t); };
  const Linear model = full_batch_gd(reps, r.times, x, y, mse, kLinLr);
  xgrad::no_grad guard;
  r.checks = {{"final_loss", mse(xgrad::matmul(x, model.weight) + model.bias, y).item()}};
  return r;
}

Result logreg(std::size_t reps) {
  auto [xd, s] = linear_teacher(40, 41, 42, 0.5);
  for (double& v : s) v = v > 0.0 ? 1.0 : 0.0;
  const Tensor x = float32_tensor(xd, {kRegN, kRegD}), y = float32_tensor(s, {kRegN, 1});
  Result r{{}, "epochs/s", [](double t) { return kRegEpochs / t; }, {}};
  auto bce = [](const Tensor& z, const Tensor& t) {
    return xgrad::binary_cross_entropy_with_logits(z, t);
  };
  const Linear model = full_batch_gd(reps, r.times, x, y, bce, kLogLr);
  xgrad::no_grad guard;
  const Tensor z = xgrad::matmul(x, model.weight) + model.bias;  // [N, 1]
  const float* zp = z.data<float>().data();
  std::size_t correct = 0;
  for (std::size_t i = 0; i < kRegN; ++i) correct += (zp[i] > 0) == (s[i] == 1.0);
  r.checks = {{"final_loss", bce(z, y).item()},
              {"final_acc", static_cast<double>(correct) / kRegN}};
  return r;
}

const std::vector<std::pair<std::string, Result (*)(std::size_t)>> kWorkloads{
    {"op_overhead", op_overhead}, {"matmul_512", matmul_512}, {"mlp_small", mlp_small},
    {"mlp_large", mlp_large},     {"linreg", linreg},         {"logreg", logreg}};

// ---- command line ------------------------------------------------------------------------------
struct Options {
  int threads = 1;
  int reps = 5;
  std::string workload = "all";
};

void usage(std::FILE* out, const char* program) {
  std::fprintf(out,
               "usage: %s [--threads N] [--workload NAME|all] [--reps R]\n  workloads:", program);
  for (const auto& [name, run] : kWorkloads) std::fprintf(out, " %s", name.c_str());
  std::fprintf(out, "\n  defaults: --threads 1 --workload all --reps 5\n");
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
    if (flag != "--threads" && flag != "--reps" && flag != "--workload") {
      throw std::invalid_argument("unknown argument '" + flag + "'");
    }
    if (i + 1 == argc) throw std::invalid_argument(flag + " needs a value");
    const char* value = argv[++i];
    if (flag == "--threads") o.threads = positive(flag, value);
    if (flag == "--reps") o.reps = positive(flag, value);
    if (flag == "--workload") o.workload = value;
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
  // Every pool gets the thread count: OpenBLAS (already loaded, so through its setter as well as
  // the environment) and OpenMP in anything loaded later. PASSIVE keeps idle OpenMP workers from
  // spinning against OpenBLAS's threads (WORKLOADS.md, Threads) unless the caller chose otherwise.
  const std::string threads = std::to_string(options.threads);
  setenv("OPENBLAS_NUM_THREADS", threads.c_str(), 1);
  setenv("OMP_NUM_THREADS", threads.c_str(), 1);
  setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
  openblas_set_num_threads(options.threads);

  for (const auto& [name, run] : kWorkloads) {
    if (options.workload != "all" && options.workload != name) continue;
    try {
      emit(name.c_str(), options.threads, run(static_cast<std::size_t>(options.reps)));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: %s: %s\n", argv[0], name.c_str(), e.what());
      return 1;
    }
  }
  return 0;
}
