// libtorch peer of xgrad_bench's lstm_seq workload (docs/benchmarks.md): 20 SGD steps of
// torch::nn::LSTM(16, 128) on one fixed batch, the data and initial weights re-derived from the
// same splitmix64 streams, float32 on CPU. Prints one JSON line in xgrad_bench's format.
//   lstm_seq_libtorch [--threads N] [--reps R]
#include <torch/torch.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

constexpr int64_t T = 64, B = 32, I = 16, H = 128, kSteps = 20;
constexpr double kLr = 0.5;

struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  double normal() {
    const double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(2.0 * M_PI * u2);
  }
};

// A float32 tensor whose element i is f(draw i of stream `seed`), computed in double.
template <class F>
torch::Tensor from_stream(uint64_t seed, std::vector<int64_t> shape, F f) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  SplitMix64 g{seed};
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& e : v) e = static_cast<float>(f(g));
  return torch::from_blob(v.data(), shape, torch::kFloat32).clone();
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1, reps = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--threads") == 0) threads = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--reps") == 0) reps = std::atoi(argv[i + 1]);
  }
  torch::set_num_threads(threads);
  const torch::Tensor x = from_stream(41, {T, B, I}, [](SplitMix64& g) { return g.normal(); });
  const torch::Tensor target =
      from_stream(42, {B, H}, [](SplitMix64& g) { return 0.8 * (2 * g.uniform() - 1); });
  auto setup = [] {
    torch::nn::LSTM lstm(torch::nn::LSTMOptions(I, H));
    torch::NoGradGuard guard;
    uint64_t seed = 43;
    for (auto& p : lstm->parameters()) {  // weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0
      p.copy_(from_stream(seed++, p.sizes().vec(), [](SplitMix64& g) {
        return (2 * g.uniform() - 1) / std::sqrt(double(H));
      }));
    }
    return lstm;
  };
  double first = 0, last = 0;
  auto train = [&](torch::nn::LSTM& lstm) {
    torch::optim::SGD sgd(lstm->parameters(), torch::optim::SGDOptions(kLr));
    for (int64_t step = 0; step < kSteps; ++step) {
      const torch::Tensor out = std::get<0>(lstm->forward(x));
      const torch::Tensor loss = torch::mse_loss(out[T - 1], target);
      sgd.zero_grad();
      loss.backward();
      sgd.step();
      (step == 0 ? first : last) = loss.item<double>();
    }
  };
  {
    auto warm = setup();
    train(warm);
  }
  std::vector<double> times;
  for (int r = 0; r < reps; ++r) {
    auto lstm = setup();
    const auto t0 = std::chrono::steady_clock::now();
    train(lstm);
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::vector<double> sorted = times;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = sorted.size();
  const double med = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "{\"impl\": \"libtorch\", \"workload\": \"lstm_seq\", \"threads\": %d, \"reps\": %d, "
      "\"median_s\": %.9g, \"min_s\": %.9g, \"unit\": \"ms/step\", \"value\": %.9g, "
      "\"first_loss\": %.9g, \"final_loss\": %.9g, \"peak_rss_mb\": %.1f}\n",
      threads, reps, med, sorted.front(), med / kSteps * 1e3, first, last,
      usage.ru_maxrss / 1024.0);
  return 0;
}
