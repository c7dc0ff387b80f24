// Normalization ops. One kernel computes every forward in a single sweep per statistic (mean, then
// variance, then the normalized and scaled output), accumulating in double. The backward is
// written in tensor ops: under create_graph the statistics are recomputed from the input by
// recorded ops, so the second derivative sees how they depend on it. With no graph to record, one
// fused kernel computes the same formulas from the forward's statistics.
#include "autograd/ops/normalization.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/kernels.hpp"
#include "autograd/ops/reduction.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/tape.hpp"

namespace xgrad {

namespace {

// The input viewed as (P, Q, R): statistic q is taken over every (p, r), elements at
// (p Q + q) R + r. batch_norm: (N, C, spatial); layer_norm: (1, rows, features); group_norm:
// (1, N groups, channels per group x spatial).
struct NormView {
  std::size_t p = 1, q = 1, r = 1;
};

// Per-statistic mean, biased variance and 1 / sqrt(var + eps), each a (Q,) tensor.
struct Statistics {
  Tensor mean, var, invstd;
};

// y = (x - mean) invstd weight + bias over the view. With `given` statistics (eval-mode
// batch_norm) only invstd is computed. affine_index(q, r) names the weight and bias entry of an
// element.
template <class AffineIndex>
Tensor normalize_forward(const Tensor& x, const NormView& v, const Tensor& weight,
                         const Tensor& bias, const Statistics* given, double eps,
                         AffineIndex affine_index, Statistics& stats) {
  return dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Shape stat_shape{v.q};
    stats.mean = given ? clone(given->mean.detach()) : kernels::empty<T>(stat_shape);
    stats.var = given ? clone(given->var.detach()) : kernels::empty<T>(stat_shape);
    stats.invstd = kernels::empty<T>(stat_shape);
    Tensor y = kernels::empty<T>(x.sizes());
    const T* in = kernels::values<T>(x);
    T* out = kernels::values<T>(y);
    const T* w = weight.defined() ? kernels::values<T>(weight) : nullptr;
    const T* b = bias.defined() ? kernels::values<T>(bias) : nullptr;
    T* mean = kernels::values<T>(stats.mean);
    T* var = kernels::values<T>(stats.var);
    T* invstd = kernels::values<T>(stats.invstd);
    const double count = static_cast<double>(v.p * v.r);
    auto body = [&](std::size_t q_begin, std::size_t q_end) {
      for (std::size_t q = q_begin; q < q_end; ++q) {
        if (!given) {
          // in double over eight lanes (vectorised); two passes: no cancellation for inputs far
          // from zero
          double total = 0;
          for (std::size_t p = 0; p < v.p; ++p) {
            const T* row = in + (p * v.q + q) * v.r;
            total += kernels::sum_lanes(v.r, [row](std::size_t r) { return row[r]; });
          }
          const double m = total / count;
          double squares = 0;
          for (std::size_t p = 0; p < v.p; ++p) {
            const T* row = in + (p * v.q + q) * v.r;
            squares += kernels::sum_lanes(v.r, [row, m](std::size_t r) {
              const double d = row[r] - m;
              return d * d;
            });
          }
          mean[q] = static_cast<T>(m);
          var[q] = static_cast<T>(squares / count);
        }
        invstd[q] = static_cast<T>(1.0 / std::sqrt(static_cast<double>(var[q]) + eps));
        const T m = mean[q], s = invstd[q];
        for (std::size_t p = 0; p < v.p; ++p) {
          const std::size_t base = (p * v.q + q) * v.r;
          for (std::size_t r = 0; r < v.r; ++r) {
            const std::size_t a = affine_index(q, r);
            const T scaled = (in[base + r] - m) * s * (w ? w[a] : T(1));
            out[base + r] = b ? scaled + b[a] : scaled;
          }
        }
      }
    };
    const std::size_t total = v.p * v.q * v.r;
    if (total < detail::kParallelMinElements) {
      body(0, v.q);
    } else {  // statistics are independent: any split gives the same bits
      const std::size_t per_stat = std::max<std::size_t>(1, v.p * v.r);
      parallel_for(0, v.q, std::max<std::size_t>(1, detail::kParallelMinElements / per_stat), body);
    }
    return y;
  });
}

// x_hat = (x - mean) / sqrt(var + eps) over `axes` (kept), and 1 / sqrt(var + eps), in recorded
// tensor ops: what the backward uses under create_graph.
Statistics normalize_recorded(const Tensor& x, const std::vector<long>& axes, double eps,
                              Tensor& x_hat) {
  Statistics s;
  s.mean = mean(x, axes, true);
  Tensor centered = sub(x, s.mean);
  s.var = mean(mul(centered, centered), axes, true);
  s.invstd = pow(add(s.var, eps), -0.5);
  x_hat = mul(centered, s.invstd);
  return s;
}

// dL/dx for x_hat = (x - mean(x)) invstd(x) over `axes`, given g = dL/dx_hat:
// invstd (g - mean(g) - x_hat mean(g x_hat)).
Tensor batch_statistics_grad(const Tensor& g, const Tensor& x_hat, const Tensor& invstd,
                             const std::vector<long>& axes) {
  Tensor centered = sub(g, mean(g, axes, true));
  return mul(invstd, sub(centered, mul(x_hat, mean(mul(g, x_hat), axes, true))));
}

// The backward of the three ops with no graph to record: the formulas of the recorded versions
// below, from the forward's statistics. g = dy w; dx = invstd (g - mean(g) - x_hat mean(g x_hat))
// with batch statistics, invstd g with running ones; dweight = sum(dy x_hat), dbias = sum(dy). Two
// sweeps per statistic (the sums, then dx); when the weight is not one per statistic (layer_norm,
// group_norm), one more serial sweep for dweight and dbias.
template <class AffineIndex>
Gradients normalize_backward_values(const Tensor& dy, const Tensor& x, const Tensor& weight,
                                    const Statistics& stats, const NormView& v, bool batch_stats,
                                    AffineIndex affine_index, bool per_stat_affine,
                                    const Shape& affine_shape, bool need_dx, bool need_dweight,
                                    bool need_dbias) {
  return dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor dx = need_dx ? kernels::empty<T>(x.sizes()) : Tensor();
    Tensor dweight = need_dweight ? kernels::empty<T>(affine_shape) : Tensor();
    Tensor dbias = need_dbias ? kernels::empty<T>(affine_shape) : Tensor();
    const T* grad = kernels::values<T>(dy);
    const T* in = kernels::values<T>(x);
    const T* w = weight.defined() ? kernels::values<T>(weight) : nullptr;
    const T* mean = kernels::values<T>(stats.mean);
    const T* invstd = kernels::values<T>(stats.invstd);
    T* pdx = need_dx ? kernels::values<T>(dx) : nullptr;
    T* pdw = need_dweight ? kernels::values<T>(dweight) : nullptr;
    T* pdb = need_dbias ? kernels::values<T>(dbias) : nullptr;
    const double count = static_cast<double>(v.p * v.r);
    auto body = [&](std::size_t q_begin, std::size_t q_end) {
      for (std::size_t q = q_begin; q < q_end; ++q) {
        const T m = mean[q], s = invstd[q];
        // sum(g) and sum(g x_hat); with one weight per statistic, sum(dy) and sum(dy x_hat)
        // (dbias and dweight) times that weight. In double over eight lanes, a row at a time.
        const T wq = w && per_stat_affine ? w[affine_index(q, 0)] : T(1);
        const bool weighted = w && !per_stat_affine;
        double sum_dy = 0, sum_dy_xhat = 0;
        for (std::size_t p = 0; p < v.p; ++p) {
          const std::size_t base = (p * v.q + q) * v.r;
          const T* g = grad + base;
          const T* row = in + base;
          auto scale = [&](std::size_t r) { return weighted ? w[affine_index(q, r)] : T(1); };
          sum_dy += kernels::sum_lanes(v.r, [&](std::size_t r) { return g[r] * scale(r); });
          sum_dy_xhat += kernels::sum_lanes(
              v.r, [&](std::size_t r) { return g[r] * scale(r) * ((row[r] - m) * s); });
        }
        if (per_stat_affine && pdw) pdw[q] = static_cast<T>(sum_dy_xhat);
        if (per_stat_affine && pdb) pdb[q] = static_cast<T>(sum_dy);
        const double sum_g = wq * sum_dy, sum_g_xhat = wq * sum_dy_xhat;
        if (!pdx) continue;
        const T mean_g = batch_stats ? static_cast<T>(sum_g / count) : T(0);
        const T mean_g_xhat = batch_stats ? static_cast<T>(sum_g_xhat / count) : T(0);
        for (std::size_t p = 0; p < v.p; ++p) {
          const std::size_t base = (p * v.q + q) * v.r;
          for (std::size_t r = 0; r < v.r; ++r) {
            const T wa = w ? w[affine_index(q, r)] : T(1);
            const T x_hat = (in[base + r] - m) * s;
            pdx[base + r] = s * (grad[base + r] * wa - mean_g - x_hat * mean_g_xhat);
          }
        }
      }
    };
    const std::size_t total = v.p * v.q * v.r;
    if (total < detail::kParallelMinElements) {
      body(0, v.q);
    } else {
      const std::size_t per_stat = std::max<std::size_t>(1, v.p * v.r);
      parallel_for(0, v.q, std::max<std::size_t>(1, detail::kParallelMinElements / per_stat), body);
    }
    if (!per_stat_affine && (pdw || pdb)) {  // entries shared between statistics: one thread
      std::vector<double> sum_dy_xhat(shape_numel(affine_shape)), sum_dy(sum_dy_xhat.size());
      for (std::size_t q = 0; q < v.q; ++q) {
        const T m = mean[q], s = invstd[q];
        for (std::size_t p = 0; p < v.p; ++p) {
          const std::size_t base = (p * v.q + q) * v.r;
          for (std::size_t r = 0; r < v.r; ++r) {
            const std::size_t a = affine_index(q, r);
            sum_dy_xhat[a] += grad[base + r] * ((in[base + r] - m) * s);
            sum_dy[a] += grad[base + r];
          }
        }
      }
      for (std::size_t a = 0; a < sum_dy.size(); ++a) {
        if (pdw) pdw[a] = static_cast<T>(sum_dy_xhat[a]);
        if (pdb) pdb[a] = static_cast<T>(sum_dy[a]);
      }
    }
    return Gradients{dx, dweight, dbias};
  });
}

void check_vector(const char* op, const char* what, const Tensor& t, const Tensor& input,
                  const Shape& expected) {
  if (!t.defined()) return;
  if (t.shape() != expected) {
    throw std::invalid_argument(std::string(op) + ": " + what + " has shape " +
                                format_shape(t.shape()) + ", expected " + format_shape(expected) +
                                " for input of shape " + format_shape(input.shape()));
  }
  kernels::check_same_dtype(op, input, t);
}

void check_rank(const char* op, const Tensor& input) {
  kernels::check_defined(op, input);
  if (input.dim() < 2) {
    throw std::invalid_argument(
        std::string(op) + ": input of shape " + format_shape(input.shape()) + " has rank " +
        std::to_string(input.dim()) + "; expected (N, C, ...) with rank at least 2");
  }
}

// The axes other than 1 of a tensor of rank `rank`: (0, 2, 3, ...).
std::vector<long> all_but_channels(std::size_t rank) {
  std::vector<long> axes{0};
  for (std::size_t d = 2; d < rank; ++d) axes.push_back(static_cast<long>(d));
  return axes;
}

// (1, C, 1, ...): a per-channel vector broadcast against (N, C, ...).
Shape channel_shape(std::size_t channels, std::size_t rank) {
  Shape shape(rank, 1);
  shape[1] = channels;
  return shape;
}

}  // namespace

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum,
                  double eps) {
  check_rank("batch_norm", input);
  const Shape shape = input.shape();
  const std::size_t channels = shape[1];
  check_vector("batch_norm", "weight", weight, input, {channels});
  check_vector("batch_norm", "bias", bias, input, {channels});
  check_vector("batch_norm", "running_mean", running_mean, input, {channels});
  check_vector("batch_norm", "running_var", running_var, input, {channels});
  if (running_mean.defined() != running_var.defined()) {
    throw std::invalid_argument(
        "batch_norm: running_mean and running_var must both be given or "
        "both be undefined");
  }
  NormView v;
  v.p = shape[0];
  v.q = channels;
  for (std::size_t d = 2; d < shape.size(); ++d) v.r *= shape[d];
  const bool batch_stats = training || !running_mean.defined();
  if (batch_stats && v.p * v.r <= 1) {
    throw std::invalid_argument(
        "batch_norm: expected more than 1 value per channel when training, got input of shape " +
        format_shape(shape));
  }
  Statistics running{running_mean, running_var, Tensor()};
  Statistics stats;
  Tensor y = normalize_forward(
      input, v, weight, bias, batch_stats ? nullptr : &running, eps,
      [](std::size_t q, std::size_t) { return q; }, stats);
  if (training && running_mean.defined()) {
    // A write no kernel records: a captured step could not repeat it.
    if (detail::active_tape) detail::capture_unsupported("batch_norm's running statistics");
    // running = (1 - momentum) running + momentum batch, the variance unbiased; not recorded
    const double count = static_cast<double>(v.p * v.r);
    dispatch(input.dtype(), [&](auto tag) {
      using T = decltype(tag);
      T* rm = std::get<TensorValues<T>>(*running_mean.impl()->storage).data();
      T* rv = std::get<TensorValues<T>>(*running_var.impl()->storage).data();
      const T* m = kernels::values<T>(stats.mean);
      const T* s2 = kernels::values<T>(stats.var);
      for (std::size_t c = 0; c < channels; ++c) {
        rm[c] = static_cast<T>((1 - momentum) * rm[c] + momentum * m[c]);
        rv[c] = static_cast<T>((1 - momentum) * rv[c] + momentum * s2[c] * count / (count - 1));
      }
    });
  }
  const std::vector<long> axes = all_but_channels(shape.size());
  const Shape bshape = channel_shape(channels, shape.size());
  const bool bias_grad = bias.defined() && bias.requires_grad();
  return detail::record_optional(
      "batch_norm", std::move(y), {input, weight, bias},
      [input, weight, bias_grad, stats, batch_stats, eps, axes, bshape, channels,
       v](const Tensor& dy) {
        if (!GradMode::is_enabled()) {
          return normalize_backward_values(
              dy, input, weight, stats, v, batch_stats,
              [](std::size_t q, std::size_t) { return q; }, true, Shape{channels},
              input.requires_grad(), weight.defined() && weight.requires_grad(), bias_grad);
        }
        Tensor x_hat, invstd;
        if (batch_stats && GradMode::is_enabled() && input.requires_grad()) {
          invstd = normalize_recorded(input, axes, eps, x_hat).invstd;
        } else {  // the forward's statistics, constants
          invstd = reshape(stats.invstd, bshape);
          x_hat = mul(sub(input, reshape(stats.mean, bshape)), invstd);
        }
        Gradients grads(3);
        if (input.requires_grad()) {
          Tensor g = weight.defined() ? mul(dy, reshape(weight, bshape)) : dy;
          grads[0] = batch_stats ? batch_statistics_grad(g, x_hat, invstd, axes) : mul(g, invstd);
        }
        if (weight.defined() && weight.requires_grad()) {
          grads[1] = reshape(sum(mul(dy, x_hat), axes), Shape{channels});
        }
        if (bias_grad) grads[2] = reshape(sum(dy, axes), Shape{channels});
        return grads;
      });
}

Tensor layer_norm(const Tensor& input, const Shape& normalized_shape, const Tensor& weight,
                  const Tensor& bias, double eps) {
  kernels::check_defined("layer_norm", input);
  const Shape shape = input.shape();
  const std::size_t k = normalized_shape.size();
  const bool fits =
      k > 0 && k <= shape.size() &&
      Shape(shape.end() - static_cast<std::ptrdiff_t>(k), shape.end()) == normalized_shape;
  if (!fits) {
    throw std::invalid_argument("layer_norm: input of shape " + format_shape(shape) +
                                " does not end in normalized_shape " +
                                format_shape(normalized_shape));
  }
  check_vector("layer_norm", "weight", weight, input, normalized_shape);
  check_vector("layer_norm", "bias", bias, input, normalized_shape);
  NormView v;
  v.r = shape_numel(normalized_shape);
  v.q = v.r == 0 ? 0 : input.numel() / v.r;
  Statistics stats;
  Tensor y = normalize_forward(
      input, v, weight, bias, nullptr, eps, [](std::size_t, std::size_t r) { return r; }, stats);
  std::vector<long> axes;
  Shape stat_shape = shape;
  for (std::size_t d = shape.size() - k; d < shape.size(); ++d) {
    axes.push_back(static_cast<long>(d));
    stat_shape[d] = 1;
  }
  const bool bias_grad = bias.defined() && bias.requires_grad();
  return detail::record_optional(
      "layer_norm", std::move(y), {input, weight, bias},
      [input, weight, bias_grad, stats, eps, axes, stat_shape, normalized_shape,
       v](const Tensor& dy) {
        if (!GradMode::is_enabled()) {
          return normalize_backward_values(
              dy, input, weight, stats, v, true, [](std::size_t, std::size_t r) { return r; },
              false, normalized_shape, input.requires_grad(),
              weight.defined() && weight.requires_grad(), bias_grad);
        }
        Tensor x_hat, invstd;
        if (GradMode::is_enabled() && input.requires_grad()) {
          invstd = normalize_recorded(input, axes, eps, x_hat).invstd;
        } else {
          invstd = reshape(stats.invstd, stat_shape);
          x_hat = mul(sub(input, reshape(stats.mean, stat_shape)), invstd);
        }
        Gradients grads(3);
        if (input.requires_grad()) {
          Tensor g = weight.defined() ? mul(dy, weight) : dy;
          grads[0] = batch_statistics_grad(g, x_hat, invstd, axes);
        }
        if (weight.defined() && weight.requires_grad()) {
          grads[1] = reduce_to_shape(mul(dy, x_hat), normalized_shape);
        }
        if (bias_grad) grads[2] = reduce_to_shape(dy, normalized_shape);
        return grads;
      });
}

Tensor group_norm(const Tensor& input, std::size_t num_groups, const Tensor& weight,
                  const Tensor& bias, double eps) {
  check_rank("group_norm", input);
  const Shape shape = input.shape();
  const std::size_t channels = shape[1];
  if (num_groups == 0 || channels % num_groups != 0) {
    throw std::invalid_argument("group_norm: num_groups " + std::to_string(num_groups) +
                                " does not divide the " + std::to_string(channels) +
                                " channels of input of shape " + format_shape(shape));
  }
  check_vector("group_norm", "weight", weight, input, {channels});
  check_vector("group_norm", "bias", bias, input, {channels});
  std::size_t spatial = 1;
  for (std::size_t d = 2; d < shape.size(); ++d) spatial *= shape[d];
  const std::size_t group_size = channels / num_groups;
  NormView v;
  v.q = shape[0] * num_groups;
  v.r = group_size * spatial;
  Statistics stats;
  // The channel of element r of statistic q: (q mod G) Cg + r / spatial, the division looked up
  auto offset_in_group = std::make_shared<std::vector<std::size_t>>(v.r);
  for (std::size_t r = 0; r < v.r; ++r) (*offset_in_group)[r] = r / spatial;
  auto channel_of = [num_groups, group_size, offset_in_group](std::size_t q, std::size_t r) {
    return (q % num_groups) * group_size + (*offset_in_group)[r];
  };
  Tensor y = normalize_forward(input, v, weight, bias, nullptr, eps, channel_of, stats);
  const Shape grouped{shape[0], num_groups, group_size * spatial};  // (N, G, rest)
  const Shape stat_shape{shape[0], num_groups, 1};
  const std::vector<long> group_axes{2};
  const std::vector<long> affine_axes = all_but_channels(shape.size());
  const Shape bshape = channel_shape(channels, shape.size());
  const bool bias_grad = bias.defined() && bias.requires_grad();
  return detail::record_optional(
      "group_norm", std::move(y), {input, weight, bias},
      [input, weight, bias_grad, stats, eps, shape, grouped, stat_shape, group_axes, affine_axes,
       bshape, channels, v, channel_of](const Tensor& dy) {
        if (!GradMode::is_enabled()) {
          return normalize_backward_values(dy, input, weight, stats, v, true, channel_of, false,
                                           Shape{channels}, input.requires_grad(),
                                           weight.defined() && weight.requires_grad(), bias_grad);
        }
        Tensor x_grouped = reshape(input, grouped);
        Tensor x_hat, invstd;  // grouped
        if (GradMode::is_enabled() && input.requires_grad()) {
          invstd = normalize_recorded(x_grouped, group_axes, eps, x_hat).invstd;
        } else {
          invstd = reshape(stats.invstd, stat_shape);
          x_hat = mul(sub(x_grouped, reshape(stats.mean, stat_shape)), invstd);
        }
        Gradients grads(3);
        if (input.requires_grad()) {
          Tensor g = weight.defined() ? mul(dy, reshape(weight, bshape)) : dy;
          grads[0] =
              reshape(batch_statistics_grad(reshape(g, grouped), x_hat, invstd, group_axes), shape);
        }
        if (weight.defined() && weight.requires_grad()) {
          grads[1] = reshape(sum(mul(dy, reshape(x_hat, shape)), affine_axes), Shape{channels});
        }
        if (bias_grad) grads[2] = reshape(sum(dy, affine_axes), Shape{channels});
        return grads;
      });
}

}  // namespace xgrad
