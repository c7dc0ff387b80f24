// Seedable random numbers that reproduce bit for bit on every platform: splitmix64 streams with
// uniform and Box-Muller normal draws (the benchmark workloads' generator).
#pragma once

#include <cstdint>

namespace xgrad {

/// A splitmix64 stream. uniform() returns the i-th draw of the stream as (next >> 11) * 2^-53, in
/// [0, 1); normal() uses two uniforms and the Box-Muller cosine branch. Unlike std::
/// distributions, the sequences are the same with every compiler and standard library.
class Generator {
 public:
  explicit Generator(std::uint64_t seed = 0) : state_(seed) {}
  void manual_seed(std::uint64_t seed) { state_ = seed; }

  std::uint64_t next();
  /// Uniform in [0, 1).
  double uniform();
  /// Uniform in [low, high).
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  /// Standard normal.
  double normal();

 private:
  std::uint64_t state_;
};

/// The generator the factories use when none is given; seed it for reproducible runs.
Generator& default_generator();
/// Seeds the default generator, as torch.manual_seed does.
void manual_seed(std::uint64_t seed);

}  // namespace xgrad
