// Parameter initialisation schemes.
#include "nn/init.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace xgrad::nn {

const char* init_name(Init init) {
  switch (init) {
    case Init::kaiming_uniform:
      return "kaiming_uniform";
    case Init::kaiming_normal:
      return "kaiming_normal";
    case Init::xavier_uniform:
      return "xavier_uniform";
    case Init::xavier_normal:
      return "xavier_normal";
    case Init::pytorch_default:
      return "pytorch_default";
    case Init::standard_normal:
      return "standard_normal";
    case Init::uniform_unit:
      return "uniform_unit";
    case Init::zeros:
      return "zeros";
  }
  return "unknown";
}

Init parse_init(const std::string& name) {
  std::string names;
  for (Init init :
       {Init::kaiming_uniform, Init::kaiming_normal, Init::xavier_uniform, Init::xavier_normal,
        Init::pytorch_default, Init::standard_normal, Init::uniform_unit, Init::zeros}) {
    if (name == init_name(init)) return init;
    names += (names.empty() ? "" : ", ") + std::string(init_name(init));
  }
  throw std::invalid_argument("unknown init '" + name + "' (use " + names + ")");
}

namespace init {

namespace {

template <class Draw>
void fill(Tensor& tensor, Draw draw) {
  dispatch(tensor.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (T& v : tensor.data<T>()) v = static_cast<T>(draw());
  });
}

}  // namespace

void uniform_(Tensor& tensor, double low, double high, Generator& generator) {
  if (!(low < high) || !std::isfinite(low) || !std::isfinite(high)) {
    throw std::invalid_argument("uniform_: need finite low < high; got low " + std::to_string(low) +
                                ", high " + std::to_string(high));
  }
  fill(tensor, [&] { return generator.uniform(low, high); });
}

void normal_(Tensor& tensor, double mean, double std, Generator& generator) {
  if (!(std >= 0) || !std::isfinite(std) || !std::isfinite(mean)) {
    throw std::invalid_argument("normal_: need finite mean and std >= 0; got mean " +
                                std::to_string(mean) + ", std " + std::to_string(std));
  }
  fill(tensor, [&] { return mean + std * generator.normal(); });
}

void constant_(Tensor& tensor, double value) {
  fill(tensor, [value] { return value; });
}

void initialize(Tensor& weight, Tensor& bias, Init scheme, Generator& generator) {
  const Shape shape = weight.shape();
  const double fan_out = shape.empty() ? 1.0 : static_cast<double>(shape[0]);
  const double fan_in = shape.size() < 2 ? 1.0 : static_cast<double>(shape[1]);
  double bias_bound = 0;  // bias U(-bound, bound); 0 means zeros
  switch (scheme) {
    case Init::kaiming_uniform: {
      const double bound = std::sqrt(6.0 / fan_in);
      uniform_(weight, -bound, bound, generator);
      break;
    }
    case Init::kaiming_normal:
      normal_(weight, 0.0, std::sqrt(2.0 / fan_in), generator);
      break;
    case Init::xavier_uniform: {
      const double bound = std::sqrt(6.0 / (fan_in + fan_out));
      uniform_(weight, -bound, bound, generator);
      break;
    }
    case Init::xavier_normal:
      normal_(weight, 0.0, std::sqrt(2.0 / (fan_in + fan_out)), generator);
      break;
    case Init::pytorch_default:
      bias_bound = 1.0 / std::sqrt(fan_in);
      uniform_(weight, -bias_bound, bias_bound, generator);
      break;
    case Init::standard_normal:
      normal_(weight, 0.0, 1.0, generator);
      break;
    case Init::uniform_unit:
      uniform_(weight, 0.0, 1.0, generator);
      if (bias.defined()) uniform_(bias, 0.0, 1.0, generator);
      return;
    case Init::zeros:
      constant_(weight, 0.0);
      break;
  }
  if (!bias.defined()) return;
  if (bias_bound > 0) {
    uniform_(bias, -bias_bound, bias_bound, generator);
  } else {
    constant_(bias, 0.0);
  }
}

}  // namespace init

}  // namespace xgrad::nn
