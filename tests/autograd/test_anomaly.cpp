// Tests of anomaly mode: it names the first op whose output or gradient holds NaN or infinity.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "gradient_checks.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;
using xgrad::testing::error_message;
using xgrad::testing::f64;

TEST_CASE("anomaly mode is off by default and NaN propagates as in NumPy", "[autograd][anomaly]") {
  CHECK_FALSE(AnomalyMode::is_enabled());
  Tensor y = log(f64({0.0, 1.0}));
  CHECK(std::isinf(y.data<double>()(0)));
}

TEST_CASE("anomaly mode names the op whose forward produced infinity", "[autograd][anomaly]") {
  Tensor x = f64({1.0, 0.0, 2.0}, true);
  detect_anomaly guard;
  Tensor h = x * 2.0;  // finite
  CHECK_THROWS_AS(log(h), std::runtime_error);
  CHECK_THAT(error_message([&] { log(h); }),
             Contains("anomaly: forward of 'log' produced -inf at flat index 1 of its output, "
                      "shape (3,)"));
}

TEST_CASE("anomaly mode says when NaN came in with an input", "[autograd][anomaly]") {
  Tensor x = f64({1.0, std::numeric_limits<double>::quiet_NaN()}, true);
  detect_anomaly guard;
  CHECK_THAT(error_message([&] { exp(x); }),
             Contains("anomaly: input 0 of 'exp' already holds NaN or infinity"));
}

TEST_CASE("anomaly mode names the op whose backward produced infinity", "[autograd][anomaly]") {
  // sqrt(0) = 0 is finite, but its gradient 1 / (2 sqrt x) is infinite there.
  Tensor x = f64({4.0, 0.0}, true);
  detect_anomaly guard;
  Tensor y = sum(sqrt(x));
  CHECK_THAT(error_message([&] { y.backward(); }),
             Contains("anomaly: backward of 'sqrt' produced inf at flat index 1 of the gradient "
                      "of input 0, shape (2,)"));
}

TEST_CASE("detect_anomaly restores the previous mode", "[autograd][anomaly]") {
  {
    detect_anomaly guard;
    CHECK(AnomalyMode::is_enabled());
  }
  CHECK_FALSE(AnomalyMode::is_enabled());
  // Without anomaly mode the same backward runs and yields inf.
  Tensor x = f64({0.0}, true);
  sum(sqrt(x)).backward();
  CHECK(std::isinf(x.grad().data<double>()(0)));
}
