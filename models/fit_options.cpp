// Names of the optimizers and normalizations, for flags and printing.
#include "models/fit_options.hpp"

#include <stdexcept>

namespace xgrad::models {

namespace {
constexpr Optimizer kOptimizers[] = {Optimizer::sgd,  Optimizer::momentum, Optimizer::nesterov,
                                     Optimizer::adam, Optimizer::adamw,    Optimizer::rmsprop};
constexpr Normalization kNormalizations[] = {Normalization::none, Normalization::standard,
                                             Normalization::minmax, Normalization::global_minmax};
}  // namespace

const char* optimizer_name(Optimizer optimizer) {
  switch (optimizer) {
    case Optimizer::sgd:
      return "sgd";
    case Optimizer::momentum:
      return "momentum";
    case Optimizer::nesterov:
      return "nesterov";
    case Optimizer::adam:
      return "adam";
    case Optimizer::adamw:
      return "adamw";
    case Optimizer::rmsprop:
      return "rmsprop";
  }
  return "unknown";
}

Optimizer parse_optimizer(const std::string& name) {
  for (Optimizer o : kOptimizers) {
    if (name == optimizer_name(o)) return o;
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

}  // namespace xgrad::models
