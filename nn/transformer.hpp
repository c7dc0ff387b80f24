// nn::TransformerEncoderLayer: self-attention and a feed-forward block, each with a residual
// connection and layer normalization, as torch.nn.TransformerEncoderLayer (the same arguments,
// submodule and parameter names, so PyTorch state dicts load with nn::load).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "autograd/random.hpp"
#include "nn/attention.hpp"
#include "nn/dropout.hpp"
#include "nn/linear.hpp"
#include "nn/module.hpp"
#include "nn/normalization.hpp"

namespace xgrad::nn {

/// PyTorch's constructor arguments, with defaults; set them by name:
/// TransformerEncoderLayerOptions(64, 4).dim_feedforward(128).norm_first(true).
struct TransformerEncoderLayerOptions {
  TransformerEncoderLayerOptions(std::size_t d_model, std::size_t nhead)
      : d_model_(d_model), nhead_(nhead) {}
  TransformerEncoderLayerOptions& dim_feedforward(std::size_t v) {
    dim_feedforward_ = v;
    return *this;
  }
  TransformerEncoderLayerOptions& dropout(double v) {
    dropout_ = v;
    return *this;
  }
  /// "relu" or "gelu" (exact, erf).
  TransformerEncoderLayerOptions& activation(std::string v) {
    activation_ = std::move(v);
    return *this;
  }
  TransformerEncoderLayerOptions& layer_norm_eps(double v) {
    layer_norm_eps_ = v;
    return *this;
  }
  TransformerEncoderLayerOptions& batch_first(bool v) {
    batch_first_ = v;
    return *this;
  }
  TransformerEncoderLayerOptions& norm_first(bool v) {
    norm_first_ = v;
    return *this;
  }
  TransformerEncoderLayerOptions& bias(bool v) {
    bias_ = v;
    return *this;
  }

  std::size_t d_model_, nhead_;
  std::size_t dim_feedforward_ = 2048;
  double dropout_ = 0.1;
  std::string activation_ = "relu";
  double layer_norm_eps_ = 1e-5;
  bool batch_first_ = false;
  bool norm_first_ = false;
  bool bias_ = true;
};

/// Post-norm (the default): x = norm1(x + sa(x)); x = norm2(x + ff(x)). Pre-norm (norm_first):
/// x = x + sa(norm1(x)); x = x + ff(norm2(x)). sa is self_attn followed by dropout1, ff is
/// linear2(dropout(activation(linear1(x)))) followed by dropout2. Submodules self_attn, linear1,
/// dropout, linear2, norm1, norm2, dropout1, dropout2, as PyTorch's. Throws std::invalid_argument
/// naming the layer for an unknown activation, a zero dim_feedforward, or (from self_attn) a
/// d_model that nhead does not divide.
class TransformerEncoderLayer : public Module {
 public:
  explicit TransformerEncoderLayer(const TransformerEncoderLayerOptions& options,
                                   Generator& generator = default_generator(),
                                   Dtype dtype = float32);
  TransformerEncoderLayer(std::size_t d_model, std::size_t nhead,
                          Generator& generator = default_generator(), Dtype dtype = float32)
      : TransformerEncoderLayer(TransformerEncoderLayerOptions(d_model, nhead), generator, dtype) {}

  /// src (S, N, E), (N, S, E) with batch_first, or unbatched (S, E) -> the same shape. src_mask
  /// (S, S) or (N nhead, S, S) and src_key_padding_mask (N, S) are bool (true = masked out) or
  /// float and added to the scores, as MultiheadAttention's masks; is_causal without a src_mask
  /// masks each position's future.
  Tensor forward(const Tensor& src, const Tensor& src_mask, const Tensor& src_key_padding_mask,
                 bool is_causal = false);
  Tensor forward(const Tensor& src) override { return forward(src, Tensor(), Tensor()); }
  std::string extra_repr() const override;

  std::shared_ptr<MultiheadAttention> self_attn;
  std::shared_ptr<Linear> linear1, linear2;
  std::shared_ptr<Dropout> dropout, dropout1, dropout2;
  std::shared_ptr<LayerNorm> norm1, norm2;

 private:
  TransformerEncoderLayerOptions options_;
};

}  // namespace xgrad::nn
