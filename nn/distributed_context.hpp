// nn::DistributedContext: what the training loop needs from data-parallel workers, with no
// knowledge of how they talk (distributed/ implements it over MPI; nn/ never sees MPI).
#pragma once

#include <memory>
#include <vector>

#include "nn/module.hpp"

namespace xgrad::nn {

/// One worker of a data-parallel run, as fit() sees it. Every call that communicates must be made
/// by every worker, in the same order.
class DistributedContext {
 public:
  virtual ~DistributedContext() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  /// The worker that prints, plots and writes checkpoints.
  bool is_root() const { return rank() == 0; }
  /// Replaces each value by its mean over the workers.
  virtual void average(std::vector<double>& values) = 0;
  /// `model` wrapped so that its backward passes average gradients over the workers, its
  /// parameters first made equal to the root's. The wrapper refers to `model`, which must outlive
  /// it; while it lives, `model`'s parameters belong to it.
  virtual std::shared_ptr<Module> wrap(Module& model) = 0;
};

}  // namespace xgrad::nn
