// nn::MultiheadAttention as ops: three projections (one gemm each), the heads as a batch axis of
// two batched products around a softmax, then the output projection.
#include "nn/attention.hpp"

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/factory.hpp"
#include "autograd/ops.hpp"
#include "nn/init.hpp"

namespace xgrad::nn {

namespace {

const char* kName = "MultiheadAttention";

// Checks a mask's shape and dtype and returns it as an additive float mask in the attention's
// dtype: a bool mask (true = masked out, PyTorch's convention) becomes -inf where true, 0
// elsewhere; a float mask is added as it is.
Tensor additive_mask(const char* what, const Tensor& mask, const Shape& expected, Dtype dtype) {
  if (!mask.has_shape(expected)) {
    throw std::invalid_argument(std::string(kName) + ": " + what + " has shape " +
                                format_shape(mask.shape()) + ", expected " +
                                format_shape(expected));
  }
  if (mask.dtype() == boolean) {
    return masked_fill(zeros(expected, dtype), mask, -std::numeric_limits<double>::infinity());
  }
  if (mask.dtype() != dtype) {
    throw std::invalid_argument(std::string(kName) + ": " + what + " is " +
                                dtype_name(mask.dtype()) + "; expected bool (true = masked out) " +
                                "or " + dtype_name(dtype) + " added to the scores, as the layer");
  }
  return mask;
}

}  // namespace

Tensor generate_square_subsequent_mask(std::size_t size, Dtype dtype) {
  Tensor mask = zeros({size, size}, dtype);
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* m = mask.data<T>().data();
    for (std::size_t i = 0; i < size; ++i) {
      for (std::size_t j = i + 1; j < size; ++j)
        m[i * size + j] = -std::numeric_limits<T>::infinity();
    }
  });
  return mask;
}

MultiheadAttention::MultiheadAttention(std::size_t embed_dim, std::size_t num_heads, double dropout,
                                       bool bias, bool batch_first, Generator& generator,
                                       Dtype dtype)
    : embed_dim_(embed_dim),
      num_heads_(num_heads),
      dropout_p_(dropout),
      batch_first_(batch_first),
      dropout_(dropout, generator) {
  if (embed_dim == 0 || num_heads == 0 || embed_dim % num_heads != 0) {
    throw std::invalid_argument(std::string(kName) + ": embed_dim " + std::to_string(embed_dim) +
                                " must be a positive multiple of num_heads " +
                                std::to_string(num_heads));
  }
  Tensor w = zeros({3 * embed_dim, embed_dim}, dtype);
  const double bound = std::sqrt(6.0 / static_cast<double>(4 * embed_dim));  // Xavier, fans E, 3E
  init::uniform_(w, -bound, bound, generator);
  in_proj_weight = register_parameter("in_proj_weight", w);
  if (bias) in_proj_bias = register_parameter("in_proj_bias", zeros({3 * embed_dim}, dtype));
  out_proj = register_module(
      "out_proj", std::make_shared<Linear>(embed_dim, embed_dim, bias, Init::pytorch_default,
                                           generator, dtype));
  if (bias) init::constant_(out_proj->bias, 0.0);
}

void MultiheadAttention::train(bool on) {
  Module::train(on);
  dropout_.train(on);
}

AttentionOutput MultiheadAttention::forward(const Tensor& query, const Tensor& key,
                                            const Tensor& value, const Tensor& key_padding_mask,
                                            bool need_weights, const Tensor& attn_mask,
                                            bool average_attn_weights, bool is_causal) {
  const std::size_t e = embed_dim_, heads = num_heads_, d = e / heads;
  const Dtype dtype = in_proj_weight.dtype();
  const Tensor* inputs[] = {&query, &key, &value};
  const char* names[] = {"query", "key", "value"};
  for (int i = 0; i < 3; ++i) {
    if (!inputs[i]->defined()) {
      throw std::invalid_argument(std::string(kName) + ": " + names[i] + " is undefined");
    }
    const Shape s = inputs[i]->shape();
    if ((s.size() != 2 && s.size() != 3) || s.back() != e || s.size() != query.dim()) {
      throw std::invalid_argument(std::string(kName) + ": " + names[i] + " has shape " +
                                  format_shape(s) + ", expected " +
                                  (batch_first_ ? "(N, L, " : "(L, N, ") + std::to_string(e) +
                                  ") or unbatched (L, " + std::to_string(e) + ") like the query");
    }
    if (inputs[i]->dtype() != dtype) {
      throw std::invalid_argument(std::string(kName) + ": " + names[i] + " is " +
                                  dtype_name(inputs[i]->dtype()) + ", layer is " +
                                  dtype_name(dtype) + " (convert one with to())");
    }
  }
  const bool batched = query.dim() == 3;
  // Everything batch first: (N, L, E).
  auto batch_first = [&](const Tensor& t) {
    if (!batched) return reshape(t, Shape{1, t.size(0), e});
    return batch_first_ ? t : transpose(t, 0, 1);
  };
  const Tensor q_in = batch_first(query), k_in = batch_first(key), v_in = batch_first(value);
  const std::size_t n = q_in.size(0), l = q_in.size(1), s = k_in.size(1);
  if (k_in.size(0) != n || v_in.size(0) != n || v_in.size(1) != s) {
    throw std::invalid_argument(std::string(kName) + ": query " + format_shape(query.shape()) +
                                ", key " + format_shape(key.shape()) + " and value " +
                                format_shape(value.shape()) +
                                " must agree in batch size, and key and value in length");
  }
  if (l == 0 || s == 0) {
    throw std::invalid_argument(std::string(kName) + ": the sequence is empty (length 0)");
  }
  Tensor padding_mask;
  if (key_padding_mask.defined()) {
    padding_mask = additive_mask("key_padding_mask", key_padding_mask,
                                 batched ? Shape{n, s} : Shape{s}, dtype);
  }
  Tensor mask;
  if (attn_mask.defined()) {
    mask = additive_mask("attn_mask", attn_mask,
                         attn_mask.dim() == 3 ? Shape{n * heads, l, s} : Shape{l, s}, dtype);
  } else if (is_causal) {
    if (l != s) {
      throw std::invalid_argument(std::string(kName) +
                                  ": is_causal needs as many keys as queries; got " +
                                  std::to_string(l) + " and " + std::to_string(s));
    }
    mask = generate_square_subsequent_mask(l, dtype);
  }

  // Projections: [N L, E] @ W^T + b, rows of the packed weight for each of q, k, v.
  auto project = [&](const Tensor& x, std::size_t part, std::size_t length) {
    const Tensor w = slice(in_proj_weight, 0, part * e, (part + 1) * e);
    const Tensor b =
        in_proj_bias.defined() ? slice(in_proj_bias, 0, part * e, (part + 1) * e) : Tensor();
    return reshape(linear(reshape(x, Shape{n * length, e}), w, b), Shape{n, length, e});
  };
  const Tensor q = project(q_in, 0, l), k = project(k_in, 1, s), v = project(v_in, 2, s);
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));

  // Heads as a batch axis: (N, length, E) -> (N, heads, length, d).
  auto split_heads = [&](const Tensor& t, std::size_t length) {
    return permute(reshape(t, Shape{n, length, heads, d}), {0, 2, 1, 3});
  };
  const Tensor qh = split_heads(q, l), kh = split_heads(k, s), vh = split_heads(v, s);
  Tensor scores = matmul(qh, kh, false, true) * scale;  // (N, heads, L, S) = q k^T / sqrt(d)
  if (mask.defined()) {
    scores = scores + (mask.dim() == 3 ? reshape(mask, Shape{n, heads, l, s}) : mask);
  }
  if (padding_mask.defined()) scores = scores + reshape(padding_mask, Shape{n, 1, 1, s});
  const Tensor weights = softmax(scores, -1);
  const Tensor attended = matmul(dropout_p_ > 0 ? dropout_.forward(weights) : weights, vh);
  // (N, heads, L, d) -> (N L, E), the heads side by side, then the output projection.
  const Tensor joined = reshape(permute(attended, {0, 2, 1, 3}), Shape{n * l, e});
  const Tensor out = reshape(out_proj->forward(joined), Shape{n, l, e});
  AttentionOutput result;
  result.output = !batched ? reshape(out, Shape{l, e}) : batch_first_ ? out : transpose(out, 0, 1);
  if (need_weights) {
    result.weights = average_attn_weights ? mean(weights, {1}) : weights;
    if (!batched) result.weights = select(result.weights, 0, 0);
  }
  return result;
}

std::string MultiheadAttention::extra_repr() const {
  std::ostringstream out;
  out << "embed_dim=" << embed_dim_ << ", num_heads=" << num_heads_;
  if (dropout_p_ != 0) out << ", dropout=" << dropout_p_;
  if (!in_proj_bias.defined()) out << ", bias=false";
  if (batch_first_) out << ", batch_first=true";
  return out.str();
}

}  // namespace xgrad::nn
