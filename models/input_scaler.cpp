// models::InputScaler.
#include "models/input_scaler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "autograd/factory.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"

namespace xgrad::models {

InputScaler::InputScaler(std::size_t features, Normalization normalization, Dtype dtype)
    : normalization_(normalization) {
  shift_ = register_buffer("shift", zeros({features}, dtype));
  scale_ = register_buffer("scale", ones({features}, dtype));
}

void InputScaler::fit(const Tensor& x) {
  const Shape shape = x.shape();
  if (shape.size() != 2 || shape[1] != shift_.numel() || shape[0] == 0) {
    throw std::invalid_argument("InputScaler.fit: x " + format_shape(shape) + " is not (N, " +
                                std::to_string(shift_.numel()) + ") with N > 0");
  }
  const std::size_t rows = shape[0], cols = shape[1];
  std::vector<double> shift(cols), scale(cols);
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const auto& v = x.data<T>();
    double global_low = std::numeric_limits<double>::infinity(), global_high = -global_low;
    for (std::size_t c = 0; c < cols; ++c) {
      double sum = 0, low = std::numeric_limits<double>::infinity(), high = -low;
      for (std::size_t r = 0; r < rows; ++r) {
        const double value = v(r, c);
        sum += value;
        low = std::min(low, value);
        high = std::max(high, value);
      }
      const double mean = sum / static_cast<double>(rows);
      double squares = 0;
      for (std::size_t r = 0; r < rows; ++r) squares += (v(r, c) - mean) * (v(r, c) - mean);
      const double stddev = std::sqrt(squares / static_cast<double>(rows));
      global_low = std::min(global_low, low);
      global_high = std::max(global_high, high);
      switch (normalization_) {
        case Normalization::none:
          shift[c] = 0, scale[c] = 1;
          break;
        case Normalization::standard:  // (x - mean) / std
          shift[c] = mean, scale[c] = stddev > 0 ? 1 / stddev : 1;
          break;
        case Normalization::minmax:  // (x - mid) * 2 / (high - low) spans [-1, 1]
        case Normalization::global_minmax:
          shift[c] = (low + high) / 2, scale[c] = high > low ? 2 / (high - low) : 1;
          break;
      }
    }
    if (normalization_ == Normalization::global_minmax) {
      std::fill(shift.begin(), shift.end(), (global_low + global_high) / 2);
      std::fill(scale.begin(), scale.end(),
                global_high > global_low ? 2 / (global_high - global_low) : 1);
    }
    if (!std::isfinite(global_low) || !std::isfinite(global_high)) {
      throw std::invalid_argument("InputScaler.fit: x holds NaN or infinity");
    }
    for (std::size_t c = 0; c < cols; ++c) {
      shift_.data<T>()(c) = static_cast<T>(shift[c]);
      scale_.data<T>()(c) = static_cast<T>(scale[c]);
    }
  });
}

Tensor InputScaler::forward(const Tensor& x) {
  // Always applied, whatever normalization_ says: a loaded model carries its statistics in the
  // buffers, and none leaves them at shift 0, scale 1.
  return (x - shift_) * scale_;
}

std::string InputScaler::extra_repr() const {
  return std::string("features=") + std::to_string(shift_.numel()) +
         ", normalization=" + normalization_name(normalization_);
}

}  // namespace xgrad::models
