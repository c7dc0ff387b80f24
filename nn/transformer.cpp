// nn::TransformerEncoderLayer as a composition of its submodules: MultiheadAttention, two Linear
// layers, two LayerNorm and the dropouts; its gradient is the engine's.
#include "nn/transformer.hpp"

#include <sstream>
#include <stdexcept>
#include <string>

#include "autograd/ops.hpp"

namespace xgrad::nn {

TransformerEncoderLayer::TransformerEncoderLayer(const TransformerEncoderLayerOptions& options,
                                                 Generator& generator, Dtype dtype)
    : options_(options) {
  const auto& o = options;
  if (o.activation_ != "relu" && o.activation_ != "gelu") {
    throw std::invalid_argument(
        "TransformerEncoderLayer: activation must be \"relu\" or \"gelu\", got \"" + o.activation_ +
        "\"");
  }
  if (o.dim_feedforward_ == 0) {
    throw std::invalid_argument("TransformerEncoderLayer: dim_feedforward must be positive");
  }
  // PyTorch's registration order, so state dicts list the same keys in the same order.
  self_attn = register_module(
      "self_attn", std::make_shared<MultiheadAttention>(o.d_model_, o.nhead_, o.dropout_, o.bias_,
                                                        o.batch_first_, generator, dtype));
  linear1 =
      register_module("linear1", std::make_shared<Linear>(o.d_model_, o.dim_feedforward_, o.bias_,
                                                          Init::pytorch_default, generator, dtype));
  dropout = register_module("dropout", std::make_shared<Dropout>(o.dropout_, generator));
  linear2 =
      register_module("linear2", std::make_shared<Linear>(o.dim_feedforward_, o.d_model_, o.bias_,
                                                          Init::pytorch_default, generator, dtype));
  norm1 = register_module(
      "norm1", std::make_shared<LayerNorm>(o.d_model_, o.layer_norm_eps_, true, o.bias_, dtype));
  norm2 = register_module(
      "norm2", std::make_shared<LayerNorm>(o.d_model_, o.layer_norm_eps_, true, o.bias_, dtype));
  dropout1 = register_module("dropout1", std::make_shared<Dropout>(o.dropout_, generator));
  dropout2 = register_module("dropout2", std::make_shared<Dropout>(o.dropout_, generator));
}

Tensor TransformerEncoderLayer::forward(const Tensor& src, const Tensor& src_mask,
                                        const Tensor& src_key_padding_mask, bool is_causal) {
  if (!src.defined()) throw std::invalid_argument("TransformerEncoderLayer: src is undefined");
  if ((src.dim() != 2 && src.dim() != 3) || src.shape().back() != options_.d_model_) {
    const std::string e = std::to_string(options_.d_model_);
    throw std::invalid_argument(
        "TransformerEncoderLayer: src has shape " + format_shape(src.shape()) + ", expected " +
        (options_.batch_first_ ? "(N, S, " : "(S, N, ") + e + ") or unbatched (S, " + e + ")");
  }
  auto self_attention = [&](const Tensor& x) {
    const AttentionOutput a = self_attn->forward(x, x, x, src_key_padding_mask,
                                                 /*need_weights=*/false, src_mask,
                                                 /*average_attn_weights=*/true, is_causal);
    return dropout1->forward(a.output);
  };
  auto feed_forward = [&](const Tensor& x) {
    // Linear takes (N, features): every position as a row, then the input's shape back.
    const Tensor rows = reshape(x, Shape{x.numel() / options_.d_model_, options_.d_model_});
    const Tensor h = linear1->forward(rows);
    const Tensor a = options_.activation_ == "gelu" ? gelu(h) : relu(h);
    return dropout2->forward(reshape(linear2->forward(dropout->forward(a)), x.shape()));
  };
  Tensor x = src;
  if (options_.norm_first_) {
    x = x + self_attention(norm1->forward(x));
    x = x + feed_forward(norm2->forward(x));
  } else {
    x = norm1->forward(x + self_attention(x));
    x = norm2->forward(x + feed_forward(x));
  }
  return x;
}

std::string TransformerEncoderLayer::extra_repr() const {
  const auto& o = options_;
  std::ostringstream out;
  out << "d_model=" << o.d_model_ << ", nhead=" << o.nhead_
      << ", dim_feedforward=" << o.dim_feedforward_ << ", dropout=" << o.dropout_
      << ", activation=" << o.activation_;
  if (o.batch_first_) out << ", batch_first=true";
  if (o.norm_first_) out << ", norm_first=true";
  return out.str();
}

}  // namespace xgrad::nn
