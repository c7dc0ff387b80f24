// data::Dataset and data::DataLoader.
#include "nn/data/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

#include "autograd/ops.hpp"

namespace xgrad::data {

Dataset::Dataset(Tensor x, Tensor y) : x_(std::move(x)), y_(std::move(y)) {
  if (!x_.defined() || !y_.defined()) throw std::invalid_argument("Dataset: x or y is undefined");
  if (x_.dim() == 0 || y_.dim() == 0) {
    throw std::invalid_argument("Dataset: x " + format_shape(x_.shape()) + " and y " +
                                format_shape(y_.shape()) + " need a row axis");
  }
  if (x_.size(0) != y_.size(0)) {
    throw std::invalid_argument("Dataset: x has " + std::to_string(x_.size(0)) + " rows, y has " +
                                std::to_string(y_.size(0)));
  }
  if (x_.size(0) == 0) throw std::invalid_argument("Dataset: no samples");
  for (const Tensor* t : {&x_, &y_}) {
    if (!is_floating_point(t->dtype())) continue;  // int64 labels and bool masks are all finite
    dispatch(t->dtype(), [&](auto tag) {
      using T = decltype(tag);
      const auto& values = t->data<T>();
      const std::size_t row_size = values.size() / values.shape()[0];
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (!std::isfinite(values.data()[i])) {
          throw std::invalid_argument(std::string("Dataset: ") + (t == &x_ ? "x" : "y") +
                                      " holds " + std::to_string(values.data()[i]) + " at row " +
                                      std::to_string(i / row_size) + ", column " +
                                      std::to_string(i % row_size));
        }
      }
    });
  }
}

Batch Dataset::get(const std::vector<std::size_t>& indices) const {
  return {index_select(x_, 0, indices), index_select(y_, 0, indices)};
}

DataLoader::DataLoader(Dataset dataset, std::size_t batch_size, bool shuffle, std::uint64_t seed,
                       bool drop_last)
    : dataset_(std::move(dataset)),
      batch_size_(batch_size),
      shuffle_(shuffle),
      drop_last_(drop_last),
      generator_(seed) {
  if (batch_size == 0) throw std::invalid_argument("DataLoader: batch_size must be at least 1");
  if (dataset_.size() == 0) throw std::invalid_argument("DataLoader: the dataset is empty");
}

DataLoader::DataLoader(Dataset dataset, std::size_t batch_size,
                       std::shared_ptr<DistributedSampler> sampler, bool drop_last)
    : DataLoader(std::move(dataset), batch_size, false, 0, drop_last) {
  if (!sampler) throw std::invalid_argument("DataLoader: the sampler is null");
  const std::size_t covered = sampler->size() * sampler->num_replicas();
  if (covered < dataset_.size() - (dataset_.size() % sampler->num_replicas()) ||
      covered > dataset_.size() + sampler->num_replicas() - 1) {
    throw std::invalid_argument("DataLoader: the sampler deals " + std::to_string(covered) +
                                " samples, the dataset has " + std::to_string(dataset_.size()));
  }
  sampler_ = std::move(sampler);
}

std::size_t DataLoader::size() const {
  const std::size_t n = sampler_ ? sampler_->size() : dataset_.size();
  return drop_last_ ? n / batch_size_ : (n + batch_size_ - 1) / batch_size_;
}

std::vector<std::vector<std::size_t>> DataLoader::epoch_indices() {
  std::vector<std::size_t> order(sampler_ ? 0 : dataset_.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  if (sampler_) order = sampler_->indices();
  if (shuffle_) {
    // Fisher-Yates with the loader's own generator: the same seed gives the same epochs.
    for (std::size_t i = order.size(); i > 1; --i) {
      const std::size_t j = static_cast<std::size_t>(generator_.next() % i);
      std::swap(order[i - 1], order[j]);
    }
  }
  std::vector<std::vector<std::size_t>> batches;
  for (std::size_t start = 0; start < order.size(); start += batch_size_) {
    const std::size_t stop = std::min(start + batch_size_, order.size());
    if (drop_last_ && stop - start < batch_size_) break;
    batches.emplace_back(order.begin() + static_cast<long>(start),
                         order.begin() + static_cast<long>(stop));
  }
  return batches;
}

DataLoader::Iterator::Iterator(const DataLoader* loader,
                               std::vector<std::vector<std::size_t>> batches, std::size_t position)
    : loader_(loader), batches_(std::move(batches)), position_(position) {}

Batch DataLoader::Iterator::operator*() const {
  return loader_->dataset_.get(batches_[position_]);
}

DataLoader::Iterator DataLoader::begin() {
  return Iterator(this, epoch_indices(), 0);
}
DataLoader::Iterator DataLoader::end() {
  return Iterator(this, {}, size());
}

}  // namespace xgrad::data
