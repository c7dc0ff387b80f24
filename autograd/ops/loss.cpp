// Fused losses: each computes per-element (or per-row) terms in one stable pass and records a
// backward written in tensor ops; the reduction is then an ordinary mean or sum.
#include "autograd/ops/loss.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "autograd/factory.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops/activation.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/kernels.hpp"
#include "autograd/ops/reduction.hpp"
#include "autograd/ops/shape_ops.hpp"

namespace xgrad {

void check_loss_pair(const char* op, const Tensor& input, const Tensor& target) {
  if (!input.defined() || !target.defined()) {
    throw std::invalid_argument(std::string(op) + ": " + (input.defined() ? "target" : "input") +
                                " is undefined");
  }
  if (input.dtype() != target.dtype()) {
    throw std::invalid_argument(std::string(op) + ": input is " + dtype_name(input.dtype()) +
                                ", target is " + dtype_name(target.dtype()) +
                                " (convert one with to())");
  }
  if (input.shape() != target.shape()) {
    throw std::invalid_argument(std::string(op) + ": input " + format_shape(input.shape()) +
                                " and target " + format_shape(target.shape()) + " differ in shape");
  }
}

const char* reduction_name(Reduction reduction) {
  switch (reduction) {
    case Reduction::mean:
      return "mean";
    case Reduction::sum:
      return "sum";
    case Reduction::none:
      return "none";
  }
  return "unknown";
}

Tensor apply_reduction(const char* op, const Tensor& terms, Reduction reduction) {
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

namespace {

// What each term is divided by: the count for a mean, 1 for a sum. Throws for the mean of nothing,
// as apply_reduction does.
double divisor(const char* op, ShapeRef terms, Reduction reduction) {
  if (reduction == Reduction::sum) return 1.0;
  const std::size_t count = shape_numel(terms);
  if (count == 0) {
    throw std::invalid_argument(std::string(op) + ": mean over an empty input of shape " +
                                format_shape(terms));
  }
  return static_cast<double>(count);
}

// A scalar loss in one pass: sum_i term(i) over eight double lanes (as sum() adds), rounded to T,
// then divided by n (1 for a sum): the value apply_reduction gives, without a terms tensor.
template <class T, class F>
Tensor reduced_loss(std::size_t count, double n, F term) {
  Tensor y = kernels::empty<T>(Shape{});
  *kernels::values<T>(y) = static_cast<T>(kernels::sum_lanes(count, term)) / static_cast<T>(n);
  return y;
}

// dy / n for the scalar upstream gradient of a reduced loss, as the number its dtype rounds it to:
// what the one-pass backward kernels multiply by (the tensor-op form computes dy / n).
double unchecked_scaled_value(const Tensor& dy, double n) {
  return dispatch(dy.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return static_cast<double>(*kernels::values<T>(dy) / static_cast<T>(n));
  });
}

// The same, for a backward kernel that bakes it in: a value read on the host, which a replay
// would not read again, so a capture refuses it (cross_entropy records a kernel that reads dy).
double scaled_value(const Tensor& dy, double n) {
  if (detail::active_tape) detail::capture_unsupported("the one-pass backward of this loss");
  return unchecked_scaled_value(dy, n);
}

// The target distribution of cross-entropy with label smoothing e, (N, C): q_i = (1 - e)
// onehot(t_i)
// + e / C.
Tensor target_distribution(const Tensor& logits, const std::vector<std::int64_t>& target,
                           double e) {
  return dispatch(logits.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const ShapeRef s = logits.sizes();
    Tensor q = kernels::empty<T>(s);
    T* out = kernels::values<T>(q);
    std::fill(out, out + q.numel(), static_cast<T>(e / static_cast<double>(s[1])));
    for (std::size_t i = 0; i < s[0]; ++i) out[i * s[1] + target[i]] += static_cast<T>(1 - e);
    return q;
  });
}

// For logits z (rows, classes): e = exp(z - m) with m each row's maximum (0 where it is not
// finite, so that a row with inf or NaN comes out NaN, as the arithmetic says), m, and each row's
// total of e. The exponentials go in one flat loop over all the values, which vectorises; a loop
// per row over a handful of classes (the notebook's 4) would not.
template <class T>
void shifted_exps(const T* z, std::size_t rows, std::size_t classes, T* e, T* top, T* total) {
  for (std::size_t i = 0; i < rows; ++i) {
    const T* row = z + i * classes;
    T m = -std::numeric_limits<T>::infinity();
    for (std::size_t k = 0; k < classes; ++k) m = std::max(m, row[k]);
    if (!std::isfinite(m)) m = 0;
    top[i] = m;
    for (std::size_t k = 0; k < classes; ++k) e[i * classes + k] = row[k] - m;
  }
  for (std::size_t j = 0, n = rows * classes; j < n; ++j) e[j] = kernels::exp_value(e[j]);
  for (std::size_t i = 0; i < rows; ++i) {
    T sum = 0;
    for (std::size_t k = 0; k < classes; ++k) sum += e[i * classes + k];
    total[i] = sum;
  }
}

// log(t) for a row total t >= 1 (the row maximum contributes e^0): for float32 as log1p(t - 1),
// whose polynomial vectorises (t - 1 is exact for t below 2^24), within 2 ulp of logf.
inline float log_total(float t) {
  return kernels::log1p_value(t - 1.0f);
}
inline double log_total(double t) {
  return std::log(t);
}

// (softmax(z_i) - q_i) c for every row of logits z (rows, classes) into out, in one pass: softmax
// as softmax() computes it, q as target_distribution() builds it, so the values are those of the
// tensor ops. top and total are scratch space of `rows` values.
template <class T>
void softmax_minus_target_values(const T* z, const std::int64_t* target, std::size_t rows,
                                 std::size_t classes, double e, T c, T* out, T* top, T* total) {
  const T off = static_cast<T>(e / static_cast<double>(classes));
  const T on = static_cast<T>(1 - e);
  shifted_exps(z, rows, classes, out, top, total);
  for (std::size_t i = 0; i < rows; ++i) {
    // (p_k - q_k) c with p_k = e_k / total, rounded as the tensor ops round it
    T* row = out + i * classes;
    const T total_i = total[i];
    for (std::size_t k = 0; k < classes; ++k) {
      const T q = static_cast<std::int64_t>(k) == target[i] ? off + on : off;
      row[k] = (row[k] / total_i - q) * c;
    }
  }
}

Tensor softmax_minus_target(const Tensor& logits, const std::vector<std::int64_t>& target, double e,
                            double scale) {
  return dispatch(logits.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const ShapeRef s = logits.sizes();
    Tensor dz = kernels::empty<T>(s);
    Tensor top = kernels::empty<T>(Shape{s[0]}), total = kernels::empty<T>(Shape{s[0]});
    softmax_minus_target_values(kernels::values<T>(logits), target.data(), s[0], s[1], e,
                                static_cast<T>(scale), kernels::values<T>(dz),
                                kernels::values<T>(top), kernels::values<T>(total));
    return dz;
  });
}

// Throws std::out_of_range "cross_entropy: target 7 out of range for 5 classes (row 12)" unless
// every target is a class index.
void check_targets(const std::int64_t* target, std::size_t rows, std::size_t classes) {
  for (std::size_t i = 0; i < rows; ++i) {
    if (target[i] < 0 || static_cast<std::size_t>(target[i]) >= classes) {
      throw std::out_of_range("cross_entropy: target " + std::to_string(target[i]) +
                              " out of range for " + std::to_string(classes) + " classes (row " +
                              std::to_string(i) + ")");
    }
  }
}

// Row i of cross-entropy with label smoothing e: logsumexp(z_i) - sum_c q_c z_ic with
// q = (1 - e) onehot(t_i) + e / C, the row maximum m taken out first:
// log(sum_c e^(z_c - m)) - (1 - e)(z_t - m) - e mean_c(z_c - m). Given m (top) and the logarithm
// of the row's total (logs).
template <class T>
T row_loss(const T* z, const std::int64_t* target, std::size_t classes, double e, const T* top,
           const T* logs, std::size_t i) {
  const T* row = z + i * classes;
  const T m = top[i];
  if (e == 0) return logs[i] - (row[target[i]] - m);  // exact to an ulp at any scale
  T centred_sum = 0;
  for (std::size_t c = 0; c < classes; ++c) centred_sum += row[c] - m;
  return logs[i] - static_cast<T>(1 - e) * (row[target[i]] - m) -
         static_cast<T>(e) * centred_sum / static_cast<T>(classes);
}

// The row maxima (top) and the logarithms of the rows' totals (logs) of logits z: the
// exponentials of all rows first (into exps, rows * classes values), then the logarithms, each in
// one vectorised loop.
template <class T>
void row_logsumexps(const T* z, std::size_t rows, std::size_t classes, T* exps, T* top, T* logs) {
  shifted_exps(z, rows, classes, exps, top, logs);
  for (std::size_t i = 0; i < rows; ++i) logs[i] = log_total(logs[i]);
}

// The mean (n = rows) or sum (n = 1) of the rows' cross-entropies, as reduced_loss adds them.
template <class T>
T reduced_cross_entropy(const T* z, const std::int64_t* target, std::size_t rows,
                        std::size_t classes, double e, double n, T* exps, T* top, T* logs) {
  row_logsumexps(z, rows, classes, exps, top, logs);
  return static_cast<T>(kernels::sum_lanes(
             rows, [&](std::size_t i) { return row_loss(z, target, classes, e, top, logs, i); })) /
         static_cast<T>(n);
}

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_loss_pair("mse_loss", input, target);
  if (reduction == Reduction::none) {
    Tensor diff = sub(input, target);
    return mul(diff, diff);
  }
  const double n = divisor("mse_loss", input.sizes(), reduction);
  // sum_i (a_i - t_i)^2 / n, one pass over both
  Tensor y = dispatch(input.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* a = kernels::values<T>(input);
    const T* t = kernels::values<T>(target);
    return reduced_loss<T>(input.numel(), n, [a, t](std::size_t i) {
      const T d = a[i] - t[i];
      return d * d;
    });
  });
  return record("mse_loss", std::move(y), {input, target}, [input, target, n](const Tensor& dy) {
    // d/da = (a - t) 2 dy / n = -d/dt
    Tensor da;
    if (!GradMode::is_enabled()) {  // the formula below in one pass
      const double c = scaled_value(dy, n);
      da = kernels::binary("mse_loss", input, target, [c](auto a, auto t) {
        using T = decltype(a);
        return (a - t) * (static_cast<T>(c) * T(2));
      });
    } else {
      da = mul(sub(input, target), mul(dy / n, 2.0));
    }
    return Gradients{input.requires_grad() ? da : Tensor(),
                     target.requires_grad() ? neg(da) : Tensor()};
  });
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_loss_pair("binary_cross_entropy", input, target);
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
  terms = record("binary_cross_entropy", std::move(terms), {input, target},
                 [input, target](const Tensor& dy) {
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
  return apply_reduction("binary_cross_entropy", terms, reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        Reduction reduction) {
  const char* name = "binary_cross_entropy_with_logits";
  check_loss_pair(name, input, target);
  // max(z, 0) - z t + log(1 + e^-|z|): no exp of a positive number, exact for large |z|
  auto term_from = [](auto z, auto t, auto e) {
    using T = decltype(z);
    return std::max(z, T(0)) - z * t + kernels::log1p_value(e);
  };
  auto term = [term_from](auto z, auto t) {
    return term_from(z, t, kernels::exp_value(-std::abs(z)));
  };
  if (reduction == Reduction::none) {
    Tensor terms = kernels::binary(name, input, target, term);
    return record(name, std::move(terms), {input, target}, [input, target](const Tensor& dy) {
      Tensor dz, dt;
      if (input.requires_grad()) dz = mul(dy, sub(sigmoid(input), target));  // s(z) - t
      if (target.requires_grad()) dt = mul(dy, neg(input));                  // -z
      return Gradients{dz, dt};
    });
  }
  // The mean or sum in one pass over both, with no terms tensor. When the gradient will be needed,
  // the same pass keeps s(z) = 1 / (1 + e^-z) from the e^-|z| it computes anyway, as 1 / (1 + e)
  // or e / (1 + e): the values sigmoid() gives, so backward needs no second exp.
  const double n = divisor(name, input.sizes(), reduction);
  const bool keep_sigmoid = GradMode::is_enabled() && input.requires_grad();
  Tensor s;
  Tensor y = dispatch(input.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* z = kernels::values<T>(input);
    const T* t = kernels::values<T>(target);
    if (keep_sigmoid) s = kernels::empty<T>(input.sizes());
    T* sig = keep_sigmoid ? kernels::values<T>(s) : nullptr;
    // The terms a block at a time (a loop that vectorises), summed as sum() adds.
    const double total = kernels::sum_lanes_blocked<T>(
        input.numel(), [&](std::size_t begin, std::size_t count, T* out) {
          const T* zb = z + begin;
          const T* tb = t + begin;
          if (sig) {
            T* sb = sig + begin;
            for (std::size_t j = 0; j < count; ++j) {
              const T e = kernels::exp_value(-std::abs(zb[j]));
              sb[j] = kernels::sigmoid_from(zb[j], e);
              out[j] = term_from(zb[j], tb[j], e);
            }
          } else {
            for (std::size_t j = 0; j < count; ++j) out[j] = term(zb[j], tb[j]);
          }
        });
    Tensor loss = kernels::empty<T>(Shape{});
    *kernels::values<T>(loss) = static_cast<T>(total) / static_cast<T>(n);
    return loss;
  });
  return record(name, std::move(y), {input, target}, [input, target, n, name, s](const Tensor& dy) {
    // d/dz = (s(z) - t) dy / n, d/dt = -z dy / n
    Tensor dz, dt;
    if (input.requires_grad() && !GradMode::is_enabled() && s.defined()) {
      // the formula below in one pass, with the s(z) kept by the forward pass
      const double c = scaled_value(dy, n);
      dz = kernels::binary(name, s, target, [c](auto sz, auto t) {
        return (sz - t) * static_cast<decltype(sz)>(c);
      });
    } else if (input.requires_grad()) {
      dz = mul(sub(sigmoid(input), target), dy / n);
    }
    if (target.requires_grad()) dt = mul(neg(input), dy / n);
    return Gradients{dz, dt};
  });
}

namespace {

// Records the one-pass backward of the reduced cross_entropy, dz = (softmax(z) - q) dy / n, to run
// again on replay with the targets and dy as they are then.
void record_backward(const Tensor& logits, const Tensor& target, const Tensor& dy, const Tensor& dz,
                     double e, double n) {
  dispatch(logits.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const std::size_t rows = logits.size(0), classes = logits.size(1);
    detail::record_kernel(
        "cross_entropy", {&logits, &target, &dy}, {&dz},
        [rows, classes, e, n, top = std::vector<T>(rows), total = std::vector<T>(rows),
         sz = logits.impl()->storage.get(), st = target.impl()->storage.get(),
         sdy = dy.impl()->storage.get(), sdz = dz.impl()->storage.get()]() mutable {
          const std::int64_t* t = detail::replay_values<std::int64_t>(*st, rows);
          check_targets(t, rows, classes);
          const T c = *detail::replay_values<T>(*sdy, 1) / static_cast<T>(n);
          softmax_minus_target_values(detail::replay_values<T>(*sz, rows * classes), t, rows,
                                      classes, e, c, detail::replay_values<T>(*sdz, rows * classes),
                                      top.data(), total.data());
        });
  });
}

// cross_entropy of logits against class indices `target`; `target_tensor` is the int64 tensor they
// were read from, or undefined when they came as a std::vector: a capture needs the tensor, to read
// new targets on replay.
Tensor cross_entropy_of(const Tensor& logits, const std::vector<std::int64_t>& target,
                        const Tensor& target_tensor, Reduction reduction, double label_smoothing) {
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
  check_targets(target.data(), rows, classes);
  if (reduction == Reduction::none) {
    if (detail::active_tape) detail::capture_unsupported("cross_entropy with reduction none");
    Tensor terms = dispatch(logits.dtype(), [&](auto tag) {
      using T = decltype(tag);
      std::vector<T> exps(rows * classes), top(rows), logs(rows);
      const T* z = kernels::values<T>(logits);
      row_logsumexps(z, rows, classes, exps.data(), top.data(), logs.data());
      Tensor out = kernels::empty<T>(Shape{rows});
      for (std::size_t i = 0; i < rows; ++i) {
        kernels::values<T>(out)[i] =
            row_loss(z, target.data(), classes, e, top.data(), logs.data(), i);
      }
      return out;
    });
    return record(
        "cross_entropy", std::move(terms), {logits}, [logits, target, e](const Tensor& dy) {
          // d/dz_i = (softmax(z_i) - q_i) dy_i, q the (smoothed) target distribution: a constant
          const long n = static_cast<long>(dy.numel());
          return Gradients{mul(sub(softmax(logits, 1), target_distribution(logits, target, e)),
                               reshape(dy, {n, 1}))};
        });
  }
  // The mean or sum over the rows in one pass, with no terms tensor.
  const double n = divisor("cross_entropy", Shape{rows}, reduction);
  if (detail::active_tape && !target_tensor.defined()) {
    detail::capture_unsupported("cross_entropy with targets that are not an int64 tensor");
  }
  Tensor y = dispatch(logits.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out = kernels::empty<T>(Shape{});
    {  // scratch for the exponentials, maxima and logarithms, which only the loss outlives
      Tensor exps = kernels::empty<T>(Shape{rows * classes});
      Tensor top = kernels::empty<T>(Shape{rows}), logs = kernels::empty<T>(Shape{rows});
      *kernels::values<T>(out) = reduced_cross_entropy(
          kernels::values<T>(logits), target.data(), rows, classes, e, n, kernels::values<T>(exps),
          kernels::values<T>(top), kernels::values<T>(logs));
    }
    if (detail::active_tape && target_tensor.defined()) {
      kernels::record_kernel<T, std::int64_t, T>(
          "cross_entropy", logits, target_tensor, out,
          [rows, classes, e, n, exps = std::vector<T>(rows * classes), top = std::vector<T>(rows),
           logs = std::vector<T>(rows)](const T* z, const std::int64_t* t, T* loss) mutable {
            check_targets(t, rows, classes);
            *loss = reduced_cross_entropy(z, t, rows, classes, e, n, exps.data(), top.data(),
                                          logs.data());
          });
    }
    return out;
  });
  return record("cross_entropy", std::move(y), {logits},
                [logits, target, target_tensor, e, n](const Tensor& dy) {
                  // d/dz_i = (softmax(z_i) - q_i) dy / n, q the (smoothed) target distribution: a
                  // constant
                  if (!GradMode::is_enabled()) {  // the formula below in one pass
                    Tensor dz =
                        softmax_minus_target(logits, target, e, unchecked_scaled_value(dy, n));
                    if (detail::active_tape && target_tensor.defined()) {
                      record_backward(logits, target_tensor, dy, dz, e, n);
                    }
                    return Gradients{dz};
                  }
                  return Gradients{
                      mul(sub(softmax(logits, 1), target_distribution(logits, target, e)), dy / n)};
                });
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const std::vector<std::int64_t>& target,
                     Reduction reduction, double label_smoothing) {
  return cross_entropy_of(logits, target, Tensor(), reduction, label_smoothing);
}

namespace {}  // namespace

namespace detail {

std::vector<std::int64_t> class_indices(const char* op, const Tensor& target) {
  kernels::check_defined(op, target);
  if (target.dim() != 1) {
    throw std::invalid_argument(std::string(op) + ": target must be 1-D class indices; got " +
                                format_shape(target.shape()));
  }
  if (target.dtype() == int64) {  // not to_vector(), which a capture refuses (a host read)
    const std::int64_t* t = target.data<std::int64_t>().data();
    return std::vector<std::int64_t>(t, t + target.numel());
  }
  if (target.dtype() == boolean) {
    throw std::invalid_argument(std::string(op) +
                                ": target must hold int64 class indices, got bool");
  }
  std::vector<std::int64_t> classes(target.numel());
  dispatch(target.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* t = target.data<T>().data();
    for (std::size_t i = 0; i < classes.size(); ++i) {
      // Checked before converting: a float beyond int64 has no integer value (undefined behaviour).
      if (!std::isfinite(t[i]) || std::floor(t[i]) != t[i] || std::fabs(t[i]) > 9.0e18) {
        throw std::invalid_argument(std::string(op) + ": target " + format_number(t[i]) +
                                    " is not a class index (row " + std::to_string(i) + ")");
      }
      classes[i] = static_cast<std::int64_t>(t[i]);
    }
  });
  return classes;
}

}  // namespace detail

namespace {

// The class weights as doubles, one per class (all 1 when undefined), checked against the input.
std::vector<double> class_weights(const char* op, const Tensor& input, const Tensor& weight) {
  const std::size_t classes = input.size(1);
  if (!weight.defined()) return std::vector<double>(classes, 1.0);
  if (weight.dtype() != input.dtype() || weight.shape() != Shape{classes}) {
    throw std::invalid_argument(std::string(op) + ": weight must be " + dtype_name(input.dtype()) +
                                " (" + std::to_string(classes) + ",), one per class; got " +
                                dtype_name(weight.dtype()) + " " + format_shape(weight.shape()));
  }
  return weight.to_vector<double>();
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction,
                     double label_smoothing) {
  const std::vector<std::int64_t> classes = detail::class_indices("cross_entropy", target);
  return cross_entropy_of(logits, classes, target.dtype() == int64 ? target : Tensor(), reduction,
                          label_smoothing);
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const Tensor& weight,
                std::int64_t ignore_index, Reduction reduction) {
  kernels::check_floating("nll_loss", log_probs);
  if (log_probs.dim() != 2) {
    throw std::invalid_argument("nll_loss: input must be 2-D (N, C) log-probabilities; got " +
                                format_shape(log_probs.shape()));
  }
  const std::vector<std::int64_t> classes = detail::class_indices("nll_loss", target);
  const std::size_t rows = log_probs.size(0), count = log_probs.size(1);
  if (classes.size() != rows) {
    throw std::invalid_argument("nll_loss: " + std::to_string(classes.size()) +
                                " targets for input of shape " + format_shape(log_probs.shape()));
  }
  const std::vector<double> w = class_weights("nll_loss", log_probs, weight);
  // The rows not ignored: their flat positions i C + t_i, their weights, and (for "none") where
  // each row's term lands: 0 for an ignored row (a zero term), 1 + k for the k-th kept row.
  std::vector<std::size_t> picks, landing(rows, 0);
  std::vector<double> kept_weights;
  for (std::size_t i = 0; i < rows; ++i) {
    const std::int64_t t = classes[i];
    if (t == ignore_index) continue;
    if (t < 0 || static_cast<std::size_t>(t) >= count) {
      throw std::out_of_range("nll_loss: target " + std::to_string(t) + " out of range for " +
                              std::to_string(count) + " classes (row " + std::to_string(i) + ")");
    }
    landing[i] = picks.size() + 1;
    picks.push_back(i * count + static_cast<std::size_t>(t));
    kept_weights.push_back(w[static_cast<std::size_t>(t)]);
  }
  // -w[t_i] log p_i[t_i], read by index_select (whose gradient is a scatter-add): a one-hot
  // product would turn a -inf log-probability elsewhere in the row into NaN.
  const Tensor picked = index_select(reshape(log_probs, {-1}), 0, picks);
  const Tensor terms =
      neg(mul(picked, from_vector(kept_weights, {kept_weights.size()}, log_probs.dtype())));
  if (reduction == Reduction::none) {
    return index_select(concat({zeros({1}, log_probs.dtype()), terms}), 0, landing);
  }
  if (reduction == Reduction::sum) return sum(terms);
  double total = 0;
  for (double k : kept_weights) total += k;
  if (total == 0) {
    throw std::invalid_argument(
        "nll_loss: the mean has no weight to divide by (every target is "
        "ignore_index " +
        std::to_string(ignore_index) + " or has weight 0)");
  }
  return sum(terms) / total;  // PyTorch: divided by the total weight of the rows not ignored
}

Tensor cross_entropy(const Tensor& logits, const Tensor& target, const Tensor& weight,
                     std::int64_t ignore_index, Reduction reduction, double label_smoothing) {
  const std::vector<std::int64_t> classes = detail::class_indices("cross_entropy", target);
  const bool ignores = std::find(classes.begin(), classes.end(), ignore_index) != classes.end();
  if (!weight.defined() && !ignores) {
    return cross_entropy(logits, classes, reduction, label_smoothing);  // the fused one-pass op
  }
  if (label_smoothing != 0) {
    throw std::invalid_argument(
        "cross_entropy: label_smoothing with class weights or ignored targets is not supported; "
        "pass one or the other");
  }
  kernels::check_floating("cross_entropy", logits);
  if (logits.dim() != 2) {
    throw std::invalid_argument("cross_entropy: logits must be 2-D (N, C); got " +
                                format_shape(logits.shape()));
  }
  return nll_loss(log_softmax(logits, 1), target, weight, ignore_index, reduction);
}

}  // namespace xgrad
