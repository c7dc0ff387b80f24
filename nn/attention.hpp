// nn::MultiheadAttention: scaled dot-product attention over num_heads heads with PyTorch's packed
// input projection (in_proj_weight, in_proj_bias) and output projection (out_proj), as
// torch.nn.MultiheadAttention.
#pragma once

#include <cstddef>
#include <memory>

#include "autograd/random.hpp"
#include "nn/dropout.hpp"
#include "nn/linear.hpp"
#include "nn/module.hpp"

namespace xgrad::nn {

/// The attention output and, when asked for, the attention weights.
struct AttentionOutput {
  Tensor output;   // the shape of the query
  Tensor weights;  // (N, L, S) averaged over heads, (N, heads, L, S) otherwise; (L, S) unbatched
};

class MultiheadAttention : public Module {
 public:
  /// embed_dim must be divisible by num_heads. dropout applies to the attention weights in
  /// training mode. Parameters: in_proj_weight (3 embed_dim, embed_dim) (Xavier uniform),
  /// in_proj_bias (3 embed_dim,) (zeros), out_proj.weight (embed_dim, embed_dim) and out_proj.bias
  /// (zeros). Throws std::invalid_argument for zero sizes, a bad divisor or dropout.
  MultiheadAttention(std::size_t embed_dim, std::size_t num_heads, double dropout = 0.0,
                     bool bias = true, bool batch_first = false,
                     Generator& generator = default_generator(), Dtype dtype = float32);

  /// query (L, N, E), key and value (S, N, E) (batch_first: (N, L, E), (N, S, E)), or unbatched
  /// (L, E), (S, E). Masks are bool, true where a position is masked out (PyTorch's convention), or
  /// float in the layer's dtype and added to the attention scores (-inf forbids a position):
  /// key_padding_mask (N, S) or (S,) unbatched; attn_mask (L, S) or (N num_heads, L, S). is_causal
  /// without an attn_mask forbids each query position the keys after it (needs L == S). Throws
  /// std::invalid_argument naming "MultiheadAttention" for wrong shapes and mask dtypes.
  AttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                          const Tensor& key_padding_mask = Tensor(), bool need_weights = true,
                          const Tensor& attn_mask = Tensor(), bool average_attn_weights = true,
                          bool is_causal = false);
  /// Self-attention: forward(x, x, x).output.
  Tensor forward(const Tensor& x) override { return forward(x, x, x, Tensor(), false).output; }
  std::string extra_repr() const override;
  void train(bool on = true) override;

  Tensor in_proj_weight;  // (3 E, E): rows [0, E) project queries, [E, 2E) keys, [2E, 3E) values
  Tensor in_proj_bias;    // (3 E,), undefined without bias
  std::shared_ptr<Linear> out_proj;

 private:
  std::size_t embed_dim_, num_heads_;
  double dropout_p_;
  bool batch_first_;
  Dropout dropout_;
};

/// A (size, size) additive mask with -inf above the diagonal and 0 elsewhere, as
/// torch.nn.Transformer.generate_square_subsequent_mask.
Tensor generate_square_subsequent_mask(std::size_t size, Dtype dtype = float32);

}  // namespace xgrad::nn
