// The thread cap, passed on to OpenBLAS. Its setters are declared weak: with a BLAS that has no
// thread pool (reference BLAS, say) they resolve to null and there is nothing to cap.
#include "autograd/threads.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>

extern "C" {
void openblas_set_num_threads(int n) __attribute__((weak));
int openblas_get_num_threads() __attribute__((weak));
int openblas_get_num_procs() __attribute__((weak));
// autograd/blas_load.cpp (libxgrad_blas_load), which OpenBLAS loads after.
int xgrad_blas_load_deferred();
void xgrad_blas_load_restore();
}

namespace xgrad {

namespace {
std::atomic<int> thread_cap{0};  // 0: never set

// Before main, once OpenBLAS has read it: the OPENBLAS_NUM_THREADS=1 that blas_load.cpp set for
// OpenBLAS's constructor leaves the environment, which child processes inherit.
[[maybe_unused]] const bool blas_load_restored = (xgrad_blas_load_restore(), true);

// OpenBLAS's thread count when it loaded: the threads its pool already has. Read before xgrad
// first changes the count.
int loaded_blas_threads() {
  static const int loaded = openblas_get_num_threads ? std::max(1, openblas_get_num_threads()) : 1;
  return loaded;
}

// The cap when set_num_threads was never called: the count OpenBLAS chose when it loaded, or, if
// blas_load.cpp had it load on one thread, the count it would have chosen (OMP_NUM_THREADS, at
// most the cores it may run on, else those cores).
int default_threads() {
  static const int chosen = [] {
    const int loaded = loaded_blas_threads();
    if (!openblas_get_num_procs || !xgrad_blas_load_deferred() || loaded != 1) return loaded;
    const int cores = std::max(1, openblas_get_num_procs());
    const char* omp = std::getenv("OMP_NUM_THREADS");
    const int asked = omp ? std::atoi(omp) : 0;  // as OpenBLAS reads it: "4,2" is 4
    return asked > 0 ? std::min(asked, cores) : cores;
  }();
  return chosen;
}

// OpenBLAS's thread count, one process-wide number, is what these decide:
// - While a SmallProductScope is alive on any thread, 1: a thread's small product never starts on
//   2 threads because another thread's scope just ended (which gave different bits, seen as a
//   flaky thread test under load).
// - Otherwise the cap, but only once a product large enough to gain from more threads has run
//   (blas_pool_wanted). Before that, no more than OpenBLAS loaded with: raising its count starts
//   its worker threads, and a process that has a second thread pays for it in every shared_ptr
//   copy (libstdc++ counts references with plain increments only while glibc reports one thread,
//   __libc_single_threaded, which never turns back). A program whose products are all small (an
//   overhead-bound one: op_overhead, mlp_small) and whose OpenBLAS loaded on one thread (as
//   blas_load.cpp has it, unless the user gave a count) then stays single-threaded at any cap.
//   docs/benchmarks.md measures it.
std::mutex blas_mutex;
int small_products_open = 0;  // guarded by blas_mutex
int blas_threads = 0;         // what OpenBLAS was last given; 0: loaded_blas_threads()
std::atomic<bool> blas_pool_wanted{false};

int blas_target(int cap) {
  return blas_pool_wanted.load(std::memory_order_relaxed) ? cap
                                                          : std::min(cap, loaded_blas_threads());
}

// Gives OpenBLAS n threads unless it has that many already. Call with blas_mutex held.
void set_blas_threads(int n) {
  if (!openblas_set_num_threads) return;
  if (blas_threads == 0) blas_threads = loaded_blas_threads();
  if (n == blas_threads) return;
  openblas_set_num_threads(n);
  blas_threads = n;
}
}  // namespace

void set_num_threads(int n) {
  if (n < 1) {
    throw std::invalid_argument("set_num_threads: need at least 1 thread, got " +
                                std::to_string(n));
  }
  loaded_blas_threads();  // before OpenBLAS's count first changes
  std::lock_guard<std::mutex> lock(blas_mutex);
  thread_cap = n;
  // With small products running, the last of them hands OpenBLAS the new count.
  if (small_products_open == 0) set_blas_threads(blas_target(n));
}

int get_num_threads() {
  if (const int n = thread_cap.load(std::memory_order_relaxed); n > 0) return n;
  int chosen = default_threads();
  int never_set = 0;
  if (!thread_cap.compare_exchange_strong(never_set, chosen)) chosen = never_set;
  return chosen;
}

namespace detail {

SmallProductScope::SmallProductScope(std::size_t m, std::size_t n, std::size_t k) {
  if (!openblas_set_num_threads) return;
  const int cap = get_num_threads();
  if (cap <= 1) return;
  const double multiply_adds =
      static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  if (multiply_adds >= kBlasParallelMinMultiplyAdds) {
    // The first product that gains from the pool starts it (or, with small products running on
    // other threads, the last of them does).
    if (blas_pool_wanted.load(std::memory_order_acquire)) return;
    std::lock_guard<std::mutex> lock(blas_mutex);
    blas_pool_wanted = true;
    if (small_products_open == 0) set_blas_threads(cap);
    return;
  }
  std::lock_guard<std::mutex> lock(blas_mutex);
  if (small_products_open++ == 0) set_blas_threads(1);
  serial_ = true;
}

SmallProductScope::~SmallProductScope() {
  if (!serial_) return;
  std::lock_guard<std::mutex> lock(blas_mutex);
  if (--small_products_open == 0) set_blas_threads(blas_target(get_num_threads()));
}

}  // namespace detail

}  // namespace xgrad
