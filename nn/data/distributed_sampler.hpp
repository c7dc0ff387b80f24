// data::DistributedSampler: each of several workers' share of a dataset's indices for an epoch,
// disjoint shards of one permutation that every worker draws alike (PyTorch's DistributedSampler).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace xgrad::data {

/// The indices 0..dataset_size-1, permuted per epoch (with shuffle) by a generator seeded from
/// seed and the epoch, so every worker draws the same permutation; then padded by repeating its
/// first indices (or, with drop_last, cut) to a multiple of num_replicas, and dealt out: worker
/// `rank` gets positions rank, rank + num_replicas, ... So the shards are disjoint (apart from the
/// padding), equal in size, and together cover the dataset. Knows nothing of processes: the
/// caller passes its rank and the number of workers.
class DistributedSampler {
 public:
  /// Throws std::invalid_argument for an empty dataset, num_replicas 0, rank >= num_replicas, or
  /// drop_last with fewer samples than workers.
  DistributedSampler(std::size_t dataset_size, std::size_t num_replicas, std::size_t rank,
                     bool shuffle = true, std::uint64_t seed = 0, bool drop_last = false);

  /// Chooses the epoch whose permutation indices() deals out: call it before each epoch, with the
  /// same value on every worker, or every epoch sees the same order.
  void set_epoch(std::uint64_t epoch) { epoch_ = epoch; }
  std::uint64_t epoch() const { return epoch_; }

  /// This worker's indices for the current epoch, size() of them.
  std::vector<std::size_t> indices() const;
  /// The samples per worker in an epoch: ceil(n / replicas), or floor with drop_last.
  std::size_t size() const { return per_replica_; }
  std::size_t num_replicas() const { return num_replicas_; }
  std::size_t rank() const { return rank_; }

 private:
  std::size_t dataset_size_;
  std::size_t num_replicas_;
  std::size_t rank_;
  bool shuffle_;
  std::uint64_t seed_;
  std::size_t per_replica_;
  std::uint64_t epoch_ = 0;
};

}  // namespace xgrad::data
