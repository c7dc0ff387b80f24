// The code of the "Normalization layers and more activations" section of docs/modules.md:
// BatchNorm2d's train/eval behaviour and buffers, LayerNorm, GroupNorm and the new activations.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>

#include "autograd/autograd.hpp"
#include "nn/nn.hpp"

using namespace xgrad;

TEST_CASE("docs: batch norm trains on batch statistics and evaluates on running ones",
          "[docs][modules]") {
  // [snippet: batch-norm]
  // parameters weight, bias (3,); buffers running_mean, running_var, num_batches_tracked
  nn::BatchNorm2d bn(3);
  Generator generator(0);
  Tensor images = randn({8, 3, 5, 5}, generator) * 2.0 + 1.0;  // (N, C, H, W)

  Tensor y = bn(images);  // training mode: each channel of y has mean 0, variance 1
  CHECK(std::abs(y.mean().item()) < 1e-5);
  // the running statistics moved 10% (momentum 0.1) of the way from (0, 1) to the batch's
  Tensor channel_means = images.mean({0, 2, 3});  // (3,)
  CHECK(bn.running_mean.data<float>()(0) == Approx(0.1 * channel_means.data<float>()(0)));
  CHECK(bn.num_batches_tracked.item() == 1);

  bn.eval();  // now the running statistics normalize, and stay as they are
  Tensor z = bn(images);
  CHECK(bn.num_batches_tracked.item() == 1);
  CHECK(bn.repr() ==
        "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=true, track_running_stats=true)");
  // [end]
  CHECK(z.shape() == Shape{8, 3, 5, 5});
}

TEST_CASE("docs: layer and group norm, and the activations", "[docs][modules]") {
  // [snippet: layer-norm]
  auto block = std::make_shared<nn::Sequential>();
  block->push_back(std::make_shared<nn::Linear>(16, 32));
  block->push_back(std::make_shared<nn::LayerNorm>(32));  // each row over its 32 features
  block->push_back(std::make_shared<nn::GELU>());         // x Phi(x); GELU("tanh") approximates
  Tensor out = (*block)(ones({4, 16}));
  CHECK(out.shape() == Shape{4, 32});

  nn::GroupNorm gn(2, 6);  // 2 groups of 3 channels, each sample on its own: any batch size
  CHECK(gn(ones({1, 6, 4, 4})).shape() == Shape{1, 6, 4, 4});
  // [end]
}

TEST_CASE("docs: batch norm refuses a batch of one value per channel", "[docs][modules]") {
  // [snippet: batch-norm-errors]
  nn::BatchNorm1d bn(4);
  CHECK_THROWS_WITH(bn(ones({1, 4})),
                    "BatchNorm1d: expected more than 1 value per channel when training, got input "
                    "of shape (1, 4)");
  CHECK_THROWS_WITH(bn(ones({2, 3})),
                    "BatchNorm1d: input of shape (2, 3) has 3 channels, layer expects 4");
  bn.eval();
  CHECK(bn(ones({1, 4})).shape() == Shape{1, 4});  // eval mode takes any batch
  // [end]
}
