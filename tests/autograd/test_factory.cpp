// Tests of tensor factories and the seedable generator.
#include <catch2/catch.hpp>

#include <algorithm>
#include <thread>
#include <vector>

#include "autograd/pool.hpp"
#include "autograd/storage.hpp"
#include "gradient_checks.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;
using xgrad::testing::error_message;

TEST_CASE("the generator reproduces the benchmark workloads' test vectors", "[autograd][random]") {
  Generator u(1);
  CHECK(u.uniform() == 0.5665615751722809);
  CHECK(u.uniform() == 0.7457817572627011);
  CHECK(u.uniform() == 0.9710027535867962);
  Generator n(10);
  CHECK(n.normal() == Approx(-0.02552680662395446).epsilon(1e-15));
  CHECK(n.normal() == Approx(0.2888901128093533).epsilon(1e-15));
}

TEST_CASE("random factories reproduce from a seed and respect their ranges", "[autograd][random]") {
  Generator g1(42), g2(42);
  Tensor a = rand({3, 4}, g1, float64);
  Tensor b = rand({3, 4}, g2, float64);
  CHECK(bool(a.data<double>() == b.data<double>()));
  manual_seed(5);
  Tensor c = randn({100});
  manual_seed(5);
  Tensor d = randn({100});
  CHECK(bool(c.data<float>() == d.data<float>()));
  Generator g3(3);
  Tensor u = uniform({1000}, -2.0, 3.0, g3, float64);
  const auto& values = u.data<double>();
  CHECK(*std::min_element(values.begin(), values.end()) >= -2.0);
  CHECK(*std::max_element(values.begin(), values.end()) < 3.0);
  CHECK(mean(u).item() == Approx(0.5).margin(0.15));
  CHECK_THAT(error_message([&] { uniform({2}, 1.0, 1.0, g3); }),
             Contains("uniform: need finite low < high; got low 1"));
}

TEST_CASE("constant factories fill shapes and dtypes", "[autograd][factory]") {
  Tensor z = zeros({2, 3}, float64, true);
  CHECK(z.shape() == Shape{2, 3});
  CHECK(z.dtype() == float64);
  CHECK(z.requires_grad());
  CHECK(sum(z).item() == 0.0);
  CHECK(sum(ones({4, 5})).item() == 20.0);
  CHECK(full({2}, 7.5).data<float>()(1) == 7.5f);
  CHECK(scalar_tensor(3.0).dim() == 0);
  CHECK(scalar_tensor(3.0).item() == 3.0);
  Tensor i = eye(3, float64);
  CHECK(i.data<double>()(1, 1) == 1.0);
  CHECK(i.data<double>()(1, 2) == 0.0);
  CHECK(sum(i).item() == 3.0);
  CHECK(zeros({0, 3}).numel() == 0);
}

TEST_CASE("arange follows numpy.arange", "[autograd][factory]") {
  CHECK(arange(0, 5).shape() == Shape{5});
  CHECK(arange(0, 5).data<float>()(4) == 4.0f);
  CHECK(arange(1, 2, 0.25, float64).numel() == 4);
  CHECK(arange(5, 0, -2, float64).data<double>()(2) == 1.0);
  CHECK(arange(3, 3).numel() == 0);
  CHECK_THROWS_AS(arange(0, 1, 0), std::invalid_argument);
  CHECK_THAT(error_message([] { arange(0, 1, 0); }), Contains("non-zero step"));
}

TEST_CASE("shape formatting reads like Python tuples", "[autograd][shape]") {
  CHECK(format_shape({}) == "()");
  CHECK(format_shape({5}) == "(5,)");
  CHECK(format_shape({3, 4}) == "(3, 4)");
  CHECK(broadcast_shapes("add", {3, 1}, {1, 4}) == Shape{3, 4});
  CHECK(broadcast_shapes("add", {4}, {2, 3, 4}) == Shape{2, 3, 4});
  CHECK_THAT(error_message([] {
               broadcast_shapes("add", {2, 3}, {4, 3});
             }),
             Contains("add: cannot broadcast (2, 3) with (4, 3)"));
}

TEST_CASE("from_blob views the caller's memory: writes go both ways and detach shares it",
          "[autograd][factory][from_blob]") {
  std::vector<float> memory{1, 2, 3, 4, 5, 6};
  Tensor t = from_blob(memory.data(), {2, 3});
  CHECK(t.dtype() == float32);
  CHECK(t.shape() == Shape{2, 3});
  CHECK(t.data_ptr<float>() == memory.data());
  CHECK_THAT(error_message([&] { t.data_ptr<double>(); }),
             Contains("data: tensor is float32, not float64"));
  memory[4] = 50;
  CHECK(t.to_vector<float>() == std::vector<float>{1, 2, 3, 4, 50, 6});
  {
    no_grad guard;
    t.mul_(2.0);
  }
  CHECK(memory == std::vector<float>{2, 4, 6, 8, 100, 12});
  Tensor detached = t.detach();
  detached.fill_(0.5);
  CHECK(memory == std::vector<float>(6, 0.5f));
  // An op makes a tensor of its own, as usual.
  Tensor doubled = t * 2.0;
  CHECK(doubled.data<float>().data() != memory.data());
  CHECK(memory == std::vector<float>(6, 0.5f));

  std::int64_t labels[3] = {2, 0, 1};
  CHECK(from_blob(labels, {3}, int64).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{2, 0, 1});
  bool mask[2] = {true, false};
  CHECK(from_blob(mask, {2}, boolean).to_vector<bool>() == std::vector<bool>{true, false});
  double scalar = 4.25;
  CHECK(from_blob(&scalar, {}, float64).item() == 4.25);
}

TEST_CASE(
    "from_blob's memory is never freed by xgrad: the deleter runs once when the last "
    "tensor sharing it dies",
    "[autograd][factory][from_blob]") {
  double memory[4] = {1, 2, 3, 4};  // on the stack: freeing it would crash (or fail under ASan)
  int calls = 0;
  void* given_back = nullptr;
  {
    Tensor a = from_blob(
        memory, {2, 2},
        [&](void* p) {
          ++calls;
          given_back = p;
        },
        float64);
    Tensor b = a.detach();
    Tensor c = b.detach();
    a = Tensor();
    b = Tensor();
    CHECK(calls == 0);
    CHECK(c.to_vector<double>() == std::vector<double>{1, 2, 3, 4});
  }
  CHECK(calls == 1);
  CHECK(given_back == memory);

  // Two tensors over the same memory: each gives it back once.
  int twice = 0;
  {
    Tensor x = from_blob(
        memory, {4}, [&](void*) { ++twice; }, float64);
    Tensor y = from_blob(
        memory, {2, 2}, [&](void*) { ++twice; }, float64);
    CHECK(x.data<double>().data() == y.data<double>().data());
  }
  CHECK(twice == 2);

  // No elements: nothing to view, so the deleter runs at once.
  int empty_calls = 0;
  Tensor empty = from_blob(
      memory, {0, 3}, [&](void*) { ++empty_calls; }, float64);
  CHECK(empty.shape() == Shape{0, 3});
  CHECK(empty_calls == 1);
}

TEST_CASE("from_blob's memory is not recycled into another tensor after its tensor dies",
          "[autograd][factory][from_blob]") {
  // Large enough for the per-thread recycling of value buffers (64 KB and up).
  std::vector<float> memory(1 << 16, 3.0f);
  for (int round = 0; round < 3; ++round) {
    Tensor lent = from_blob(memory.data(), {256, 256});
    Tensor sum_before = sum(lent);
    CHECK(sum_before.item() == Approx(3.0 * 65536));
  }
  // Tensors of the same size made afterwards must get buffers of their own.
  for (int round = 0; round < 3; ++round) {
    Tensor fresh = ones({256, 256});
    Tensor made = fresh * 5.0;
    CHECK(fresh.data<float>().data() != memory.data());
    CHECK(made.data<float>().data() != memory.data());
  }
  CHECK(std::count(memory.begin(), memory.end(), 3.0f) == 1 << 16);  // untouched
}

TEST_CASE("values the caller made are not kept for reuse when their tensor dies",
          "[autograd][factory]") {
  // A model re-created from the caller's arrays, or a batch built each step, would otherwise fill
  // the per-thread bins with buffers of sizes no op asks for. A fresh thread starts with empty
  // bins.
  std::size_t after_engine = 0, after_caller = 0;
  std::thread([&] {
    {
      Tensor computed = ones({256, 256}) * 2.0;  // two engine buffers of 256 KB
    }
    after_engine = detail::recycled_buffers();
    for (int round = 0; round < 3; ++round) {
      Tensor made(xt::xarray<float>::from_shape({256, 256}), true);
      Tensor from_double(xt::xarray<double>::from_shape({128, 128}));
      std::vector<float> memory(1 << 16);
      Tensor lent = from_blob(memory.data(), {256, 256});
    }
    after_caller = detail::recycled_buffers();
  }).join();
  // What the engine allocates is kept (64 KB and up), unless AddressSanitizer is watching.
  CHECK(after_engine == (detail::kRecycleMemory ? 2 : 0));
  CHECK(after_caller == after_engine);
}

TEST_CASE("kept buffers stay through a few misses in a row and go back to malloc after more",
          "[autograd][factory]") {
  // A step of mixed sizes misses now and then while every buffer of a size is in use; handing
  // kept buffers back on each miss made glibc give the top of its heap back to the kernel and the
  // next step fault it in again. A program that has moved on to other shapes misses every time.
  std::vector<std::size_t> kept;
  std::thread([&] {
    {
      Tensor computed = ones({256, 256}) * 2.0;  // two engine buffers of 256 KB
    }
    kept.push_back(detail::recycled_buffers());
    std::vector<Tensor> live;
    std::size_t size = 256;
    const auto misses = [&](int count) {  // sizes no kept buffer has, 64 KB and up
      for (int i = 0; i < count; ++i) live.push_back(zeros({++size, 64}));
    };
    misses(7);
    kept.push_back(detail::recycled_buffers());
    live.push_back(zeros({256, 256}));  // a hit, which ends the run of misses
    kept.push_back(detail::recycled_buffers());
    misses(7);
    kept.push_back(detail::recycled_buffers());
    misses(1);  // the eighth in a row hands back the oldest kept buffer
    kept.push_back(detail::recycled_buffers());
  }).join();
  const std::vector<std::size_t> expected = detail::kRecycleMemory
                                                ? std::vector<std::size_t>{2, 2, 1, 1, 0}
                                                : std::vector<std::size_t>{0, 0, 0, 0, 0};
  CHECK(kept == expected);
}

TEST_CASE("from_blob tensors take gradients like any leaf", "[autograd][factory][from_blob]") {
  std::vector<double> memory{1, -2, 3};
  Tensor w = from_blob(memory.data(), {3}, float64).requires_grad_();
  sum(w * w).backward();
  CHECK(w.grad().to_vector<double>() == std::vector<double>{2, -4, 6});
  {
    no_grad guard;
    w.sub_(w.grad() * 0.5);  // an SGD step writes the caller's memory
  }
  CHECK(memory == std::vector<double>{0, 0, 0});
}
