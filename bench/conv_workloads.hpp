// The convolution workloads of xgrad_bench (docs/benchmarks.md defines them; the libtorch and
// PyTorch peers in bench/peers repeat them). Included by xgrad_bench.cpp after its helpers
// (Result, Config, measure, float32_tensor, uniforms, make_sgd's SGD), inside its anonymous
// namespace; xgrad_bench.cpp includes xtensor-blas/xblas.hpp for it at the top.
//
// conv_digits: cnn_digits' network on 8x8 images, batch 64, float32: conv 1->16 3x3 pad 1, ReLU,
// max pool 2, conv 16->32 3x3 pad 1, ReLU, max pool 2, linear 128->10, mean cross-entropy, plain
// SGD lr 0.05; 50 steps over a pool of 640 images.
// conv2d_large: conv2d alone, x (32, 64, 32, 32), weight (64, 64, 3, 3), padding 1, forward and
// backward (dy of ones), against OpenBLAS sgemm on the same im2col products.
#pragma once

constexpr std::size_t kConvBatch = 64, kConvPool = 640, kConvSteps = 50;
constexpr double kConvLr = 0.05;
constexpr std::size_t kBigN = 32, kBigC = 64, kBigSide = 32, kBigIters = 5;

struct ConvNet {
  Tensor w1, b1, w2, b2, w3, b3;
};

// W[i] = (2 U(seed)[i] - 1) / sqrt(fan_in), row-major in PyTorch's layouts.
Tensor conv_weight(const Shape& shape, std::uint64_t seed, double fan_in) {
  Generator g(seed);
  return float32_tensor(
      shape, [&](std::size_t) { return (2.0 * g.uniform() - 1.0) / std::sqrt(fan_in); }, true);
}

ConvNet conv_digits_init() {
  return {conv_weight({16, 1, 3, 3}, 50, 9),    conv_weight({16}, 51, 9),
          conv_weight({32, 16, 3, 3}, 52, 144), conv_weight({32}, 53, 144),
          conv_weight({10, 128}, 54, 128),      conv_weight({10}, 55, 128)};
}

std::vector<Tensor> parameters(const ConvNet& n) {
  return {n.w1, n.b1, n.w2, n.b2, n.w3, n.b3};
}

// x [B, 1, 8, 8] -> logits [B, 10]
Tensor forward(const ConvNet& n, const Tensor& x) {
  Tensor h = xgrad::max_pool2d(xgrad::relu(xgrad::conv2d(x, n.w1, n.b1, 1, 1)), 2);  // [B,16,4,4]
  h = xgrad::max_pool2d(xgrad::relu(xgrad::conv2d(h, n.w2, n.b2, 1, 1)), 2);         // [B,32,2,2]
  return xgrad::linear(xgrad::reshape(h, {static_cast<long>(x.size(0)), 128}), n.w3, n.b3);
}

// 640 images: label y_i = floor(10 U(61)[i]), pixel k = 0.5 P[y_i, k] + 0.5 U(60)[64 i + k] with
// prototypes P = U(62) (10 x 64): noisy class prototypes, learnable.
Classification conv_digits_data() {
  const std::vector<double> label = uniforms(61, kConvPool), proto = uniforms(62, 10 * 64);
  std::vector<std::int64_t> y(kConvPool);
  for (std::size_t i = 0; i < kConvPool; ++i) {
    y[i] = static_cast<std::int64_t>(std::floor(10.0 * label[i]));
  }
  Generator noise(60);
  Tensor x = float32_tensor({kConvPool, 1, 8, 8}, [&](std::size_t e) {
    return 0.5 * proto[y[e / 64] * 64 + e % 64] + 0.5 * noise.uniform();
  });
  return {x, y};
}

Result conv_digits(const Config& config) {
  const Classification set = conv_digits_data();
  Result r{{}, "samples/s", [](double s) { return double(kConvSteps * kConvBatch) / s; }, {}};
  // step s uses images [64 (s mod 10), 64 (s mod 10) + 64)
  auto train = [&](ConvNet& net) {
    auto sgd = std::make_unique<xgrad::optim::SGD>(parameters(net), kConvLr);
    if (config.fused_step) sgd->fuse_into_backward();
    for (std::size_t s = 0; s < kConvSteps; ++s) {
      const std::size_t begin = s % (kConvPool / kConvBatch) * kConvBatch;
      const Tensor x = xgrad::slice(set.x, 0, begin, begin + kConvBatch);
      const std::vector<std::int64_t> y(set.y.begin() + begin, set.y.begin() + begin + kConvBatch);
      clear_grads(sgd->params());
      xgrad::cross_entropy(forward(net, x), y).backward();
      sgd->step();
    }
    return net;
  };
  const ConvNet net = measure(config.reps, r.times, conv_digits_init, train);
  xgrad::no_grad guard;
  const Tensor logits = forward(net, set.x);
  const float* z = logits.data<float>().data();
  std::size_t correct = 0;
  for (std::size_t i = 0; i < kConvPool; ++i) {
    correct += std::max_element(z + 10 * i, z + 10 * i + 10) - (z + 10 * i) == set.y[i];
  }
  r.checks = {{"final_loss", xgrad::cross_entropy(logits, set.y).item()},
              {"final_acc", static_cast<double>(correct) / kConvPool}};
  return r;
}

// The im2col products of one conv2d_large iteration as three sgemm calls over the whole batch
// (M = 64 filters, K = 576 patch values, N = 32 x 1024 positions): y = W cols, dcols = W^T dy,
// dW = dy cols^T. The fastest any im2col convolution can multiply.
double sgemm_seconds(std::size_t iters) {
  const std::size_t m = kBigC, k = kBigC * 9, n = kBigN * kBigSide * kBigSide;
  std::vector<float> w(m * k, 0.01f), cols(k * n, 0.5f), y(m * n), dcols(k * n), dw(m * k);
  using cxxblas::StorageOrder;
  using cxxblas::Transpose;
  using Index = xt::blas_index_t;
  const auto i = [](std::size_t v) { return static_cast<Index>(v); };
  // As xgrad's own products of this size: on OpenBLAS's pool, at the thread cap.
  const xgrad::detail::SmallProductScope on_the_pool(m, n, k);
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t it = 0; it < iters; ++it) {
    cxxblas::gemm<Index>(StorageOrder::RowMajor, Transpose::NoTrans, Transpose::NoTrans, i(m), i(n),
                         i(k), 1.0f, w.data(), i(k), cols.data(), i(n), 0.0f, y.data(), i(n));
    cxxblas::gemm<Index>(StorageOrder::RowMajor, Transpose::Trans, Transpose::NoTrans, i(k), i(n),
                         i(m), 1.0f, w.data(), i(k), y.data(), i(n), 0.0f, dcols.data(), i(n));
    cxxblas::gemm<Index>(StorageOrder::RowMajor, Transpose::NoTrans, Transpose::Trans, i(m), i(k),
                         i(n), 1.0f, y.data(), i(n), cols.data(), i(n), 0.0f, dw.data(), i(k));
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / iters;
}

Result conv2d_large(const Config& config) {
  const std::size_t iters = config.smoke ? 1 : kBigIters;
  Result r{{}, "ms/iter", [iters](double s) { return s / iters * 1e3; }, {}};
  Generator g(70);
  Tensor x = xgrad::uniform({kBigN, kBigC, kBigSide, kBigSide}, -1, 1, g).requires_grad_();
  Tensor w = xgrad::uniform({kBigC, kBigC, 3, 3}, -0.05, 0.05, g).requires_grad_();
  const Tensor dy = xgrad::ones({kBigN, kBigC, kBigSide, kBigSide});
  auto body = [&](NoState) {
    Tensor y;
    for (std::size_t i = 0; i < iters; ++i) {
      clear_grads({x, w});
      y = xgrad::conv2d(x, w, Tensor(), 1, 1);  // [32, 64, 32, 32]
      y.backward(dy);
    }
    return y;
  };
  measure(
      config.reps, r.times, [] { return NoState{}; }, body);
  // Three products of 2 M N K each per iteration.
  r.flops = iters * 3 * 2.0 * kBigC * (kBigC * 9.0) * (kBigN * kBigSide * kBigSide);
  const double sgemm = sgemm_seconds(iters);
  r.checks = {{"dw_sum", w.grad().sum().item()},
              {"sgemm_ms_per_iter", sgemm * 1e3},
              {"sgemm_gflops", r.flops / iters / sgemm / 1e9}};
  return r;
}
