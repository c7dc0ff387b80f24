// Names of the solvers and normalizations, for flags and printing, and the default seed.
#include "models/fit_options.hpp"

#include <stdexcept>

#include "autograd/random.hpp"

namespace xgrad::models {

namespace {
constexpr Solver kSolvers[] = {Solver::sgd,  Solver::momentum, Solver::nesterov,
                               Solver::adam, Solver::adamw,    Solver::rmsprop};
constexpr Normalization kNormalizations[] = {Normalization::none, Normalization::standard,
                                             Normalization::minmax, Normalization::global_minmax};
}  // namespace

const char* solver_name(Solver solver) {
  switch (solver) {
    case Solver::sgd:
      return "sgd";
    case Solver::momentum:
      return "momentum";
    case Solver::nesterov:
      return "nesterov";
    case Solver::adam:
      return "adam";
    case Solver::adamw:
      return "adamw";
    case Solver::rmsprop:
      return "rmsprop";
  }
  return "unknown";
}

Solver parse_solver(const std::string& name) {
  for (Solver o : kSolvers) {
    if (name == solver_name(o)) return o;
  }
  throw std::invalid_argument("unknown optimizer '" + name +
                              "' (use sgd, momentum, nesterov, adam, adamw or rmsprop)");
}

const char* normalization_name(Normalization normalization) {
  switch (normalization) {
    case Normalization::none:
      return "none";
    case Normalization::standard:
      return "standard";
    case Normalization::minmax:
      return "minmax";
    case Normalization::global_minmax:
      return "global_minmax";
  }
  return "unknown";
}

Normalization parse_normalization(const std::string& name) {
  for (Normalization n : kNormalizations) {
    if (name == normalization_name(n)) return n;
  }
  throw std::invalid_argument("unknown normalization '" + name +
                              "' (use none, standard, minmax or global_minmax)");
}

std::uint64_t seed_or_default(const std::optional<std::uint64_t>& seed) {
  return seed ? *seed : default_generator().next();
}

}  // namespace xgrad::models
