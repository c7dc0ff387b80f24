// nn::Unflatten: one axis split into several, the inverse of Flatten (torch.nn.Unflatten).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "nn/module.hpp"

namespace xgrad::nn {

/// Reshapes axis `dim` (negative counts from the end) of the input into `unflattened_size`, whose
/// product must equal that axis's extent: Unflatten(1, {1, 8, 8}) turns (N, 64) into
/// (N, 1, 8, 8). Throws std::invalid_argument for an empty or zero size at construction, and in
/// forward for an axis out of range or an extent the sizes do not multiply to.
class Unflatten : public Module {
 public:
  Unflatten(long dim, std::vector<std::size_t> unflattened_size);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

 private:
  long dim_;
  std::vector<std::size_t> sizes_;
};

}  // namespace xgrad::nn
