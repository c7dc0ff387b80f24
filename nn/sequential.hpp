// nn::Sequential: modules applied in order, registered as "0", "1", ...
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>

#include "nn/module.hpp"

namespace xgrad::nn {

class Sequential : public Module {
 public:
  Sequential() = default;
  Sequential(std::initializer_list<std::shared_ptr<Module>> modules);

  /// Appends a module; returns *this for chaining.
  Sequential& push_back(std::shared_ptr<Module> module);
  Tensor forward(const Tensor& x) override;

  std::size_t size() const { return named_children().size(); }
  /// The module at `index`; throws std::out_of_range past the end.
  std::shared_ptr<Module> operator[](std::size_t index) const;
};

/// Keeps the first axis and flattens the rest: (N, d1, d2, ...) -> (N, d1 * d2 * ...).
class Flatten : public Module {
 public:
  Tensor forward(const Tensor& x) override;
};

}  // namespace xgrad::nn
