// DistributedDataParallel against one process: N ranks with per-rank batch b must train exactly
// as one process with batch N b on the same data order. Every rank computes the single-process
// reference itself (it holds the whole data set) and compares.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "autograd/factory.hpp"
#include "autograd/ops.hpp"
#include "distributed/distributed_data_parallel.hpp"
#include "nn/activation.hpp"
#include "nn/data/dataset.hpp"
#include "nn/data/distributed_sampler.hpp"
#include "nn/linear.hpp"
#include "nn/optim/adam.hpp"
#include "nn/optim/sgd.hpp"
#include "nn/sequential.hpp"
#include "nn/serialize.hpp"

using namespace xgrad;
using namespace xgrad::distributed;

namespace {

std::shared_ptr<nn::Sequential> make_mlp(std::uint64_t seed, Dtype dtype, std::size_t hidden = 16) {
  Generator g(seed);
  return std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(5, hidden, true, nn::Init::kaiming_uniform, g, dtype),
      std::make_shared<nn::Tanh>(),
      std::make_shared<nn::Linear>(hidden, hidden, true, nn::Init::kaiming_uniform, g, dtype),
      std::make_shared<nn::Tanh>(),
      std::make_shared<nn::Linear>(hidden, 3, true, nn::Init::kaiming_uniform, g, dtype)});
}

data::Dataset make_data(std::size_t n, Dtype dtype) {
  Generator g(7);
  return data::Dataset(randn({n, 5}, g, dtype), randn({n, 3}, g, dtype));
}

enum class Opt { sgd_momentum, adam };

std::unique_ptr<optim::Optimizer> make_optimizer(Opt opt, std::vector<Tensor> params) {
  if (opt == Opt::adam) return std::make_unique<optim::Adam>(std::move(params), 0.01);
  return std::make_unique<optim::SGD>(std::move(params), 0.05, 0.9);
}

// The largest |a - b| / max|b| over a parameter, worst over all parameters.
double worst_relative_difference(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const Tensor x = a[i].to(float64), y = b[i].to(float64);
    const auto& xv = x.data<double>();
    const auto& yv = y.data<double>();
    double scale = 0, diff = 0;
    for (std::size_t k = 0; k < xv.size(); ++k) {
      scale = std::max(scale, std::abs(yv.flat(k)));
      diff = std::max(diff, std::abs(xv.flat(k) - yv.flat(k)));
    }
    worst = std::max(worst, diff / std::max(scale, 1e-300));
  }
  return worst;
}

struct Setup {
  Dtype dtype = float64;
  Opt opt = Opt::sgd_momentum;
  DistributedDataParallelOptions ddp;
  bool fused = false;
  std::size_t samples = 23;  // not a multiple of 2 or 3: padding, and a short last batch
  std::size_t batch = 5;
  std::size_t epochs = 2;
};

// Trains with DDP on this rank's shards and the reference on the union of every rank's batches;
// returns the worst relative difference of the final parameters.
double train_both(ProcessGroup& group, const Setup& s) {
  const data::Dataset data = make_data(s.samples, s.dtype);
  const auto n = static_cast<std::size_t>(group.world_size());
  const auto rank = static_cast<std::size_t>(group.rank());

  auto reference = make_mlp(11, s.dtype);
  auto reference_opt = make_optimizer(s.opt, reference->parameters());
  // Each rank starts from other weights: DDP must broadcast rank 0's (seed 11, as the reference).
  auto replica = make_mlp(11 + 100 * rank, s.dtype);
  DistributedDataParallel ddp(replica, group, s.ddp);
  auto opt = make_optimizer(s.opt, ddp.parameters());
  if (s.fused) opt->fuse_into_backward();

  for (std::size_t epoch = 0; epoch < s.epochs; ++epoch) {
    std::vector<std::vector<std::size_t>> shards;
    for (std::size_t r = 0; r < n; ++r) {
      data::DistributedSampler sampler(s.samples, n, r, true, 3);
      sampler.set_epoch(epoch);
      shards.push_back(sampler.indices());
    }
    const std::size_t per_rank = shards[0].size();
    for (std::size_t start = 0; start < per_rank; start += s.batch) {
      const std::size_t stop = std::min(start + s.batch, per_rank);
      std::vector<std::size_t> mine(shards[rank].begin() + start, shards[rank].begin() + stop);
      std::vector<std::size_t> all;
      for (const auto& shard : shards)
        all.insert(all.end(), shard.begin() + start, shard.begin() + stop);

      const data::Batch local = data.get(mine);
      opt->zero_grad();
      mse_loss(ddp(local.x), local.y).backward();
      opt->step();

      const data::Batch global = data.get(all);
      reference_opt->zero_grad();
      mse_loss((*reference)(global.x), global.y).backward();
      reference_opt->step();
    }
  }
  return worst_relative_difference(replica->parameters(), reference->parameters());
}

// One group for the whole run, never destroyed: a static's destructor would run after main's
// Environment finalised MPI.
ProcessGroup& world() {
  static ProcessGroup* group = new ProcessGroup(MPI_COMM_WORLD, std::chrono::seconds(60));
  return *group;
}

}  // namespace

TEST_CASE("N ranks with batch b train as one process with batch N b, float64 to 1e-12",
          "[distributed][ddp]") {
  Setup s;
  SECTION("SGD with momentum, one 25 MB bucket") {
    s.opt = Opt::sgd_momentum;
  }
  SECTION("Adam, one 25 MB bucket") {
    s.opt = Opt::adam;
  }
  SECTION("SGD with momentum, a bucket per parameter, overlapped") {
    s.ddp.bucket_cap_bytes = 1;
  }
  SECTION("Adam, a bucket per parameter, overlapped") {
    s.opt = Opt::adam;
    s.ddp.bucket_cap_bytes = 1;
  }
  SECTION("Adam, small buckets, all sent at the end of backward (no overlap)") {
    s.opt = Opt::adam;
    s.ddp.bucket_cap_bytes = 600;
    s.ddp.overlap = false;
  }
  SECTION("SGD with momentum fused into backward") {
    s.fused = true;
  }
  SECTION("Adam fused into backward, a bucket per parameter") {
    s.opt = Opt::adam;
    s.fused = true;
    s.ddp.bucket_cap_bytes = 1;
  }
  SECTION("SGD with momentum, the weights of 256 and 80 values in place in buckets of their own") {
    s.ddp.own_bucket_bytes = 80 * 8;
  }
  SECTION("Adam fused into backward, the large weights in place, no overlap") {
    s.opt = Opt::adam;
    s.fused = true;
    s.ddp.own_bucket_bytes = 80 * 8;
    s.ddp.overlap = false;
  }
  SECTION("batches of 4: the last one per rank has 4, 0 or 2 samples left") {
    s.batch = 4;
  }
  CHECK(train_both(world(), s) < 1e-12);
}

TEST_CASE("N ranks train as one process in float32 to 1e-5", "[distributed][ddp]") {
  Setup s;
  s.dtype = float32;
  SECTION("SGD with momentum") {
    s.ddp.bucket_cap_bytes = 1000;
  }
  SECTION("Adam") {
    s.opt = Opt::adam;
  }
  CHECK(train_both(world(), s) < 1e-5);
}

TEST_CASE("buckets fill in reverse registration order up to the byte cap", "[distributed][ddp]") {
  auto model = make_mlp(1, float64);  // parameters: 80, 16, 256, 16, 48, 3 values
  DistributedDataParallelOptions options;
  options.bucket_cap_bytes = 300 * 8;
  DistributedDataParallel ddp(model, world(), options);
  CHECK(ddp.bucket_layout() == std::vector<std::vector<std::size_t>>{{5, 4, 3, 2}, {1, 0}});
  options.bucket_cap_bytes = 1;
  DistributedDataParallel per_parameter(make_mlp(1, float64), world(), options);
  CHECK(per_parameter.bucket_layout().size() == 6);
  // A gradient of at least own_bucket_bytes goes alone (and is averaged in place); the next
  // parameter starts a new bucket.
  options.bucket_cap_bytes = 25u << 20;
  options.own_bucket_bytes = 80 * 8;
  DistributedDataParallel own(make_mlp(1, float64), world(), options);
  CHECK(own.bucket_layout() == std::vector<std::vector<std::size_t>>{{5, 4, 3}, {2}, {1}, {0}});
}

TEST_CASE("no_sync accumulates locally and the next backward averages the sum",
          "[distributed][ddp]") {
  ProcessGroup& group = world();
  const auto n = static_cast<std::size_t>(group.world_size());
  const auto rank = static_cast<std::size_t>(group.rank());
  const data::Dataset data = make_data(4 * n, float64);
  auto reference = make_mlp(5, float64);
  DistributedDataParallel ddp(make_mlp(5, float64), group);
  // Two micro-batches of 2 per rank; the reference takes each micro-batch of all ranks at once.
  for (std::size_t micro = 0; micro < 2; ++micro) {
    std::vector<std::size_t> mine, all;
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t k = 0; k < 2; ++k) {
        all.push_back(r * 4 + micro * 2 + k);
        if (r == rank) mine.push_back(r * 4 + micro * 2 + k);
      }
    }
    const data::Batch local = data.get(mine), global = data.get(all);
    if (micro == 0) {
      auto guard = ddp.no_sync();
      mse_loss(ddp(local.x), local.y).backward();
    } else {
      mse_loss(ddp(local.x), local.y).backward();
    }
    mse_loss((*reference)(global.x), global.y).backward();
  }
  std::vector<Tensor> grads, reference_grads;
  for (const Tensor& p : ddp.parameters()) grads.push_back(p.grad());
  for (const Tensor& p : reference->parameters()) reference_grads.push_back(p.grad());
  CHECK(worst_relative_difference(grads, reference_grads) < 1e-12);
}

TEST_CASE("no_sync with an optimizer fused into backward throws", "[distributed][ddp]") {
  DistributedDataParallel ddp(make_mlp(5, float64), world());
  optim::SGD sgd(ddp.parameters(), 0.1);
  sgd.fuse_into_backward();
  auto guard = ddp.no_sync();
  const data::Dataset data = make_data(4, float64);
  CHECK_THROWS_WITH(mse_loss(ddp(data.x()), data.y()).backward(),
                    Catch::Contains("no_sync() cannot accumulate the gradient of '4."));
}

TEST_CASE("a parameter without a gradient is an error, or zero with find_unused_parameters",
          "[distributed][ddp]") {
  // The model's last layer is left out of the loss on every rank.
  auto model = make_mlp(5, float64);
  const data::Dataset data = make_data(4, float64);
  auto partial = [&](nn::Module& m) {
    Tensor h = data.x();
    for (std::size_t i = 0; i < 4; ++i) h = (*(*model)[i])(h);
    (void)m;
    return h.sum();
  };
  {
    DistributedDataParallel ddp(model, world());
    CHECK_THROWS_WITH(partial(ddp).backward(),
                      Catch::Contains("parameters '4.weight', '4.bias' got no "
                                      "gradient in this backward pass on rank"));
  }
  DistributedDataParallelOptions options;
  options.find_unused_parameters = true;
  Tensor first;
  {
    DistributedDataParallel ddp(model, world(), options);
    model->zero_grad();
    partial(ddp).backward();
    CHECK(!(*model)[4]->parameters()[0].grad().defined());
    CHECK((*model)[0]->parameters()[0].grad().defined());
    first = (*model)[0]->parameters()[0].grad().clone();
  }
  // A bucket per parameter: the unused ones are averaged as zeros, the others in place.
  options.bucket_cap_bytes = 1;
  DistributedDataParallel ddp(model, world(), options);
  for (Tensor& p : model->parameters()) p.set_grad(Tensor());
  partial(ddp).backward();
  CHECK(!(*model)[4]->parameters()[0].grad().defined());
  // (Equal up to the order in which the ring sums three ranks' values, which the layout moves.)
  CHECK(worst_relative_difference({(*model)[0]->parameters()[0].grad()}, {first}) < 1e-14);
}

TEST_CASE("models that differ across ranks are refused on every rank", "[distributed][ddp]") {
  ProcessGroup& group = world();
  if (group.world_size() < 2) return;
  const std::size_t hidden = group.rank() == 1 ? 17 : 16;
  CHECK_THROWS_WITH(DistributedDataParallel(make_mlp(1, float64, hidden), group),
                    "DistributedDataParallel: the model differs across ranks: parameter 0 "
                    "('0.weight' here) is float64 (16, 5) on rank 0 but float64 (17, 5) on rank 1");
}

TEST_CASE("a checkpoint saved by rank 0 and loaded by every rank resumes identically",
          "[distributed][ddp]") {
  ProcessGroup& group = world();
  // One path for all ranks: rank 0's process id.
  Tensor pid = zeros({1}, float64);
  pid.data<double>()(0) = ::getpid();
  group.broadcast(pid, 0);
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("xgrad_ddp_checkpoint_" + std::to_string(long(pid.item())) + ".xgrad"))
                               .string();
  auto model = make_mlp(11, float64);
  const data::Dataset data = make_data(12, float64);
  DistributedDataParallel ddp(model, group);
  optim::SGD sgd(ddp.parameters(), 0.05, 0.0);
  auto step = [&] {
    sgd.zero_grad();
    mse_loss(ddp(data.x()), data.y()).backward();
    sgd.step();
  };
  step();
  if (group.rank() == 0) nn::save(*model, path);
  group.barrier();
  step();
  const std::vector<Tensor> uninterrupted = model->parameters();
  std::vector<Tensor> expected;
  for (const Tensor& p : uninterrupted) expected.push_back(p.clone());
  // Every rank loads the checkpoint (as after a restart) and takes the same step again.
  nn::load(*model, path);
  step();
  CHECK(worst_relative_difference(model->parameters(), expected) == 0);
  group.barrier();
  if (group.rank() == 0) std::filesystem::remove(path);
}

namespace {

// A layer with a buffer that each rank changes differently, as running statistics would.
class Tally : public nn::Module {
 public:
  explicit Tally(double start) {
    weight_ = register_parameter("weight", ones({2}, float64));
    tally_ = register_buffer("tally", full({1}, start, float64));
  }
  Tensor forward(const Tensor& x) override { return x * weight_; }
  Tensor tally_, weight_;
};

}  // namespace

TEST_CASE("buffers are rank 0's at construction and before every training forward",
          "[distributed][ddp]") {
  ProcessGroup& group = world();
  auto layer = std::make_shared<Tally>(10.0 + group.rank());
  DistributedDataParallel ddp(layer, group);
  CHECK(layer->tally_.item() == 10.0);
  layer->tally_.data<double>()(0) = 20.0 + group.rank();  // drifts apart, as statistics would
  ddp(ones({3, 2}, float64));
  CHECK(layer->tally_.item() == 20.0);
  ddp.eval();  // not in evaluation
  layer->tally_.data<double>()(0) = 30.0 + group.rank();
  ddp(ones({3, 2}, float64));
  CHECK(layer->tally_.item() == 30.0 + group.rank());
}
