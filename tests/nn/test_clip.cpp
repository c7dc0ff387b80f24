// Tests of clip_grad_norm_: the norm it returns and the scaled gradients, by hand and against
// PyTorch, in float64 and float32, and its errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "gradient_checks.hpp"
#include "nn/optim/clip.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;
using xgrad::testing::error_message;

namespace {

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_value = std::numeric_limits<double>::infinity();

}  // namespace

TEST_CASE("clip_grad_norm_ scales gradients to max_norm and returns the norm before",
          "[optim][clip]") {
  Tensor a = zeros({2, 2}, float64, true);
  Tensor b = zeros({3}, float64, true);
  Tensor c = zeros({1}, float64, true);  // no gradient: skipped
  a.set_grad(Tensor(xt::xarray<double>{{3, -4}, {1, 2}}));
  b.set_grad(Tensor(xt::xarray<double>{0.5, -1.5, 2.5}));
  // norm^2 = 9 + 16 + 1 + 4 + 0.25 + 2.25 + 6.25 = 38.75
  const double norm = optim::clip_grad_norm_({a, b, c}, 2.0);
  CHECK(norm == Approx(std::sqrt(38.75)).epsilon(1e-14));
  CHECK(norm == Approx(6.2249497989943663).epsilon(1e-14));  // PyTorch
  const double scale = 2.0 / (std::sqrt(38.75) + 1e-6);
  CHECK(a.grad().data<double>()(0, 1) == Approx(-4 * scale).epsilon(1e-14));
  // scripts/make_optim_reference.py: torch.nn.utils.clip_grad_norm_([a, b], 2.0)
  const double torch_a[] = {0.96386303984431376, -1.2851507197924184, 0.32128767994810459,
                            0.64257535989620918};
  const double torch_b[] = {0.16064383997405229, -0.48193151992215688, 0.80321919987026147};
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(a.grad().data<double>().data()[i] == Approx(torch_a[i]).epsilon(1e-14));
  }
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(b.grad().data<double>()(i) == Approx(torch_b[i]).epsilon(1e-14));
  }
  CHECK_FALSE(c.grad().defined());
}

TEST_CASE("clip_grad_norm_ scales by min(1, max_norm / (norm + 1e-6)) as PyTorch does",
          "[optim][clip]") {
  // A norm 3e-7 below max_norm is still scaled, by 2 / (2 - 3e-7 + 1e-6); PyTorch gives
  // -1.5999992000002801 for the entry -0.8 (2 - 3e-7).
  Tensor p = zeros({2}, float64, true);
  p.set_grad(Tensor(xt::xarray<double>{0.6, -0.8}) * (2 - 3e-7));
  CHECK(optim::clip_grad_norm_({p}, 2.0) == Approx(2 - 3e-7).epsilon(1e-14));
  CHECK(p.grad().data<double>()(1) == Approx(-1.5999992000002801).epsilon(1e-14));
  // Well below the bound the scale is 1 and the gradient is untouched.
  p.set_grad(Tensor(xt::xarray<double>{0.9, -1.2}));
  CHECK(optim::clip_grad_norm_({p}, 2.0) == Approx(1.5).epsilon(1e-14));
  CHECK(p.grad().data<double>()(1) == -1.2);
}

TEST_CASE("clip_grad_norm_ leaves gradients within the bound alone, in float32 too",
          "[optim][clip]") {
  Tensor p = zeros({2}, float32, true);
  p.set_grad(Tensor(xt::xarray<float>{0.6f, -0.8f}));
  CHECK(optim::clip_grad_norm_({p}, 5.0) == Approx(1.0).epsilon(1e-6));
  CHECK(p.grad().data<float>()(1) == -0.8f);
  CHECK(optim::clip_grad_norm_({p}, 0.5) == Approx(1.0).epsilon(1e-6));
  CHECK(p.grad().data<float>()(1) == Approx(-0.4).epsilon(1e-5));
  CHECK(optim::clip_grad_norm_({zeros({1}, float32, true)}, 1.0) == 0.0);  // no gradients
}

TEST_CASE("clip_grad_norm_ refuses a non-finite norm and a bad max_norm", "[optim][clip]") {
  Tensor p = zeros({2}, float64, true);
  p.set_grad(Tensor(xt::xarray<double>{nan_value, 1.0}));
  CHECK_THROWS_AS(optim::clip_grad_norm_({p}, 1.0), std::runtime_error);
  CHECK_THAT(error_message([&] { optim::clip_grad_norm_({p}, 1.0); }),
             Contains("clip_grad_norm_: the total norm of the gradients is nan"));
  CHECK(p.grad().data<double>()(1) == 1.0);  // unchanged
  p.set_grad(Tensor(xt::xarray<double>{inf_value, 1.0}));
  CHECK_THAT(error_message([&] { optim::clip_grad_norm_({p}, 1.0); }),
             Contains("the total norm of the gradients is inf"));
  CHECK_THROWS_AS(optim::clip_grad_norm_({p}, -1.0), std::invalid_argument);
  CHECK_THAT(error_message([&] { optim::clip_grad_norm_({p}, -1.0); }),
             Contains("clip_grad_norm_: max_norm must be >= 0, got -1"));
}
