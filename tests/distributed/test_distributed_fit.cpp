// nn::fit with FitOptions::distributed on N ranks against the same training in one process.
#include <catch2/catch.hpp>

#include <cmath>
#include <sstream>

#include "autograd/factory.hpp"
#include "autograd/ops.hpp"
#include "distributed/context.hpp"
#include "models/linear_regression.hpp"
#include "nn/activation.hpp"
#include "nn/data/distributed_sampler.hpp"
#include "nn/linear.hpp"
#include "nn/optim/sgd.hpp"
#include "nn/sequential.hpp"
#include "nn/trainer.hpp"

using namespace xgrad;

namespace {

std::shared_ptr<nn::Sequential> small_mlp() {
  Generator g(21);
  return std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(3, 8, true, nn::Init::kaiming_uniform, g, float64),
      std::make_shared<nn::Tanh>(),
      std::make_shared<nn::Linear>(8, 2, true, nn::Init::kaiming_uniform, g, float64)});
}

}  // namespace

TEST_CASE("fit on N ranks trains and reports as one process on the union of their batches",
          "[distributed][fit]") {
  static distributed::ProcessGroup* group =
      new distributed::ProcessGroup(MPI_COMM_WORLD, std::chrono::seconds(60));
  distributed::Context context(*group);
  const auto n = static_cast<std::size_t>(group->world_size());
  Generator g(5);
  const data::Dataset train(randn({19, 3}, g, float64), randn({19, 2}, g, float64));

  auto model = small_mlp();
  optim::SGD sgd(model->parameters(), 0.1, 0.9);
  nn::FitOptions options;
  options.epochs = 3;
  options.batch_size = 4;
  options.seed = 8;
  options.distributed = &context;
  std::ostringstream progress;
  options.out = &progress;
  options.verbosity = nn::Verbosity::lines;
  const nn::History history = nn::fit(
      *model, sgd, [](const Tensor& p, const Tensor& t) { return mse_loss(p, t); }, train, nullptr,
      options);

  // The reference: one process, each step on the union of every rank's batch.
  auto reference = small_mlp();
  optim::SGD reference_sgd(reference->parameters(), 0.1, 0.9);
  for (std::size_t epoch = 0; epoch < 3; ++epoch) {
    std::vector<std::vector<std::size_t>> shards;
    for (std::size_t r = 0; r < n; ++r) {
      data::DistributedSampler sampler(19, n, r, true, 8);
      sampler.set_epoch(epoch);
      shards.push_back(sampler.indices());
    }
    double loss_sum = 0;
    std::size_t rows = 0;
    for (std::size_t start = 0; start < shards[0].size(); start += 4) {
      std::vector<std::size_t> all;
      for (const auto& s : shards) {
        all.insert(all.end(), s.begin() + start, s.begin() + std::min(start + 4, s.size()));
      }
      const data::Batch batch = train.get(all);
      reference_sgd.zero_grad();
      Tensor loss = mse_loss((*reference)(batch.x), batch.y);
      loss_sum += loss.item() * static_cast<double>(all.size());
      rows += all.size();
      loss.backward();
      reference_sgd.step();
    }
    CHECK(history.epochs[epoch].train_loss == Approx(loss_sum / rows).epsilon(1e-12));
  }
  const auto a = model->parameters(), b = reference->parameters();
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double diff = abs(a[i] - b[i]).max().item();
    CHECK(diff <= 1e-12 * std::max(1.0, abs(b[i]).max().item()));
  }
  // Progress is printed by rank 0 only.
  CHECK(progress.str().empty() == (group->rank() != 0));
}

TEST_CASE("a model's fit with a distributed context keeps the replicas equal and learns",
          "[distributed][fit]") {
  static distributed::ProcessGroup* group =
      new distributed::ProcessGroup(MPI_COMM_WORLD, std::chrono::seconds(60));
  distributed::Context context(*group);
  Generator g(3);
  const Tensor x = randn({60, 2}, g, float64);
  const Tensor y = x.sum({1}) * 2.0 + 1.0;
  models::LinearRegression::Options model_options;
  model_options.dtype = float64;
  models::LinearRegression model(model_options);
  models::TrainOptions options;
  options.epochs = 50;
  options.batch_size = 10;
  options.learning_rate = 0.05;
  options.distributed = &context;
  model.fit(x, y, options);
  // Every rank predicts the same, and well.
  Tensor prediction = model.predict(x).detach().clone();
  Tensor low = prediction.clone(), high = prediction.clone();
  group->all_reduce(low, distributed::ReduceOp::min);
  group->all_reduce(high, distributed::ReduceOp::max);
  CHECK(max(high - low).item() == 0);
  CHECK(model.score(x, y) > 0.99);
}
