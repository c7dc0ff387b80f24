// The number of threads xgrad's ops may use, as torch.set_num_threads: one cap for every pool.
#pragma once

namespace xgrad {

/// Caps every thread pool xgrad's ops run on at n threads, as torch.set_num_threads: OpenBLAS's
/// (matrix products) and xgrad's own (parallel_for: large elementwise ops, the fused regression
/// losses), the calling thread counted in. Takes effect at once, for every thread; xgrad's pool
/// starts or stops workers at its next call. Throws std::invalid_argument unless n >= 1.
void set_num_threads(int n);

/// The current cap: the last set_num_threads, else what OpenBLAS chose at load time (from
/// OPENBLAS_NUM_THREADS or the number of cores); 1 when the BLAS has no thread pool.
int get_num_threads();

}  // namespace xgrad
