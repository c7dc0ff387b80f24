// The element types a Tensor can hold, chosen at run time: float32 for speed, float64 for checks.
#pragma once

#include <string>

namespace xgrad {

enum class Dtype { float32, float64 };

inline constexpr Dtype float32 = Dtype::float32;
inline constexpr Dtype float64 = Dtype::float64;

/// "float32" or "float64".
const char* dtype_name(Dtype dtype);

/// The Dtype of a C++ element type: dtype_of<float>() == float32.
template <class T>
constexpr Dtype dtype_of();
template <>
constexpr Dtype dtype_of<float>() {
  return Dtype::float32;
}
template <>
constexpr Dtype dtype_of<double>() {
  return Dtype::float64;
}

/// Calls f(float{}) or f(double{}) for the dtype, so one generic lambda serves both element
/// types. Library sources use it to instantiate each kernel exactly twice.
template <class F>
decltype(auto) dispatch(Dtype dtype, F&& f) {
  if (dtype == Dtype::float32) return f(float{});
  return f(double{});
}

}  // namespace xgrad
