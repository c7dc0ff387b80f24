#!/usr/bin/env bash
# Benchmark xgrad against the peers of ../shared/bench (see WORKLOADS.md there): build xgrad_bench
# in Release, run NumPy, PyTorch, libtorch, (sgemm_limit) and xgrad on each workload and thread
# count in turn, one process each, so all of them see the same machine conditions; then print
# compare.py's table and agreement check.
#
#   bash bench/run.sh [RESULTS.jsonl]       (default $BUILD_DIR/results.jsonl, overwritten)
#   env: BUILD_DIR (default <repo>/build-bench), REPS (5), THREADS ("1 2"), WORKLOADS (all six),
#        OMP_WAIT_POLICY (PASSIVE)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=$(cd "$ROOT/../shared/bench" && pwd) || exit 1
BUILD=$(realpath -m "${BUILD_DIR:-$ROOT/build-bench}")
PEERS=$BUILD/peers
OUT=$(realpath -m "${1:-$BUILD/results.jsonl}")
REPS=${REPS:-5}
THREADS=${THREADS:-"1 2"}
WORKLOADS=${WORKLOADS:-"op_overhead matmul_512 mlp_small mlp_large linreg logreg"}
PY=/usr/bin/python3 # Debian's interpreter, where python3-numpy / python3-torch live
export PYTHONDONTWRITEBYTECODE=1
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE} # see WORKLOADS.md, Threads

# ---- build ---------------------------------------------------------------------------------
mkdir -p "$PEERS"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DXGRAD_BUILD_TESTS=OFF \
  -DXGRAD_BUILD_EXAMPLES=OFF >"$BUILD/build.log" 2>&1 &&
  cmake --build "$BUILD" -j "$(nproc)" --target xgrad_bench >>"$BUILD/build.log" 2>&1 ||
  { echo "xgrad_bench build failed, see $BUILD/build.log" >&2; exit 1; }
# run_peers.sh installs the peers' Debian packages and builds them into $PEERS; its one short
# round (matmul_512, 1 thread, 1 repetition) is discarded.
BUILD_DIR=$PEERS THREADS=1 REPS=1 WORKLOADS=matmul_512 \
  bash "$SHARED/run_peers.sh" "$PEERS/setup.jsonl" >/dev/null ||
  { echo "peer setup failed, see $PEERS/build.log" >&2; exit 1; }

# ---- run -----------------------------------------------------------------------------------
: >"$OUT"
failed=0
run() { # run THREADS CMD...: one process; its JSON line is appended to $OUT
  local t=$1
  shift
  OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t MKL_NUM_THREADS=$t \
    "$@" --threads "$t" --reps "$REPS" | tee -a "$OUT" ||
    { echo "FAILED: $* --threads $t" >&2; failed=1; }
}
for t in $THREADS; do
  for w in $WORKLOADS; do
    run "$t" "$PY" "$SHARED/peers/numpy_bench.py" --workload "$w"
    run "$t" "$PY" "$SHARED/peers/torch_bench.py" --workload "$w"
    run "$t" "$PEERS/libtorch_bench" --workload "$w"
    case $w in matmul_512 | mlp_large) run "$t" "$PEERS/sgemm_limit" --workload "$w" ;; esac
    run "$t" "$BUILD/bench/xgrad_bench" --workload "$w"
  done
done
echo "results: $OUT" >&2
echo
"$PY" "$SHARED/compare.py" "$OUT" || failed=1
exit $failed
