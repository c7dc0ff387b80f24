// A program of small ops at a cap of two threads starts no thread (threads.hpp): it keeps glibc's
// single-threaded mode, in which libstdc++ counts shared_ptr references without locked
// instructions. Its own executable, run by CTest one test case per process, so that no other test
// has started a thread first: the [single_thread] cases with OpenBLAS loaded on one thread
// (OPENBLAS_NUM_THREADS=1), the [blas_load...] ones with the environment each names
// (XGRAD_TEST_BLAS_ENV), for what autograd/blas_load.cpp does when OpenBLAS loads.
#include <catch2/catch.hpp>

#include <sys/single_threaded.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "nn/nn.hpp"

extern "C" int openblas_get_num_threads() __attribute__((weak));
extern "C" int openblas_get_num_procs() __attribute__((weak));

using namespace xgrad;

namespace {

// True when CTest runs this case in the environment `name` of tests/CMakeLists.txt.
bool in_environment(const char* name) {
  const char* env = std::getenv("XGRAD_TEST_BLAS_ENV");
  return env && std::strcmp(env, name) == 0;
}

// A product of 512 x 128 x 512 = 32 Mi multiply-adds: exactly kBlasParallelMinMultiplyAdds.
Tensor large_product(Generator& generator) {
  return matmul(uniform({512, 128}, -1.0, 1.0, generator, float32),
                uniform({128, 512}, -1.0, 1.0, generator, float32));
}

bool loaded_on_one_thread() {
  const char* blas = std::getenv("OPENBLAS_NUM_THREADS");
  return blas && std::strcmp(blas, "1") == 0;
}

// Ten steps of a small network (products of 32 rows, below kBlasParallelMinMultiplyAdds) and an
// op_overhead-like chain on 16 values; returns the last loss.
double small_work() {
  Generator generator(3);
  auto model = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(8, 64, true, nn::Init::kaiming_uniform, generator),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(64, 4, true, nn::Init::kaiming_uniform, generator)});
  optim::SGD sgd(model->parameters(), 0.1);
  const Tensor x = uniform({32, 8}, -1.0, 1.0, generator, float32);
  std::vector<std::int64_t> labels(32);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<std::int64_t>(i % 4);
  double loss = 0;
  for (int step = 0; step < 10; ++step) {
    sgd.zero_grad();
    Tensor l = cross_entropy(model->forward(x), labels);
    l.backward();
    sgd.step();
    loss = l.item<double>();
  }
  Tensor v = uniform({16}, -1.0, 1.0, generator, float32).requires_grad_();
  Tensor h = v;
  for (int i = 0; i < 50; ++i) h = sigmoid(0.5 * tanh((h + v) * v));
  h.sum().backward();
  return loss;
}

}  // namespace

TEST_CASE("at a cap of 2 threads small products and ops start no thread", "[single_thread]") {
  if (!loaded_on_one_thread()) {
    WARN("run by CTest, with OPENBLAS_NUM_THREADS=1: OpenBLAS started its pool when it loaded");
    return;
  }
  REQUIRE(__libc_single_threaded);
  set_num_threads(2);
  const double loss = small_work();
  CHECK(std::isfinite(loss));
  CHECK(__libc_single_threaded);
  if (openblas_get_num_threads) CHECK(openblas_get_num_threads() == 1);
}

TEST_CASE("the first large product gives OpenBLAS the cap of 2 threads", "[single_thread]") {
  if (!loaded_on_one_thread() || !openblas_get_num_threads) {
    WARN("needs OpenBLAS, loaded with OPENBLAS_NUM_THREADS=1 (as CTest runs this)");
    return;
  }
  set_num_threads(2);
  Generator generator(4);
  // 512 x 128 x 512: exactly kBlasParallelMinMultiplyAdds.
  const Tensor a = uniform({512, 128}, -1.0, 1.0, generator, float32);
  const Tensor b = uniform({128, 512}, -1.0, 1.0, generator, float32);
  const Tensor one_thread = [&] {
    set_num_threads(1);
    Tensor c = matmul(a, b);
    set_num_threads(2);
    return c;
  }();
  CHECK(openblas_get_num_threads() == 1);  // nothing large has run at a cap above 1
  CHECK(__libc_single_threaded);
  const Tensor two_threads = matmul(a, b);
  CHECK(openblas_get_num_threads() == 2);
  CHECK_FALSE(__libc_single_threaded);  // OpenBLAS's worker
  CHECK(xt::allclose(two_threads.data<float>(), one_thread.data<float>(), 1e-5, 1e-5));
  // A small product afterwards runs on one thread and hands the cap back.
  const Tensor small = matmul(uniform({32, 64}, -1.0, 1.0, generator, float32),
                              uniform({64, 32}, -1.0, 1.0, generator, float32));
  CHECK(small.sizes()[0] == 32);
  CHECK(openblas_get_num_threads() == 2);
  set_num_threads(1);
  CHECK(openblas_get_num_threads() == 1);
}

TEST_CASE("with no thread count chosen OpenBLAS loads without its pool until a large product",
          "[blas_load]") {
  if (!in_environment("unset") || !openblas_get_num_threads || !openblas_get_num_procs) {
    WARN("run by CTest, with OPENBLAS_NUM_THREADS, GOTO_NUM_THREADS and OMP_NUM_THREADS unset");
    return;
  }
  CHECK(std::getenv("OPENBLAS_NUM_THREADS") == nullptr);  // set for OpenBLAS, removed before main
  REQUIRE(__libc_single_threaded);
  CHECK(openblas_get_num_threads() == 1);
  const int cores = openblas_get_num_procs();
  CHECK(get_num_threads() == cores);  // the count OpenBLAS would have chosen
  const double loss = small_work();
  CHECK(std::isfinite(loss));
  CHECK(__libc_single_threaded);
  Generator generator(5);
  const Tensor c = large_product(generator);
  CHECK(c.sizes()[1] == 512);
  CHECK(openblas_get_num_threads() == cores);
  if (cores > 1) CHECK_FALSE(__libc_single_threaded);
}

TEST_CASE("with OMP_NUM_THREADS=1 and no OpenBLAS count the cap is 1 and no thread starts",
          "[blas_load_omp]") {
  if (!in_environment("omp1") || !openblas_get_num_threads) {
    WARN("run by CTest, with OMP_NUM_THREADS=1 and OPENBLAS_NUM_THREADS unset");
    return;
  }
  CHECK(std::getenv("OPENBLAS_NUM_THREADS") == nullptr);
  CHECK(get_num_threads() == 1);
  Generator generator(6);
  large_product(generator);
  CHECK(openblas_get_num_threads() == 1);
  CHECK(__libc_single_threaded);
}

TEST_CASE("a thread count the user gave OpenBLAS is left to it", "[blas_load_user]") {
  if (!in_environment("user2") || !openblas_get_num_threads || !openblas_get_num_procs) {
    WARN("run by CTest, with OPENBLAS_NUM_THREADS=2");
    return;
  }
  const char* blas = std::getenv("OPENBLAS_NUM_THREADS");
  REQUIRE(blas);
  CHECK(std::strcmp(blas, "2") == 0);
  const int loaded = std::min(2, openblas_get_num_procs());
  CHECK(openblas_get_num_threads() == loaded);
  CHECK(get_num_threads() == loaded);
  if (loaded > 1) CHECK_FALSE(__libc_single_threaded);  // OpenBLAS's pool, started as it loaded
}
