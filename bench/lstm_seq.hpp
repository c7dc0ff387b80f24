// The lstm_seq workload of xgrad_bench (docs/benchmarks.md defines it; bench/peers repeat it in
// libtorch and PyTorch). Included by xgrad_bench.cpp after its helpers (Result, Config, measure,
// float32_tensor, uniforms, normals), inside its anonymous namespace.
#pragma once

// One LSTM layer over (T, B, I), MSE of the last step's h.
constexpr std::size_t kSeqT = 64, kSeqB = 32, kSeqI = 16, kSeqH = 128, kSeqSteps = 20;
constexpr double kSeqLr = 0.5;

// lstm_seq: 20 SGD steps of an LSTM(16, 128) on one fixed batch, x (64, 32, 16) from normal
// stream 41, target (32, 128) = 0.8 (2u - 1) from uniform stream 42, weights
// (2u - 1) / sqrt(128) from uniform streams 43-46 (weight_ih_l0, weight_hh_l0, bias_ih_l0,
// bias_hh_l0), loss mean((h_T - target)^2).
Result lstm_seq(const Config& config) {
  Result r{{}, "ms/step", [](double s) { return s / kSeqSteps * 1e3; }, {}};
  const auto n = normals(41, kSeqT * kSeqB * kSeqI);
  const Tensor x = float32_tensor({kSeqT, kSeqB, kSeqI}, [&](std::size_t i) { return n[i]; });
  const auto u = uniforms(42, kSeqB * kSeqH);
  const Tensor target =
      float32_tensor({kSeqB, kSeqH}, [&](std::size_t i) { return 0.8 * (2 * u[i] - 1); });
  auto setup = [] {
    auto lstm = std::make_shared<xgrad::nn::LSTM>(xgrad::nn::RNNOptions(kSeqI, kSeqH));
    std::uint64_t seed = 43;
    for (Tensor p : lstm->parameters()) {
      const auto w = uniforms(seed++, p.numel());
      p.set_data(float32_tensor(p.shape(), [&](std::size_t i) {
        return (2 * w[i] - 1) / std::sqrt(static_cast<double>(kSeqH));
      }));
    }
    return lstm;
  };
  double first = 0, last = 0;
  auto train = [&](std::shared_ptr<xgrad::nn::LSTM> lstm) {
    xgrad::optim::SGD sgd(lstm->parameters(), kSeqLr);
    for (std::size_t step = 0; step < kSeqSteps; ++step) {
      const xgrad::nn::RNNOutput out = lstm->forward(x, Tensor());
      const Tensor loss = xgrad::mse_loss(xgrad::select(out.output, 0, kSeqT - 1), target);
      sgd.zero_grad();
      loss.backward();
      sgd.step();
      (step == 0 ? first : last) = loss.item();
    }
    return lstm;
  };
  measure(config.reps, r.times, setup, train);
  r.checks = {{"first_loss", first}, {"final_loss", last}};
  return r;
}
