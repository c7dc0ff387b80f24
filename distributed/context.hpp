// distributed::Context: nn::DistributedContext over a ProcessGroup, so nn::fit and the models'
// fit train data-parallel without seeing MPI.
#pragma once

#include <memory>
#include <vector>

#include "distributed/distributed_data_parallel.hpp"
#include "distributed/process_group.hpp"
#include "nn/distributed_context.hpp"

namespace xgrad::distributed {

/// Pass its address as FitOptions::distributed on every rank: fit() then wraps the model in
/// DistributedDataParallel (with `options`), gives each rank its shard of the data, and averages
/// losses and metrics over ranks.
class Context final : public nn::DistributedContext {
 public:
  explicit Context(ProcessGroup& group, DistributedDataParallelOptions options = {})
      : group_(group), options_(options) {}
  int rank() const override { return group_.rank(); }
  int world_size() const override { return group_.world_size(); }
  void average(std::vector<double>& values) override;
  std::shared_ptr<nn::Module> wrap(nn::Module& model) override;

 private:
  ProcessGroup& group_;
  DistributedDataParallelOptions options_;
};

}  // namespace xgrad::distributed
