#!/usr/bin/env bash
# Installs the xgrad built in BUILD_DIR into a temporary prefix, builds tests/consumer against it
# and runs it: the `cmake --install` + find_package(xgrad) path a user takes.
#   bash tests/consumer/run.sh BUILD_DIR
set -euo pipefail
build=$(realpath "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$here" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release \
  >/dev/null
cmake --build "$work/build" >/dev/null
# No OpenBLAS thread count given: OpenBLAS loads on one thread (on a machine of one core anyway).
env -u OPENBLAS_NUM_THREADS -u GOTO_NUM_THREADS -u OMP_NUM_THREADS \
  XGRAD_CONSUMER_EXPECT_ONE_THREAD=1 "$work/build/consumer"
