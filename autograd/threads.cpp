// The thread cap, passed on to OpenBLAS. Its setters are declared weak: with a BLAS that has no
// thread pool (reference BLAS, say) they resolve to null and there is nothing to cap.
#include "autograd/threads.hpp"

#include <atomic>
#include <stdexcept>
#include <string>

extern "C" {
void openblas_set_num_threads(int n) __attribute__((weak));
int openblas_get_num_threads() __attribute__((weak));
}

namespace xgrad {

namespace {
std::atomic<int> thread_cap{0};  // 0: never set
}  // namespace

void set_num_threads(int n) {
  if (n < 1) {
    throw std::invalid_argument("set_num_threads: need at least 1 thread, got " +
                                std::to_string(n));
  }
  thread_cap = n;
  if (openblas_set_num_threads) openblas_set_num_threads(n);
}

int get_num_threads() {
  if (const int n = thread_cap.load(); n > 0) return n;
  return openblas_get_num_threads ? openblas_get_num_threads() : 1;
}

}  // namespace xgrad
