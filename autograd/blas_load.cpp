// libxgrad_blas_load: OpenBLAS loaded without its thread pool, which xgrad starts later, at the
// first product large enough to gain from it (autograd/threads.hpp).
//
// OpenBLAS's constructor reads OPENBLAS_NUM_THREADS (else GOTO_NUM_THREADS, OMP_NUM_THREADS, the
// cores) and starts that many threads less one, before main. From then on glibc reports a
// multi-threaded process for good (__libc_single_threaded), and libstdc++ counts every shared_ptr
// copy with a locked instruction: op-heavy work ran at 0.83x of its 1-thread speed that way
// (docs/benchmarks.md, Round 8). A program cannot ask OpenBLAS for fewer threads before its
// constructor runs, except through the environment.
//
// This file is its own small shared library, linked after OpenBLAS and depending on nothing but
// libc. The dynamic loader runs the constructors of libraries that do not depend on each other in
// the reverse of their load order, so this constructor runs first. When the user chose no OpenBLAS
// thread count (neither OPENBLAS_NUM_THREADS nor GOTO_NUM_THREADS is set), it sets
// OPENBLAS_NUM_THREADS=1 for OpenBLAS to read; threads.cpp then takes the count OpenBLAS would
// have chosen as xgrad's default cap, and removes the variable again before main, so that child
// processes see the environment the program was started with. If the load order differs (OpenBLAS
// already loaded by a library opened earlier), OpenBLAS starts its pool as before and threads.cpp
// sees that its count is above one. In a process that already has a second thread, nothing is done.
#include <sys/single_threaded.h>

#include <cstdlib>
#include <cstring>

namespace {

constexpr const char* kVariable = "OPENBLAS_NUM_THREADS";
bool set_here = false;

__attribute__((constructor)) void load_openblas_on_one_thread() {
  if (std::getenv(kVariable) || std::getenv("GOTO_NUM_THREADS")) return;  // the user's choice
  // A process that already has a second thread (a library opened with dlopen by a threaded
  // program) would gain nothing, and setenv there could race another thread's getenv.
  if (!__libc_single_threaded) return;
  set_here = setenv(kVariable, "1", 0) == 0;
}

}  // namespace

extern "C" {

// 1 if this library set OPENBLAS_NUM_THREADS=1 before OpenBLAS loaded, else 0.
int xgrad_blas_load_deferred() {
  return set_here ? 1 : 0;
}

// Removes the OPENBLAS_NUM_THREADS this library set, unless something changed it since. Once
// OpenBLAS's constructor has run (it reads the variable there only); safe to call again.
void xgrad_blas_load_restore() {
  static bool restored = false;
  if (!set_here || restored) return;
  restored = true;
  const char* value = std::getenv(kVariable);
  if (value && std::strcmp(value, "1") == 0) unsetenv(kVariable);
}

}  // extern "C"
