// Seeded synthetic datasets: scikit-learn's make_regression, make_classification, make_blobs,
// make_moons and make_circles (same parameters and meaning, not the same numbers), and the CS231n
// k-class spiral.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>

#include "autograd/dtype.hpp"
#include "autograd/random.hpp"
#include "autograd/tensor.hpp"

namespace xgrad::data {

/// Samples x (N, D) with class labels y (N,): the class indices 0, 1, ... as values of x's dtype,
/// ready for cross_entropy or one_hot.
struct Samples {
  Tensor x;
  Tensor y;
};

/// make_regression's samples x (N, D), targets y (N,) and the coefficients coef (D,) that made
/// them.
struct RegressionSamples {
  Tensor x;
  Tensor y;
  Tensor coef;
};

/// make_blobs' samples x (N, D), labels y (N,) and the cluster centers (k, D).
struct BlobSamples {
  Tensor x;
  Tensor y;
  Tensor centers;
};

/// A random linear regression problem, as sklearn.datasets.make_regression: x ~ N(0, 1) of shape
/// (n_samples, n_features); coef is 100 U(0, 1) on the first n_informative features (all of them
/// by default) and 0 on the rest; y = x coef + bias + noise N(0, 1), so with noise 0 the fit is
/// exact. Unlike scikit-learn the informative features come first (no column shuffle). Throws
/// std::invalid_argument for zero samples or features, n_informative > n_features, negative
/// noise, or a bias that is not finite.
RegressionSamples make_regression(std::size_t n_samples, std::size_t n_features,
                                  std::optional<std::size_t> n_informative = std::nullopt,
                                  double bias = 0.0, double noise = 0.0,
                                  Generator& generator = default_generator(),
                                  Dtype dtype = float32);

/// A random n_classes classification problem, as sklearn.datasets.make_classification with no
/// redundant or repeated features and no label noise: each class is made of
/// n_clusters_per_class Gaussian clusters centred on distinct vertices of the hypercube
/// [-class_sep, class_sep]^n_informative (so clusters move apart as class_sep grows), each
/// cluster N(0, 1) mixed by its own random matrix U(-1, 1) (n_informative, n_informative); the
/// other n_features - n_informative columns (after the informative ones) are N(0, 1) noise.
/// Clusters, hence classes, get equal sizes (to within one sample); rows are shuffled. The
/// defaults are the notebooks' (scikit-learn's are 20 features and 2 clusters per class).
/// Throws std::invalid_argument for fewer samples than classes, zero features, informative
/// features or clusters per class, n_informative > n_features, more clusters than hypercube
/// vertices (n_classes * n_clusters_per_class > 2^n_informative), or class_sep <= 0.
Samples make_classification(std::size_t n_samples, std::size_t n_features = 2,
                            std::size_t n_informative = 2, std::size_t n_classes = 2,
                            std::size_t n_clusters_per_class = 1, double class_sep = 1.0,
                            Generator& generator = default_generator(), Dtype dtype = float32);

/// Isotropic Gaussian blobs, as sklearn.datasets.make_blobs: `centers` centers drawn uniformly in
/// center_box^n_features, then equal shares of the samples (to within one) drawn around them with
/// standard deviation cluster_std; y is the blob index; rows are shuffled. Throws
/// std::invalid_argument for fewer samples than centers, zero centers or features, a negative
/// cluster_std, or an empty center_box.
BlobSamples make_blobs(std::size_t n_samples, std::size_t centers = 3, std::size_t n_features = 2,
                       double cluster_std = 1.0,
                       std::pair<double, double> center_box = {-10.0, 10.0},
                       Generator& generator = default_generator(), Dtype dtype = float32);

/// Two interleaving half circles in 2-D, as sklearn.datasets.make_moons: n_samples / 2 on the
/// upper unit half circle (class 0), the rest on the lower one shifted to (1, 0.5) (class 1), plus
/// N(0, noise^2) on each coordinate; rows are shuffled. Throws std::invalid_argument for fewer than
/// 2 samples or a negative noise.
Samples make_moons(std::size_t n_samples = 100, double noise = 0.0,
                   Generator& generator = default_generator(), Dtype dtype = float32);

/// A large circle (class 0, radius 1) around a small one (class 1, radius factor) in 2-D, as
/// sklearn.datasets.make_circles: n_samples / 2 points evenly spaced on the outer circle, the rest
/// on the inner one, plus N(0, noise^2) on each coordinate; rows are shuffled. Throws
/// std::invalid_argument for fewer than 2 samples, a negative noise, or factor outside (0, 1).
Samples make_circles(std::size_t n_samples = 100, double noise = 0.0, double factor = 0.8,
                     Generator& generator = default_generator(), Dtype dtype = float32);

/// The CS231n k-class spiral in 2-D: class j gets an equal share of the samples (to within one)
/// at radii evenly spaced over [0, 1] and angles evenly spaced over [4 j, 4 (j + 1)] plus
/// N(0, noise^2) (CS231n uses noise 0.2), at (r sin t, r cos t); rows are shuffled. Throws
/// std::invalid_argument for zero classes, fewer samples than classes, or a negative noise.
Samples make_spirals(std::size_t n_samples, std::size_t n_classes = 3, double noise = 0.2,
                     Generator& generator = default_generator(), Dtype dtype = float32);

}  // namespace xgrad::data
