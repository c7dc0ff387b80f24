// Names of the element types.
#include "autograd/dtype.hpp"

namespace xgrad {

const char* dtype_name(Dtype dtype) {
  switch (dtype) {
    case Dtype::float32:
      return "float32";
    case Dtype::float64:
      return "float64";
    case Dtype::int64:
      return "int64";
    case Dtype::boolean:
      break;
  }
  return "bool";
}

namespace detail {

void throw_not_floating(Dtype dtype) {
  throw std::invalid_argument(std::string("expected a floating-point tensor (float32 or float64), "
                                          "got ") +
                              dtype_name(dtype) + "; convert it with to()");
}

}  // namespace detail

}  // namespace xgrad
