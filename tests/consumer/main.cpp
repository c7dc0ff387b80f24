// A user program against the installed library: one gradient, printed and checked, and, when
// started with no OpenBLAS thread count (run.sh), OpenBLAS loaded without its pool
// (autograd/blas_load.cpp, which the link order of the installed targets makes work).
#include <sys/single_threaded.h>

#include <cmath>
#include <cstdlib>
#include <iostream>

#include "autograd/autograd.hpp"
#include "nn/nn.hpp"

int main() {
  using namespace xgrad;
  if (std::getenv("XGRAD_CONSUMER_EXPECT_ONE_THREAD") && !__libc_single_threaded) {
    std::cout << "consumer: OpenBLAS started its pool when it loaded" << std::endl;
    return 1;
  }
  Tensor x = Tensor(xt::xarray<double>{1.0, 2.0, 3.0}, true);
  Tensor loss = sum(x * x);
  loss.backward();
  nn::Linear layer(3, 2);
  const Tensor y = layer(ones({4, 3}));
  const bool ok = x.grad().data<double>()(2) == 6.0 && y.shape() == Shape{4, 2};
  std::cout << (ok ? "consumer: ok" : "consumer: wrong result") << std::endl;
  return ok ? 0 : 1;
}
