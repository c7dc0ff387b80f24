// The number of threads xgrad's ops may use, as torch.set_num_threads: one cap for every pool.
#pragma once

namespace xgrad {

/// Caps every thread pool xgrad's ops run on at n threads, as torch.set_num_threads. Today that
/// is OpenBLAS's pool (matrix products); xgrad's own kernels run on the calling thread. Takes
/// effect at once, for every thread. Throws std::invalid_argument unless n >= 1.
void set_num_threads(int n);

/// The current cap: the last set_num_threads, else what OpenBLAS chose at load time (from
/// OPENBLAS_NUM_THREADS or the number of cores); 1 when the BLAS has no thread pool.
int get_num_threads();

}  // namespace xgrad
