// The element types a Tensor can hold, chosen at run time: float32 for speed, float64 for checks,
// int64 for indices and class labels, bool for masks.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace xgrad {

/// In the order of the alternatives of detail::Storage.
enum class Dtype { float32, float64, int64, boolean };

inline constexpr Dtype float32 = Dtype::float32;
inline constexpr Dtype float64 = Dtype::float64;
inline constexpr Dtype int64 = Dtype::int64;
/// `bool` is a keyword, so the mask dtype is `boolean` (torch.bool, libtorch's kBool).
inline constexpr Dtype boolean = Dtype::boolean;

/// "float32", "float64", "int64" or "bool".
const char* dtype_name(Dtype dtype);

/// float32 or float64: the dtypes that can carry gradients.
constexpr bool is_floating_point(Dtype dtype) {
  return dtype == Dtype::float32 || dtype == Dtype::float64;
}

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
template <>
constexpr Dtype dtype_of<std::int64_t>() {
  return Dtype::int64;
}
template <>
constexpr Dtype dtype_of<bool>() {
  return Dtype::boolean;
}

namespace detail {
[[noreturn]] void throw_not_floating(Dtype dtype);
}  // namespace detail

/// Calls f(float{}) or f(double{}) for a floating-point dtype, so one generic lambda serves both
/// element types; library sources use it to instantiate each floating-point kernel exactly twice.
/// Ops that take other dtypes check first and name themselves (kernels::check_floating); this
/// throws std::invalid_argument for int64 and bool only as a last line of defence.
template <class F>
decltype(auto) dispatch(Dtype dtype, F&& f) {
  if (dtype == Dtype::float32) return f(float{});
  if (dtype != Dtype::float64) detail::throw_not_floating(dtype);
  return f(double{});
}

/// Calls f(T{}) with the element type of any dtype (float, double, std::int64_t or bool), for ops
/// that move or compare values whatever they are.
template <class F>
decltype(auto) dispatch_any(Dtype dtype, F&& f) {
  switch (dtype) {
    case Dtype::float32:
      return f(float{});
    case Dtype::float64:
      return f(double{});
    case Dtype::int64:
      return f(std::int64_t{});
    case Dtype::boolean:
      break;
  }
  return f(bool{});
}

/// Calls f(T{}) for the dtypes with arithmetic (float, double, std::int64_t); throws
/// std::invalid_argument "<op>: not defined for bool tensors (convert with to())" for bool.
template <class F>
decltype(auto) dispatch_arithmetic(const char* op, Dtype dtype, F&& f) {
  if (dtype == Dtype::boolean) {
    throw std::invalid_argument(std::string(op) +
                                ": not defined for bool tensors (convert with to())");
  }
  if (dtype == Dtype::int64) return f(std::int64_t{});
  return dispatch(dtype, std::forward<F>(f));
}

}  // namespace xgrad
