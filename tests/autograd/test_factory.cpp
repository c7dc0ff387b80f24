// Tests of tensor factories and the seedable generator.
#include <catch2/catch.hpp>

#include "gradient_checks.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;
using xgrad::testing::error_message;

TEST_CASE("the generator reproduces the benchmark workloads' test vectors", "[autograd][random]") {
  Generator u(1);
  CHECK(u.uniform() == 0.5665615751722809);
  CHECK(u.uniform() == 0.7457817572627011);
  CHECK(u.uniform() == 0.9710027535867962);
  Generator n(10);
  CHECK(n.normal() == Approx(-0.02552680662395446).epsilon(1e-15));
  CHECK(n.normal() == Approx(0.2888901128093533).epsilon(1e-15));
}

TEST_CASE("random factories reproduce from a seed and respect their ranges", "[autograd][random]") {
  Generator g1(42), g2(42);
  Tensor a = rand({3, 4}, g1, float64);
  Tensor b = rand({3, 4}, g2, float64);
  CHECK(bool(a.data<double>() == b.data<double>()));
  manual_seed(5);
  Tensor c = randn({100});
  manual_seed(5);
  Tensor d = randn({100});
  CHECK(bool(c.data<float>() == d.data<float>()));
  Generator g3(3);
  Tensor u = uniform({1000}, -2.0, 3.0, g3, float64);
  const auto& values = u.data<double>();
  CHECK(*std::min_element(values.begin(), values.end()) >= -2.0);
  CHECK(*std::max_element(values.begin(), values.end()) < 3.0);
  CHECK(mean(u).item() == Approx(0.5).margin(0.15));
  CHECK_THAT(error_message([&] { uniform({2}, 1.0, 1.0, g3); }),
             Contains("uniform: need finite low < high; got low 1"));
}

TEST_CASE("constant factories fill shapes and dtypes", "[autograd][factory]") {
  Tensor z = zeros({2, 3}, float64, true);
  CHECK(z.shape() == Shape{2, 3});
  CHECK(z.dtype() == float64);
  CHECK(z.requires_grad());
  CHECK(sum(z).item() == 0.0);
  CHECK(sum(ones({4, 5})).item() == 20.0);
  CHECK(full({2}, 7.5).data<float>()(1) == 7.5f);
  CHECK(scalar_tensor(3.0).dim() == 0);
  CHECK(scalar_tensor(3.0).item() == 3.0);
  Tensor i = eye(3, float64);
  CHECK(i.data<double>()(1, 1) == 1.0);
  CHECK(i.data<double>()(1, 2) == 0.0);
  CHECK(sum(i).item() == 3.0);
  CHECK(zeros({0, 3}).numel() == 0);
}

TEST_CASE("arange follows numpy.arange", "[autograd][factory]") {
  CHECK(arange(0, 5).shape() == Shape{5});
  CHECK(arange(0, 5).data<float>()(4) == 4.0f);
  CHECK(arange(1, 2, 0.25, float64).numel() == 4);
  CHECK(arange(5, 0, -2, float64).data<double>()(2) == 1.0);
  CHECK(arange(3, 3).numel() == 0);
  CHECK_THROWS_AS(arange(0, 1, 0), std::invalid_argument);
  CHECK_THAT(error_message([] { arange(0, 1, 0); }), Contains("non-zero step"));
}

TEST_CASE("shape formatting reads like Python tuples", "[autograd][shape]") {
  CHECK(format_shape({}) == "()");
  CHECK(format_shape({5}) == "(5,)");
  CHECK(format_shape({3, 4}) == "(3, 4)");
  CHECK(broadcast_shapes("add", {3, 1}, {1, 4}) == Shape{3, 4});
  CHECK(broadcast_shapes("add", {4}, {2, 3, 4}) == Shape{2, 3, 4});
  CHECK_THAT(error_message([] {
               broadcast_shapes("add", {2, 3}, {4, 3});
             }),
             Contains("add: cannot broadcast (2, 3) with (4, 3)"));
}
