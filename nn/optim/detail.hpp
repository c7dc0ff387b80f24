// Internal: what the optimizers and schedulers share. Hyperparameter checks whose messages name the
// optimizer, the argument and the value, and lazily allocated per-parameter state buffers.
// Included only by sources in nn/optim.
#pragma once

#include <cstddef>
#include <string>

#include "autograd/tensor.hpp"

namespace xgrad::optim::detail {

/// Throws std::invalid_argument "<who>: <argument> must be finite and >= 0, got <value>".
void check_non_negative(const std::string& who, const char* argument, double value);
/// Throws std::invalid_argument "<who>: <argument> must be finite and > 0, got <value>".
void check_positive(const std::string& who, const char* argument, double value);
/// Throws std::invalid_argument "<who>: <argument> must be in [0, 1), got <value>" ([0, 1] when
/// one_allowed).
void check_fraction(const std::string& who, const char* argument, double value, bool one_allowed);

/// The state buffer of parameter `index`: on first use (buffer undefined) it becomes zeros like
/// `param` and the call returns true. Later calls check the buffer still matches the parameter and
/// throw std::runtime_error if the parameter changed dtype or shape (set_data, Module::to) after
/// the optimizer's first step.
bool ensure_state(const std::string& who, std::size_t index, Tensor& buffer, const Tensor& param);

}  // namespace xgrad::optim::detail
