// Internal: e^x and log(1 + x) for float32 as branch-free polynomials (Cephes' expf and logf), so
// that loops over them vectorise; the C library's expf and log1pf are a call per element. Within 2
// ulp of the C library (a test sweeps them). float64 keeps the C library's functions.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace xgrad::kernels {

namespace float_bits {

inline float bits_to_float(std::uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

inline std::uint32_t float_to_bits(float f) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

// 2^n for an integer n in [-126, 127], as a float built from its exponent bits.
inline float pow2(std::int32_t n) {
  return bits_to_float(static_cast<std::uint32_t>(n + 127) << 23);
}

}  // namespace float_bits

/// e^x for float32: x = n ln 2 + r with |r| <= ln 2 / 2 (ln 2 in two parts, so r is exact), e^r by
/// a degree-7 polynomial, then scaled by 2^n in two steps so that results near the overflow and in
/// the subnormal range come out right. Overflows to inf above 88.72, underflows to 0 below -103.97.
inline __attribute__((always_inline)) float exp_value(float x) {
  // Written so that NaN lands on -104 too: n below must be a number, as converting NaN to an
  // integer is undefined behaviour (the sanitizer's float-cast-overflow); the result is NaN again.
  const float clamped = x >= -104.0f ? (x > 89.0f ? 89.0f : x) : -104.0f;
  // n = round(x / ln 2): adding 1.5 2^23 rounds to an integer in the low mantissa bits
  const float shifted = clamped * 1.44269504088896341f + 12582912.0f;
  const float n = shifted - 12582912.0f;
  const float r = (clamped - n * 0.693359375f) + n * 2.12194440e-4f;
  const float z = r * r;
  const float p = ((((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r +
                      4.1665795894e-2f) *
                         r +
                     1.6666665459e-1f) *
                        r +
                    5.0000001201e-1f) *
                       z +
                   r) +
                  1.0f;
  const std::int32_t k = static_cast<std::int32_t>(n);
  const std::int32_t half = k / 2;
  const float result = p * float_bits::pow2(half) * float_bits::pow2(k - half);
  return x != x ? x : result;  // NaN in, NaN out (the clamp would lose it)
}

inline double exp_value(double x) {
  return std::exp(x);
}

/// log(1 + x) for float32, accurate for tiny x: u = 1 + x (rounded) is split as m 2^k with m in
/// [sqrt(1/2), sqrt(2)), log m by Cephes' polynomial in f = m - 1, plus k ln 2 (in two parts), plus
/// (x - (u - 1)) / u, the part of x that rounding 1 + x lost. -1 gives -inf, below -1 NaN.
inline __attribute__((always_inline)) float log1p_value(float x) {
  const float u = 1.0f + x;
  const std::uint32_t bits = float_bits::float_to_bits(u);
  std::int32_t k = static_cast<std::int32_t>((bits >> 23) & 0xff) - 126;
  float m = float_bits::bits_to_float((bits & 0x007fffffu) | 0x3f000000u);  // in [0.5, 1)
  const bool small = m < 0.707106781186547524f;
  k -= small ? 1 : 0;
  const float f = small ? m + m - 1.0f : m - 1.0f;
  const float z = f * f;
  float y = ((((((((7.0376836292e-2f * f - 1.1514610310e-1f) * f + 1.1676998740e-1f) * f -
                  1.2420140846e-1f) *
                     f +
                 1.4249322787e-1f) *
                    f -
                1.6668057665e-1f) *
                   f +
               2.0000714765e-1f) *
                  f -
              2.4999993993e-1f) *
                 f +
             3.3333331174e-1f) *
            f * z;
  const float fk = static_cast<float>(k);
  y += -2.12194440e-4f * fk;
  y += -0.5f * z;
  const float correction = (x - (u - 1.0f)) / u;
  float result = f + y + 0.693359375f * fk + correction;
  // The edges, as selects so the loop stays branch-free: inf, -1, below -1, NaN.
  const float inf = std::numeric_limits<float>::infinity();
  result = x == inf ? inf : result;
  result = x == -1.0f ? -inf : result;
  result = x < -1.0f ? std::numeric_limits<float>::quiet_NaN() : result;
  return x != x || x == 0.0f ? x : result;  // NaN stays NaN, -0 stays -0
}

inline double log1p_value(double x) {
  return std::log1p(x);
}

}  // namespace xgrad::kernels
