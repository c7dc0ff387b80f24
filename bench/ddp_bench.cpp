// Data-parallel throughput: mlp_large (784-1024-1024-10, batch 256) or mlp_small (2-64-64-3,
// batch 32) trained with plain SGD through DistributedDataParallel, the global batch split over
// the ranks (strong scaling: N ranks x batch/N rows per step; --batch N*256 keeps 256 rows per
// rank, weak scaling as Horovod measures it). One JSON line per run from rank 0:
//   mpirun -np 2 ddp_bench --workload mlp_large --threads 1
//   ddp_bench --workload mlp_large --threads 2          (one rank: the baseline)
//   mpirun -np 2 ddp_bench --workload mlp_large --batch 512   (weak scaling)
#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "autograd/autograd.hpp"
#include "autograd/threads.hpp"
#include "distributed/distributed_data_parallel.hpp"
#include "nn/nn.hpp"

using namespace xgrad;

namespace {

struct Workload {
  std::vector<std::size_t> sizes;
  std::size_t batch;  // global rows per step
  double lr;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  distributed::Environment environment(argc, argv);
  std::string workload = "mlp_large";
  std::size_t steps = 50, reps = 3, threads = 1, batch = 0;
  double bucket_mb = 25, own_bucket_mb = 0.25;
  bool overlap = true, zero_fill = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--workload")
      workload = next();
    else if (a == "--steps")
      steps = std::stoul(next());
    else if (a == "--reps")
      reps = std::stoul(next());
    else if (a == "--batch")
      batch = std::stoul(next());
    else if (a == "--threads")
      threads = std::stoul(next());
    else if (a == "--bucket-mb")
      bucket_mb = std::stod(next());
    else if (a == "--own-bucket-mb")
      own_bucket_mb = std::stod(next());
    else if (a == "--no-overlap")
      overlap = false;
    else if (a == "--zero-fill")
      zero_fill = true;
    else {
      std::cerr << "usage: [mpirun -np N] ddp_bench [--workload mlp_large|mlp_small] [--steps S]"
                   " [--reps R] [--threads T] [--batch GLOBAL_ROWS] [--bucket-mb MB] "
                   "[--own-bucket-mb MB] [--no-overlap]"
                   " [--zero-fill]\n";
      return a == "--help" ? 0 : 2;
    }
  }
  Workload w = workload == "mlp_small" ? Workload{{2, 64, 64, 3}, 32, 0.1}
                                       : Workload{{784, 1024, 1024, 10}, 256, 0.01};
  if (batch) w.batch = batch;
  set_num_threads(static_cast<int>(threads));
  distributed::ProcessGroup group;
  const auto ranks = static_cast<std::size_t>(group.world_size());
  if (w.batch % ranks != 0) {
    std::cerr << "ddp_bench: batch " << w.batch << " does not split over " << ranks << " ranks\n";
    return 2;
  }
  const std::size_t rows = w.batch / ranks;
  Generator g(100 + group.rank());
  const Tensor x = randn({rows, w.sizes.front()}, g);
  std::vector<std::int64_t> y(rows);
  for (std::size_t i = 0; i < rows; ++i) y[i] = static_cast<std::int64_t>(i % w.sizes.back());

  std::vector<double> seconds, waits;
  double final_loss = 0;
  for (std::size_t rep = 0; rep < reps; ++rep) {
    manual_seed(7);
    auto model = std::make_shared<nn::Sequential>();
    for (std::size_t l = 0; l + 1 < w.sizes.size(); ++l) {
      if (l) model->push_back(std::make_shared<nn::ReLU>());
      model->push_back(std::make_shared<nn::Linear>(w.sizes[l], w.sizes[l + 1]));
    }
    distributed::DistributedDataParallelOptions options;
    options.bucket_cap_bytes = std::max<std::size_t>(1, static_cast<std::size_t>(bucket_mb * 1e6));
    options.own_bucket_bytes =
        std::max<std::size_t>(1, static_cast<std::size_t>(own_bucket_mb * (1 << 20)));
    options.overlap = overlap;
    distributed::DistributedDataParallel ddp(model, group, options);
    optim::SGD sgd(ddp.parameters(), w.lr);
    group.barrier();
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t s = 0; s < steps; ++s) {
      sgd.zero_grad(/*set_to_none=*/!zero_fill);
      Tensor loss = cross_entropy(ddp(x), y);
      loss.backward();
      sgd.step();
      if (s + 1 == steps) final_loss = loss.item();
    }
    group.barrier();
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    waits.push_back(ddp.communication_wait_seconds());
  }
  if (group.rank() == 0) {
    const double t = median(seconds);
    std::cout << "{\"program\": \"ddp_bench\", \"workload\": \"" << workload
              << "\", \"ranks\": " << ranks << ", \"batch\": " << w.batch
              << ", \"threads\": " << threads << ", \"bucket_mb\": " << bucket_mb
              << ", \"own_bucket_mb\": " << own_bucket_mb
              << ", \"overlap\": " << (overlap ? "true" : "false")
              << ", \"zero_fill\": " << (zero_fill ? "true" : "false") << ", \"steps\": " << steps
              << ", \"median_seconds\": " << t
              << ", \"samples_per_s\": " << static_cast<double>(steps * w.batch) / t
              << ", \"allreduce_wait_share\": " << median(waits) / t
              << ", \"final_loss_rank0\": " << final_loss << "}" << std::endl;
  }
  return 0;
}
