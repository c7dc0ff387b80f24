// distributed::DistributedDataParallel: an nn::Module wrapper that keeps replicas of a model in
// step across ranks by averaging gradients in buckets during backward, as PyTorch's
// DistributedDataParallel and Horovod's DistributedOptimizer do.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "distributed/process_group.hpp"
#include "nn/module.hpp"

namespace xgrad::distributed {

struct DistributedDataParallelOptions {
  /// A bucket closes when it holds at least this many bytes of gradients (PyTorch's 25 MB); 1
  /// gives one bucket per parameter.
  std::size_t bucket_cap_bytes = 25u << 20;
  /// A parameter whose gradient has at least this many bytes gets a bucket of its own. A bucket of
  /// one parameter is averaged in place, in the gradient itself: no copy into a bucket buffer and
  /// back (what PyTorch's gradient_as_bucket_view saves by making gradients views of the buffer).
  /// From a few hundred KB up one more message costs less than those two passes over the values.
  std::size_t own_bucket_bytes = 256u << 10;
  /// Start each bucket's allreduce as soon as its gradients are complete (overlapping the rest of
  /// backward); false starts them all when the backward pass ends.
  bool overlap = true;
  /// Parameters that get no gradient in a pass count as zero there (their bucket goes out when the
  /// pass ends); off, such a parameter is an error naming it.
  bool find_unused_parameters = false;
  /// Copy rank 0's buffers (running statistics, say) to every rank before each training forward.
  bool broadcast_buffers = true;
};

/// Wraps `module` (registered as the child "module", so state_dict keys read "module.fc1.weight").
/// At construction compares the parameters' count, dtypes and shapes across ranks (throwing
/// std::invalid_argument on every rank, naming the first difference, if they differ) and copies
/// rank 0's parameters and buffers to every rank. During each plain backward() every parameter's
/// complete gradient is copied into its bucket (buckets filled in reverse registration order, the
/// order backward produces them; a bucket of one parameter uses the gradient itself); a full
/// bucket is averaged over ranks with a non-blocking allreduce while backward goes on, and when
/// the pass ends every bucket is waited for and the averaged gradients are written back: into
/// .grad(), or handed to the optimizer step fused into backward. So any optimizer, fused or not,
/// sees the gradient of the mean loss over all ranks' samples. A parameter may not have another
/// post-accumulate-grad hook.
class DistributedDataParallel : public nn::Module {
 public:
  DistributedDataParallel(std::shared_ptr<nn::Module> module, ProcessGroup& group,
                          DistributedDataParallelOptions options = {});
  ~DistributedDataParallel() override;

  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "DistributedDataParallel"; }
  std::string extra_repr() const override;

  nn::Module& module() { return *module_; }
  ProcessGroup& process_group() { return group_; }
  const DistributedDataParallelOptions& options() const { return options_; }
  /// The buckets as lists of parameter indices (into parameters()), in the order they go out.
  std::vector<std::vector<std::size_t>> bucket_layout() const;

  /// While alive, backward passes only accumulate into .grad() (no communication); the first
  /// backward after it ends averages the accumulated sum, as PyTorch's no_sync(). With an optimizer
  /// step fused into backward, that backward throws std::runtime_error (each rank would step on
  /// its own gradient).
  class NoSync {
   public:
    explicit NoSync(DistributedDataParallel& ddp) : ddp_(ddp), previous_(ddp.sync_) {
      ddp.sync_ = false;
    }
    ~NoSync() { ddp_.sync_ = previous_; }
    NoSync(const NoSync&) = delete;
    NoSync& operator=(const NoSync&) = delete;

   private:
    DistributedDataParallel& ddp_;
    bool previous_;
  };
  NoSync no_sync() { return NoSync(*this); }

  /// Seconds spent waiting for allreduces at the ends of backward passes, since construction (the
  /// part of communication that did not overlap computation).
  double communication_wait_seconds() const { return wait_seconds_; }

 private:
  class Hook;
  struct Bucket {
    Dtype dtype;
    std::vector<std::size_t> params;  // indices into params_
    Tensor buffer;  // 1-D, the bucket's gradients back to back; for one parameter, made only
                    // when it got no gradient (its gradient is reduced in place)
    std::size_t pending = 0;  // gradients still to arrive in this pass
    Work work;
    bool launched = false;
  };
  struct Slot {
    std::size_t bucket, offset;
    Tensor grad;  // this pass's gradient tensor, written back when the bucket is averaged
  };

  void check_same_structure();
  void broadcast_state();
  void build_buckets();
  void on_gradient(std::size_t index, const Tensor& grad);
  void launch_ready();
  void launch(Bucket& bucket);
  void finish_pass();
  void reset_pass();

  std::shared_ptr<nn::Module> module_;
  ProcessGroup& group_;
  DistributedDataParallelOptions options_;
  std::vector<Tensor> params_;
  std::vector<std::string> names_;
  std::vector<Bucket> buckets_;
  std::vector<Slot> slots_;
  std::size_t next_launch_ = 0;  // buckets go out in order, the same on every rank
  bool in_pass_ = false;
  bool sync_ = true;
  double wait_seconds_ = 0;
};

}  // namespace xgrad::distributed
