// xgrad's own thread pool for its kernels, as ATen's at::parallel_for: large elementwise ops and
// the fused regression losses split their range across get_num_threads() threads.
#pragma once

#include <cstddef>
#include <functional>

namespace xgrad {

/// Calls body(b, e) once for each piece [b, e) of [begin, end) cut every `grain` elements (the last
/// piece may be shorter), on up to get_num_threads() threads, the calling thread one of them. The
/// pieces depend only on the range and the grain, never on the thread count, so a body that
/// reduces each piece on its own and whose caller combines the pieces in order gives the same bits
/// on any number of threads.
///
/// Returns when every piece has run. If bodies throw, no further piece starts and the first
/// exception is rethrown here. A parallel_for called from inside a body, or while another thread's
/// parallel_for holds the pool, runs its pieces on the calling thread. The pool's workers sleep
/// between calls (they never spin), so they do not compete with OpenBLAS's threads. Throws
/// std::invalid_argument if grain is 0.
void parallel_for(std::size_t begin, std::size_t end, std::size_t grain,
                  const std::function<void(std::size_t, std::size_t)>& body);

namespace detail {

/// Below this many elements an elementwise kernel runs on the calling thread. Waking a worker
/// (a futex call) and handing it half of a buffer that the next op reads on the calling thread
/// cost more than the half saves below a few hundred thousand floats: at 2^16, seed_mlp (its
/// 10,000 x 10 activations) ran 10% slower on 2 threads than on 1; at 2^18 as fast, with linreg
/// and logreg (whose 100,000 x 20 products and fused losses stay parallel) unchanged.
constexpr std::size_t kParallelMinElements = std::size_t{1} << 18;

void for_each_large_range(std::size_t n, const std::function<void(std::size_t, std::size_t)>& body);

/// body(0, n) on the calling thread when n is below kParallelMinElements; otherwise parallel_for
/// over [0, n) in about four pieces per thread (each a multiple of 16 elements, so that vectorised
/// loops keep whole cache lines). For elementwise kernels, whose result does not depend on where
/// the range is cut. Small ranges cost one comparison: no std::function is made.
template <class F>
void for_each_range(std::size_t n, F&& body) {
  if (n < kParallelMinElements) {
    body(std::size_t{0}, n);
  } else {
    for_each_large_range(n, body);
  }
}

}  // namespace detail

}  // namespace xgrad
