// Tests of the synthetic datasets: shapes, class balance, statistics, geometry, seeds and
// argument checks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "autograd/autograd.hpp"
#include "nn/data/generators.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;

namespace {

// The values of a tensor as a vector, Catch prints it when a comparison fails (it cannot decompose
// an xtensor comparison).
std::vector<double> values(const Tensor& t) {
  const Tensor d = t.to(float64);
  return std::vector<double>(d.data<double>().begin(), d.data<double>().end());
}

struct ColumnStats {
  double mean = 0;
  double std = 0;
};

// Mean and population std of column j over the rows whose label is `label` (all rows if < 0).
ColumnStats column_stats(const Tensor& x, const Tensor& y, std::size_t j, double label = -1) {
  const auto& v = x.data<double>();
  const auto& labels = y.data<double>();
  double sum = 0, sum_sq = 0, count = 0;
  for (std::size_t i = 0; i < x.size(0); ++i) {
    if (label >= 0 && labels(i) != label) continue;
    sum += v(i, j);
    sum_sq += v(i, j) * v(i, j);
    ++count;
  }
  const double mean = sum / count;
  return {mean, std::sqrt(sum_sq / count - mean * mean)};
}

std::size_t count_label(const Tensor& y, double label) {
  const auto& v = y.data<double>();
  return static_cast<std::size_t>(std::count(v.begin(), v.end(), label));
}

}  // namespace

TEST_CASE("make_regression's y equals x coef + bias exactly when noise is 0",
          "[data][generators]") {
  Generator generator(0);
  const data::RegressionSamples r =
      data::make_regression(1000, 10, std::nullopt, 0.637, 0.0, generator, float64);
  REQUIRE(r.x.shape() == Shape{1000, 10});
  REQUIRE(r.y.shape() == Shape{1000});
  REQUIRE(r.coef.shape() == Shape{10});
  CHECK(values(r.y) == values((matmul(r.x, r.coef) + 0.637)));
  Generator generator32(0);
  const data::RegressionSamples r32 = data::make_regression(20, 3, 2, 1.5, 0.0, generator32);
  CHECK(r32.x.dtype() == float32);
  CHECK(values(r32.y) == values((matmul(r32.x, r32.coef) + 1.5)));
}

TEST_CASE("make_regression draws N(0, 1) features and 100 U(0, 1) informative coefficients",
          "[data][generators]") {
  Generator generator(1);
  const data::RegressionSamples r = data::make_regression(4000, 6, 3, 0.0, 0.0, generator, float64);
  const auto& coef = r.coef.data<double>();
  for (std::size_t j = 0; j < 3; ++j) {
    CHECK(coef(j) > 0.0);
    CHECK(coef(j) < 100.0);
  }
  for (std::size_t j = 3; j < 6; ++j) CHECK(coef(j) == 0.0);
  const Tensor none = zeros({4000}, float64);
  for (std::size_t j = 0; j < 6; ++j) {
    const ColumnStats s = column_stats(r.x, none, j);
    CHECK(std::abs(s.mean) < 0.06);
    CHECK(std::abs(s.std - 1.0) < 0.05);
  }
}

TEST_CASE("make_regression adds noise with the given standard deviation", "[data][generators]") {
  Generator generator(2);
  const data::RegressionSamples r =
      data::make_regression(4000, 2, std::nullopt, 3.0, 2.0, generator, float64);
  const Tensor residual = reshape(r.y - (matmul(r.x, r.coef) + 3.0), {-1, 1});
  const ColumnStats s = column_stats(residual, zeros({4000}, float64), 0);
  CHECK(std::abs(s.mean) < 0.1);
  CHECK(std::abs(s.std - 2.0) < 0.1);
}

TEST_CASE("every generator reproduces from a seed and changes with it", "[data][generators]") {
  const auto same = [](const Tensor& a, const Tensor& b) {
    return a.data<float>() == b.data<float>();
  };
  Generator a(5), b(5), c(6);
  const auto moons_a = data::make_moons(50, 0.1, a);
  const auto moons_b = data::make_moons(50, 0.1, b);
  const auto moons_c = data::make_moons(50, 0.1, c);
  CHECK(same(moons_a.x, moons_b.x));
  CHECK(same(moons_a.y, moons_b.y));
  CHECK_FALSE(same(moons_a.x, moons_c.x));
  a.manual_seed(5), b.manual_seed(5), c.manual_seed(6);
  CHECK(same(data::make_classification(60, 3, 2, 3, 1, 1.0, a).x,
             data::make_classification(60, 3, 2, 3, 1, 1.0, b).x));
  CHECK_FALSE(same(data::make_classification(60, 3, 2, 3, 1, 1.0, a).x,
                   data::make_classification(60, 3, 2, 3, 1, 1.0, c).x));
  a.manual_seed(5), b.manual_seed(5);
  CHECK(same(data::make_blobs(40, 3, 2, 1.0, {-10, 10}, a).x,
             data::make_blobs(40, 3, 2, 1.0, {-10, 10}, b).x));
  CHECK(same(data::make_circles(40, 0.05, 0.5, a).x, data::make_circles(40, 0.05, 0.5, b).x));
  CHECK(same(data::make_spirals(40, 4, 0.2, a).x, data::make_spirals(40, 4, 0.2, b).x));
  CHECK(same(data::make_regression(40, 3, 2, 0.0, 1.0, a).y,
             data::make_regression(40, 3, 2, 0.0, 1.0, b).y));
}

TEST_CASE("make_classification centres equal classes on hypercube vertices at +-class_sep",
          "[data][generators]") {
  // The notebooks' four-class demo.
  Generator generator(3);
  const data::Samples s = data::make_classification(1000, 2, 2, 4, 1, 2.0, generator, float64);
  REQUIRE(s.x.shape() == Shape{1000, 2});
  REQUIRE(s.y.shape() == Shape{1000});
  std::vector<int> corners;
  for (double label = 0; label < 4; ++label) {
    CHECK(count_label(s.y, label) == 250);
    const ColumnStats c0 = column_stats(s.x, s.y, 0, label);
    const ColumnStats c1 = column_stats(s.x, s.y, 1, label);
    CHECK(std::abs(std::abs(c0.mean) - 2.0) < 0.25);
    CHECK(std::abs(std::abs(c1.mean) - 2.0) < 0.25);
    corners.push_back((c0.mean > 0 ? 1 : 0) + (c1.mean > 0 ? 2 : 0));
  }
  std::sort(corners.begin(), corners.end());
  CHECK(corners == std::vector<int>{0, 1, 2, 3});  // four classes take the square's four corners
  // Rows are shuffled: the first 40 labels are not all one class.
  const auto& y = s.y.data<double>();
  CHECK(std::count(y.begin(), y.begin() + 40, y(0)) < 40);
}

TEST_CASE(
    "make_classification's classes are separable by nearest mean and move apart with "
    "class_sep",
    "[data][generators]") {
  const auto class_means = [](const data::Samples& s) {
    return std::vector<double>{column_stats(s.x, s.y, 0, 0).mean, column_stats(s.x, s.y, 1, 0).mean,
                               column_stats(s.x, s.y, 0, 1).mean,
                               column_stats(s.x, s.y, 1, 1).mean};
  };
  Generator g1(4), g3(4);
  const data::Samples near = data::make_classification(2000, 2, 2, 2, 1, 1.0, g1, float64);
  const data::Samples far = data::make_classification(2000, 2, 2, 2, 1, 3.0, g3, float64);
  const std::vector<double> m1 = class_means(near);
  const std::vector<double> m3 = class_means(far);
  const double d1 = std::hypot(m1[0] - m1[2], m1[1] - m1[3]);
  const double d3 = std::hypot(m3[0] - m3[2], m3[1] - m3[3]);
  CHECK(d1 > 1.5);  // vertices at least 2 class_sep apart
  CHECK(d3 > 2.5 * d1);
  std::size_t correct = 0;
  const auto& x = far.x.data<double>();
  for (std::size_t i = 0; i < 2000; ++i) {
    const double to0 = std::hypot(x(i, 0) - m3[0], x(i, 1) - m3[1]);
    const double to1 = std::hypot(x(i, 0) - m3[2], x(i, 1) - m3[3]);
    correct += (to1 < to0) == (far.y.data<double>()(i) == 1);
  }
  CHECK(correct > 1900);
}

TEST_CASE("make_classification fills the columns after the informative ones with N(0, 1) noise",
          "[data][generators]") {
  Generator generator(5);
  const data::Samples s = data::make_classification(3000, 5, 2, 3, 1, 1.0, generator, float64);
  REQUIRE(s.x.shape() == Shape{3000, 5});
  for (double label = 0; label < 3; ++label) CHECK(count_label(s.y, label) == 1000);
  for (std::size_t j = 2; j < 5; ++j) {
    const ColumnStats c = column_stats(s.x, s.y, j);
    CHECK(std::abs(c.mean) < 0.06);
    CHECK(std::abs(c.std - 1.0) < 0.05);
  }
}

TEST_CASE("make_blobs draws equal blobs of cluster_std around centers in center_box",
          "[data][generators]") {
  Generator generator(6);
  const data::BlobSamples b = data::make_blobs(3001, 3, 2, 0.5, {-10, 10}, generator, float64);
  REQUIRE(b.x.shape() == Shape{3001, 2});
  REQUIRE(b.centers.shape() == Shape{3, 2});
  CHECK(count_label(b.y, 0) == 1001);
  CHECK(count_label(b.y, 1) == 1000);
  CHECK(count_label(b.y, 2) == 1000);
  for (std::size_t c = 0; c < 3; ++c) {
    for (std::size_t j = 0; j < 2; ++j) {
      const double center = b.centers.data<double>()(c, j);
      CHECK(center >= -10.0);
      CHECK(center < 10.0);
      const ColumnStats s = column_stats(b.x, b.y, j, static_cast<double>(c));
      CHECK(std::abs(s.mean - center) < 0.05);
      CHECK(std::abs(s.std - 0.5) < 0.04);
    }
  }
}

TEST_CASE("make_moons puts each class on its half circle", "[data][generators]") {
  Generator generator(7);
  const data::Samples s = data::make_moons(101, 0.0, generator, float64);
  REQUIRE(s.x.shape() == Shape{101, 2});
  CHECK(count_label(s.y, 0) == 50);
  CHECK(count_label(s.y, 1) == 51);
  const auto& x = s.x.data<double>();
  for (std::size_t i = 0; i < 101; ++i) {
    if (s.y.data<double>()(i) == 0) {
      CHECK(std::hypot(x(i, 0), x(i, 1)) == Approx(1.0));  // upper unit half circle
      CHECK(x(i, 1) >= -1e-12);
    } else {
      CHECK(std::hypot(x(i, 0) - 1.0, x(i, 1) - 0.5) == Approx(1.0));  // lower, centred (1, .5)
      CHECK(x(i, 1) <= 0.5 + 1e-12);
    }
  }
  // Noise moves points off the circle by about its standard deviation.
  const data::Samples noisy = data::make_moons(4000, 0.1, generator, float64);
  double sum_sq = 0;
  for (std::size_t i = 0; i < 4000; ++i) {
    const double dx = noisy.x.data<double>()(i, 0) - (noisy.y.data<double>()(i) ? 1.0 : 0.0);
    const double dy = noisy.x.data<double>()(i, 1) - (noisy.y.data<double>()(i) ? 0.5 : 0.0);
    sum_sq += std::pow(std::hypot(dx, dy) - 1.0, 2);
  }
  CHECK(std::sqrt(sum_sq / 4000) == Approx(0.1).margin(0.01));
}

TEST_CASE("make_circles puts class 0 on the unit circle and class 1 on radius factor",
          "[data][generators]") {
  Generator generator(8);
  const data::Samples s = data::make_circles(100, 0.0, 0.5, generator, float64);
  REQUIRE(s.x.shape() == Shape{100, 2});
  CHECK(count_label(s.y, 0) == 50);
  CHECK(count_label(s.y, 1) == 50);
  const auto& x = s.x.data<double>();
  bool has_start = false;
  for (std::size_t i = 0; i < 100; ++i) {
    const double radius = s.y.data<double>()(i) == 0 ? 1.0 : 0.5;
    CHECK(std::hypot(x(i, 0), x(i, 1)) == Approx(radius));
    has_start = has_start || (x(i, 0) == 1.0 && x(i, 1) == 0.0);
  }
  CHECK(has_start);  // angles start at 0 and stop short of 2 pi
  CHECK(data::make_circles().x.shape() == Shape{100, 2});
}

TEST_CASE("make_spirals gives equal arms with radii over [0, 1] and the CS231n angles",
          "[data][generators]") {
  Generator generator(9);
  const data::Samples s = data::make_spirals(300, 3, 0.0, generator, float64);
  REQUIRE(s.x.shape() == Shape{300, 2});
  const auto& x = s.x.data<double>();
  for (double label = 0; label < 3; ++label) CHECK(count_label(s.y, label) == 100);
  for (std::size_t i = 0; i < 300; ++i) {
    const double r = std::hypot(x(i, 0), x(i, 1));
    CHECK(r <= 1.0 + 1e-12);
    if (std::abs(r - 1.0) < 1e-12) {
      // The outer end of arm j is at angle 4 (j + 1): (sin t, cos t).
      const double t = 4.0 * (s.y.data<double>()(i) + 1.0);
      CHECK(x(i, 0) == Approx(std::sin(t)));
      CHECK(x(i, 1) == Approx(std::cos(t)));
    }
  }
  Generator other(9);
  CHECK(data::make_spirals(10, 3, 0.2, other).y.dtype() == float32);
}

TEST_CASE("the generators reject bad arguments, naming them", "[data][generators]") {
  Generator g(0);
  CHECK_THROWS_AS(data::make_regression(0, 3, std::nullopt, 0, 0, g), std::invalid_argument);
  CHECK_THROWS_WITH(data::make_regression(0, 3, std::nullopt, 0, 0, g),
                    Contains("make_regression: n_samples must be at least 1, got 0"));
  CHECK_THROWS_WITH(data::make_regression(5, 3, 4, 0, 0, g),
                    Contains("make_regression: n_informative 4 exceeds n_features 3"));
  CHECK_THROWS_WITH(data::make_regression(5, 3, 2, 0, -1, g),
                    Contains("make_regression: noise must be finite and non-negative, got -1"));
  CHECK_THROWS_WITH(data::make_regression(5, 0, std::nullopt, 0, 0, g),
                    Contains("make_regression: n_features must be at least 1, got 0"));
  CHECK_THROWS_WITH(data::make_regression(5, 3, 2, std::nan(""), 0, g),
                    Contains("make_regression: bias must be finite, got nan"));
  CHECK_THROWS_WITH(data::make_classification(10, 2, 2, 0, 1, 1.0, g),
                    Contains("make_classification: n_classes must be at least 1, got 0"));
  CHECK_THROWS_WITH(data::make_classification(10, 2, 0, 2, 1, 1.0, g),
                    Contains("make_classification: n_informative must be at least 1, got 0"));
  CHECK_THROWS_AS(data::make_classification(10, 2, 3, 2, 1, 1.0, g), std::invalid_argument);
  CHECK_THROWS_WITH(data::make_classification(10, 2, 3, 2, 1, 1.0, g),
                    Contains("make_classification: n_informative 3 exceeds n_features 2"));
  CHECK_THROWS_WITH(data::make_classification(10, 2, 2, 2, 1, 0.0, g),
                    Contains("make_classification: class_sep must be positive and finite, got 0"));
  CHECK_THROWS_WITH(data::make_classification(10, 2, 2, 3, 2, 1.0, g),
                    Contains("make_classification: n_classes 3 * n_clusters_per_class 2 = 6 "
                             "clusters exceed the 2^2 = 4 hypercube vertices"));
  CHECK_THROWS_WITH(data::make_classification(3, 2, 2, 4, 1, 1.0, g),
                    Contains("make_classification: n_samples must be at least 4 (one per class), "
                             "got 3"));
  CHECK_THROWS_WITH(data::make_classification(10, 2, 2, 2, 0, 1.0, g),
                    Contains("make_classification: n_clusters_per_class must be at least 1"));
  CHECK_THROWS_WITH(data::make_blobs(10, 0, 2, 1.0, {-10, 10}, g),
                    Contains("make_blobs: centers must be at least 1, got 0"));
  CHECK_THROWS_WITH(data::make_blobs(10, 2, 0, 1.0, {-10, 10}, g),
                    Contains("make_blobs: n_features must be at least 1, got 0"));
  CHECK_THROWS_WITH(data::make_blobs(2, 3, 2, 1.0, {-10, 10}, g),
                    Contains("make_blobs: n_samples must be at least 3 (one per center), got 2"));
  CHECK_THROWS_WITH(data::make_blobs(10, 3, 2, -1.0, {-10, 10}, g),
                    Contains("make_blobs: cluster_std must be finite and non-negative, got -1"));
  CHECK_THROWS_WITH(data::make_blobs(10, 3, 2, 1.0, {1, 1}, g),
                    Contains("make_blobs: center_box (1, 1) needs finite low < high"));
  CHECK_THROWS_WITH(data::make_moons(1, 0.0, g),
                    Contains("make_moons: n_samples must be at least 2 (one per class), got 1"));
  CHECK_THROWS_WITH(data::make_moons(10, -0.1, g),
                    Contains("make_moons: noise must be finite and non-negative, got -0.1"));
  for (const double factor : {0.0, 1.0, 1.5}) {
    CHECK_THROWS_AS(data::make_circles(10, 0.0, factor, g), std::invalid_argument);
    CHECK_THROWS_WITH(data::make_circles(10, 0.0, factor, g),
                      Contains("make_circles: factor must be in (0, 1), got"));
  }
  CHECK_THROWS_WITH(data::make_spirals(10, 0, 0.2, g),
                    Contains("make_spirals: n_classes must be at least 1, got 0"));
  CHECK_THROWS_WITH(data::make_spirals(10, 3, std::nan(""), g),
                    Contains("make_spirals: noise must be finite and non-negative, got nan"));
}
