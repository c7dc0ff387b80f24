// Tests of PostAccumulateGradHook and Engine::queue_callback, the engine's two hooks for work that
// follows gradients as they complete (data-parallel gradient averaging).
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "autograd/autograd.hpp"

using namespace xgrad;

namespace {

// Records the order of gradients and end-of-pass callbacks; at the end of the pass it doubles
// every gradient it saw, in place.
class Recorder final : public PostAccumulateGradHook {
 public:
  Recorder(std::string name, std::vector<std::string>& log) : name_(std::move(name)), log_(log) {}
  void on_gradient(const Tensor&, const Tensor& grad) override {
    log_.push_back(name_ + "=" + std::to_string(grad.to(float64).sum().item()));
    Tensor g = grad;
    std::vector<std::string>& log = log_;
    Engine::queue_callback([g, &log]() mutable {
      log.push_back("end");
      auto& values = g.data<double>();
      values *= 2.0;
    });
  }

 private:
  std::string name_;
  std::vector<std::string>& log_;
};

}  // namespace

TEST_CASE("post-accumulate hooks see each complete gradient, callbacks run after the walk",
          "[autograd][engine][hooks]") {
  std::vector<std::string> log;
  Tensor a(xt::xarray<double>{1.0, 2.0}, true), b(xt::xarray<double>{3.0}, true);
  a.set_post_accumulate_grad_hook(std::make_shared<Recorder>("a", log));
  b.set_post_accumulate_grad_hook(std::make_shared<Recorder>("b", log));
  // a appears twice: its hook runs once, with the sum of both paths.
  ((a * b).sum() + a.sum()).backward();
  REQUIRE(log.size() == 4);
  CHECK(log[2] == "end");
  CHECK(log[3] == "end");
  // d/da = b + 1 = 4 each; d/db = 1 + 2 = 3. Doubled in place by the callbacks.
  CHECK(a.grad().data<double>()(0) == 8.0);
  CHECK(a.grad().data<double>()(1) == 8.0);
  CHECK(b.grad().data<double>()(0) == 6.0);
}

TEST_CASE("a hook may overwrite a gradient that another leaf shares, without touching that leaf",
          "[autograd][engine][hooks]") {
  // add's backward hands the same gradient to both inputs; the fused step path must copy it.
  std::vector<std::string> log;
  Tensor a(xt::xarray<double>{1.0}, true), b(xt::xarray<double>{1.0}, true);
  std::vector<double> stepped;
  class Keep final : public BackwardStep {
   public:
    explicit Keep(std::vector<double>& out) : out_(out) {}
    void apply(Tensor&, const Tensor& grad) override { out_.push_back(grad.item()); }

   private:
    std::vector<double>& out_;
  };
  a.set_backward_step(std::make_shared<Keep>(stepped));
  b.set_backward_step(std::make_shared<Keep>(stepped));
  a.set_post_accumulate_grad_hook(std::make_shared<Recorder>("a", log));
  (a + b).sum().backward();
  // a's gradient was doubled by its hook's callback; b's, the same values originally, was not.
  std::sort(stepped.begin(), stepped.end());
  CHECK(stepped == std::vector<double>{1.0, 2.0});
}

TEST_CASE("queue_callback outside a backward pass throws", "[autograd][engine][hooks]") {
  CHECK_THROWS_WITH(Engine::queue_callback([] {}),
                    "queue_callback: no backward pass is running on this thread");
  Tensor c = Tensor(xt::xarray<double>{1.0}, true) * 2.0;
  std::vector<std::string> log;
  CHECK_THROWS_WITH(
      c.set_post_accumulate_grad_hook(std::make_shared<Recorder>("c", log)),
      Catch::StartsWith("set_post_accumulate_grad_hook: only a leaf that requires grad"));
}
