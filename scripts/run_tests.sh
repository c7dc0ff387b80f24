#!/usr/bin/env bash
# The test command (README, CI): installs what is missing, then runs four stages, each in a build
# folder of its own, and stops at the first failure with the stage's name.
#   normal  build/       Release build of everything; the whole suite with CTest
#   asan    build-asan/  the whole suite under AddressSanitizer, UndefinedBehaviorSanitizer (with
#                        float-cast-overflow) and LeakSanitizer (gcc, -O1)
#   tsan    build-tsan/  the [threads] tests (and, with MPI, the one-rank distributed suite) under
#                        ThreadSanitizer (gcc, -O1)
#   fuzz    build-fuzz/  libFuzzer on read_csv and on checkpoint loading (clang, ASan + UBSan),
#                        each for XGRAD_FUZZ_SECONDS (default 60)
#
#   bash scripts/run_tests.sh                 # every stage, in that order
#   bash scripts/run_tests.sh asan fuzz       # only these
# XGRAD_JOBS sets the build and test parallelism (default 2).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

jobs=${XGRAD_JOBS:-2}
fuzz_seconds=${XGRAD_FUZZ_SECONDS:-60}
stage=setup
timings=()
trap 'status=$?; ((status == 0)) ||
  echo "xgrad tests: FAILED in stage \"$stage\" (exit status $status; see the output above)" >&2' EXIT

header() {
  printf '\n==== xgrad tests: %s ====\n' "$1"
}

# ctest with the given arguments, its output kept in build folder $1 as well; adds the number of
# tests it passed to $passed.
passed=0
run_ctest() {
  local folder=$1
  shift
  ctest --test-dir "$folder" --output-on-failure --no-tests=error -j "$jobs" "$@" |
    tee "$folder/ctest-output.log"
  local count
  count=$(sed -n 's/.* tests passed, 0 tests failed out of \([0-9]*\)$/\1/p' \
    "$folder/ctest-output.log")
  passed=$((passed + ${count:-0}))
}

# Runs stage $1 (the function stage_$1) and records how long it took.
run_stage() {
  stage=$1
  local start=$SECONDS
  "stage_$1"
  timings+=("$1: $((SECONDS - start)) s")
}

# A Debug build with -O1 and the given sanitizers, in folder $1: fast enough to run the whole
# suite, with assertions on and frame pointers for readable reports.
configure_sanitized() {
  local folder=$1 sanitizers=$2
  shift 2
  cmake -S . -B "$folder" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
    -DXGRAD_SANITIZE="$sanitizers" -DXGRAD_BUILD_BENCH=OFF "$@"
}

stage_normal() {
  header "normal: Release build in build/, the whole suite"
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
  cmake --build build -j "$jobs"
  run_ctest build
}

stage_asan() {
  header "asan: the whole suite under ASan + UBSan + LSan in build-asan/"
  # float-cast-overflow: gcc's -fsanitize=undefined leaves out a float -> integer conversion that
  # does not fit, which every such conversion in xgrad checks first.
  configure_sanitized build-asan address,undefined,float-cast-overflow \
    -DXGRAD_BUILD_EXAMPLES=ON  # smoke runs are tests
  cmake --build build-asan -j "$jobs"
  # Every report is fatal. allocator_may_return_null: an impossible allocation throws
  # std::bad_alloc as it does without ASan. No suppressions: Debian's OpenBLAS (0.3.21, pthreads)
  # gives no ASan or LSan report here. The packaging test is not built here (tests/CMakeLists.txt).
  local asan=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
  asan+=:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1
  ASAN_OPTIONS=$asan UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 run_ctest build-asan
}

stage_tsan() {
  header "tsan: the [threads] tests under ThreadSanitizer in build-tsan/"
  configure_sanitized build-tsan thread -DXGRAD_BUILD_EXAMPLES=OFF
  cmake --build build-tsan -j "$jobs" --target thread_tests
  # With MPI, the distributed suite on one rank too (tests/distributed/CMakeLists.txt).
  local also=""
  if grep -q '^XGRAD_WITH_MPI:BOOL=ON' build-tsan/CMakeCache.txt; then
    cmake --build build-tsan -j "$jobs" --target distributed_tests
    also='|^distributed_tests_1_rank$'
  fi
  # OpenBLAS is not instrumented: its worker threads hand buffers back through synchronisation
  # TSan cannot see, which it would report as races in our code. One OpenBLAS thread runs every
  # BLAS call on the calling thread, so all synchronisation that remains is visible. The
  # suppressions file holds one report from inside glibc, with its reason.
  OPENBLAS_NUM_THREADS=1 \
    TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/sanitizer/tsan.supp" \
    run_ctest build-tsan -R "^threads:$also"
}

stage_fuzz() {
  header "fuzz: libFuzzer on read_csv and load in build-fuzz/, ${fuzz_seconds} s each"
  configure_sanitized build-fuzz address,undefined -DCMAKE_CXX_COMPILER=clang++ -DXGRAD_FUZZ=ON \
    -DXGRAD_BUILD_TESTS=OFF -DXGRAD_BUILD_EXAMPLES=OFF
  cmake --build build-fuzz -j "$jobs"
  # Corpus copies, new inputs and any crash reproducer stay in a temporary folder.
  local work
  work=$(mktemp -d -t xgrad-fuzz.XXXXXX)
  local name target
  for name in csv checkpoint; do
    target=$([ "$name" = csv ] && echo fuzz_read_csv || echo fuzz_load_checkpoint)
    echo "-- $target: seeds from tests/fuzz/corpus/$name"
    cp -r "tests/fuzz/corpus/$name" "$work/$name"
    if ! (cd "$work" && ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
      UBSAN_OPTIONS=print_stacktrace=1 ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer \
      "$root/build-fuzz/tests/fuzz/$target" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 \
      -malloc_limit_mb=1024 -timeout=10 -max_len=8192 -print_final_stats=1 \
      -dict="$root/tests/fuzz/$name.dict" -artifact_prefix="$work/$name-" "$work/$name"); then
      echo "xgrad tests: $target found a failing input; reproducer and corpus kept in $work" >&2
      return 1
    fi
  done
  rm -rf "$work"
}

stages=("$@")
((${#stages[@]})) || stages=(normal asan tsan fuzz)
for s in "${stages[@]}"; do
  declare -F "stage_$s" >/dev/null || {
    echo "xgrad tests: unknown stage '$s' (normal, asan, tsan, fuzz)" >&2
    exit 2
  }
done

bash scripts/install_deps.sh
for s in "${stages[@]}"; do run_stage "$s"; done
printf '\n==== xgrad tests: all stages passed ====\n'
printf '  %s\n' "${timings[@]}"
echo "tests: $passed passed, 0 failed"
