// Normalization layers: checks that name the layer, then one call of the normalization op.
#include "nn/normalization.hpp"

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include "autograd/factory.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"

namespace xgrad::nn {

namespace {

const char* bool_string(bool value) {
  return value ? "true" : "false";
}

void check_input(const std::string& layer, const Tensor& x, Dtype dtype) {
  if (!x.defined()) throw std::invalid_argument(layer + ": input is undefined");
  if (x.dtype() != dtype) {
    throw std::invalid_argument(layer + ": input is " + dtype_name(x.dtype()) + ", layer is " +
                                dtype_name(dtype) + " (convert one with to())");
  }
}

void check_channels(const std::string& layer, const Tensor& x, std::size_t channels) {
  if (x.size(1) != channels) {
    throw std::invalid_argument(layer + ": input of shape " + format_shape(x.shape()) + " has " +
                                std::to_string(x.size(1)) + " channels, layer expects " +
                                std::to_string(channels));
  }
}

void check_eps(const char* layer, double eps) {
  if (!(eps >= 0) || !std::isfinite(eps)) {
    throw std::invalid_argument(std::string(layer) + ": eps must be finite and non-negative, got " +
                                format_number(eps));
  }
}

}  // namespace

BatchNorm::BatchNorm(const char* name, std::size_t min_rank, std::size_t max_rank,
                     std::size_t num_features, double eps, std::optional<double> momentum,
                     bool affine, bool track_running_stats, Dtype dtype)
    : name_(name),
      min_rank_(min_rank),
      max_rank_(max_rank),
      num_features_(num_features),
      eps_(eps),
      momentum_(momentum) {
  if (num_features == 0) {
    throw std::invalid_argument(std::string(name) + ": num_features must be positive");
  }
  check_eps(name, eps);
  if (momentum && !std::isfinite(*momentum)) {
    throw std::invalid_argument(std::string(name) + ": momentum must be finite, got " +
                                format_number(*momentum));
  }
  if (affine) {
    weight = register_parameter("weight", ones({num_features}, dtype));
    bias = register_parameter("bias", zeros({num_features}, dtype));
  }
  if (track_running_stats) {
    running_mean = register_buffer("running_mean", zeros({num_features}, dtype));
    running_var = register_buffer("running_var", ones({num_features}, dtype));
    num_batches_tracked = register_buffer("num_batches_tracked", scalar_tensor(0, int64));
  }
}

Tensor BatchNorm::forward(const Tensor& x) {
  const std::string layer = name_;
  check_input(layer, x,
              running_mean.defined() ? running_mean.dtype()
              : weight.defined()     ? weight.dtype()
                                     : x.dtype());
  if (x.dim() < min_rank_ || x.dim() > max_rank_) {
    const std::string expected = min_rank_ == 2 ? "(N, C) or (N, C, L)" : "(N, C, H, W)";
    throw std::invalid_argument(layer + ": input of shape " + format_shape(x.shape()) +
                                " has rank " + std::to_string(x.dim()) + "; expected " + expected);
  }
  check_channels(layer, x, num_features_);
  const bool batch_stats = is_training() || !running_mean.defined();
  if (batch_stats && x.numel() / num_features_ <= 1) {
    throw std::invalid_argument(layer +
                                ": expected more than 1 value per channel when training, got input "
                                "of shape " +
                                format_shape(x.shape()));
  }
  double factor = momentum_.value_or(0.0);
  if (is_training() && running_mean.defined()) {
    no_grad guard;
    std::int64_t& count = *num_batches_tracked.data<std::int64_t>().data();
    count += 1;
    if (!momentum_) factor = 1.0 / static_cast<double>(count);  // the cumulative average
  }
  return batch_norm(x, running_mean, running_var, weight, bias, is_training(), factor, eps_);
}

std::string BatchNorm::extra_repr() const {
  return std::to_string(num_features_) + ", eps=" + format_number(eps_) +
         ", momentum=" + (momentum_ ? format_number(*momentum_) : std::string("nullopt")) +
         ", affine=" + bool_string(weight.defined()) +
         ", track_running_stats=" + bool_string(running_mean.defined());
}

BatchNorm1d::BatchNorm1d(std::size_t num_features, double eps, std::optional<double> momentum,
                         bool affine, bool track_running_stats, Dtype dtype)
    : BatchNorm("BatchNorm1d", 2, 3, num_features, eps, momentum, affine, track_running_stats,
                dtype) {}

BatchNorm2d::BatchNorm2d(std::size_t num_features, double eps, std::optional<double> momentum,
                         bool affine, bool track_running_stats, Dtype dtype)
    : BatchNorm("BatchNorm2d", 4, 4, num_features, eps, momentum, affine, track_running_stats,
                dtype) {}

LayerNorm::LayerNorm(Shape normalized_shape, double eps, bool elementwise_affine, bool with_bias,
                     Dtype dtype)
    : normalized_shape_(std::move(normalized_shape)),
      eps_(eps),
      elementwise_affine_(elementwise_affine) {
  if (normalized_shape_.empty() || shape_numel(normalized_shape_) == 0) {
    throw std::invalid_argument(
        "LayerNorm: normalized_shape must be non-empty with no zero "
        "extent, got " +
        format_shape(normalized_shape_));
  }
  check_eps("LayerNorm", eps);
  if (elementwise_affine) {
    weight = register_parameter("weight", ones(normalized_shape_, dtype));
    if (with_bias) bias = register_parameter("bias", zeros(normalized_shape_, dtype));
  }
}

LayerNorm::LayerNorm(std::size_t normalized_size, double eps, bool elementwise_affine,
                     bool with_bias, Dtype dtype)
    : LayerNorm(Shape{normalized_size}, eps, elementwise_affine, with_bias, dtype) {}

Tensor LayerNorm::forward(const Tensor& x) {
  check_input("LayerNorm", x, weight.defined() ? weight.dtype() : x.dtype());
  const Shape shape = x.shape();
  const std::size_t k = normalized_shape_.size();
  if (shape.size() < k ||
      Shape(shape.end() - static_cast<std::ptrdiff_t>(k), shape.end()) != normalized_shape_) {
    throw std::invalid_argument("LayerNorm: input of shape " + format_shape(shape) +
                                " does not end in normalized_shape " +
                                format_shape(normalized_shape_));
  }
  return layer_norm(x, normalized_shape_, weight, bias, eps_);
}

std::string LayerNorm::extra_repr() const {
  return format_shape(normalized_shape_) + ", eps=" + format_number(eps_) +
         ", elementwise_affine=" + bool_string(elementwise_affine_) +
         (elementwise_affine_ && !bias.defined() ? ", bias=false" : "");
}

GroupNorm::GroupNorm(std::size_t num_groups, std::size_t num_channels, double eps, bool affine,
                     Dtype dtype)
    : num_groups_(num_groups), num_channels_(num_channels), eps_(eps), affine_(affine) {
  if (num_groups == 0 || num_channels == 0 || num_channels % num_groups != 0) {
    throw std::invalid_argument("GroupNorm: num_channels " + std::to_string(num_channels) +
                                " must be a positive multiple of num_groups " +
                                std::to_string(num_groups));
  }
  check_eps("GroupNorm", eps);
  if (affine) {
    weight = register_parameter("weight", ones({num_channels}, dtype));
    bias = register_parameter("bias", zeros({num_channels}, dtype));
  }
}

Tensor GroupNorm::forward(const Tensor& x) {
  check_input("GroupNorm", x, weight.defined() ? weight.dtype() : x.dtype());
  if (x.dim() < 2) {
    throw std::invalid_argument("GroupNorm: input of shape " + format_shape(x.shape()) +
                                " has rank " + std::to_string(x.dim()) +
                                "; expected (N, C, ...) with rank at least 2");
  }
  check_channels("GroupNorm", x, num_channels_);
  return group_norm(x, num_groups_, weight, bias, eps_);
}

std::string GroupNorm::extra_repr() const {
  return std::to_string(num_groups_) + ", " + std::to_string(num_channels_) +
         ", eps=" + format_number(eps_) + ", affine=" + bool_string(affine_);
}

}  // namespace xgrad::nn
