// nn::Module: the base of every layer and model. It registers parameters, buffers and submodules
// by name, so parameters(), named_parameters(), zero_grad(), train()/eval(), dtype conversion,
// state dicts and printing work for user-defined modules with no extra code.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad::nn {

/// Named tensors in registration order, with dotted names for submodules ("layers.0.weight").
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// The module's computation. The default throws std::logic_error: a module used as a layer must
  /// override it.
  virtual Tensor forward(const Tensor& input);
  Tensor operator()(const Tensor& input) { return forward(input); }

  /// Trainable tensors of this module and (with recurse) of every submodule, depth first in
  /// registration order; each tensor appears once even if shared.
  std::vector<Tensor> parameters(bool recurse = true) const;
  NamedTensors named_parameters(bool recurse = true) const;
  /// Non-trainable state saved with the module (fitted scaler statistics, say).
  NamedTensors named_buffers(bool recurse = true) const;
  std::vector<std::shared_ptr<Module>> children() const;
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& named_children() const {
    return children_;
  }
  /// The total number of parameter elements.
  std::size_t parameter_count() const;

  /// Training mode (the default) or evaluation mode, for this module and every submodule; layers
  /// such as Dropout behave differently in each.
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  /// Drops every parameter's gradient (.grad() becomes undefined, and the next backward adopts its
  /// buffers instead of adding into zeros), as PyTorch's zero_grad(set_to_none=True), its default
  /// since 2.0; set_to_none = false fills the gradients with zeros, keeping the buffers.
  void zero_grad(bool set_to_none = true);
  /// Converts every parameter and buffer to `dtype` in place: handles held elsewhere see the new
  /// values. Gradients are dropped.
  void to(Dtype dtype);

  /// Parameters and buffers by dotted name, the contents of a checkpoint.
  NamedTensors state_dict() const;
  /// Copies values from `state` into this module's parameters and buffers. Checks everything first
  /// and throws std::invalid_argument listing every missing, unexpected, misshapen, mistyped or
  /// repeated entry, leaving the module unchanged; with strict = false, missing and unexpected
  /// names are allowed.
  void load_state_dict(const NamedTensors& state, bool strict = true);

  /// The class name used when printing ("Linear").
  virtual std::string type_name() const;
  /// The constructor arguments shown when printing ("in_features=4, out_features=3, bias=true").
  virtual std::string extra_repr() const { return ""; }
  /// The module tree, as PyTorch prints it.
  std::string repr() const;
  /// A table of every parameter (name, shape, count) and the total.
  std::string summary() const;

 protected:
  /// Registers a parameter under `name` and returns the handle to keep as a member. requires_grad
  /// is set on it. Throws std::invalid_argument for an empty, dotted or repeated name.
  Tensor register_parameter(const std::string& name, Tensor tensor, bool requires_grad = true);
  /// Registers a buffer: state that is saved and converted with the module but not trained.
  Tensor register_buffer(const std::string& name, Tensor tensor);
  /// Registers a submodule under `name` and returns it.
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }

 private:
  void check_name(const std::string& name) const;
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  void collect(const std::string& prefix, bool recurse, bool buffers, NamedTensors& out) const;

  NamedTensors parameters_;
  NamedTensors buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

/// Prints repr().
std::ostream& operator<<(std::ostream& out, const Module& module);

}  // namespace xgrad::nn
