// Names of the element types.
#include "autograd/dtype.hpp"

namespace xgrad {

const char* dtype_name(Dtype dtype) {
  return dtype == Dtype::float32 ? "float32" : "float64";
}

}  // namespace xgrad
