// Normalization layers: BatchNorm1d, BatchNorm2d, LayerNorm and GroupNorm, with PyTorch's
// constructor arguments, parameter and buffer names, shapes and initialisation (weight ones, bias
// zeros, running_mean zeros, running_var ones), so their state dicts interchange with PyTorch's.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "nn/module.hpp"

namespace xgrad::nn {

/// What BatchNorm1d and BatchNorm2d share; they differ only in the input ranks they accept.
/// Parameters weight, bias (num_features,) when affine; buffers running_mean, running_var
/// (num_features,) and num_batches_tracked (an int64 scalar, as PyTorch's; Module::to leaves it
/// int64) when track_running_stats.
///
/// In training mode the batch statistics normalize and (when tracked) the running statistics are
/// updated: running = (1 - momentum) running + momentum batch, the variance unbiased; with
/// momentum std::nullopt, the cumulative average (momentum 1 / num_batches_tracked). In
/// evaluation mode the running statistics normalize (the batch's if they are not tracked).
class BatchNorm : public Module {
 public:
  /// x (N, C, ...) -> the same shape. Throws std::invalid_argument naming the layer for an input of
  /// the wrong rank, channel count or dtype, and in training mode for a batch of one value per
  /// channel: "BatchNorm1d: expected more than 1 value per channel when training, got input of
  /// shape (1, 3)".
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  std::size_t num_features() const { return num_features_; }

  Tensor weight;               // (num_features,), ones; undefined unless affine
  Tensor bias;                 // (num_features,), zeros; undefined unless affine
  Tensor running_mean;         // (num_features,), zeros; undefined unless track_running_stats
  Tensor running_var;          // (num_features,), ones; undefined unless track_running_stats
  Tensor num_batches_tracked;  // () int64, 0; undefined unless track_running_stats

 protected:
  BatchNorm(const char* name, std::size_t min_rank, std::size_t max_rank, std::size_t num_features,
            double eps, std::optional<double> momentum, bool affine, bool track_running_stats,
            Dtype dtype);

 private:
  const char* name_;
  std::size_t min_rank_, max_rank_;
  std::size_t num_features_;
  double eps_;
  std::optional<double> momentum_;
};

/// Batch normalization of (N, C) or (N, C, L) inputs over N (and L).
class BatchNorm1d : public BatchNorm {
 public:
  explicit BatchNorm1d(std::size_t num_features, double eps = 1e-5,
                       std::optional<double> momentum = 0.1, bool affine = true,
                       bool track_running_stats = true, Dtype dtype = float32);
};

/// Batch normalization of (N, C, H, W) inputs over N, H and W.
class BatchNorm2d : public BatchNorm {
 public:
  explicit BatchNorm2d(std::size_t num_features, double eps = 1e-5,
                       std::optional<double> momentum = 0.1, bool affine = true,
                       bool track_running_stats = true, Dtype dtype = float32);
};

/// Normalizes each sample over its last normalized_shape.size() axes (see layer_norm). Parameters
/// weight (ones) and bias (zeros) of shape normalized_shape when elementwise_affine (bias only if
/// `bias` too).
class LayerNorm : public Module {
 public:
  explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool elementwise_affine = true,
                     bool bias = true, Dtype dtype = float32);
  explicit LayerNorm(std::size_t normalized_size, double eps = 1e-5, bool elementwise_affine = true,
                     bool bias = true, Dtype dtype = float32);
  /// Throws std::invalid_argument "LayerNorm: input of shape (2, 5) does not end in
  /// normalized_shape (4,)" and for a dtype that differs from the layer's.
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  Tensor weight;  // normalized_shape, ones; undefined unless elementwise_affine
  Tensor bias;    // normalized_shape, zeros; undefined unless elementwise_affine and bias

 private:
  Shape normalized_shape_;
  double eps_;
  bool elementwise_affine_;
};

/// Normalizes each (sample, group of num_channels / num_groups channels) of (N, C, ...) inputs
/// (see group_norm). Parameters weight (ones) and bias (zeros) of shape (num_channels,) when
/// affine. The constructor throws std::invalid_argument unless num_groups divides num_channels.
class GroupNorm : public Module {
 public:
  GroupNorm(std::size_t num_groups, std::size_t num_channels, double eps = 1e-5, bool affine = true,
            Dtype dtype = float32);
  /// Throws std::invalid_argument naming the layer for rank < 2, a channel count other than
  /// num_channels, or a dtype that differs from the layer's.
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  Tensor weight;  // (num_channels,), ones; undefined unless affine
  Tensor bias;    // (num_channels,), zeros; undefined unless affine

 private:
  std::size_t num_groups_;
  std::size_t num_channels_;
  double eps_;
  bool affine_;
};

}  // namespace xgrad::nn
