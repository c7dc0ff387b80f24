// Tests of the thread-safety contract: independent graphs, modules, optimizers, data loaders and
// checkpoints on different threads at once, and read-only sharing of tensors that do not require
// grad. Each result is compared with the same work done on one thread. scripts/run_tests.sh also
// runs this executable alone under ThreadSanitizer, which reports any data race these tests reach.
// Catch2's assertions are not thread-safe: workers only compute, the main thread checks.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gradient_checks.hpp"
#include "nn/nn.hpp"
#include "temp_dir.hpp"

using namespace xgrad;
using xgrad::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// Runs work(0), ..., work(count - 1) on `count` threads at once, started together, and rethrows
// the first exception any of them threw.
void run_on_threads(std::size_t count, const std::function<void(std::size_t)>& work) {
  std::atomic<std::size_t> ready{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < count; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (ready.load() < count) std::this_thread::yield();
      try {
        work(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  if (error) std::rethrow_exception(error);
}

// A small MLP's parameters after `steps` Adam steps on a seeded regression task, all of it built
// from `seed` with the thread's own generator (the default generator is shared).
std::vector<double> train_mlp(std::uint64_t seed, int steps) {
  Generator generator(seed);
  nn::Sequential model{
      std::make_shared<nn::Linear>(4, 16, true, nn::Init::kaiming_uniform, generator),
      std::make_shared<nn::Tanh>(),
      std::make_shared<nn::Linear>(16, 1, true, nn::Init::kaiming_uniform, generator)};
  optim::Adam optimizer(model.parameters(), 0.01);
  const Tensor x = randn({32, 4}, generator);
  const Tensor y = sum(x * x, {1}, true);
  for (int step = 0; step < steps; ++step) {
    optimizer.zero_grad();
    mse_loss(model(x), y).backward();
    optimizer.step();
  }
  std::vector<double> out;
  for (const Tensor& p : model.parameters()) {
    const std::vector<double> v = testing::values(p);
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

}  // namespace

TEST_CASE("independent graphs are built and differentiated on different threads at once",
          "[threads][autograd]") {
  auto work = [](std::uint64_t seed) {
    Generator generator(seed);
    Tensor w = randn({8, 8}, generator, float64).requires_grad_();
    Tensor b = randn({8}, generator, float64).requires_grad_();
    for (int i = 0; i < 50; ++i) {
      w.zero_grad();
      b.zero_grad();
      Tensor h = tanh(matmul(w, w) + b);
      // A second-order term too, so the engine records a backward graph on this thread.
      Tensor g = autograd::grad({sum(h * h)}, {w}, {}, false, /*create_graph=*/true)[0];
      (mean(softmax(h, 1)) + sum(g * g)).backward();
    }
    return testing::values(w.grad());
  };
  std::vector<std::vector<double>> results(4);
  run_on_threads(results.size(), [&](std::size_t i) { results[i] = work(i + 1); });
  for (std::size_t i = 0; i < results.size(); ++i) {
    INFO("thread " << i);
    CHECK(results[i] == work(i + 1));
  }
  CHECK(results[0] != results[1]);
}

TEST_CASE("tensors that do not require grad are read by several threads at once",
          "[threads][autograd]") {
  Generator generator(11);
  const Tensor shared_input = randn({16, 8}, generator, float64);  // no requires_grad
  auto work = [&](std::uint64_t seed) {
    Generator own(seed);
    Tensor w = randn({8, 3}, own, float64).requires_grad_();
    Tensor loss = cross_entropy(matmul(shared_input, w), std::vector<std::int64_t>(16, 1));
    loss.backward();
    return testing::values(w.grad());
  };
  std::vector<std::vector<double>> results(4);
  run_on_threads(results.size(), [&](std::size_t i) { results[i] = work(i); });
  for (std::size_t i = 0; i < results.size(); ++i) CHECK(results[i] == work(i));
}

TEST_CASE("grad mode is per thread: no_grad on one thread does not stop another recording",
          "[threads][autograd]") {
  std::atomic<int> phase{0};
  bool recorded = false, recorded_under_no_grad = true;
  run_on_threads(2, [&](std::size_t i) {
    Tensor x = ones({2}, float64, true);
    if (i == 0) {
      no_grad guard;
      phase = 1;  // the guard is on while the other thread records
      while (phase.load() < 2) std::this_thread::yield();
      recorded_under_no_grad = (x * 2.0).requires_grad();
    } else {
      while (phase.load() < 1) std::this_thread::yield();
      recorded = (x * 2.0).requires_grad();
      phase = 2;
    }
  });
  CHECK(recorded);
  CHECK_FALSE(recorded_under_no_grad);
}

TEST_CASE("independent models train with their own optimizers on different threads",
          "[threads][nn]") {
  std::vector<std::vector<double>> results(3);
  run_on_threads(results.size(), [&](std::size_t i) { results[i] = train_mlp(100 + i, 40); });
  for (std::size_t i = 0; i < results.size(); ++i) {
    INFO("thread " << i);
    CHECK(results[i] == train_mlp(100 + i, 40));
  }
}

TEST_CASE("Trainers fit their own models on different threads from one shared dataset",
          "[threads][nn]") {
  Generator generator(21);
  const data::BlobSamples blobs = data::make_blobs(96, 3, 2, 1.0, {-5.0, 5.0}, generator);
  const data::Dataset train(blobs.x, blobs.y);  // read by every thread
  auto work = [&](std::uint64_t seed) {
    Generator own(seed);
    nn::Sequential model{std::make_shared<nn::Linear>(2, 8, true, nn::Init::xavier_uniform, own),
                         std::make_shared<nn::ReLU>(),
                         std::make_shared<nn::Linear>(8, 3, true, nn::Init::xavier_uniform, own)};
    optim::SGD optimizer(model.parameters(), 0.1, 0.9);
    nn::CrossEntropyLoss loss;
    nn::FitOptions options;
    options.epochs = 5;
    options.batch_size = 16;
    options.seed = seed;
    options.verbosity = nn::Verbosity::silent;
    options.metric = [](const Tensor& logits, const Tensor& y) {
      return metrics::accuracy(logits, y);
    };
    const nn::History history = nn::fit(model, optimizer, std::ref(loss), train, &train, options);
    std::vector<double> out;
    for (const nn::EpochLog& log : history.epochs) {
      out.push_back(log.train_loss);
      out.push_back(log.val_metric);
    }
    return out;
  };
  std::vector<std::vector<double>> results(3);
  run_on_threads(results.size(), [&](std::size_t i) { results[i] = work(200 + i); });
  for (std::size_t i = 0; i < results.size(); ++i) {
    INFO("thread " << i);
    CHECK(results[i] == work(200 + i));
  }
}

TEST_CASE("data loaders, CSV readers and metrics run on different threads at once",
          "[threads][nn][data]") {
  const std::string csv = "a,b,label\n1,2,0\n3,4,1\n5,6,1\n7,8,0\n";
  auto work = [&](std::uint64_t seed) {
    std::istringstream input(csv);
    const data::CsvTable table = data::read_csv(input);
    Generator own(seed);
    const Tensor x = randn({40, 3}, own);
    const Tensor y = rand({40}, own);
    data::DataLoader loader(data::Dataset(x, y), 7, /*shuffle=*/true, seed);
    double total = sum(table.values).item();
    for (int epoch = 0; epoch < 3; ++epoch) {
      for (const data::Batch& batch : loader) total += sum(batch.x).item() + sum(batch.y).item();
    }
    const Tensor labels = select(table.values, 1, 2).to(float32);
    total += metrics::accuracy(labels, labels) + metrics::r2_score(y, y);
    return total;
  };
  std::vector<double> results(4);
  run_on_threads(results.size(), [&](std::size_t i) { results[i] = work(300 + i); });
  for (std::size_t i = 0; i < results.size(); ++i) CHECK(results[i] == work(300 + i));
}

TEST_CASE("checkpoints are saved and loaded on different threads, to one path too",
          "[threads][nn][serialize]") {
  TempDir dir("save");
  const std::string shared_path = dir.file("shared.npz");
  std::vector<double> loaded_own(4);
  run_on_threads(loaded_own.size(), [&](std::size_t i) {
    const std::string own_path = dir.file("model" + std::to_string(i) + ".npz");
    for (int round = 0; round < 5; ++round) {
      const double value = 10.0 * static_cast<double>(i) + round;
      const nn::NamedTensors state{{"w", full({64}, value, float64)}};
      nn::save(state, own_path);
      nn::save(state, shared_path);  // every thread renames over the same file
      loaded_own[i] = nn::load(own_path)[0].second.data<double>()(0);
    }
  });
  for (std::size_t i = 0; i < loaded_own.size(); ++i) {
    CHECK(loaded_own[i] == 10.0 * static_cast<double>(i) + 4);
  }
  // The shared file is one thread's complete last save, never a mix.
  const nn::NamedTensors shared = nn::load(shared_path);
  REQUIRE(shared.size() == 1);
  const std::vector<double> values = testing::values(shared[0].second);
  CHECK(std::all_of(values.begin(), values.end(), [&](double v) { return v == values[0]; }));
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir.file(""))) {
    names.push_back(entry.path().filename().string());
  }
  CHECK(names.size() == 5);  // no temporary file left behind
}
