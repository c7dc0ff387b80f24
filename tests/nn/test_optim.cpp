// Tests of the optimizers (SGD, Adam, AdamW, RMSprop): three steps of every variant worked out by
// hand, five steps against PyTorch in float64 and float32, skipping of parameters without a
// gradient, in-place updates, and every bad-argument error.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradient_checks.hpp"
#include "nn/activation.hpp"
#include "nn/linear.hpp"
#include "nn/loss.hpp"
#include "nn/optim/adam.hpp"
#include "nn/optim/rmsprop.hpp"
#include "nn/optim/sgd.hpp"
#include "nn/sequential.hpp"

using namespace xgrad;
using Catch::Matchers::Contains;
using xgrad::testing::error_message;
using xgrad::testing::values;

namespace {

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_value = std::numeric_limits<double>::infinity();

// A float64 parameter of one element whose gradient is fixed at `grad`: nothing zeroes it, so
// every step sees the same gradient.
Tensor param_with_grad(double value, double grad) {
  Tensor p = full({1}, value, float64, true);
  p.set_grad(full({1}, grad, float64));
  return p;
}

// The parameter's value after each of three steps.
std::vector<double> three_steps(optim::Optimizer& optimizer) {
  std::vector<double> values;
  for (int i = 0; i < 3; ++i) {
    optimizer.step();
    values.push_back(optimizer.params()[0].item());
  }
  return values;
}

void check_steps(const std::vector<double>& actual, const std::vector<double>& expected) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("after step " << i + 1);
    CHECK(actual[i] == Approx(expected[i]).epsilon(1e-12));
  }
}

}  // namespace

TEST_CASE("SGD steps by lr times the gradient", "[optim][sgd]") {
  // lr 0.1, g 0.5: p = 1 - 0.05 k
  optim::SGD sgd({param_with_grad(1.0, 0.5)}, 0.1);
  check_steps(three_steps(sgd), {0.95, 0.9, 0.85});
}

TEST_CASE("SGD momentum starts its buffer at the first gradient", "[optim][sgd]") {
  // b1 = 0.5                  p1 = 1 - 0.1 * 0.5      = 0.95
  // b2 = 0.9 * 0.5 + 0.5      = 0.95   p2 = 0.95 - 0.095   = 0.855
  // b3 = 0.9 * 0.95 + 0.5     = 1.355  p3 = 0.855 - 0.1355 = 0.7195
  optim::SGD sgd({param_with_grad(1.0, 0.5)}, 0.1, 0.9);
  check_steps(three_steps(sgd), {0.95, 0.855, 0.7195});
}

TEST_CASE("SGD dampening scales new gradients after the first step", "[optim][sgd]") {
  // b1 = 0.5 (no dampening at the first step)    p1 = 0.95
  // b2 = 0.9 * 0.5 + (1 - 0.5) * 0.5  = 0.7      p2 = 0.95 - 0.07  = 0.88
  // b3 = 0.9 * 0.7 + 0.25             = 0.88     p3 = 0.88 - 0.088 = 0.792
  optim::SGD sgd({param_with_grad(1.0, 0.5)}, 0.1, 0.9, 0.5);
  check_steps(three_steps(sgd), {0.95, 0.88, 0.792});
}

TEST_CASE("SGD nesterov looks ahead along the momentum buffer", "[optim][sgd]") {
  // d = g + 0.9 b with b as for plain momentum (0.5, 0.95, 1.355):
  // d1 = 0.5 + 0.45   = 0.95     p1 = 1 - 0.095        = 0.905
  // d2 = 0.5 + 0.855  = 1.355    p2 = 0.905 - 0.1355   = 0.7695
  // d3 = 0.5 + 1.2195 = 1.7195   p3 = 0.7695 - 0.17195 = 0.59755
  optim::SGD sgd({param_with_grad(1.0, 0.5)}, 0.1, 0.9, 0, 0, true);
  check_steps(three_steps(sgd), {0.905, 0.7695, 0.59755});
}

TEST_CASE("SGD weight decay adds weight_decay * p to the gradient", "[optim][sgd]") {
  // d = 0.5 + 0.1 p:
  // d1 = 0.6       p1 = 1 - 0.06         = 0.94
  // d2 = 0.594     p2 = 0.94 - 0.0594    = 0.8806
  // d3 = 0.58806   p3 = 0.8806 - 0.058806 = 0.821794
  optim::SGD sgd({param_with_grad(1.0, 0.5)}, 0.1, 0, 0, 0.1);
  check_steps(three_steps(sgd), {0.94, 0.8806, 0.821794});
}

TEST_CASE("Adam's bias correction makes a constant gradient move by lr each step",
          "[optim][adam]") {
  // m_t = (1 - 0.9^t) g and v_t = (1 - 0.999^t) g^2, so m^ = g and v^ = g^2 at every step:
  // p moves by lr g / (|g| + eps) each time.
  optim::Adam adam({param_with_grad(1.0, 0.5)}, 0.1);
  const double move = 0.1 * 0.5 / (0.5 + 1e-8);
  check_steps(three_steps(adam), {1 - move, 1 - 2 * move, 1 - 3 * move});
}

TEST_CASE("Adam weight decay is L2 added to the gradient before the moments", "[optim][adam]") {
  optim::Adam adam({param_with_grad(1.0, 0.5)}, 0.1, {0.9, 0.999}, 1e-8, 0.1);
  // t = 1: g = 0.5 + 0.1 * 1 = 0.6, m = 0.06, v = 0.00036, so m^ = 0.6 and v^ = 0.36
  const double p1 = 1 - 0.1 * 0.6 / (0.6 + 1e-8);
  // t = 2: bias corrections 1 - 0.9^2 = 0.19 and 1 - 0.999^2 = 0.001999
  const double g2 = 0.5 + 0.1 * p1;
  const double m2 = 0.9 * 0.06 + 0.1 * g2;
  const double v2 = 0.999 * 0.00036 + 0.001 * g2 * g2;
  const double p2 = p1 - 0.1 * (m2 / 0.19) / (std::sqrt(v2 / 0.001999) + 1e-8);
  // t = 3: 1 - 0.9^3 = 0.271 and 1 - 0.999^3 = 0.002997001
  const double g3 = 0.5 + 0.1 * p2;
  const double m3 = 0.9 * m2 + 0.1 * g3;
  const double v3 = 0.999 * v2 + 0.001 * g3 * g3;
  const double p3 = p2 - 0.1 * (m3 / 0.271) / (std::sqrt(v3 / 0.002997001) + 1e-8);
  check_steps(three_steps(adam), {p1, p2, p3});
}

TEST_CASE("Adam amsgrad divides by the largest second moment so far", "[optim][adam]") {
  // betas (0.9, 0.5), lr 0.1; gradients 1, then 0.1 twice, so v falls and v_max keeps v1.
  Tensor p = param_with_grad(1.0, 1.0);
  optim::Adam adam({p}, 0.1, {0.9, 0.5}, 1e-8, 0, true);
  std::vector<double> values;
  for (double g : {1.0, 0.1, 0.1}) {
    p.set_grad(full({1}, g, float64));
    adam.step();
    values.push_back(p.item());
  }
  // t = 1: m = 0.1, v = v_max = 0.5; m^ = 1, sqrt(v_max / 0.5) = 1
  const double p1 = 1 - 0.1 * 1 / (1 + 1e-8);
  // t = 2: m = 0.09 + 0.01 = 0.1, v = 0.25 + 0.005 = 0.255 < v_max = 0.5; corrections 0.19, 0.75
  const double p2 = p1 - 0.1 * (0.1 / 0.19) / (std::sqrt(0.5) / std::sqrt(0.75) + 1e-8);
  // t = 3: m = 0.1, v = 0.1275 + 0.005 = 0.1325 < v_max; corrections 0.271, 0.875
  const double p3 = p2 - 0.1 * (0.1 / 0.271) / (std::sqrt(0.5) / std::sqrt(0.875) + 1e-8);
  check_steps(values, {p1, p2, p3});
}

TEST_CASE("AdamW decays the parameter itself, apart from the gradient", "[optim][adam]") {
  // p = p (1 - lr wd) = 0.99 p, then the Adam step, which for a constant gradient is lr g/(|g|+eps)
  optim::AdamW adamw({param_with_grad(1.0, 0.5)}, 0.1, {0.9, 0.999}, 1e-8, 0.1);
  const double move = 0.1 * 0.5 / (0.5 + 1e-8);
  const double p1 = 0.99 * 1 - move;
  const double p2 = 0.99 * p1 - move;
  const double p3 = 0.99 * p2 - move;
  check_steps(three_steps(adamw), {p1, p2, p3});
}

TEST_CASE("Adam, AdamW and RMSprop have PyTorch's defaults", "[optim]") {
  Tensor p = zeros({1}, float32, true);
  optim::Adam adam({p});
  CHECK(adam.lr() == 1e-3);
  CHECK(adam.betas() == std::pair<double, double>{0.9, 0.999});
  CHECK(adam.eps() == 1e-8);
  CHECK(adam.weight_decay() == 0);
  CHECK_FALSE(adam.amsgrad());
  optim::AdamW adamw({p});
  CHECK(adamw.weight_decay() == 1e-2);
  CHECK(adamw.name() == "AdamW");
  optim::RMSprop rmsprop({p});
  CHECK(rmsprop.lr() == 1e-2);
  CHECK(rmsprop.alpha() == 0.99);
  CHECK(rmsprop.eps() == 1e-8);
  CHECK(rmsprop.momentum() == 0);
  CHECK_FALSE(rmsprop.centered());
}

TEST_CASE("RMSprop divides by the running root mean square", "[optim][rmsprop]") {
  // s = 0.99 s + 0.01 g^2 with g = 0.5: s1 = 0.0025, s2 = 0.004975, s3 = 0.00742525
  optim::RMSprop rmsprop({param_with_grad(1.0, 0.5)}, 0.01);
  const double p1 = 1 - 0.01 * 0.5 / (std::sqrt(0.0025) + 1e-8);
  const double p2 = p1 - 0.01 * 0.5 / (std::sqrt(0.004975) + 1e-8);
  const double p3 = p2 - 0.01 * 0.5 / (std::sqrt(0.00742525) + 1e-8);
  check_steps(three_steps(rmsprop), {p1, p2, p3});
}

TEST_CASE("RMSprop momentum accumulates the scaled gradients", "[optim][rmsprop]") {
  // r_t = sqrt(s_t) + eps as above; b = 0.9 b + g / r, p = p - lr b
  optim::RMSprop rmsprop({param_with_grad(1.0, 0.5)}, 0.01, 0.99, 1e-8, 0, 0.9);
  const double b1 = 0.5 / (std::sqrt(0.0025) + 1e-8);
  const double b2 = 0.9 * b1 + 0.5 / (std::sqrt(0.004975) + 1e-8);
  const double b3 = 0.9 * b2 + 0.5 / (std::sqrt(0.00742525) + 1e-8);
  check_steps(three_steps(rmsprop),
              {1 - 0.01 * b1, 1 - 0.01 * (b1 + b2), 1 - 0.01 * (b1 + b2 + b3)});
}

TEST_CASE("RMSprop centered subtracts the squared running mean of the gradient",
          "[optim][rmsprop]") {
  // a = 0.99 a + 0.01 g: a1 = 0.005, a2 = 0.00995, a3 = 0.0148505; r = sqrt(s - a^2) + eps
  optim::RMSprop rmsprop({param_with_grad(1.0, 0.5)}, 0.01, 0.99, 1e-8, 0, 0, true);
  const double p1 = 1 - 0.01 * 0.5 / (std::sqrt(0.0025 - 0.005 * 0.005) + 1e-8);
  const double p2 = p1 - 0.01 * 0.5 / (std::sqrt(0.004975 - 0.00995 * 0.00995) + 1e-8);
  const double p3 = p2 - 0.01 * 0.5 / (std::sqrt(0.00742525 - 0.0148505 * 0.0148505) + 1e-8);
  check_steps(three_steps(rmsprop), {p1, p2, p3});
}

TEST_CASE("RMSprop weight decay adds weight_decay * p to the gradient", "[optim][rmsprop]") {
  optim::RMSprop rmsprop({param_with_grad(1.0, 0.5)}, 0.01, 0.99, 1e-8, 0.1);
  const double g1 = 0.5 + 0.1 * 1;  // 0.6
  const double s1 = 0.01 * g1 * g1;
  const double p1 = 1 - 0.01 * g1 / (std::sqrt(s1) + 1e-8);
  const double g2 = 0.5 + 0.1 * p1;
  const double s2 = 0.99 * s1 + 0.01 * g2 * g2;
  const double p2 = p1 - 0.01 * g2 / (std::sqrt(s2) + 1e-8);
  const double g3 = 0.5 + 0.1 * p2;
  const double s3 = 0.99 * s2 + 0.01 * g3 * g3;
  const double p3 = p2 - 0.01 * g3 / (std::sqrt(s3) + 1e-8);
  check_steps(three_steps(rmsprop), {p1, p2, p3});
}

namespace {

using MakeOptimizer = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;

struct ReferenceCase {
  const char* name;
  MakeOptimizer make;
  std::vector<std::vector<double>> expected;  // the parameter after each step
};

template <class O, class... Args>
MakeOptimizer maker(Args... args) {
  return [=](std::vector<Tensor> params) {
    return std::unique_ptr<optim::Optimizer>(std::make_unique<O>(std::move(params), args...));
  };
}

// Made by scripts/make_optim_reference.py with torch 1.13.0a0, Python 3.11.2:
// p0 = {1, -2, 0.5}, loss = sum(w * p^2) with w = {0.5, 2, 1.5}, 5 steps.
const std::vector<ReferenceCase>& reference_cases() {
  using P = std::pair<double, double>;
  static const std::vector<ReferenceCase> cases{
      {"sgd",
       maker<optim::SGD>(0.1),
       {{0.90000000000000002, -1.2, 0.34999999999999998},
        {0.81000000000000005, -0.71999999999999997, 0.245},
        {0.72900000000000009, -0.432, 0.17149999999999999},
        {0.65610000000000013, -0.25919999999999999, 0.12004999999999999},
        {0.59049000000000007, -0.15551999999999999, 0.084034999999999985}}},
      {"sgd_momentum",
       maker<optim::SGD>(0.1, 0.9),
       {{0.90000000000000002, -1.2, 0.34999999999999998},
        {0.71999999999999997, 1.1102230246251565e-16, 0.10999999999999997},
        {0.48599999999999999, 1.0800000000000003, -0.13900000000000007},
        {0.2268, 1.6200000000000003, -0.32140000000000007},
        {-0.029159999999999978, 1.4580000000000002, -0.38914000000000004}}},
      {"sgd_dampening",
       maker<optim::SGD>(0.1, 0.9, 0.5),
       {{0.90000000000000002, -1.2, 0.34999999999999998},
        {0.76500000000000001, -0.23999999999999994, 0.16249999999999998},
        {0.60524999999999995, 0.67200000000000026, -0.030625000000000024},
        {0.43121249999999994, 1.3584000000000005, -0.19984375000000004},
        {0.25301812499999993, 1.7044800000000007, -0.32216406250000007}}},
      {"sgd_nesterov",
       maker<optim::SGD>(0.1, 0.9, 0.0, 0.0, true),
       {{0.81000000000000005, -0.47999999999999998, 0.21499999999999997},
        {0.57510000000000006, 0.53280000000000027, -0.029050000000000055},
        {0.32732100000000003, 0.86659200000000025, -0.17408650000000003},
        {0.093887909999999977, 0.70020288000000008, -0.21323354500000002},
        {-0.10458168390000007, 0.33027160319999993, -0.17392611985}}},
      {"sgd_weight_decay",
       maker<optim::SGD>(0.1, 0.9, 0.0, 0.1),
       {{0.89000000000000001, -1.1799999999999999, 0.34499999999999997},
        {0.69310000000000005, 0.041800000000000129, 0.098549999999999943},
        {0.43964900000000001, 1.124282, -0.15380550000000007},
        {0.16318171000000001, 1.6375601800000001, -0.33324574500000009},
        {-0.10358883910000001, 1.4281108682000001, -0.39143578455000011}}},
      {"adam",
       maker<optim::Adam>(0.1),
       {{0.90000000099999999, -1.9000000001249999, 0.40000000066666663},
        {0.80041222971233816, -1.8001664858630053, 0.30118742096867557},
        {0.70158627450441502, -1.7006233916636408, 0.20487125150058239},
        {0.60393906268210795, -1.6015048947743649, 0.11291539677342625},
        {0.50796366192722098, -1.502955780646025, 0.027814449650564468}}},
      {"adam_weight_decay",
       maker<optim::Adam>(0.1, P{0.9, 0.999}, 1e-8, 0.1),
       {{0.90000000090909094, -1.9000000001219512, 0.40000000064516128},
        {0.80041222952678437, -1.800166485856842, 0.30118742092412781},
        {0.70158627422107223, -1.7006233916543037, 0.20487125143221357},
        {0.60393906229876926, -1.6015048947618025, 0.11291539668203304},
        {0.50796366144306093, -1.5029557806301961, 0.027814449539593861}}},
      {"adam_amsgrad",
       maker<optim::Adam>(0.3, P{0.9, 0.5}, 1e-8, 0.0, true),
       {{0.70000000299999998, -1.700000000375, 0.20000000199999995},
        {0.39059077554198252, -1.3939256774360127, -0.051394996638112533},
        {0.12251211018298996, -1.0930079473174874, -0.20768128404182934},
        {-0.088921353664738439, -0.81305951746982974, -0.27279717074211141},
        {-0.24229810094407483, -0.56048276113355366, -0.267190737817945}}},
      {"adamw",
       maker<optim::AdamW>(0.1),
       {{0.89900000099999999, -1.8980000001249999, 0.39950000066666669},
        {0.79851902818877885, -1.7962725883921702, 0.30029783856919318},
        {0.69891118471569336, -1.694944514002364, 0.20371238191484486},
        {0.60059857626591029, -1.5941529182213086, 0.11162008986582438},
        {0.50408009274720167, -1.4940456934120685, 0.026528200137138677}}},
      {"adamw_amsgrad",
       maker<optim::AdamW>(0.3, P{0.9, 0.5}, 1e-8, 0.2, true),
       {{0.64000000299999993, -1.5800000003749999, 0.17000000199999993},
        {0.30379362136990279, -1.1769539551065593, -0.079992150702823811},
        {0.038106208672463893, -0.81496774458306853, -0.21519519224213102},
        {-0.15039473827373709, -0.50626377341536521, -0.25365023803824116},
        {-0.26910363243878144, -0.25193358722621739, -0.22616621742655157}}},
      {"rmsprop",
       maker<optim::RMSprop>(0.01),
       {{0.90000000999999907, -1.90000000125, 0.40000000666666624},
        {0.83291797526505928, -1.8309433272561533, 0.33733917330531638},
        {0.77998228198235409, -1.7753494433525812, 0.29043322096668617},
        {0.73538905420339307, -1.7277138147603706, 0.2528255234999629},
        {0.69646579928103303, -1.6854815801855871, 0.22157099408975839}}},
      {"rmsprop_momentum",
       maker<optim::RMSprop>(0.01, 0.99, 1e-8, 0.0, 0.9),
       {{0.90000000999999907, -1.90000000125, 0.4000000066666663},
        {0.7429179842650584, -1.7409433283811533, 0.2473391793053161},
        {0.55291495323440787, -1.5441299602647875, 0.073657314035421723},
        {0.34772890035144649, -1.3238453805152253, -0.093453573642410165},
        {0.14194253874347496, -1.0907376958164414, -0.2302139426964678}}},
      {"rmsprop_centered",
       maker<optim::RMSprop>(0.01, 0.9, 1e-8, 0.0, 0.0, true),
       {{0.96666666777777777, -1.9666666668055555, 0.46666666740740737},
        {0.94159014428872534, -1.9413801527080776, 0.44202836287805269},
        {0.91970050288847605, -1.9191804003080515, 0.42079448903185418},
        {0.89940953762793685, -1.8984995747572904, 0.40134031802753317},
        {0.87998034523091562, -1.8786034600560593, 0.3829293591454796}}},
      {"rmsprop_all",
       maker<optim::RMSprop>(0.01, 0.9, 1e-8, 0.1, 0.5, true),
       {{0.96666666767676768, -1.966666666802168, 0.46666666738351253},
        {0.92492347796825203, -1.9247134861038127, 0.42536169653257305},
        {0.88241836727359602, -1.881660230999836, 0.38402967005858962},
        {0.84140091428460551, -1.8397019134121133, 0.34507969708600805},
        {0.80224532075918387, -1.7991913743367394, 0.30898204073073254}}},
  };
  return cases;
}

// Runs a reference case in `dtype`: each step zeroes the gradient, backpropagates
// sum(w * p^2) and steps, as the script does.
std::vector<std::vector<double>> run_case(const ReferenceCase& c, Dtype dtype) {
  Tensor p = Tensor(xt::xarray<double>{1.0, -2.0, 0.5}).to(dtype);
  p.requires_grad_(true);
  const Tensor w = Tensor(xt::xarray<double>{0.5, 2.0, 1.5}).to(dtype);
  auto optimizer = c.make({p});
  std::vector<std::vector<double>> rows;
  for (std::size_t step = 0; step < c.expected.size(); ++step) {
    optimizer->zero_grad();
    sum(w * p * p).backward();
    optimizer->step();
    const Tensor values = p.to(float64);
    rows.emplace_back(values.data<double>().begin(), values.data<double>().end());
  }
  return rows;
}

}  // namespace

TEST_CASE("every optimizer variant follows PyTorch for five steps in float64 and float32",
          "[optim][torch]") {
  const Dtype dtype = GENERATE(float64, float32);
  // float64 agrees to rounding; float32 carries about 7 digits through five steps.
  const double rel = dtype == float64 ? 1e-11 : 1e-5;
  const double margin = dtype == float64 ? 1e-14 : 1e-6;
  for (const ReferenceCase& c : reference_cases()) {
    const auto rows = run_case(c, dtype);
    for (std::size_t step = 0; step < rows.size(); ++step) {
      for (std::size_t j = 0; j < rows[step].size(); ++j) {
        INFO(c.name << " in " << dtype_name(dtype) << ", step " << step + 1 << ", element " << j);
        CHECK(rows[step][j] == Approx(c.expected[step][j]).epsilon(rel).margin(margin));
      }
    }
  }
}

namespace {

// A float64 MLP 3-8-8-2 (Linear, Tanh, Linear, Tanh, Linear) from a fixed seed, and its parameter
// values after five steps of `make`'s optimizer on a fixed regression batch, the steps taken by
// step() after each backward or, fused, inside the backward passes.
std::vector<double> five_steps(const MakeOptimizer& make, bool fused) {
  Generator generator(21);
  nn::Sequential model{
      std::make_shared<nn::Linear>(3, 8, true, nn::Init::kaiming_uniform, generator, float64),
      std::make_shared<nn::Tanh>(),
      std::make_shared<nn::Linear>(8, 8, true, nn::Init::kaiming_uniform, generator, float64),
      std::make_shared<nn::Tanh>(),
      std::make_shared<nn::Linear>(8, 2, true, nn::Init::kaiming_uniform, generator, float64)};
  const Tensor x = uniform({16, 3}, -1.0, 1.0, generator, float64);
  const Tensor y = uniform({16, 2}, -1.0, 1.0, generator, float64);
  auto optimizer = make(model.parameters());
  if (fused) optimizer->fuse_into_backward();
  for (int step = 0; step < 5; ++step) {
    optimizer->zero_grad();
    mse_loss(model.forward(x), y).backward();
    if (fused) {
      for (const Tensor& p : model.parameters()) CHECK_FALSE(p.grad().defined());
    }
    optimizer->step();
  }
  std::vector<double> out;
  for (const Tensor& p : model.parameters()) {
    out.insert(out.end(), p.data<double>().begin(), p.data<double>().end());
  }
  return out;
}

}  // namespace

TEST_CASE("fuse_into_backward trains as backward then step, for every optimizer variant",
          "[optim][fused]") {
  std::vector<std::pair<std::string, MakeOptimizer>> makers;
  for (const ReferenceCase& c : reference_cases()) makers.emplace_back(c.name, c.make);
  // plain SGD with weight decay: the products write p = (1 - lr wd) p - lr g (beta below 1)
  makers.emplace_back("sgd weight_decay", maker<optim::SGD>(0.1, 0.0, 0.0, 0.1));
  for (const auto& [name, make] : makers) {
    INFO(name);
    CHECK_THAT(five_steps(make, true),
               Catch::Matchers::Approx(five_steps(make, false)).epsilon(1e-12).margin(1e-15));
  }
}

TEST_CASE("fuse_into_backward is undone by false and by the optimizer's end; one per parameter",
          "[optim][fused]") {
  Tensor w = full({2, 2}, 1.0, float64, true);
  const Tensor x = full({3, 2}, 0.5, float64);
  {
    optim::SGD sgd({w}, 0.1);
    sgd.fuse_into_backward();
    sgd.fuse_into_backward();  // again: no change
    CHECK(sgd.fused_into_backward());
    CHECK(w.backward_step());
    optim::Adam adam({w});
    CHECK_THAT(error_message([&] { adam.fuse_into_backward(); }),
               Contains("Adam: parameter 0 already takes another optimizer's step in backward"));
    sum(matmul(x, w)).backward();  // d/dw = 1.5 everywhere: w = 1 - 0.1 1.5
    CHECK_FALSE(w.grad().defined());
    CHECK(values(w) == std::vector<double>(4, 1 - 0.1 * 1.5));
    sgd.fuse_into_backward(false);
    CHECK_FALSE(sgd.fused_into_backward());
    CHECK_FALSE(w.backward_step());
    sgd.fuse_into_backward();
  }
  CHECK_FALSE(w.backward_step());  // the optimizer is gone: backward stores gradients again
  sum(matmul(x, w)).backward();
  CHECK(values(w.grad()) == std::vector<double>(4, 1.5));
}

TEST_CASE("a parameter without a gradient is skipped and starts its state when one arrives",
          "[optim][adam]") {
  Tensor a = param_with_grad(1.0, 0.5);
  Tensor b = full({1}, 2.0, float64, true);  // no gradient yet
  optim::Adam adam({a, b}, 0.1);
  adam.step();
  adam.step();
  CHECK(b.item() == 2.0);
  // b's first step is a first step (its own step count is 1): it moves by lr g / (|g| + eps)
  b.set_grad(full({1}, -3.0, float64));
  adam.step();
  CHECK(b.item() == Approx(2.0 + 0.1 * 3.0 / (3.0 + 1e-8)).epsilon(1e-12));
  CHECK(a.item() == Approx(1 - 3 * 0.1 * 0.5 / (0.5 + 1e-8)).epsilon(1e-12));
}

TEST_CASE("steps update the parameter's own buffer in place, unrecorded", "[optim][sgd]") {
  Tensor p = param_with_grad(1.0, 0.5);
  Tensor alias = p;  // another handle, as a module's member would be
  const double* values = p.data<double>().data();
  optim::SGD sgd({p}, 0.1, 0.9);
  sgd.step();
  CHECK(p.data<double>().data() == values);
  CHECK(alias.item() == 0.95);
  CHECK(p.is_leaf());
  CHECK(p.grad_fn() == nullptr);
  CHECK(p.requires_grad());
}

TEST_CASE("set_lr takes effect at the next step", "[optim][sgd]") {
  optim::SGD sgd({param_with_grad(1.0, 0.5)}, 0.1);
  sgd.step();
  sgd.set_lr(0.2);
  sgd.step();
  CHECK(sgd.params()[0].item() == Approx(1 - 0.05 - 0.1));
}

TEST_CASE("a parameter converted after the first step is refused", "[optim]") {
  Tensor p = param_with_grad(1.0, 0.5);
  optim::RMSprop rmsprop({p});
  rmsprop.step();
  p.set_data(p.to(float32));
  p.set_grad(full({1}, 0.5, float32));
  CHECK_THROWS_AS(rmsprop.step(), std::runtime_error);
  CHECK_THAT(error_message([&] { rmsprop.step(); }),
             Contains("RMSprop: parameter 0 is now float32 (1,) but its optimizer state is "
                      "float64 (1,)"));
}

TEST_CASE("bad SGD arguments are refused by name and value", "[optim][sgd]") {
  const std::vector<Tensor> params{zeros({2}, float32, true)};
  CHECK_THROWS_AS(optim::SGD(params, 0.1, -0.5), std::invalid_argument);
  CHECK_THAT(error_message([&] { optim::SGD(params, -1.0); }),
             Contains("SGD: learning rate must be finite and >= 0"));
  CHECK_THAT(error_message([&] { optim::SGD(params, 0.1, -0.5); }),
             Contains("SGD: momentum must be finite and >= 0, got -0.5"));
  CHECK_THAT(error_message([&] { optim::SGD(params, 0.1, inf_value); }),
             Contains("SGD: momentum must be finite and >= 0, got inf"));
  CHECK_THAT(error_message([&] { optim::SGD(params, 0.1, 0.9, 1.5); }),
             Contains("SGD: dampening must be in [0, 1], got 1.5"));
  CHECK_THAT(error_message([&] { optim::SGD(params, 0.1, 0.9, 0, nan_value); }),
             Contains("SGD: weight_decay must be finite and >= 0, got nan"));
  CHECK_THAT(error_message([&] { optim::SGD(params, 0.1, 0, 0, 0, true); }),
             Contains("SGD: nesterov momentum requires momentum > 0 and dampening 0, got "
                      "momentum 0 and dampening 0"));
  CHECK_THAT(error_message([&] { optim::SGD(params, 0.1, 0.9, 0.1, 0, true); }),
             Contains("got momentum 0.9 and dampening 0.1"));
  CHECK_THAT(error_message([] { optim::SGD({}, 0.1); }), Contains("SGD: no parameters"));
}

TEST_CASE("bad Adam and AdamW arguments are refused by name and value", "[optim][adam]") {
  const std::vector<Tensor> params{zeros({2}, float32, true)};
  CHECK_THROWS_AS(optim::Adam(params, 1e-3, {1.0, 0.999}), std::invalid_argument);
  CHECK_THAT(error_message([&] {
               optim::Adam(params, 1e-3, {1.0, 0.999});
             }),
             Contains("Adam: beta1 must be in [0, 1), got 1"));
  CHECK_THAT(error_message([&] {
               optim::Adam(params, 1e-3, {0.9, -0.1});
             }),
             Contains("Adam: beta2 must be in [0, 1), got -0.1"));
  CHECK_THAT(error_message([&] {
               optim::Adam(params, 1e-3, {nan_value, 0.999});
             }),
             Contains("Adam: beta1 must be in [0, 1), got nan"));
  CHECK_THAT(error_message([&] {
               optim::Adam(params, 1e-3, {0.9, 0.999}, -1e-8);
             }),
             Contains("Adam: eps must be finite and >= 0, got -1e-08"));
  CHECK_THAT(error_message([&] {
               optim::Adam(params, 1e-3, {0.9, 0.999}, 1e-8, inf_value);
             }),
             Contains("Adam: weight_decay must be finite and >= 0, got inf"));
  CHECK_THAT(error_message([&] { optim::Adam(params, nan_value); }),
             Contains("Adam: learning rate must be finite and >= 0"));
  CHECK_THAT(error_message([&] {
               optim::AdamW(params, 1e-3, {0.9, 1.5});
             }),
             Contains("AdamW: beta2 must be in [0, 1), got 1.5"));
  CHECK_THAT(error_message([&] {
               optim::AdamW(params, 1e-3, {0.9, 0.999}, 1e-8, -0.01);
             }),
             Contains("AdamW: weight_decay must be finite and >= 0, got -0.01"));
}

TEST_CASE("bad RMSprop arguments are refused by name and value", "[optim][rmsprop]") {
  const std::vector<Tensor> params{zeros({2}, float32, true)};
  CHECK_THROWS_AS(optim::RMSprop(params, 1e-2, 1.5), std::invalid_argument);
  CHECK_THAT(error_message([&] { optim::RMSprop(params, 1e-2, 1.5); }),
             Contains("RMSprop: alpha must be in [0, 1], got 1.5"));
  CHECK_THAT(error_message([&] { optim::RMSprop(params, 1e-2, 0.99, -1.0); }),
             Contains("RMSprop: eps must be finite and >= 0, got -1"));
  CHECK_THAT(error_message([&] { optim::RMSprop(params, 1e-2, 0.99, 1e-8, -0.1); }),
             Contains("RMSprop: weight_decay must be finite and >= 0, got -0.1"));
  CHECK_THAT(error_message([&] { optim::RMSprop(params, 1e-2, 0.99, 1e-8, 0, nan_value); }),
             Contains("RMSprop: momentum must be finite and >= 0, got nan"));
  CHECK_THAT(error_message([&] { optim::RMSprop(params, inf_value); }),
             Contains("RMSprop: learning rate must be finite and >= 0"));
}
