// nn::Embedding: rows of the weight picked by the embedding op (its backward adds each row's
// gradient back into the row it came from, repeats summed, none into the padding row).
#include "nn/embedding.hpp"

#include <cmath>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include "autograd/factory.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "nn/init.hpp"

namespace xgrad::nn {

Embedding::Embedding(std::size_t num_embeddings, std::size_t embedding_dim,
                     std::optional<std::size_t> padding_idx, std::optional<double> max_norm,
                     double norm_type, Generator& generator, Dtype dtype)
    : num_embeddings_(num_embeddings),
      embedding_dim_(embedding_dim),
      padding_idx_(padding_idx),
      max_norm_(max_norm),
      norm_type_(norm_type) {
  if (num_embeddings == 0 || embedding_dim == 0) {
    throw std::invalid_argument(
        "Embedding: num_embeddings and embedding_dim must be positive; got " +
        std::to_string(num_embeddings) + " and " + std::to_string(embedding_dim));
  }
  if (padding_idx && *padding_idx >= num_embeddings) {
    throw std::invalid_argument("Embedding: padding_idx " + std::to_string(*padding_idx) +
                                " out of range for " + std::to_string(num_embeddings) +
                                " embeddings");
  }
  if (max_norm && !(*max_norm > 0)) {
    throw std::invalid_argument("Embedding: max_norm must be positive, got " +
                                std::to_string(*max_norm));
  }
  Tensor w = zeros({num_embeddings, embedding_dim}, dtype);
  init::normal_(w, 0.0, 1.0, generator);
  if (padding_idx) {
    dispatch(dtype, [&](auto tag) {
      using T = decltype(tag);
      T* row = w.data<T>().data() + *padding_idx * embedding_dim;
      for (std::size_t j = 0; j < embedding_dim; ++j) row[j] = T(0);
    });
  }
  weight = register_parameter("weight", w);
}

Tensor Embedding::forward(const Tensor& ids) {
  if (!ids.defined()) throw std::invalid_argument("Embedding: indices are undefined");
  if (ids.dtype() != int64) {
    // Float ids are refused as PyTorch refuses them: a float holds no index beyond 2^24 exactly.
    throw std::invalid_argument(std::string("Embedding: indices must be int64, got ") +
                                dtype_name(ids.dtype()) + " (convert them with to(int64))");
  }
  const std::vector<std::int64_t> values = ids.to_vector<std::int64_t>();
  std::vector<std::size_t> rows(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] < 0 || static_cast<std::uint64_t>(values[i]) >= num_embeddings_) {
      throw std::out_of_range("Embedding: index " + std::to_string(values[i]) +
                              " out of range for " + std::to_string(num_embeddings_) +
                              " embeddings (position " + std::to_string(i) + ")");
    }
    rows[i] = static_cast<std::size_t>(values[i]);
  }
  return lookup(rows, ids);
}

Tensor Embedding::forward(const std::vector<std::size_t>& ids) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] >= num_embeddings_) {
      throw std::out_of_range("Embedding: index " + std::to_string(ids[i]) + " out of range for " +
                              std::to_string(num_embeddings_) + " embeddings (position " +
                              std::to_string(i) + ")");
    }
  }
  const std::vector<std::int64_t> values(ids.begin(), ids.end());
  return lookup(ids, from_vector(values, {values.size()}, int64));
}

Tensor Embedding::lookup(const std::vector<std::size_t>& rows, const Tensor& ids) {
  if (max_norm_) {
    // torch.embedding_renorm_: rescale the looked-up rows in place, unseen by autograd.
    dispatch(weight.dtype(), [&](auto tag) {
      using T = decltype(tag);
      T* w = weight.data<T>().data();
      for (std::size_t id : rows) {
        T* row = w + id * embedding_dim_;
        double norm = 0;
        for (std::size_t j = 0; j < embedding_dim_; ++j) {
          norm += std::pow(std::abs(static_cast<double>(row[j])), norm_type_);
        }
        norm = std::pow(norm, 1.0 / norm_type_);
        if (norm > *max_norm_) {
          const double scale = *max_norm_ / (norm + 1e-7);
          for (std::size_t j = 0; j < embedding_dim_; ++j) row[j] = static_cast<T>(row[j] * scale);
        }
      }
    });
  }
  std::optional<long> padding;
  if (padding_idx_) padding = static_cast<long>(*padding_idx_);
  return embedding(weight, ids, padding);  // the padding row's lookups send no gradient
}

std::string Embedding::extra_repr() const {
  std::ostringstream s;
  s << num_embeddings_ << ", " << embedding_dim_;
  if (padding_idx_) s << ", padding_idx=" << *padding_idx_;
  if (max_norm_) s << ", max_norm=" << *max_norm_;
  if (norm_type_ != 2.0) s << ", norm_type=" << norm_type_;
  return s.str();
}

}  // namespace xgrad::nn
