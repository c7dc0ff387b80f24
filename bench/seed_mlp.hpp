// The seed_mlp workload of xgrad_bench (../shared/bench/WORKLOADS.md): the "ML from Scratch"
// notebook's 12-4-10-6-4 classification network trained full-batch on 10,000 rows. Written as a
// user would, with nn::Sequential, nn::Linear and nn::ReLU, cross_entropy on int64 labels and
// optim::SGD (its step fused into backward unless --step after). Included by xgrad_bench.cpp after
// its helpers (Result, Config, measure, float32_tensor, uniforms, normals, Classification,
// make_checks), inside its anonymous namespace.
#pragma once

constexpr std::size_t kSeedRows = 10000, kSeedSteps = 100;
constexpr double kSeedLr = 0.2;
const std::vector<std::size_t> kSeedSizes{12, 4, 10, 6, 4};

// Row i: label c = i mod 4, point p_i = (2 (2 (c mod 2) - 1) + N(50)[2i], 2 (2 (c div 2) - 1) +
// N(50)[2i + 1]); min-max normalised over all 20,000 coordinates, u = 2 (p - min) / (max - min) -
// 1; features [u, v, u², v², sin u, sin v, cos u, cos v, sin u², sin v², cos u², cos v²], in
// float64.
Classification seed_mlp_data() {
  std::vector<double> p = normals(50, 2 * kSeedRows);
  std::vector<std::int64_t> y(kSeedRows);
  for (std::size_t i = 0; i < kSeedRows; ++i) {
    const std::size_t c = i % 4;
    y[i] = static_cast<std::int64_t>(c);
    p[2 * i] += 2.0 * (2.0 * (c % 2) - 1.0);
    p[2 * i + 1] += 2.0 * (2.0 * (c / 2) - 1.0);
  }
  const auto [lo, hi] = std::minmax_element(p.begin(), p.end());
  const double min = *lo, range = *hi - *lo;
  for (double& e : p) e = 2.0 * (e - min) / range - 1.0;
  const std::size_t d = kSeedSizes[0];
  Tensor x = float32_tensor({kSeedRows, d}, [&](std::size_t e) {
    const double v = p[e / d * 2 + e % 2];  // u for even columns, v for odd ones
    switch (e % d / 2) {
      case 0:
        return v;
      case 1:
        return v * v;
      case 2:
        return std::sin(v);
      case 3:
        return std::cos(v);
      case 4:
        return std::sin(v * v);
      default:
        return std::cos(v * v);
    }
  });
  return {x, y};
}

// Linear, ReLU, ..., Linear with He-uniform weights from seeds 51..54 and zero biases. nn::Linear
// stores W transposed, (out, in): its element (b, a) is W[a, b] = (2 U(s)[a out + b] - 1)
// sqrt(6/in).
std::shared_ptr<xgrad::nn::Sequential> seed_mlp_init() {
  auto model = std::make_shared<xgrad::nn::Sequential>();
  for (std::size_t l = 0; l + 1 < kSeedSizes.size(); ++l) {
    const std::size_t in = kSeedSizes[l], out = kSeedSizes[l + 1];
    auto linear = std::make_shared<xgrad::nn::Linear>(in, out);
    const std::vector<double> u = uniforms(51 + l, in * out);
    linear->weight.set_data(float32_tensor({out, in}, [&](std::size_t e) {
      return (2.0 * u[e % in * out + e / in] - 1.0) * std::sqrt(6.0 / in);
    }));
    linear->bias.set_data(xgrad::zeros({out}, xgrad::float32));
    model->push_back(linear);
    if (l + 2 < kSeedSizes.size()) model->push_back(std::make_shared<xgrad::nn::ReLU>());
  }
  return model;
}

Result seed_mlp(const Config& config) {
  const Classification set = seed_mlp_data();
  Result r{{}, "ms/step", [](double s) { return s / kSeedSteps * 1e3; }, {}};
  // 100 full-batch steps: forward, mean cross-entropy, backward, SGD lr 0.2
  auto train = [&](std::shared_ptr<xgrad::nn::Sequential> model) {
    xgrad::optim::SGD sgd(model->parameters(), kSeedLr);
    if (config.fused_step) sgd.fuse_into_backward();
    if (config.graph) {  // full batch: every step is the same, replayed as captured
      const Tensor y = xgrad::from_vector(set.y, {kSeedRows}, xgrad::int64);
      xgrad::CapturedGraph graph = xgrad::CapturedGraph::capture([&] {
        clear_grads(sgd.params());
        xgrad::cross_entropy(model->forward(set.x), y).backward();
        sgd.step();
      });
      for (std::size_t s = 1; s < kSeedSteps; ++s) graph.replay();
      return model;
    }
    for (std::size_t s = 0; s < kSeedSteps; ++s) {
      clear_grads(sgd.params());
      xgrad::cross_entropy(model->forward(set.x), set.y).backward();
      sgd.step();
    }
    return model;
  };
  const auto model = measure(config.reps, r.times, seed_mlp_init, train);
  xgrad::no_grad guard;
  r.checks = make_checks(model->forward(set.x), set.y);
  return r;
}
