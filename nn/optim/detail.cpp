// Internal helpers of the optimizers and schedulers: argument checks and state buffers.
#include "nn/optim/detail.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "autograd/factory.hpp"

namespace xgrad::optim::detail {

void check_non_negative(const std::string& who, const char* argument, double value) {
  if (!(value >= 0) || !std::isfinite(value)) {
    throw std::invalid_argument(who + ": " + argument + " must be finite and >= 0, got " +
                                format_number(value));
  }
}

void check_positive(const std::string& who, const char* argument, double value) {
  if (!(value > 0) || !std::isfinite(value)) {
    throw std::invalid_argument(who + ": " + argument + " must be finite and > 0, got " +
                                format_number(value));
  }
}

void check_fraction(const std::string& who, const char* argument, double value, bool one_allowed) {
  if (!(value >= 0 && (one_allowed ? value <= 1 : value < 1))) {
    throw std::invalid_argument(who + ": " + argument + " must be in [0, 1" +
                                (one_allowed ? "]" : ")") + ", got " + format_number(value));
  }
}

bool ensure_state(const std::string& who, std::size_t index, Tensor& buffer, const Tensor& param) {
  if (!buffer.defined()) {
    buffer = zeros(param.shape(), param.dtype());
    return true;
  }
  if (buffer.dtype() != param.dtype() || buffer.shape() != param.shape()) {
    throw std::runtime_error(who + ": parameter " + std::to_string(index) + " is now " +
                             dtype_name(param.dtype()) + " " + format_shape(param.shape()) +
                             " but its optimizer state is " + dtype_name(buffer.dtype()) + " " +
                             format_shape(buffer.shape()) +
                             "; convert the model before creating the optimizer");
  }
  return false;
}

}  // namespace xgrad::optim::detail
