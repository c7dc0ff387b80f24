// distributed::Context: averages through one allreduce; wraps through DistributedDataParallel.
#include "distributed/context.hpp"

#include "autograd/factory.hpp"

namespace xgrad::distributed {

void Context::average(std::vector<double>& values) {
  if (values.empty()) return;
  Tensor t = zeros({values.size()}, float64);
  std::copy(values.begin(), values.end(), t.data<double>().begin());
  group_.all_reduce(t, ReduceOp::avg);
  std::copy(t.data<double>().begin(), t.data<double>().end(), values.begin());
}

std::shared_ptr<nn::Module> Context::wrap(nn::Module& model) {
  // The wrapper does not own the model: the caller's reference outlives it.
  std::shared_ptr<nn::Module> borrowed(&model, [](nn::Module*) {});
  return std::make_shared<DistributedDataParallel>(borrowed, group_, options_);
}

}  // namespace xgrad::distributed
