#!/usr/bin/env bash
# Benchmark xgrad against the peers of ../shared/bench (see WORKLOADS.md there): build xgrad_bench
# in Release, then run NumPy, PyTorch, libtorch, hand-written C, dlib, sgemm_limit (the GEMM
# workloads' ceiling) and xgrad on each workload and thread count in turn, one process each, interleaved so that all of
# them see the same machine conditions, for several rounds; then print the side-by-side tables
# (bench/report.py: medians, speed-ups, peak RSS, GEMM efficiency, thread scaling, targets) and
# compare.py's agreement check, and write the tables and plot into docs/.
#
#   bash bench/run.sh [RESULTS.jsonl]       (default $BUILD_DIR/results.jsonl, overwritten)
#   env: BUILD_DIR (default <repo>/build-bench), REPS (5 repetitions per process), ROUNDS (3),
#        THREADS ("1 2"), WORKLOADS (the seven of WORKLOADS.md), OMP_WAIT_POLICY (PASSIVE),
#        EXTRA_WORKLOADS (1: also xgrad's own conv_digits, conv2d_large and lstm_seq, against
#        their libtorch and PyTorch peers in bench/peers; 0: WORKLOADS only),
#        UPDATE_DOCS (1: fill docs/benchmarks.md and docs/images/benchmarks.png; 0: leave them),
#        XGRAD_BLAS_AT_LOAD (unset: xgrad_bench runs without OPENBLAS_NUM_THREADS, as a user who
#        never sets it, and caps its threads with --threads; cap: OPENBLAS_NUM_THREADS=--threads,
#        as for the peers)
#
# Quick check of the script and the programs (not a measurement): REPS=1 ROUNDS=1 bash bench/run.sh
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=$(cd "$ROOT/../shared/bench" && pwd) || exit 1
BUILD=$(realpath -m "${BUILD_DIR:-$ROOT/build-bench}")
PEERS=$BUILD/peers
OUT=$(realpath -m "${1:-$BUILD/results.jsonl}")
REPS=${REPS:-5}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-"1 2"}
WORKLOADS=${WORKLOADS:-"op_overhead matmul_512 mlp_small mlp_large linreg logreg seed_mlp"}
EXTRA_WORKLOADS=${EXTRA_WORKLOADS:-1}
[ "$EXTRA_WORKLOADS" = 1 ] && WORKLOADS="$WORKLOADS conv_digits conv2d_large lstm_seq"
UPDATE_DOCS=${UPDATE_DOCS:-1}
PY=/usr/bin/python3 # Debian's interpreter, where python3-numpy / python3-torch live
export PYTHONDONTWRITEBYTECODE=1
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE} # see WORKLOADS.md, Threads

# ---- Debian packages: the build's, and the plot's (run_peers.sh below installs the peers') ---
bash "$ROOT/scripts/install_deps.sh" python3-matplotlib || exit 1

# ---- build ---------------------------------------------------------------------------------
mkdir -p "$PEERS" "$(dirname "$OUT")"
# The libtorch peers of the extra workloads (bench/peers/*_libtorch.cpp) need
# XGRAD_BUILD_TORCH_PEERS.
targets=(xgrad_bench)
[ "$EXTRA_WORKLOADS" = 1 ] && targets+=(conv_digits_libtorch lstm_seq_libtorch)
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DXGRAD_BUILD_TESTS=OFF \
  -DXGRAD_BUILD_EXAMPLES=OFF -DXGRAD_BUILD_TORCH_PEERS="$([ "$EXTRA_WORKLOADS" = 1 ] && echo ON ||
    echo OFF)" >"$BUILD/build.log" 2>&1 &&
  cmake --build "$BUILD" -j 2 --target "${targets[@]}" >>"$BUILD/build.log" 2>&1 ||
  { echo "xgrad_bench build failed, see $BUILD/build.log" >&2; exit 1; }
# run_peers.sh installs the peers' Debian packages and builds them into $PEERS; its one short
# round (matmul_512, 1 thread, 1 repetition) is discarded.
BUILD_DIR=$PEERS THREADS=1 REPS=1 WORKLOADS=matmul_512 \
  bash "$SHARED/run_peers.sh" "$PEERS/setup.jsonl" >/dev/null ||
  { echo "peer setup failed, see $PEERS/build.log" >&2; exit 1; }

# ---- environment, next to the results ------------------------------------------------------
{
  echo "date: $(date -u +%FT%TZ)"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
  echo "kernel: $(uname -r)"
  echo "xgrad: $(git -C "$ROOT" describe --always --dirty 2>/dev/null)"
  echo "OMP_WAIT_POLICY=$OMP_WAIT_POLICY REPS=$REPS ROUNDS=$ROUNDS THREADS=$THREADS XGRAD_BLAS_AT_LOAD=${XGRAD_BLAS_AT_LOAD:-unset}"
  dpkg-query -W -f='${Package} ${Version}\n' python3-numpy python3-torch libtorch-dev \
    libdlib-dev libopenblas0-pthread 2>/dev/null
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"${OUT%.jsonl}.env.txt"

# ---- run -----------------------------------------------------------------------------------
: >"$OUT"
failed=0
run() { # run ROUND THREADS CMD...: one process; its JSON line, tagged with the round, goes to $OUT
  local round=$1 t=$2 blas=(OPENBLAS_NUM_THREADS="$2")
  shift 2
  # xgrad_bench caps its threads itself (--threads: set_num_threads), as a user of xgrad does, and
  # runs without OPENBLAS_NUM_THREADS, as a user who never sets it: OpenBLAS then loads without its
  # pool, which xgrad starts at the first product large enough to gain from it
  # (autograd/blas_load.cpp; docs/benchmarks.md, Round 8). XGRAD_BLAS_AT_LOAD=cap sets the
  # variable to the cap, as for the peers.
  [[ $1 == */xgrad_bench && ${XGRAD_BLAS_AT_LOAD:-unset} == unset ]] && blas=(-u OPENBLAS_NUM_THREADS)
  env "${blas[@]}" OMP_NUM_THREADS="$t" MKL_NUM_THREADS="$t" \
    "$@" --threads "$t" --reps "$REPS" | sed "s/^{/{\"round\": $round, /" | tee -a "$OUT" ||
    { echo "FAILED: $* --threads $t" >&2; failed=1; }
}
for round in $(seq 1 "$ROUNDS"); do
  for t in $THREADS; do
    for w in $WORKLOADS; do
      run "$round" "$t" "$BUILD/bench/xgrad_bench" --workload "$w"
      case $w in # the MLPs again, their SGD step after backward as the peers take it
        mlp_small | mlp_large | seed_mlp | conv_digits)
          run "$round" "$t" "$BUILD/bench/xgrad_bench" --workload "$w" --step after
          ;;
      esac
      case $w in # and captured once, replayed (CapturedGraph)
        op_overhead | mlp_small | mlp_large | seed_mlp)
          run "$round" "$t" "$BUILD/bench/xgrad_bench" --workload "$w" --graph
          ;;
      esac
      case $w in # xgrad's own workloads: their PyTorch and libtorch peers are in bench/peers
        conv_digits | conv2d_large)
          run "$round" "$t" "$PY" "$ROOT/bench/peers/conv_digits_torch.py" --workload "$w"
          run "$round" "$t" "$BUILD/bench/conv_digits_libtorch" --workload "$w"
          continue
          ;;
        lstm_seq)
          run "$round" "$t" "$PY" "$ROOT/bench/peers/lstm_seq_torch.py"
          run "$round" "$t" "$BUILD/bench/lstm_seq_libtorch"
          continue
          ;;
      esac
      run "$round" "$t" "$PY" "$SHARED/peers/numpy_bench.py" --workload "$w"
      run "$round" "$t" "$PY" "$SHARED/peers/torch_bench.py" --workload "$w"
      run "$round" "$t" "$PEERS/libtorch_bench" --workload "$w"
      case $w in matmul_512) ;; *) run "$round" "$t" "$PEERS/handwritten" --workload "$w" ;; esac
      case $w in mlp_small | mlp_large | seed_mlp) run "$round" "$t" "$PEERS/dlib_bench" --workload "$w" ;; esac
      case $w in matmul_512 | mlp_large) run "$round" "$t" "$PEERS/sgemm_limit" --workload "$w" ;; esac
    done
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"${OUT%.jsonl}.env.txt"
echo "results: $OUT" >&2

# ---- report --------------------------------------------------------------------------------
echo
report_flags=(--plot "${OUT%.jsonl}.png")
[ "$UPDATE_DOCS" = 1 ] && report_flags=(--update-docs)
"$PY" "$ROOT/bench/report.py" "$OUT" "${report_flags[@]}" | tee "${OUT%.jsonl}.md" || failed=1
"$PY" "$SHARED/compare.py" "$OUT" >"${OUT%.jsonl}.compare.md" || failed=1
echo "agreement check (compare.py): ${OUT%.jsonl}.compare.md" >&2
exit $failed
