// Tests of parallel_for, xgrad's own pool: every index once, the same pieces and the same bits on
// any thread count, errors carried back to the caller, nested and concurrent calls, and the cap of
// set_num_threads. Also run under ThreadSanitizer with the rest of tests/threads/.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "gradient_checks.hpp"
#include "nn/nn.hpp"

using namespace xgrad;
using xgrad::testing::MessageContains;

namespace {

// Sets the thread cap for a scope and puts the previous one back.
class ThreadCap {
 public:
  explicit ThreadCap(int n) : previous_(get_num_threads()) { set_num_threads(n); }
  ~ThreadCap() { set_num_threads(previous_); }
  ThreadCap(const ThreadCap&) = delete;
  ThreadCap& operator=(const ThreadCap&) = delete;

 private:
  int previous_;
};

using Pieces = std::vector<std::pair<std::size_t, std::size_t>>;

// The pieces parallel_for hands out over [begin, end), in order, each written by its own body call
// into its own slot.
Pieces pieces_of(std::size_t begin, std::size_t end, std::size_t grain) {
  const std::size_t n = end - begin;
  Pieces pieces(n / grain + (n % grain != 0));
  parallel_for(begin, end, grain, [&](std::size_t b, std::size_t e) {
    pieces[(b - begin) / grain] = {b, e};
  });
  return pieces;
}

std::vector<float> floats(const Tensor& t) {
  const auto& v = t.data<float>();
  return std::vector<float>(v.begin(), v.end());
}

// Values of large elementwise ops, the fused regression losses and their gradients: everything
// the pool runs. (addmm's product is by zeros, so that only its bias copy, which the pool runs, is
// compared: OpenBLAS's own products may round differently on different thread counts.)
std::vector<std::vector<float>> pooled_results() {
  Generator generator(5);
  const Tensor x = uniform({300, 1000}, -2.0, 2.0, generator, float32);
  const Tensor y = uniform({300, 1000}, -2.0, 2.0, generator, float32);
  const Tensor rows = uniform({50000, 20}, -1.0, 1.0, generator, float32);
  const Tensor target = uniform({50000, 1}, 0.0, 1.0, generator, float32);
  Tensor w = uniform({20, 1}, -1.0, 1.0, generator, float32).requires_grad_();
  Tensor b = zeros({1}, float32, true);
  std::vector<std::vector<float>> out{
      floats(add(x, y)), floats(mul(x, y)),
      floats(relu(x)),   floats(sigmoid(x)),
      floats(exp(x)),    floats(addmm(y.sum({1}), x, zeros({1000, 300}, float32)))};
  Tensor z = x.detach().clone();
  {
    no_grad guard;
    add_(z, y, -0.5);
  }
  out.push_back(floats(z));
  for (LinearLoss loss : {LinearLoss::mse, LinearLoss::binary_cross_entropy_with_logits}) {
    w.set_grad(Tensor());
    b.set_grad(Tensor());
    const Tensor value = linear_loss(loss, rows, w, b, target);
    value.backward();
    out.push_back(floats(value));
    out.push_back(floats(w.grad()));
    out.push_back(floats(b.grad()));
  }
  return out;
}

}  // namespace

TEST_CASE("parallel_for runs each piece once, cut the same way on any number of threads",
          "[threads][parallel]") {
  const int threads = GENERATE(1, 2, 3, 8);
  ThreadCap cap(threads);
  INFO(threads << " threads");
  CHECK(pieces_of(10, 110, 25) == Pieces{{10, 35}, {35, 60}, {60, 85}, {85, 110}});
  CHECK(pieces_of(0, 7, 3) == Pieces{{0, 3}, {3, 6}, {6, 7}});
  CHECK(pieces_of(5, 6, 100) == Pieces{{5, 6}});
  CHECK(pieces_of(4, 4, 3).empty());
  // every index of a large range exactly once
  std::vector<std::uint8_t> seen(1 << 20, 0);
  parallel_for(0, seen.size(), 1000, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) ++seen[i];
  });
  CHECK(std::count(seen.begin(), seen.end(), 1) == static_cast<long>(seen.size()));
}

TEST_CASE("parallel_for uses more than one thread when the cap allows it", "[threads][parallel]") {
  ThreadCap cap(2);
  // Each piece waits (up to 30 s) until the other is running too. The overlap is recorded by the
  // piece that arrives second, in one atomic step: a running maximum written with load-then-store
  // could lose the second piece's write to the first's, which ThreadSanitizer's scheduling made
  // happen. The wait sleeps rather than spins, so that the worker gets the core.
  std::atomic<int> running{0};
  std::atomic<bool> overlapped{false};
  parallel_for(0, 2, 1, [&](std::size_t, std::size_t) {
    if (++running == 2) overlapped = true;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!overlapped.load() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    --running;
  });
  CHECK(overlapped.load());
}

TEST_CASE("parallel_for rethrows a body's exception and stays usable", "[threads][parallel]") {
  const int threads = GENERATE(1, 2);
  ThreadCap cap(threads);
  std::atomic<int> after{0};
  CHECK_THROWS_MATCHES(parallel_for(0, 100, 10,
                                    [&](std::size_t b, std::size_t) {
                                      if (b == 30) throw std::runtime_error("piece 30 failed");
                                      if (b > 30) ++after;
                                    }),
                       std::runtime_error, MessageContains("piece 30 failed"));
  std::atomic<std::size_t> total{0};
  parallel_for(0, 1000, 7, [&](std::size_t b, std::size_t e) { total += e - b; });
  CHECK(total.load() == 1000);
  CHECK_THROWS_MATCHES(parallel_for(0, 10, 0, [](std::size_t, std::size_t) {}),
                       std::invalid_argument,
                       MessageContains("parallel_for: grain must be at least 1, got 0"));
}

TEST_CASE("parallel_for inside a body, and from several threads at once, completes",
          "[threads][parallel]") {
  ThreadCap cap(2);
  std::atomic<std::size_t> inner{0};
  parallel_for(0, 4, 1, [&](std::size_t, std::size_t) {
    parallel_for(0, 100, 10, [&](std::size_t b, std::size_t e) { inner += e - b; });
  });
  CHECK(inner.load() == 400);

  // Four threads call at once; those that find the pool busy run their pieces themselves.
  std::vector<std::size_t> sums(4, 0);
  std::vector<std::thread> callers;
  for (std::size_t t = 0; t < sums.size(); ++t) {
    callers.emplace_back([&sums, t] {
      std::vector<std::size_t> partial(100, 0);
      for (int round = 0; round < 20; ++round) {
        parallel_for(0, 100000, 1000, [&](std::size_t b, std::size_t e) {
          for (std::size_t i = b; i < e; ++i) partial[b / 1000] += i % 7;
        });
      }
      for (std::size_t p : partial) sums[t] += p;
    });
  }
  for (std::thread& caller : callers) caller.join();
  std::size_t expected = 0;
  for (std::size_t i = 0; i < 100000; ++i) expected += i % 7;
  for (std::size_t s : sums) CHECK(s == 20 * expected);
}

TEST_CASE("large elementwise ops and the fused losses give the same bits on 1, 2 and 3 threads",
          "[threads][parallel]") {
  std::vector<std::vector<float>> one;
  {
    ThreadCap cap(1);
    one = pooled_results();
  }
  for (int threads : {2, 3}) {
    ThreadCap cap(threads);
    INFO(threads << " threads");
    const auto many = pooled_results();
    REQUIRE(many.size() == one.size());
    for (std::size_t i = 0; i < one.size(); ++i) {
      INFO("result " << i);
      CHECK(many[i] == one[i]);
    }
  }
}

TEST_CASE("set_num_threads(1) keeps every kernel on the calling thread", "[threads][parallel]") {
  ThreadCap cap(1);
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<int> elsewhere{0};
  parallel_for(0, 64, 1, [&](std::size_t, std::size_t) {
    if (std::this_thread::get_id() != caller) ++elsewhere;
  });
  CHECK(elsewhere.load() == 0);
}

extern "C" int openblas_get_num_threads() __attribute__((weak));

namespace {

// Products below kBlasParallelMinMultiplyAdds, which run on one OpenBLAS thread whatever the cap:
// 32 x 128 x 512 (the LSTM's per-step product) and 64 x 64 x 64, forward and backward. (Above it,
// OpenBLAS 0.3.21's threaded sgemm does not give the 1-thread bits: 256 x 512 x 256 differs in
// 8% of its values.)
std::vector<std::vector<float>> product_results() {
  Generator generator(6);
  std::vector<std::vector<float>> results;
  for (const Shape& mkn : {Shape{32, 128, 512}, Shape{64, 64, 64}}) {
    Tensor a = uniform({mkn[0], mkn[1]}, -1.0, 1.0, generator, float32).requires_grad_();
    Tensor b = uniform({mkn[1], mkn[2]}, -1.0, 1.0, generator, float32).requires_grad_();
    const Tensor c = matmul(a, b);
    (c * c).sum().backward();
    for (const Tensor& t : {c, a.grad(), b.grad()}) results.push_back(floats(t));
  }
  return results;
}

}  // namespace

TEST_CASE("small products give the same bits on 1 and 2 threads, and give OpenBLAS its count back",
          "[threads][parallel]") {
  std::vector<std::vector<float>> one;
  {
    ThreadCap cap(1);
    one = product_results();
  }
  ThreadCap cap(2);
  // 2, or 1 while OpenBLAS has not started its pool (loaded on one thread, no large product run:
  // threads.hpp; single_thread_tests checks that case).
  const int blas_before = openblas_get_num_threads ? openblas_get_num_threads() : 0;
  std::vector<std::vector<float>> per_thread[2];
  std::thread other([&] { per_thread[1] = product_results(); });
  per_thread[0] = product_results();
  other.join();
  for (const auto& many : per_thread) {
    REQUIRE(many.size() == one.size());
    for (std::size_t i = 0; i < one.size(); ++i) {
      INFO("result " << i);
      CHECK(many[i] == one[i]);
    }
  }
  CHECK(get_num_threads() == 2);
  if (openblas_get_num_threads) {
    CHECK(blas_before <= 2);
    CHECK(openblas_get_num_threads() == blas_before);  // the scopes gave the count back
  }
}

namespace {

struct ConvResults {
  std::vector<float> y, dx, dw, db;
};

// A convolution large enough that its blocks of samples run on the pool (blocks_on_pool in
// autograd/ops/conv.cpp): 5 samples of 32 x 32, one per block (4.7 M multiply-adds each), and a
// grouped one of 7 samples of 24 x 24 in blocks of 3 (4 M), the last block one sample. Its values
// and gradients.
ConvResults pooled_conv(int groups) {
  Generator generator(7);
  const Shape x_shape = groups == 1 ? Shape{5, 16, 32, 32} : Shape{7, 16, 24, 24};
  Tensor x = uniform(x_shape, -1.0, 1.0, generator, float32).requires_grad_();
  const std::size_t per_group = 16 / static_cast<std::size_t>(groups);
  Tensor w = uniform({32, per_group, 3, 3}, -0.1, 0.1, generator, float32).requires_grad_();
  Tensor b = uniform({32}, -0.1, 0.1, generator, float32).requires_grad_();
  const Tensor y = conv2d(x, w, b, 1, 1, 1, groups);
  const Tensor dy = uniform(y.shape(), -1.0, 1.0, generator, float32);
  y.backward(dy);
  return {floats(y), floats(x.grad()), floats(w.grad()), floats(b.grad())};
}

}  // namespace

TEST_CASE("convolutions whose samples run on the pool give the same bits on 1 2 and 3 threads",
          "[threads][parallel][conv]") {
  for (int groups : {1, 2}) {
    INFO("groups " << groups);
    ConvResults one;
    {
      ThreadCap cap(1);
      one = pooled_conv(groups);
    }
    for (int threads : {2, 3}) {
      ThreadCap cap(threads);
      INFO(threads << " threads");
      const ConvResults many = pooled_conv(groups);
      CHECK(many.y == one.y);
      CHECK(many.dx == one.dx);
      CHECK(many.dw == one.dw);
      CHECK(many.db == one.db);
    }
  }
}

TEST_CASE("a convolution whose samples run on the pool equals one sample at a time",
          "[threads][parallel][conv]") {
  ThreadCap cap(2);
  Generator generator(8);
  // 7 samples of 24 x 24 in blocks of 3 (8 M multiply-adds each), staged into the gemm's layout
  Tensor x = uniform({7, 16, 24, 24}, -1.0, 1.0, generator, float32).requires_grad_();
  Tensor w = uniform({32, 16, 3, 3}, -0.1, 0.1, generator, float32).requires_grad_();
  const Tensor y = conv2d(x, w, Tensor(), 1, 1);
  const Tensor dy = uniform(y.shape(), -1.0, 1.0, generator, float32);
  y.backward(dy);
  // One sample is one block, on the calling thread.
  Tensor w_alone = w.detach().requires_grad_();
  for (long i = 0; i < 7; ++i) {
    INFO("sample " << i);
    Tensor xi = narrow(x.detach(), 0, i, 1).requires_grad_();
    const Tensor yi = conv2d(xi, w_alone, Tensor(), 1, 1);
    CHECK_THAT(floats(yi),
               Catch::Matchers::Approx(floats(narrow(y, 0, i, 1))).epsilon(1e-5).margin(1e-5));
    yi.backward(narrow(dy, 0, i, 1));
    CHECK_THAT(
        floats(xi.grad()),
        Catch::Matchers::Approx(floats(narrow(x.grad(), 0, i, 1))).epsilon(1e-5).margin(1e-5));
  }
  CHECK_THAT(floats(w_alone.grad()),
             Catch::Matchers::Approx(floats(w.grad())).epsilon(1e-4).margin(1e-4));
}
