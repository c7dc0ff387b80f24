// Internal: stride computations shared by the broadcasting and reduction kernels.
#include "autograd/ops/kernels.hpp"

namespace xgrad::kernels {

Strides contiguous_strides(ShapeRef shape) {
  Strides strides(shape.size(), 1);
  for (std::size_t d = shape.size(); d-- > 1;) strides[d - 1] = strides[d] * shape[d];
  return strides;
}

Strides broadcast_strides(ShapeRef from, ShapeRef to) {
  const Strides own = contiguous_strides(from);
  const std::size_t lead = to.size() - from.size();
  Strides strides(to.size(), 0);
  for (std::size_t d = 0; d < from.size(); ++d) {
    strides[lead + d] = from[d] == 1 ? 0 : own[d];
  }
  return strides;
}

}  // namespace xgrad::kernels
