// The thread cap, passed on to OpenBLAS. Its setters are declared weak: with a BLAS that has no
// thread pool (reference BLAS, say) they resolve to null and there is nothing to cap.
#include "autograd/threads.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>

extern "C" {
void openblas_set_num_threads(int n) __attribute__((weak));
int openblas_get_num_threads() __attribute__((weak));
}

namespace xgrad {

namespace {
std::atomic<int> thread_cap{0};  // 0: never set

// The SmallProductScopes alive on any thread. OpenBLAS's thread count is one process-wide
// number: it goes to 1 when the first scope opens and back to the cap when the last one closes,
// so that a thread's small product never starts on 2 threads because another thread's scope just
// ended (which gave different bits, seen as a flaky thread test under load).
std::mutex small_products_mutex;
int small_products_open = 0;  // guarded by small_products_mutex
}  // namespace

void set_num_threads(int n) {
  if (n < 1) {
    throw std::invalid_argument("set_num_threads: need at least 1 thread, got " +
                                std::to_string(n));
  }
  std::lock_guard<std::mutex> lock(small_products_mutex);
  thread_cap = n;
  // With small products running, the last of them hands OpenBLAS the new cap.
  if (openblas_set_num_threads && small_products_open == 0) openblas_set_num_threads(n);
}

int get_num_threads() {
  if (const int n = thread_cap.load(std::memory_order_relaxed); n > 0) return n;
  // Keep what OpenBLAS chose at load time: a SmallProductScope lowers OpenBLAS's own count for a
  // moment, and reading it then would return 1.
  int chosen = openblas_get_num_threads ? std::max(1, openblas_get_num_threads()) : 1;
  int never_set = 0;
  if (!thread_cap.compare_exchange_strong(never_set, chosen)) chosen = never_set;
  return chosen;
}

namespace detail {

SmallProductScope::SmallProductScope(std::size_t m, std::size_t n, std::size_t k) {
  const double multiply_adds =
      static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  if (multiply_adds < kBlasParallelMinMultiplyAdds && openblas_set_num_threads &&
      get_num_threads() > 1) {
    std::lock_guard<std::mutex> lock(small_products_mutex);
    if (small_products_open++ == 0) openblas_set_num_threads(1);
    serial_ = true;
  }
}

SmallProductScope::~SmallProductScope() {
  if (!serial_) return;
  std::lock_guard<std::mutex> lock(small_products_mutex);
  if (--small_products_open == 0) openblas_set_num_threads(get_num_threads());
}

}  // namespace detail

}  // namespace xgrad
