// nn::Module: registration, traversal, modes, dtype conversion, state dicts and printing.
#include "nn/module.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <iomanip>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <typeinfo>

#include "autograd/factory.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"

namespace xgrad::nn {

namespace {

std::string describe(const Tensor& t) {
  return std::string(dtype_name(t.dtype())) + " " + format_shape(t.shape());
}

}  // namespace

Tensor Module::forward(const Tensor&) {
  throw std::logic_error(type_name() + ": this module has no forward(Tensor); override it");
}

void Module::check_name(const std::string& name) const {
  if (name.empty() || name.find('.') != std::string::npos) {
    throw std::invalid_argument(type_name() + ": bad name '" + name +
                                "' (names are non-empty and have no dots)");
  }
  auto taken = [&](const auto& list) {
    return std::any_of(list.begin(), list.end(), [&](const auto& e) { return e.first == name; });
  };
  if (taken(parameters_) || taken(buffers_) || taken(children_)) {
    throw std::invalid_argument(type_name() + ": name '" + name + "' is already registered");
  }
}

Tensor Module::register_parameter(const std::string& name, Tensor tensor, bool requires_grad) {
  check_name(name);
  if (!tensor.defined()) {
    throw std::invalid_argument(type_name() + ": parameter '" + name + "' is undefined");
  }
  if (!tensor.is_leaf()) tensor = tensor.detach();
  tensor.requires_grad_(requires_grad);
  parameters_.emplace_back(name, tensor);
  return tensor;
}

Tensor Module::register_buffer(const std::string& name, Tensor tensor) {
  check_name(name);
  if (!tensor.defined()) {
    throw std::invalid_argument(type_name() + ": buffer '" + name + "' is undefined");
  }
  tensor = tensor.detach();
  buffers_.emplace_back(name, tensor);
  return tensor;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_name(name);
  if (!module) throw std::invalid_argument(type_name() + ": submodule '" + name + "' is null");
  children_.emplace_back(name, std::move(module));
}

void Module::collect(const std::string& prefix, bool recurse, bool buffers,
                     NamedTensors& out) const {
  // Module trees are shallow (a model's nesting depth), so recursion here is bounded by design.
  for (const auto& [name, tensor] : buffers ? buffers_ : parameters_) {
    out.emplace_back(prefix + name, tensor);
  }
  if (!recurse) return;
  for (const auto& [name, child] : children_) {
    child->collect(prefix + name + ".", true, buffers, out);
  }
}

NamedTensors Module::named_parameters(bool recurse) const {
  NamedTensors all;
  collect("", recurse, false, all);
  // A parameter shared by two submodules is listed once, under its first name.
  NamedTensors unique;
  std::set<const void*> seen;
  for (auto& entry : all) {
    if (seen.insert(entry.second.impl().get()).second) unique.push_back(std::move(entry));
  }
  return unique;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& entry : named_parameters(recurse)) out.push_back(entry.second);
  return out;
}

NamedTensors Module::named_buffers(bool recurse) const {
  NamedTensors out;
  collect("", recurse, true, out);
  return out;
}

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  for (const auto& entry : children_) out.push_back(entry.second);
  return out;
}

std::size_t Module::parameter_count() const {
  std::size_t total = 0;
  for (const Tensor& p : parameters()) total += p.numel();
  return total;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& entry : children_) entry.second->train(on);
}

void Module::zero_grad(bool set_to_none) {
  for (Tensor& p : parameters()) {
    if (set_to_none) {
      p.set_grad(Tensor());
    } else {
      p.zero_grad();
    }
  }
}

void Module::to(Dtype dtype) {
  if (!is_floating_point(dtype)) {
    throw std::invalid_argument(std::string("Module.to: only floating-point dtypes, got ") +
                                dtype_name(dtype));
  }
  no_grad guard;
  // As PyTorch's module.to(dtype): floating-point tensors only; an int64 counter stays int64.
  auto convert = [dtype](Tensor& t) {
    if (is_floating_point(t.dtype()) && t.dtype() != dtype) t.set_data(xgrad::to(t, dtype));
  };
  for (auto& entry : named_parameters()) convert(entry.second);
  for (auto& entry : named_buffers()) convert(entry.second);
}

NamedTensors Module::state_dict() const {
  NamedTensors state = named_parameters();
  for (auto& entry : named_buffers()) state.push_back(std::move(entry));
  return state;
}

void Module::load_state_dict(const NamedTensors& state, bool strict) {
  NamedTensors own = state_dict();
  std::vector<std::string> problems;
  std::vector<std::pair<Tensor, Tensor>> assignments;  // (own tensor, new values)
  std::set<std::string> seen;
  for (const auto& entry : state) {
    // Which of two values to load would be a guess.
    if (!seen.insert(entry.first).second) problems.push_back("'" + entry.first + "' appears twice");
  }
  for (auto& [name, tensor] : own) {
    // C++17 lambdas cannot capture a structured binding (clang refuses), so compare through a copy.
    const std::string& wanted = name;
    auto it =
        std::find_if(state.begin(), state.end(), [&](const auto& e) { return e.first == wanted; });
    if (it == state.end()) {
      if (strict) problems.push_back("missing '" + name + "' (" + describe(tensor) + ")");
      continue;
    }
    if (!it->second.defined()) {
      problems.push_back("'" + name + "' is undefined");
    } else if (it->second.shape() != tensor.shape() || it->second.dtype() != tensor.dtype()) {
      problems.push_back("'" + name + "' is " + describe(it->second) + ", module expects " +
                         describe(tensor));
    } else {
      assignments.emplace_back(tensor, it->second);
    }
  }
  if (strict) {
    for (const auto& entry : state) {
      const bool known = std::any_of(own.begin(), own.end(),
                                     [&](const auto& e) { return e.first == entry.first; });
      if (!known) problems.push_back("unexpected '" + entry.first + "'");
    }
  }
  if (!problems.empty()) {
    std::string message = type_name() + ": load_state_dict: ";
    for (std::size_t i = 0; i < problems.size(); ++i) message += (i ? "; " : "") + problems[i];
    throw std::invalid_argument(message);
  }
  for (auto& [target, values] : assignments) target.set_data(values.detach().clone());
}

std::string Module::type_name() const {
  const char* mangled = typeid(*this).name();
  int status = 0;
  char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = status == 0 && demangled ? demangled : mangled;
  std::free(demangled);
  const auto colon = name.rfind("::");
  return colon == std::string::npos ? name : name.substr(colon + 2);
}

std::string Module::repr() const {
  std::string out = type_name() + "(" + extra_repr();
  if (children_.empty()) return out + ")";
  out += "\n";
  for (const auto& [name, child] : children_) {
    std::string child_repr = child->repr();
    // Indent the child's own lines under this module.
    std::string indented;
    for (char c : child_repr) {
      indented += c;
      if (c == '\n') indented += "  ";
    }
    out += "  (" + name + "): " + indented + "\n";
  }
  return out + ")";
}

std::string Module::summary() const {
  const NamedTensors params = named_parameters();
  std::size_t name_width = 9;
  for (const auto& entry : params) name_width = std::max(name_width, entry.first.size());
  std::ostringstream out;
  out << type_name() << " summary\n";
  out << std::left << std::setw(static_cast<int>(name_width) + 2) << "parameter" << std::setw(16)
      << "shape" << std::setw(9) << "dtype" << std::right << std::setw(10) << "count"
      << "\n";
  std::size_t total = 0;
  for (const auto& [name, tensor] : params) {
    out << std::left << std::setw(static_cast<int>(name_width) + 2) << name << std::setw(16)
        << format_shape(tensor.shape()) << std::setw(9) << dtype_name(tensor.dtype()) << std::right
        << std::setw(10) << tensor.numel() << "\n";
    total += tensor.numel();
  }
  out << "total parameters: " << total << "\n";
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const Module& module) {
  return out << module.repr();
}

}  // namespace xgrad::nn
