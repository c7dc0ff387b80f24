// libtorch peer of xgrad_bench's convolution workloads (docs/benchmarks.md,
// bench/conv_workloads.hpp): conv_digits (cnn_digits' network, batch 64, float32, forward +
// backward + SGD step) and conv2d_large (conv2d alone, forward and backward). The same data and
// initial weights, re-derived from the same splitmix64 formulas; one JSON line per workload in
// xgrad_bench's format.
//   conv_digits_libtorch [--threads N] [--reps R] [--workload conv_digits|conv2d_large|all]
#include <torch/torch.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace F = torch::nn::functional;

namespace {

constexpr int64_t kBatch = 64, kPool = 640, kSteps = 50;
constexpr double kLr = 0.05;
constexpr int64_t kBigN = 32, kBigC = 64, kBigSide = 32, kBigIters = 5;

struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
};

torch::Tensor f32(const std::vector<double>& v, std::vector<int64_t> shape) {
  std::vector<float> f(v.begin(), v.end());
  return torch::from_blob(f.data(), shape, torch::kFloat32).clone();
}

// W[i] = (2 U(seed)[i] - 1) / sqrt(fan_in), as bench/conv_workloads.hpp.
torch::Tensor weight(std::vector<int64_t> shape, uint64_t seed, double fan_in) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  SplitMix64 g{seed};
  std::vector<double> v(static_cast<size_t>(n));
  for (double& e : v) e = (2.0 * g.uniform() - 1.0) / std::sqrt(fan_in);
  return f32(v, shape).requires_grad_();
}

struct Net {
  torch::Tensor w1, b1, w2, b2, w3, b3;
  std::vector<torch::Tensor> params() const { return {w1, b1, w2, b2, w3, b3}; }
};

Net init() {
  return {weight({16, 1, 3, 3}, 50, 9), weight({16}, 51, 9),        weight({32, 16, 3, 3}, 52, 144),
          weight({32}, 53, 144),        weight({10, 128}, 54, 128), weight({10}, 55, 128)};
}

torch::Tensor forward(const Net& n, const torch::Tensor& x) {
  auto h =
      F::max_pool2d(torch::relu(torch::conv2d(x, n.w1, n.b1, 1, 1)), F::MaxPool2dFuncOptions(2));
  h = F::max_pool2d(torch::relu(torch::conv2d(h, n.w2, n.b2, 1, 1)), F::MaxPool2dFuncOptions(2));
  return F::linear(h.reshape({x.size(0), 128}), n.w3, n.b3);
}

std::pair<torch::Tensor, torch::Tensor> data() {
  SplitMix64 lg{61}, pg{62}, ng{60};
  std::vector<double> proto(640);
  for (double& p : proto) p = pg.uniform();
  std::vector<int64_t> y(kPool);
  for (auto& v : y) v = static_cast<int64_t>(std::floor(10.0 * lg.uniform()));
  std::vector<double> x(kPool * 64);
  for (size_t e = 0; e < x.size(); ++e)
    x[e] = 0.5 * proto[y[e / 64] * 64 + e % 64] + 0.5 * ng.uniform();
  return {f32(x, {kPool, 1, 8, 8}), torch::from_blob(y.data(), {kPool}, torch::kInt64).clone()};
}

struct Result {
  std::vector<double> times;
  std::string unit;
  std::function<double(double)> value_of;
  std::vector<std::pair<std::string, double>> checks;
  double flops = 0;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Result conv_digits(int reps) {
  auto [x, y] = data();
  Result r{{}, "samples/s", [](double s) { return double(kSteps * kBatch) / s; }, {}};
  Net net;
  for (int rep = -1; rep < reps; ++rep) {  // one warm-up run, then the timed ones
    net = init();
    torch::optim::SGD sgd(net.params(), torch::optim::SGDOptions(kLr));
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t s = 0; s < kSteps; ++s) {
      const int64_t begin = s % (kPool / kBatch) * kBatch;
      sgd.zero_grad();
      F::cross_entropy(forward(net, x.slice(0, begin, begin + kBatch)),
                       y.slice(0, begin, begin + kBatch))
          .backward();
      sgd.step();
    }
    if (rep >= 0) r.times.push_back(seconds_since(t0));
  }
  torch::NoGradGuard guard;
  const auto logits = forward(net, x);
  r.checks = {{"final_loss", F::cross_entropy(logits, y).item<double>()},
              {"final_acc", logits.argmax(1).eq(y).to(torch::kDouble).mean().item<double>()}};
  return r;
}

Result conv2d_large(int reps) {
  Result r{{}, "ms/iter", [](double s) { return s / kBigIters * 1e3; }, {}};
  auto x = torch::rand({kBigN, kBigC, kBigSide, kBigSide}).mul(2).sub(1).requires_grad_();
  auto w = torch::rand({kBigC, kBigC, 3, 3}).mul(0.1).sub(0.05).requires_grad_();
  const auto dy = torch::ones({kBigN, kBigC, kBigSide, kBigSide});
  for (int rep = -1; rep < reps; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < kBigIters; ++i) {
      x.mutable_grad() = torch::Tensor();
      w.mutable_grad() = torch::Tensor();
      torch::conv2d(x, w, {}, 1, 1).backward(dy);
    }
    if (rep >= 0) r.times.push_back(seconds_since(t0));
  }
  r.flops = kBigIters * 3 * 2.0 * kBigC * (kBigC * 9.0) * (kBigN * kBigSide * kBigSide);
  r.checks = {{"dw_sum", w.grad().sum().item<double>()}};
  return r;
}

void emit(const char* name, int threads, const Result& r) {
  std::vector<double> t = r.times;
  std::sort(t.begin(), t.end());
  const size_t n = t.size();
  const double med = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
  std::printf(
      "{\"impl\": \"libtorch\", \"workload\": \"%s\", \"threads\": %d, \"reps\": %zu, "
      "\"median_s\": %.9g, \"min_s\": %.9g, \"unit\": \"%s\", \"value\": %.9g",
      name, threads, n, med, t[0], r.unit.c_str(), r.value_of(med));
  if (r.flops > 0) std::printf(", \"gflops\": %.9g", r.flops / med / 1e9);
  for (auto& [k, v] : r.checks) std::printf(", \"%s\": %.9g", k.c_str(), v);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf(", \"peak_rss_mb\": %.1f}\n", ru.ru_maxrss / 1024.0);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1, reps = 5;
  std::string workload = "all";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--threads") == 0)
      threads = std::max(1, std::atoi(argv[i + 1]));
    else if (std::strcmp(argv[i], "--reps") == 0)
      reps = std::max(1, std::atoi(argv[i + 1]));
    else if (std::strcmp(argv[i], "--workload") == 0)
      workload = argv[i + 1];
  }
  at::set_num_threads(threads);
  torch::manual_seed(0);
  if (workload == "all" || workload == "conv_digits")
    emit("conv_digits", threads, conv_digits(reps));
  if (workload == "all" || workload == "conv2d_large") {
    emit("conv2d_large", threads, conv2d_large(reps));
  }
  return 0;
}
