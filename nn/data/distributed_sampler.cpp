// data::DistributedSampler: one permutation per epoch, padded or cut, dealt out by rank.
#include "nn/data/distributed_sampler.hpp"

#include <numeric>
#include <stdexcept>
#include <string>

#include "autograd/random.hpp"

namespace xgrad::data {

DistributedSampler::DistributedSampler(std::size_t dataset_size, std::size_t num_replicas,
                                       std::size_t rank, bool shuffle, std::uint64_t seed,
                                       bool drop_last)
    : dataset_size_(dataset_size),
      num_replicas_(num_replicas),
      rank_(rank),
      shuffle_(shuffle),
      seed_(seed) {
  if (dataset_size == 0) throw std::invalid_argument("DistributedSampler: the dataset is empty");
  if (num_replicas == 0) {
    throw std::invalid_argument("DistributedSampler: num_replicas must be at least 1");
  }
  if (rank >= num_replicas) {
    throw std::invalid_argument("DistributedSampler: rank " + std::to_string(rank) +
                                " is not below num_replicas " + std::to_string(num_replicas));
  }
  if (drop_last && dataset_size < num_replicas) {
    throw std::invalid_argument("DistributedSampler: with drop_last, " +
                                std::to_string(dataset_size) + " samples leave none for each of " +
                                std::to_string(num_replicas) + " workers");
  }
  per_replica_ =
      drop_last ? dataset_size / num_replicas : (dataset_size + num_replicas - 1) / num_replicas;
}

std::vector<std::size_t> DistributedSampler::indices() const {
  std::vector<std::size_t> order(dataset_size_);
  std::iota(order.begin(), order.end(), std::size_t{0});
  if (shuffle_) {
    // Fisher-Yates, as DataLoader's, from a stream every worker seeds alike for this epoch.
    Generator generator(seed_ + 0x9E3779B97F4A7C15ull * (epoch_ + 1));
    for (std::size_t i = order.size(); i > 1; --i) {
      const std::size_t j = static_cast<std::size_t>(generator.next() % i);
      std::swap(order[i - 1], order[j]);
    }
  }
  const std::size_t total = per_replica_ * num_replicas_;
  // Padding repeats the order from its start (several times if the dataset is tiny).
  for (std::size_t i = 0; order.size() < total; ++i) order.push_back(order[i]);
  std::vector<std::size_t> shard;
  shard.reserve(per_replica_);
  for (std::size_t i = rank_; i < total; i += num_replicas_) shard.push_back(order[i]);
  return shard;
}

}  // namespace xgrad::data
