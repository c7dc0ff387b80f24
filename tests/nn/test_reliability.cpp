// Issue 12's defects in the nn layer: optimizers and clipping against the fused step, CSV line
// endings, and the PyTorch behaviour they are held to.
#include <catch2/catch.hpp>

#include <sstream>

#include "gradient_checks.hpp"
#include "nn/nn.hpp"

using namespace xgrad;

TEST_CASE("a CSV with CR-only line endings reads like one with LF", "[nn][csv]") {
  for (const std::string ending : {"\n", "\r\n", "\r"}) {
    INFO("line ending of " << ending.size() << " bytes");
    std::istringstream input("a,b" + ending + "1,2" + ending + "3,4" + ending);
    const data::CsvTable table = data::read_csv(input);
    CHECK(table.columns == std::vector<std::string>{"a", "b"});
    CHECK(testing::values(table.values) == std::vector<double>{1, 2, 3, 4});
    CHECK(table.lines == std::vector<std::size_t>{2, 3});
  }
  std::istringstream no_final_ending("a,b\r1,2");
  CHECK(testing::values(data::read_csv(no_final_ending).values) == std::vector<double>{1, 2});
}

TEST_CASE("every optimizer checks a parameter's gradient before reading it", "[nn][optim]") {
  // The gradient was computed for the (2, 2) values; the parameter now holds 25: update() would
  // read the 4-entry gradient over 25 entries.
  for (const std::string name : {"SGD", "Adam", "AdamW", "RMSprop"}) {
    Tensor p = ones({2, 2}, float64, true);
    std::unique_ptr<optim::Optimizer> optimizer;
    if (name == "SGD") optimizer = std::make_unique<optim::SGD>(std::vector<Tensor>{p}, 0.1, 0.9);
    if (name == "Adam") optimizer = std::make_unique<optim::Adam>(std::vector<Tensor>{p});
    if (name == "AdamW") optimizer = std::make_unique<optim::AdamW>(std::vector<Tensor>{p});
    if (name == "RMSprop") optimizer = std::make_unique<optim::RMSprop>(std::vector<Tensor>{p});
    sum(p * 2.0).backward();
    p.data<double>() = xt::ones<double>({5, 5});
    CHECK_THROWS_WITH(optimizer->step(),
                      name +
                          ": parameter 0 is float64 (5, 5) but its gradient is float64 (2, 2); "
                          "zero_grad() and run backward again after changing the parameter");
  }
}

TEST_CASE("clipping and accumulation refuse an optimizer fused into backward",
          "[nn][optim][fused]") {
  Tensor w = ones({3}, float64, true);
  optim::SGD sgd({w}, 0.1);
  sgd.fuse_into_backward();
  sum(w * w).backward();
  // The step was taken (w moved) and no gradient was kept: a clip would return 0 and do nothing.
  CHECK_THAT(testing::values(w), Catch::Matchers::Approx(std::vector<double>{0.8, 0.8, 0.8}));
  CHECK_FALSE(w.grad().defined());
  CHECK_THROWS_WITH(optim::clip_grad_norm_({w}, 1e-6),
                    Catch::Contains("takes its optimizer's step inside backward"));
  sgd.fuse_into_backward(false);
  sum(w * w).backward();
  CHECK(optim::clip_grad_norm_({w}, 1e-6) > 0);  // unfused, clipping works again
}
