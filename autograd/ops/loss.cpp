// Fused losses: each computes per-element (or per-row) terms in one stable pass and records a
// backward written in tensor ops; the reduction is then an ordinary mean or sum.
#include "autograd/ops/loss.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "autograd/node.hpp"
#include "autograd/ops/activation.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/kernels.hpp"
#include "autograd/ops/reduction.hpp"
#include "autograd/ops/shape_ops.hpp"

namespace xgrad {

namespace {

void check_pair(const char* op, const Tensor& input, const Tensor& target) {
  kernels::check_same_dtype(op, input, target);
  if (input.shape() != target.shape()) {
    throw std::invalid_argument(std::string(op) + ": input " + format_shape(input.shape()) +
                                " and target " + format_shape(target.shape()) + " differ in shape");
  }
}

Tensor reduce(const char* op, const Tensor& terms, Reduction reduction) {
  switch (reduction) {
    case Reduction::none:
      return terms;
    case Reduction::sum:
      return sum(terms);
    case Reduction::mean:
      if (terms.numel() == 0) {
        throw std::invalid_argument(std::string(op) + ": mean over an empty input of shape " +
                                    format_shape(terms.shape()));
      }
      return mean(terms);
  }
  throw std::invalid_argument(std::string(op) + ": unknown reduction");
}

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_pair("mse_loss", input, target);
  Tensor diff = sub(input, target);
  return reduce("mse_loss", mul(diff, diff), reduction);
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_pair("binary_cross_entropy", input, target);
  dispatch(input.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = input.data<T>().data();
    for (std::size_t i = 0, n = input.numel(); i < n; ++i) {
      if (!(p[i] >= 0 && p[i] <= 1)) {
        throw std::invalid_argument(
            "binary_cross_entropy: input must be probabilities in [0, 1]; "
            "found " +
            format_number(p[i]) + " at flat index " + std::to_string(i) +
            " (use the _with_logits form on logits)");
      }
    }
  });
  // -(t log p + (1 - t) log(1 - p)), each log clamped at -100 so p = 0 or 1 stays finite
  Tensor terms = kernels::binary("binary_cross_entropy", input, target, [](auto p, auto t) {
    using T = decltype(p);
    const T log_p = std::max(std::log(p), T(-100));
    const T log_q = std::max(std::log1p(-p), T(-100));
    return -(t * log_p + (1 - t) * log_q);
  });
  terms = record("binary_cross_entropy", terms, {input, target}, [input, target](const Tensor& dy) {
    Tensor dp, dt;
    if (input.requires_grad()) {
      // d/dp = (p - t) / (p (1 - p)), the denominator kept away from 0
      dp = div(mul(dy, sub(input, target)), clamp(mul(input, 1.0 - input), 1e-12));
    }
    if (target.requires_grad()) {
      // d/dt = log(1 - p) - log(p)
      dt = mul(dy, sub(clamp(log(1.0 - input), -100), clamp(log(input), -100)));
    }
    return Gradients{dp, dt};
  });
  return reduce("binary_cross_entropy", terms, reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        Reduction reduction) {
  check_pair("binary_cross_entropy_with_logits", input, target);
  // max(z, 0) - z t + log(1 + e^-|z|): no exp of a positive number, exact for large |z|
  Tensor terms =
      kernels::binary("binary_cross_entropy_with_logits", input, target, [](auto z, auto t) {
        using T = decltype(z);
        return std::max(z, T(0)) - z * t + std::log1p(std::exp(-std::abs(z)));
      });
  terms = record("binary_cross_entropy_with_logits", terms, {input, target},
                 [input, target](const Tensor& dy) {
                   Tensor dz, dt;
                   if (input.requires_grad())
                     dz = mul(dy, sub(sigmoid(input), target));           // s(z) - t
                   if (target.requires_grad()) dt = mul(dy, neg(input));  // -z
                   return Gradients{dz, dt};
                 });
  return reduce("binary_cross_entropy_with_logits", terms, reduction);
}

Tensor cross_entropy(const Tensor& logits, const std::vector<std::int64_t>& target,
                     Reduction reduction, double label_smoothing) {
  kernels::check_defined("cross_entropy", logits);
  if (!(label_smoothing >= 0 && label_smoothing <= 1)) {
    throw std::invalid_argument("cross_entropy: label_smoothing must be in [0, 1], got " +
                                format_number(label_smoothing));
  }
  const double e = label_smoothing;
  const Shape shape = logits.shape();
  if (shape.size() != 2) {
    throw std::invalid_argument("cross_entropy: logits must be 2-D (N, C); got " +
                                format_shape(shape));
  }
  const std::size_t rows = shape[0];
  const std::size_t classes = shape[1];
  if (target.size() != rows) {
    throw std::invalid_argument("cross_entropy: " + std::to_string(target.size()) +
                                " targets for logits of shape " + format_shape(shape));
  }
  for (std::size_t i = 0; i < rows; ++i) {
    if (target[i] < 0 || static_cast<std::size_t>(target[i]) >= classes) {
      throw std::out_of_range("cross_entropy: target " + std::to_string(target[i]) +
                              " out of range for " + std::to_string(classes) + " classes (row " +
                              std::to_string(i) + ")");
    }
  }
  // Row i: logsumexp(z_i) - sum_c q_c z_ic with q = (1 - e) onehot(t_i) + e / C; the row maximum
  // m is taken out first: log(sum_c e^(z_c - m)) - (1 - e)(z_t - m) - e mean_c(z_c - m).
  Tensor terms = dispatch(logits.dtype(), [&](auto tag) {
    using T = decltype(tag);
    auto out = xt::xarray<T>::from_shape({rows});
    const T* z = logits.data<T>().data();
    for (std::size_t i = 0; i < rows; ++i) {
      const T* row = z + i * classes;
      T top = row[0];
      for (std::size_t c = 1; c < classes; ++c) top = std::max(top, row[c]);
      T total = 0, centred_sum = 0;
      for (std::size_t c = 0; c < classes; ++c) {
        total += std::exp(row[c] - top);
        centred_sum += row[c] - top;
      }
      T loss = std::log(total) - (row[target[i]] - top);  // exact to an ulp at any scale
      if (e > 0) {
        loss = std::log(total) - static_cast<T>(1 - e) * (row[target[i]] - top) -
               static_cast<T>(e) * centred_sum / static_cast<T>(classes);
      }
      out.data()[i] = loss;
    }
    return Tensor(std::move(out));
  });
  terms = record("cross_entropy", terms, {logits}, [logits, target, e](const Tensor& dy) {
    // d/dz_i = (softmax(z_i) - q_i) dy_i, q the (smoothed) target distribution: a constant
    Tensor q = dispatch(logits.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const Shape s = logits.shape();
      auto out = xt::xarray<T>::from_shape(s);
      out.fill(static_cast<T>(e / static_cast<double>(s[1])));
      for (std::size_t i = 0; i < s[0]; ++i)
        out.data()[i * s[1] + target[i]] += static_cast<T>(1 - e);
      return Tensor(std::move(out));
    });
    const long n = static_cast<long>(dy.numel());
    return Gradients{mul(sub(softmax(logits, 1), q), reshape(dy, {n, 1}))};
  });
  return reduce("cross_entropy", terms, reduction);
}

Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction,
                     double label_smoothing) {
  kernels::check_defined("cross_entropy", target);
  if (target.dim() != 1) {
    throw std::invalid_argument("cross_entropy: target must be 1-D class indices; got " +
                                format_shape(target.shape()));
  }
  std::vector<std::int64_t> classes(target.numel());
  dispatch(target.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* t = target.data<T>().data();
    for (std::size_t i = 0; i < classes.size(); ++i) {
      if (!std::isfinite(t[i]) || std::floor(t[i]) != t[i]) {
        throw std::invalid_argument("cross_entropy: target " + format_number(t[i]) +
                                    " is not a class index (row " + std::to_string(i) + ")");
      }
      classes[i] = static_cast<std::int64_t>(t[i]);
    }
  });
  return cross_entropy(logits, classes, reduction, label_smoothing);
}

}  // namespace xgrad
