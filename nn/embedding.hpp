// nn::Embedding: a lookup table of num_embeddings vectors of embedding_dim values, as
// torch.nn.Embedding (weight drawn from N(0, 1), the padding row zeroed).
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "autograd/random.hpp"
#include "nn/module.hpp"

namespace xgrad::nn {

class Embedding : public Module {
 public:
  /// padding_idx: a row that is zero at initialisation and never receives a gradient. max_norm:
  /// before each lookup, every looked-up row whose norm_type-norm exceeds it is rescaled in place
  /// to that norm (as PyTorch does, outside the graph). Throws std::invalid_argument for zero
  /// sizes, a padding_idx out of range or a max_norm that is not positive.
  Embedding(std::size_t num_embeddings, std::size_t embedding_dim,
            std::optional<std::size_t> padding_idx = std::nullopt,
            std::optional<double> max_norm = std::nullopt, double norm_type = 2.0,
            Generator& generator = default_generator(), Dtype dtype = float32);

  /// The rows of `ids`, an int64 tensor of any shape (a 0-d one too), giving shape
  /// ids.shape + (embedding_dim,). Throws std::out_of_range "Embedding: index 12 out of range for
  /// 10 embeddings (position 3)" (position in ids, row-major) and std::invalid_argument
  /// "Embedding: indices must be int64, got float32" for any other dtype, as PyTorch.
  Tensor forward(const Tensor& ids) override;
  /// The rows of `ids`, as a tensor (ids.size(), embedding_dim).
  Tensor forward(const std::vector<std::size_t>& ids);
  std::string extra_repr() const override;

  std::size_t num_embeddings() const { return num_embeddings_; }
  std::size_t embedding_dim() const { return embedding_dim_; }

  Tensor weight;  // (num_embeddings, embedding_dim)

 private:
  // rows: the values of ids (int64), already checked against num_embeddings.
  Tensor lookup(const std::vector<std::size_t>& rows, const Tensor& ids);

  std::size_t num_embeddings_, embedding_dim_;
  std::optional<std::size_t> padding_idx_;
  std::optional<double> max_norm_;
  double norm_type_;
};

}  // namespace xgrad::nn
