// The number of threads xgrad's ops may use, as torch.set_num_threads: one cap for every pool.
#pragma once

#include <cstddef>

namespace xgrad {

/// Caps every thread pool xgrad's ops run on at n threads, as torch.set_num_threads: OpenBLAS's
/// (matrix products) and xgrad's own (parallel_for: large elementwise ops, the fused regression
/// losses), the calling thread counted in. Takes effect at once, for every thread. Neither pool
/// starts a thread before work that can use it arrives: xgrad's pool at its first large enough
/// parallel_for, OpenBLAS's (beyond the threads it started when it loaded) at the first product of
/// kBlasParallelMinMultiplyAdds or more. OpenBLAS loads on one thread unless OPENBLAS_NUM_THREADS
/// or GOTO_NUM_THREADS asks for more (autograd/blas_load.cpp), so a program of small ops stays
/// single-threaded, which keeps every shared_ptr copy a plain increment rather than a locked one.
/// Throws std::invalid_argument unless n >= 1.
void set_num_threads(int n);

/// The current cap: the last set_num_threads, else the count OpenBLAS chose when it loaded
/// (OPENBLAS_NUM_THREADS), or would have chosen had blas_load.cpp not loaded it on one thread
/// (OMP_NUM_THREADS, at most the cores, else the cores); 1 when the BLAS has no thread pool.
int get_num_threads();

namespace detail {

/// Matrix products below this many multiply-adds (m n k) run on the calling thread alone. OpenBLAS
/// would split them from 262,144 (4 x 65,536) on, but at 2 threads (measured on a loaded machine)
/// a product of 2 M (the LSTM's 32 x 128 x 512 per step) ran at 0.79x of its 1-thread speed and
/// one of 16 M (the LSTM's input projection) at 0.8-0.96x: handing half of it to OpenBLAS's worker
/// and waiting for it costs more than the half, and the worker then spins (sched_yield) on the
/// second core that xgrad's own pool and the next op need. matmul_512's 134 M and mlp_large's
/// 205-268 M gain from the second thread and stay above the line. A second gain: OpenBLAS's
/// threaded sgemm does not give its 1-thread bits (256 x 512 x 256: 8% of the values differ), so
/// products below the line now give the same bits on any thread count.
constexpr double kBlasParallelMinMultiplyAdds = 32.0 * 1024 * 1024;

/// While alive, OpenBLAS runs on one thread if the product m x k x n is below
/// kBlasParallelMinMultiplyAdds and the cap is above 1; when the last such scope on any thread
/// ends, OpenBLAS gets its count back. Costs an uncontended lock, and at most two stores into
/// OpenBLAS's thread count (none while its pool has one thread). A product of
/// kBlasParallelMinMultiplyAdds or more raises OpenBLAS to the cap the first time one runs, which
/// starts its worker threads (see set_num_threads). The count is process-wide: a large product that
/// another thread starts meanwhile may run on one thread (slower, and in OpenBLAS's 1-thread bits
/// rather than its 2-thread ones).
class SmallProductScope {
 public:
  SmallProductScope(std::size_t m, std::size_t n, std::size_t k);
  ~SmallProductScope();
  SmallProductScope(const SmallProductScope&) = delete;
  SmallProductScope& operator=(const SmallProductScope&) = delete;

 private:
  bool serial_ = false;
};

}  // namespace detail

}  // namespace xgrad
