// distributed::DistributedDataParallel: construction checks and broadcast, the bucket layout, and
// the per-parameter hook and end-of-pass callback that average gradients over ranks.
#include "distributed/distributed_data_parallel.hpp"

#include <algorithm>
#include <chrono>

#include "autograd/engine.hpp"
#include "autograd/factory.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "autograd/shape.hpp"
#include "autograd/tape.hpp"

namespace xgrad::distributed {

namespace {

constexpr std::size_t max_signature_dims = 5;
// Per parameter: dtype, number of axes, numel, then up to five extents.
constexpr std::size_t signature_width = 3 + max_signature_dims;

std::string describe(double dtype, const double* s) {
  std::string out = dtype == 0 ? "float32 (" : "float64 (";
  const auto dims = static_cast<std::size_t>(s[1]);
  for (std::size_t d = 0; d < dims && d < max_signature_dims; ++d) {
    out += (d ? ", " : "") + std::to_string(static_cast<long>(s[3 + d]));
  }
  return out + (dims > max_signature_dims ? ", ...)" : ")");
}

template <class T>
void copy_values(const T* from, T* to, std::size_t count) {
  std::copy(from, from + count, to);
}

}  // namespace

// The engine's hook on one parameter: forwards its complete gradient to the wrapper.
class DistributedDataParallel::Hook final : public PostAccumulateGradHook {
 public:
  Hook(DistributedDataParallel& ddp, std::size_t index) : ddp_(ddp), index_(index) {}
  void on_gradient(const Tensor&, const Tensor& grad) override { ddp_.on_gradient(index_, grad); }

 private:
  DistributedDataParallel& ddp_;
  std::size_t index_;
};

DistributedDataParallel::DistributedDataParallel(std::shared_ptr<nn::Module> module,
                                                 ProcessGroup& group,
                                                 DistributedDataParallelOptions options)
    : module_(std::move(module)), group_(group), options_(options) {
  if (!module_) throw std::invalid_argument("DistributedDataParallel: module is null");
  if (options_.bucket_cap_bytes == 0) {
    throw std::invalid_argument("DistributedDataParallel: bucket_cap_bytes must be at least 1");
  }
  for (auto& [name, p] : module_->named_parameters()) {
    if (p.post_accumulate_grad_hook()) {
      throw std::invalid_argument("DistributedDataParallel: parameter '" + name +
                                  "' already has a post-accumulate-grad hook (wrapped twice?)");
    }
    names_.push_back(name);
    params_.push_back(p);
  }
  check_same_structure();
  register_module("module", module_);
  broadcast_state();
  build_buckets();
  for (std::size_t i = 0; i < params_.size(); ++i) {
    params_[i].set_post_accumulate_grad_hook(std::make_shared<Hook>(*this, i));
  }
}

DistributedDataParallel::~DistributedDataParallel() {
  for (Tensor& p : params_) p.set_post_accumulate_grad_hook(nullptr);
}

void DistributedDataParallel::check_same_structure() {
  // Every rank gathers every rank's signature and finds the same first difference, so all of them
  // throw the same error instead of some waiting in a collective.
  Tensor count = zeros({1}, float64);
  count.data<double>()(0) = static_cast<double>(params_.size());
  const Tensor counts = group_.all_gather(count);
  for (int r = 1; r < group_.world_size(); ++r) {
    if (counts.data<double>()(r) != counts.data<double>()(0)) {
      throw std::invalid_argument(
          "DistributedDataParallel: the model differs across ranks: rank 0 has " +
          std::to_string(static_cast<long>(counts.data<double>()(0))) + " parameters, rank " +
          std::to_string(r) + " has " +
          std::to_string(static_cast<long>(counts.data<double>()(r))));
    }
  }
  if (params_.empty()) throw std::invalid_argument("DistributedDataParallel: no parameters");
  Tensor signature = zeros({params_.size() * signature_width}, float64);
  double* s = signature.data<double>().data();
  for (std::size_t i = 0; i < params_.size(); ++i, s += signature_width) {
    const Shape shape = params_[i].shape();
    s[0] = params_[i].dtype() == float32 ? 0 : 1;
    s[1] = static_cast<double>(shape.size());
    s[2] = static_cast<double>(params_[i].numel());
    for (std::size_t d = 0; d < shape.size() && d < max_signature_dims; ++d) {
      s[3 + d] = static_cast<double>(shape[d]);
    }
  }
  const Tensor all = group_.all_gather(signature);
  const double* table = all.data<double>().data();
  const std::size_t width = params_.size() * signature_width;
  for (int r = 1; r < group_.world_size(); ++r) {
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const double* mine = table + i * signature_width;
      const double* theirs = table + r * width + i * signature_width;
      if (!std::equal(mine, mine + signature_width, theirs)) {
        throw std::invalid_argument(
            "DistributedDataParallel: the model differs across ranks: parameter " +
            std::to_string(i) + " ('" + names_[i] + "' here) is " + describe(mine[0], mine) +
            " on rank 0 but " + describe(theirs[0], theirs) + " on rank " + std::to_string(r));
      }
    }
  }
}

void DistributedDataParallel::broadcast_state() {
  no_grad guard;
  for (Tensor& p : params_) group_.broadcast(p, 0);
  for (auto& [name, b] : module_->named_buffers()) group_.broadcast(b, 0);
}

void DistributedDataParallel::build_buckets() {
  // Reverse registration order: the last layer's gradients are complete first.
  slots_.assign(params_.size(), Slot{0, 0, Tensor()});
  std::vector<std::vector<std::size_t>> layout;
  std::vector<Dtype> dtypes;
  std::size_t bytes = 0;
  bool closed = true;  // the next parameter starts a bucket
  for (std::size_t k = params_.size(); k-- > 0;) {
    const Dtype dtype = params_[k].dtype();
    const std::size_t size = params_[k].numel() * (dtype == float32 ? 4 : 8);
    const bool own = size >= options_.own_bucket_bytes;
    if (closed || own || bytes >= options_.bucket_cap_bytes || dtypes.back() != dtype) {
      layout.emplace_back();
      dtypes.push_back(dtype);
      bytes = 0;
    }
    layout.back().push_back(k);
    bytes += size;
    closed = own;
  }
  buckets_.clear();
  for (std::size_t b = 0; b < layout.size(); ++b) {
    Bucket bucket;
    bucket.dtype = dtypes[b];
    bucket.params = layout[b];
    std::size_t offset = 0;
    for (std::size_t k : bucket.params) {
      slots_[k].bucket = b;
      slots_[k].offset = offset;
      offset += params_[k].numel();
    }
    if (bucket.params.size() > 1) bucket.buffer = zeros({offset}, bucket.dtype);
    bucket.pending = bucket.params.size();
    buckets_.push_back(std::move(bucket));
  }
}

std::vector<std::vector<std::size_t>> DistributedDataParallel::bucket_layout() const {
  std::vector<std::vector<std::size_t>> out;
  for (const Bucket& b : buckets_) out.push_back(b.params);
  return out;
}

std::string DistributedDataParallel::extra_repr() const {
  return "world_size=" + std::to_string(group_.world_size()) +
         ", buckets=" + std::to_string(buckets_.size()) +
         ", bucket_cap_bytes=" + std::to_string(options_.bucket_cap_bytes);
}

Tensor DistributedDataParallel::forward(const Tensor& input) {
  // A backward pass that threw before its end left its buckets half-filled: start clean.
  if (in_pass_) reset_pass();
  if (is_training() && options_.broadcast_buffers && group_.world_size() > 1) {
    no_grad guard;
    for (auto& [name, b] : module_->named_buffers()) group_.broadcast(b, 0);
  }
  return module_->forward(input);
}

void DistributedDataParallel::on_gradient(std::size_t index, const Tensor& grad) {
  if (!sync_) {
    if (params_[index].backward_step()) {
      throw std::runtime_error(
          "DistributedDataParallel: no_sync() cannot accumulate the gradient "
          "of '" +
          names_[index] +
          "': an optimizer step is fused into backward for it, so each rank "
          "would step on its own gradient; unfuse the optimizer to accumulate");
    }
    return;  // accumulates in .grad(); the next synchronised pass averages the sum
  }
  if (!in_pass_) {
    in_pass_ = true;
    Engine::queue_callback([this] { finish_pass(); });
  }
  Slot& slot = slots_[index];
  Bucket& bucket = buckets_[slot.bucket];
  if (slot.grad.defined()) {
    throw std::logic_error("DistributedDataParallel: two gradients for '" + names_[index] +
                           "' in one backward pass");
  }
  slot.grad = grad;
  if (xgrad::detail::active_tape) {
    xgrad::detail::capture_unsupported("DistributedDataParallel's gradient averaging");
  }
  if (bucket.params.size() > 1) {
    dispatch(bucket.dtype, [&](auto zero) {
      using T = decltype(zero);
      copy_values(grad.data<T>().data(), bucket.buffer.data<T>().data() + slot.offset,
                  grad.numel());
    });
  }
  --bucket.pending;
  if (options_.overlap) launch_ready();
  // Give MPI a chance to move the buckets already out (it progresses only inside its calls).
  for (std::size_t b = 0; b < next_launch_; ++b) buckets_[b].work.test();
}

void DistributedDataParallel::launch_ready() {
  while (next_launch_ < buckets_.size() && buckets_[next_launch_].pending == 0) {
    launch(buckets_[next_launch_++]);
  }
}

void DistributedDataParallel::launch(Bucket& bucket) {
  bucket.launched = true;
  // A bucket of one parameter is its gradient, or, where it got none, zeros (finish_pass).
  Slot& first = slots_[bucket.params.front()];
  const bool in_place = bucket.params.size() == 1 && first.grad.defined();
  bucket.work = group_.all_reduce_async(in_place ? first.grad : bucket.buffer, ReduceOp::avg);
}

void DistributedDataParallel::finish_pass() {
  struct Reset {
    DistributedDataParallel& ddp;
    ~Reset() { ddp.reset_pass(); }
  } reset{*this};
  // Parameters this rank did not reach: zeros when allowed, else an error naming them (every
  // rank with the same graph throws alike, after the buckets already out have completed).
  std::vector<std::size_t> unused;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (!slots_[i].grad.defined()) unused.push_back(i);
  }
  if (!unused.empty() && !options_.find_unused_parameters) {
    for (Bucket& b : buckets_) b.work.wait();
    std::string list;
    for (std::size_t i = 0; i < unused.size() && i < 5; ++i) {
      list += (i ? ", '" : "'") + names_[unused[i]] + "'";
    }
    if (unused.size() > 5) list += " and " + std::to_string(unused.size() - 5) + " more";
    throw std::runtime_error(
        "DistributedDataParallel: parameter" + std::string(unused.size() > 1 ? "s " : " ") + list +
        " got no gradient in this backward pass on rank " + std::to_string(group_.rank()) +
        "; make every parameter take part in the loss, or construct with "
        "find_unused_parameters = true");
  }
  for (std::size_t i : unused) {
    const Slot& slot = slots_[i];
    Bucket& bucket = buckets_[slot.bucket];
    if (bucket.params.size() == 1) {
      bucket.buffer = zeros({params_[i].numel()}, bucket.dtype);
    } else {
      dispatch(bucket.dtype, [&](auto zero) {
        using T = decltype(zero);
        T* p = bucket.buffer.data<T>().data() + slot.offset;
        std::fill(p, p + params_[i].numel(), T(0));
      });
    }
    --bucket.pending;
  }
  // Which parameters got a gradient on some rank: those get the average even where unused here.
  Tensor used;
  if (options_.find_unused_parameters) {
    used = zeros({params_.size()}, float64);
    for (std::size_t i = 0; i < params_.size(); ++i) {
      used.data<double>()(i) = slots_[i].grad.defined() ? 1 : 0;
    }
  }
  const auto started = std::chrono::steady_clock::now();
  while (next_launch_ < buckets_.size()) launch(buckets_[next_launch_++]);
  if (used.defined()) group_.all_reduce(used, ReduceOp::max);
  for (Bucket& b : buckets_) b.work.wait();
  wait_seconds_ +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  no_grad guard;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    Slot& slot = slots_[i];
    const Bucket& bucket = buckets_[slot.bucket];
    dispatch(bucket.dtype, [&](auto zero) {
      using T = decltype(zero);
      if (slot.grad.defined()) {
        if (bucket.params.size() == 1) return;  // averaged in place
        copy_values(bucket.buffer.data<T>().data() + slot.offset, slot.grad.data<T>().data(),
                    params_[i].numel());
        return;
      }
      const T* from = bucket.buffer.data<T>().data() + slot.offset;
      if (!used.defined() || used.data<double>()(i) == 0) return;  // unused everywhere
      Tensor average = zeros(params_[i].shape(), bucket.dtype);
      copy_values(from, average.data<T>().data(), params_[i].numel());
      if (params_[i].backward_step()) {
        params_[i].backward_step()->apply(params_[i], average);
      } else if (params_[i].grad().defined()) {
        Tensor g = params_[i].grad();
        add_(g, average);
      } else {
        params_[i].set_grad(average);
      }
    });
  }
}

void DistributedDataParallel::reset_pass() {
  in_pass_ = false;
  next_launch_ = 0;
  for (Slot& s : slots_) s.grad = Tensor();
  for (Bucket& b : buckets_) {
    if (b.params.size() == 1) b.buffer = Tensor();  // zeros made for an unused parameter
    b.pending = b.params.size();
    b.launched = false;
    b.work = Work();
  }
}

}  // namespace xgrad::distributed
