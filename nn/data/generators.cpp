// The synthetic datasets: values are built in float64 from the generator, rows shuffled, then
// converted to the requested dtype.
#include "nn/data/generators.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/factory.hpp"
#include "autograd/ops.hpp"

namespace xgrad::data {

namespace {

constexpr double pi = 3.141592653589793;

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

void check_noise(const char* op, double noise) {
  if (!(noise >= 0.0) || !std::isfinite(noise)) {
    throw std::invalid_argument(std::string(op) + ": noise must be finite and non-negative, got " +
                                format_number(noise));
  }
}

void check_at_least(const char* op, const char* name, std::size_t value, std::size_t minimum,
                    const std::string& why = "") {
  if (value < minimum) {
    throw std::invalid_argument(std::string(op) + ": " + name + " must be at least " +
                                std::to_string(minimum) + why + ", got " + std::to_string(value));
  }
}

// m values evenly spaced from start to stop (stop included unless !endpoint), as numpy.linspace.
std::vector<double> linspace(double start, double stop, std::size_t m, bool endpoint = true) {
  std::vector<double> out(m);
  const double steps = static_cast<double>(endpoint ? (m > 1 ? m - 1 : 1) : m);
  for (std::size_t i = 0; i < m; ++i)
    out[i] = start + (stop - start) * static_cast<double>(i) / steps;
  return out;
}

// Sizes of k groups sharing n items equally, the first n % k one larger (scikit-learn's rule).
std::vector<std::size_t> equal_shares(std::size_t n, std::size_t k) {
  std::vector<std::size_t> sizes(k, n / k);
  for (std::size_t i = 0; i < n % k; ++i) ++sizes[i];
  return sizes;
}

// Rows of x (n, d) and their labels in a random order, converted to dtype.
Samples shuffled(const TensorValues<double>& x, const std::vector<double>& labels,
                 Generator& generator, Dtype dtype) {
  const std::size_t n = x.shape()[0];
  const std::size_t d = x.shape()[1];
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  for (std::size_t i = n; i > 1; --i) {
    std::swap(order[i - 1], order[static_cast<std::size_t>(generator.next() % i)]);
  }
  TensorValues<double> x_out = TensorValues<double>::from_shape({n, d});
  TensorValues<double> y_out = TensorValues<double>::from_shape({n});
  for (std::size_t i = 0; i < n; ++i) {
    std::copy_n(x.data() + order[i] * d, d, x_out.data() + i * d);
    y_out(i) = labels[order[i]];
  }
  return {Tensor(std::move(x_out)).to(dtype), Tensor(std::move(y_out)).to(dtype)};
}

// x += noise * N(0, 1) on every entry.
void add_noise(TensorValues<double>& x, double noise, Generator& generator) {
  if (noise == 0.0) return;
  for (double& v : x) v += noise * generator.normal();
}

// `count` distinct vertices of the hypercube {0, 1}^dimensions, as bit vectors, in random order.
std::vector<std::vector<bool>> hypercube_vertices(std::size_t count, std::size_t dimensions,
                                                  Generator& generator) {
  std::vector<std::vector<bool>> vertices;
  if (dimensions < 20) {
    // Few enough vertices to list: the first `count` of a random permutation of all of them.
    std::vector<std::uint64_t> codes(std::size_t{1} << dimensions);
    std::iota(codes.begin(), codes.end(), std::uint64_t{0});
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t j = i + static_cast<std::size_t>(generator.next() % (codes.size() - i));
      std::swap(codes[i], codes[j]);
      std::vector<bool> bits(dimensions);
      for (std::size_t b = 0; b < dimensions; ++b) bits[b] = (codes[i] >> b) & 1u;
      vertices.push_back(std::move(bits));
    }
    return vertices;
  }
  // Too many to list: draw random bit vectors, redrawing the (astronomically rare) repeats.
  while (vertices.size() < count) {
    std::vector<bool> bits(dimensions);
    for (std::size_t b = 0; b < dimensions; ++b) bits[b] = generator.next() >> 63;
    if (std::find(vertices.begin(), vertices.end(), bits) == vertices.end()) {
      vertices.push_back(std::move(bits));
    }
  }
  return vertices;
}

}  // namespace

RegressionSamples make_regression(std::size_t n_samples, std::size_t n_features,
                                  std::optional<std::size_t> n_informative, double bias,
                                  double noise, Generator& generator, Dtype dtype) {
  const char* op = "make_regression";
  check_at_least(op, "n_samples", n_samples, 1);
  check_at_least(op, "n_features", n_features, 1);
  const std::size_t informative = n_informative.value_or(n_features);
  if (informative > n_features) {
    throw std::invalid_argument(std::string(op) + ": n_informative " + std::to_string(informative) +
                                " exceeds n_features " + std::to_string(n_features));
  }
  if (!std::isfinite(bias)) {
    throw std::invalid_argument(std::string(op) + ": bias must be finite, got " +
                                format_number(bias));
  }
  check_noise(op, noise);
  Tensor x = randn({n_samples, n_features}, generator, dtype);
  TensorValues<double> coef = xt::zeros<double>({n_features});
  for (std::size_t j = 0; j < informative; ++j) coef(j) = 100.0 * generator.uniform();
  Tensor coef_tensor = Tensor(std::move(coef)).to(dtype);
  // y = x coef + bias, in x's dtype, so that a caller computing the same gets the same bits.
  Tensor y = matmul(x, coef_tensor) + bias;  // (N, D) x (D,) -> (N,)
  if (noise > 0.0) y = y + noise * randn({n_samples}, generator, dtype);
  return {x, y.detach(), coef_tensor};
}

Samples make_classification(std::size_t n_samples, std::size_t n_features,
                            std::size_t n_informative, std::size_t n_classes,
                            std::size_t n_clusters_per_class, double class_sep,
                            Generator& generator, Dtype dtype) {
  const char* op = "make_classification";
  check_at_least(op, "n_classes", n_classes, 1);
  check_at_least(op, "n_samples", n_samples, n_classes, " (one per class)");
  check_at_least(op, "n_features", n_features, 1);
  check_at_least(op, "n_informative", n_informative, 1);
  check_at_least(op, "n_clusters_per_class", n_clusters_per_class, 1);
  if (n_informative > n_features) {
    throw std::invalid_argument(std::string(op) + ": n_informative " +
                                std::to_string(n_informative) + " exceeds n_features " +
                                std::to_string(n_features));
  }
  const std::size_t n_clusters = n_classes * n_clusters_per_class;
  if (n_informative < 63 && n_clusters > (std::size_t{1} << n_informative)) {
    throw std::invalid_argument(
        std::string(op) + ": n_classes " + std::to_string(n_classes) + " * n_clusters_per_class " +
        std::to_string(n_clusters_per_class) + " = " + std::to_string(n_clusters) +
        " clusters exceed the 2^" + std::to_string(n_informative) + " = " +
        std::to_string(std::size_t{1} << n_informative) + " hypercube vertices");
  }
  if (!(class_sep > 0.0) || !std::isfinite(class_sep)) {
    throw std::invalid_argument(std::string(op) + ": class_sep must be positive and finite, got " +
                                format_number(class_sep));
  }
  const std::size_t n = n_samples;
  const std::size_t d = n_features;
  const std::size_t k = n_informative;
  const auto vertices = hypercube_vertices(n_clusters, k, generator);
  TensorValues<double> x = TensorValues<double>::from_shape({n, d});
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < k; ++j) x(i, j) = generator.normal();
  }
  std::vector<double> labels(n);
  std::size_t start = 0;
  const std::vector<std::size_t> sizes = equal_shares(n, n_clusters);
  std::vector<double> mixed(k);
  for (std::size_t c = 0; c < n_clusters; ++c) {
    // The cluster's covariance: its N(0, 1) rows times a random matrix A (k, k) with U(-1, 1)
    // entries; then its centre, a vertex at +-class_sep on each informative axis.
    std::vector<double> a(k * k);
    for (double& v : a) v = 2.0 * generator.uniform() - 1.0;
    for (std::size_t i = start; i < start + sizes[c]; ++i) {
      for (std::size_t j = 0; j < k; ++j) {
        double sum = 0.0;
        for (std::size_t m = 0; m < k; ++m) sum += x(i, m) * a[m * k + j];
        mixed[j] = sum;
      }
      for (std::size_t j = 0; j < k; ++j)
        x(i, j) = mixed[j] + (vertices[c][j] ? class_sep : -class_sep);
      labels[i] = static_cast<double>(c % n_classes);
    }
    start += sizes[c];
  }
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = k; j < d; ++j) x(i, j) = generator.normal();
  }
  return shuffled(x, labels, generator, dtype);
}

BlobSamples make_blobs(std::size_t n_samples, std::size_t centers, std::size_t n_features,
                       double cluster_std, std::pair<double, double> center_box,
                       Generator& generator, Dtype dtype) {
  const char* op = "make_blobs";
  check_at_least(op, "centers", centers, 1);
  check_at_least(op, "n_samples", n_samples, centers, " (one per center)");
  check_at_least(op, "n_features", n_features, 1);
  if (!(cluster_std >= 0.0) || !std::isfinite(cluster_std)) {
    throw std::invalid_argument(std::string(op) +
                                ": cluster_std must be finite and non-negative, got " +
                                format_number(cluster_std));
  }
  const auto [low, high] = center_box;
  if (!(low < high) || !std::isfinite(low) || !std::isfinite(high)) {
    throw std::invalid_argument(std::string(op) + ": center_box (" + format_number(low) + ", " +
                                format_number(high) + ") needs finite low < high");
  }
  TensorValues<double> middle = TensorValues<double>::from_shape({centers, n_features});
  for (double& v : middle) v = generator.uniform(low, high);
  TensorValues<double> x = TensorValues<double>::from_shape({n_samples, n_features});
  std::vector<double> labels(n_samples);
  std::size_t i = 0;
  const std::vector<std::size_t> sizes = equal_shares(n_samples, centers);
  for (std::size_t c = 0; c < centers; ++c) {
    for (std::size_t s = 0; s < sizes[c]; ++s, ++i) {
      for (std::size_t j = 0; j < n_features; ++j) {
        x(i, j) = middle(c, j) + cluster_std * generator.normal();
      }
      labels[i] = static_cast<double>(c);
    }
  }
  Samples samples = shuffled(x, labels, generator, dtype);
  return {samples.x, samples.y, Tensor(std::move(middle)).to(dtype)};
}

Samples make_moons(std::size_t n_samples, double noise, Generator& generator, Dtype dtype) {
  check_at_least("make_moons", "n_samples", n_samples, 2, " (one per class)");
  check_noise("make_moons", noise);
  const std::size_t n_out = n_samples / 2;
  TensorValues<double> x = TensorValues<double>::from_shape({n_samples, std::size_t{2}});
  std::vector<double> labels(n_samples, 1.0);
  const std::vector<double> outer = linspace(0.0, pi, n_out);
  const std::vector<double> inner = linspace(0.0, pi, n_samples - n_out);
  for (std::size_t i = 0; i < n_out; ++i) {
    x(i, 0) = std::cos(outer[i]);
    x(i, 1) = std::sin(outer[i]);
    labels[i] = 0.0;
  }
  for (std::size_t i = 0; i < inner.size(); ++i) {
    x(n_out + i, 0) = 1.0 - std::cos(inner[i]);
    x(n_out + i, 1) = 0.5 - std::sin(inner[i]);
  }
  add_noise(x, noise, generator);
  return shuffled(x, labels, generator, dtype);
}

Samples make_circles(std::size_t n_samples, double noise, double factor, Generator& generator,
                     Dtype dtype) {
  check_at_least("make_circles", "n_samples", n_samples, 2, " (one per class)");
  check_noise("make_circles", noise);
  if (!(factor > 0.0 && factor < 1.0)) {
    throw std::invalid_argument("make_circles: factor must be in (0, 1), got " +
                                format_number(factor));
  }
  const std::size_t n_out = n_samples / 2;
  TensorValues<double> x = TensorValues<double>::from_shape({n_samples, std::size_t{2}});
  std::vector<double> labels(n_samples, 1.0);
  const std::vector<double> outer = linspace(0.0, 2.0 * pi, n_out, /*endpoint=*/false);
  const std::vector<double> inner = linspace(0.0, 2.0 * pi, n_samples - n_out, false);
  for (std::size_t i = 0; i < n_out; ++i) {
    x(i, 0) = std::cos(outer[i]);
    x(i, 1) = std::sin(outer[i]);
    labels[i] = 0.0;
  }
  for (std::size_t i = 0; i < inner.size(); ++i) {
    x(n_out + i, 0) = factor * std::cos(inner[i]);
    x(n_out + i, 1) = factor * std::sin(inner[i]);
  }
  add_noise(x, noise, generator);
  return shuffled(x, labels, generator, dtype);
}

Samples make_spirals(std::size_t n_samples, std::size_t n_classes, double noise,
                     Generator& generator, Dtype dtype) {
  check_at_least("make_spirals", "n_classes", n_classes, 1);
  check_at_least("make_spirals", "n_samples", n_samples, n_classes, " (one per class)");
  check_noise("make_spirals", noise);
  TensorValues<double> x = TensorValues<double>::from_shape({n_samples, std::size_t{2}});
  std::vector<double> labels(n_samples);
  std::size_t i = 0;
  const std::vector<std::size_t> sizes = equal_shares(n_samples, n_classes);
  for (std::size_t c = 0; c < n_classes; ++c) {
    const std::size_t m = sizes[c];
    const std::vector<double> radius = linspace(0.0, 1.0, m);
    const std::vector<double> angle =
        linspace(4.0 * static_cast<double>(c), 4.0 * static_cast<double>(c + 1), m);
    for (std::size_t s = 0; s < m; ++s, ++i) {
      const double t = angle[s] + noise * generator.normal();
      x(i, 0) = radius[s] * std::sin(t);
      x(i, 1) = radius[s] * std::cos(t);
      labels[i] = static_cast<double>(c);
    }
  }
  return shuffled(x, labels, generator, dtype);
}

}  // namespace xgrad::data
