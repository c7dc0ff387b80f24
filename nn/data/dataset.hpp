// data::Dataset and data::DataLoader: samples held as tensors, served in (optionally shuffled)
// mini-batches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "nn/data/distributed_sampler.hpp"

#include "autograd/random.hpp"
#include "autograd/tensor.hpp"

namespace xgrad::data {

/// A mini-batch: rows of the inputs and the matching rows of the targets.
struct Batch {
  Tensor x;
  Tensor y;
};

/// Inputs x of shape (N, ...) and targets y of shape (N, ...) (or (N,)), row i being sample i.
class Dataset {
 public:
  Dataset() = default;
  /// Throws std::invalid_argument when x and y differ in rows, when there are no rows, or when x
  /// or y holds NaN or Inf (naming the row and column of the first one).
  Dataset(Tensor x, Tensor y);

  std::size_t size() const { return x_.defined() ? x_.size(0) : 0; }
  const Tensor& x() const { return x_; }
  const Tensor& y() const { return y_; }
  /// The samples at `indices`, in that order. Throws std::out_of_range for an index past the end.
  Batch get(const std::vector<std::size_t>& indices) const;

 private:
  Tensor x_;
  Tensor y_;
};

/// Serves a dataset in batches of batch_size rows; the last batch is smaller unless drop_last.
/// With shuffle, every epoch (every begin()) draws a new permutation from a generator seeded by
/// `seed`, so a run reproduces. Every sample is served exactly once per epoch.
class DataLoader {
 public:
  /// Throws std::invalid_argument for batch_size 0 or an empty dataset.
  DataLoader(Dataset dataset, std::size_t batch_size, bool shuffle = false, std::uint64_t seed = 0,
             bool drop_last = false);

  /// Serves this worker's shard of the dataset (sampler's indices, in its order) in batches of
  /// batch_size: each worker of a data-parallel run makes one with its own rank. Call
  /// sampler->set_epoch(e) before each epoch for a new permutation. Throws std::invalid_argument
  /// for batch_size 0, an empty dataset, a null sampler, or a sampler of another dataset size.
  DataLoader(Dataset dataset, std::size_t batch_size, std::shared_ptr<DistributedSampler> sampler,
             bool drop_last = false);

  /// The number of batches in an epoch.
  std::size_t size() const;
  std::size_t batch_size() const { return batch_size_; }
  const Dataset& dataset() const { return dataset_; }

  /// Starts an epoch: draws the order (when shuffling) and returns the batch indices.
  std::vector<std::vector<std::size_t>> epoch_indices();

  class Iterator {
   public:
    Iterator(const DataLoader* loader, std::vector<std::vector<std::size_t>> batches,
             std::size_t position);
    Batch operator*() const;
    Iterator& operator++() {
      ++position_;
      return *this;
    }
    bool operator!=(const Iterator& other) const { return position_ != other.position_; }

   private:
    const DataLoader* loader_;
    std::vector<std::vector<std::size_t>> batches_;
    std::size_t position_;
  };
  /// `for (const data::Batch& batch : loader)` runs one epoch.
  Iterator begin();
  Iterator end();

 private:
  Dataset dataset_;
  std::size_t batch_size_;
  bool shuffle_;
  bool drop_last_;
  Generator generator_;
  std::shared_ptr<DistributedSampler> sampler_;  // null: the whole dataset
};

}  // namespace xgrad::data
