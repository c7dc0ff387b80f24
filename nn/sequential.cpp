// nn::Sequential and nn::Flatten.
#include "nn/sequential.hpp"

#include <stdexcept>
#include <string>

#include "autograd/ops.hpp"

namespace xgrad::nn {

Sequential::Sequential(std::initializer_list<std::shared_ptr<Module>> modules) {
  for (const auto& module : modules) push_back(module);
}

Sequential& Sequential::push_back(std::shared_ptr<Module> module) {
  register_module(std::to_string(size()), std::move(module));
  return *this;
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (const auto& entry : named_children()) h = entry.second->forward(h);
  return h;
}

std::shared_ptr<Module> Sequential::operator[](std::size_t index) const {
  if (index >= size()) {
    throw std::out_of_range("Sequential: index " + std::to_string(index) + " out of range for " +
                            std::to_string(size()) + " modules");
  }
  return named_children()[index].second;
}

Tensor Flatten::forward(const Tensor& x) {
  if (!x.defined()) throw std::invalid_argument("Flatten: input is undefined");
  if (x.dim() < 1) throw std::invalid_argument("Flatten: input is a scalar; need a batch axis");
  return reshape(x, {static_cast<long>(x.size(0)), -1});
}

}  // namespace xgrad::nn
