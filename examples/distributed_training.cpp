// Data-parallel training with MPI: the MLP classification demo (make_classification data, or the
// wine CSV) trained by several processes, each on its shard of every epoch, with gradients
// averaged by DistributedDataParallel during backward. Run it as
//   mpirun -np 2 ./build/examples/distributed_training
// Prints each rank's throughput and the share of its step time spent waiting for allreduces; rank
// 0 writes the training history and the trained model to --out.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "autograd/autograd.hpp"
#include "common/cli.hpp"
#include "distributed/context.hpp"
#include "distributed/distributed_data_parallel.hpp"
#include "nn/nn.hpp"

using namespace xgrad;
using namespace xgrad::examples;

namespace {

struct Config {
  std::string dataset = "classification";
  std::string csv = "data/wine.csv";
  std::size_t samples = 20000;
  std::size_t epochs = 20;
  std::size_t batch_size = 64;  // per rank
  double lr = 0.01;
  std::size_t hidden = 64;
  double bucket_mb = 25;
  bool no_overlap = false;
  double timeout = 60;
  std::uint64_t seed = 0;
  std::string out = "out/distributed_training";
};

// x (N, D) standardised, y (N,) class indices, and the number of classes.
std::tuple<Tensor, Tensor, std::size_t> load(const Config& c) {
  Tensor x, y;
  std::size_t classes = 4;
  if (c.dataset == "wine") {
    std::tie(x, y) = data::load_csv(c.csv, "cultivar");
    classes = 3;
  } else {
    Generator g(c.seed + 1);
    const data::Samples s = data::make_classification(c.samples, 12, 6, classes, 2, 1.0, g);
    x = s.x;
    y = s.y;
  }
  return {data::StandardScaler().fit_transform(x), y, classes};
}

int run(const Config& c) {
  distributed::ProcessGroup group(MPI_COMM_WORLD,
                                  std::chrono::milliseconds(static_cast<long>(c.timeout * 1000)));
  const int rank = group.rank(), world = group.world_size();
  const bool root = rank == 0;
  auto [x, y, classes] = load(c);
  const data::TrainTestSplit split = data::train_test_split(x, y, 0.2, c.seed, true);
  const data::Dataset train(split.x_train, split.y_train);
  const data::Dataset validation(split.x_test, split.y_test);

  manual_seed(c.seed);  // the same initial weights everywhere (DDP broadcasts rank 0's anyway)
  auto model = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(x.size(1), c.hidden), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(c.hidden, c.hidden), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(c.hidden, classes)});
  distributed::DistributedDataParallelOptions options;
  options.bucket_cap_bytes = std::max<std::size_t>(1, static_cast<std::size_t>(c.bucket_mb * 1e6));
  options.overlap = !c.no_overlap;
  distributed::DistributedDataParallel ddp(model, group, options);
  optim::Adam adam(ddp.parameters(), c.lr);
  auto sampler =
      std::make_shared<data::DistributedSampler>(train.size(), world, rank, true, c.seed);
  data::DataLoader loader(train, c.batch_size, sampler);

  if (root) {
    std::filesystem::create_directories(c.out);
    std::cout << "distributed_training: " << world << " rank(s), " << c.dataset << " ("
              << train.size() << " training rows, " << loader.size() << " steps of " << world
              << " x " << c.batch_size << " rows per epoch), " << ddp.bucket_layout().size()
              << " bucket(s), overlap " << (options.overlap ? "on" : "off") << "\n";
  }
  std::ofstream history;
  if (root) history.open(c.out + "/history.csv"), history << "epoch,train_loss,val_accuracy\n";
  double step_seconds = 0;
  std::size_t rows = 0;
  for (std::size_t epoch = 1; epoch <= c.epochs; ++epoch) {
    sampler->set_epoch(epoch - 1);
    double loss_sum = 0;
    std::size_t batches = 0;
    for (const data::Batch& batch : loader) {
      const auto start = std::chrono::steady_clock::now();
      adam.zero_grad();
      Tensor loss = cross_entropy(ddp(batch.x), batch.y);
      loss.backward();
      adam.step();
      step_seconds +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      rows += batch.x.size(0);
      loss_sum += loss.item();
      ++batches;
    }
    // The mean loss over every rank's batches; validation is the same on every rank.
    Tensor mean = zeros({1}, float64);
    mean.data<double>()(0) = loss_sum / static_cast<double>(batches);
    group.all_reduce(mean, distributed::ReduceOp::avg);
    double val_accuracy;
    {
      no_grad guard;
      model->eval();
      val_accuracy = metrics::accuracy((*model)(validation.x()), validation.y());
      model->train();
    }
    if (root) {
      history << epoch << ',' << mean.item() << ',' << val_accuracy << '\n';
      if (epoch == 1 || epoch % 5 == 0 || epoch == c.epochs) {
        std::cout << "epoch " << std::setw(3) << epoch << "  train loss " << std::fixed
                  << std::setprecision(4) << mean.item() << "  val accuracy " << val_accuracy
                  << "\n";
      }
    }
  }
  // Each rank's throughput and allreduce share, gathered to rank 0.
  Tensor mine = zeros({2}, float64);
  mine.data<double>()(0) = static_cast<double>(rows) / step_seconds;
  mine.data<double>()(1) = ddp.communication_wait_seconds() / step_seconds;
  const Tensor all = group.all_gather(mine);
  if (root) {
    double total = 0;
    for (int r = 0; r < world; ++r) {
      total += all.data<double>()(r, 0);
      std::cout << "rank " << r << ": " << std::setprecision(0) << all.data<double>()(r, 0)
                << " samples/s, allreduce wait " << std::setprecision(1)
                << 100 * all.data<double>()(r, 1) << "% of step time\n";
    }
    std::cout << "all ranks: " << std::setprecision(0) << total << " samples/s\n";
    nn::save(*model, c.out + "/model.xgrad");
    std::cout << "wrote " << c.out << "/history.csv and " << c.out << "/model.xgrad\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  distributed::Environment environment(argc, argv);
  Config c;
  CLI::App app{"Data-parallel MLP classification over MPI: mpirun -np N distributed_training"};
  app.option_defaults()->always_capture_default();
  app.add_option("--dataset", c.dataset, "classification (make_classification) or wine (CSV)")
      ->check(CLI::IsMember({"classification", "wine"}));
  app.add_option("--csv", c.csv, "the wine CSV file, for --dataset wine");
  app.add_option("--samples", c.samples, "rows of the classification data set")
      ->check(in_range(10, kNoLimit));
  app.add_option("--epochs", c.epochs, "passes over the training data")
      ->check(in_range(1, kNoLimit));
  app.add_option("--batch-size", c.batch_size, "rows per step on each rank")
      ->check(in_range(1, kNoLimit));
  app.add_option("--lr", c.lr, "Adam's learning rate")->check(in_range(0, kNoLimit, true));
  app.add_option("--hidden", c.hidden, "units in each of the two hidden layers")
      ->check(in_range(1, kNoLimit));
  app.add_option("--bucket-mb", c.bucket_mb, "gradient bucket size in MB")
      ->check(in_range(0, kNoLimit, true));
  app.add_flag("--no-overlap", c.no_overlap, "send every bucket at the end of backward");
  app.add_option("--timeout", c.timeout, "seconds a collective may wait for the other ranks")
      ->check(in_range(0, kNoLimit, true));
  app.add_option("--seed", c.seed, "data, split, shuffling and initial weights");
  app.add_option("--out", c.out, "folder for history.csv and model.xgrad (rank 0)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return run(c);
  } catch (const std::exception& e) {
    std::cerr << "distributed_training: " << e.what() << "\n";
    return 1;
  }
}
