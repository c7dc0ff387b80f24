// The per-thread recording switch and its RAII guards.
#include "autograd/grad_mode.hpp"

namespace xgrad {

namespace {
thread_local bool grad_enabled = true;
}

bool GradMode::is_enabled() {
  return grad_enabled;
}
void GradMode::set_enabled(bool enabled) {
  grad_enabled = enabled;
}

no_grad::no_grad() : previous_(grad_enabled) {
  grad_enabled = false;
}
no_grad::~no_grad() {
  grad_enabled = previous_;
}

enable_grad::enable_grad() : previous_(grad_enabled) {
  grad_enabled = true;
}
enable_grad::~enable_grad() {
  grad_enabled = previous_;
}

}  // namespace xgrad
