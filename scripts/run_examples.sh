#!/usr/bin/env bash
# Installs what is missing (gnuplot and Graphviz for the pictures included), builds xgrad in build/
# and runs every example at its defaults — the "ML from Scratch" notebooks' demos; pictures, their
# data (CSV) and gnuplot scripts land in out/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install_deps.sh gnuplot-nox graphviz
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$(nproc)"

out=out
run() {  # run NAME [FLAGS...]: one example, its pictures into out/NAME
  local name=$1
  shift
  echo
  echo "=== $name ==="
  "./build/examples/$name" --out "$out/$name" "$@"
}
run autograd_tour
run linear_regression
run logistic_regression
run mlp_classification
run mlp_regression
run custom_model
run cnn_digits
run time_series
run word_embeddings
# Data-parallel training with 2 processes (built when Open MPI is installed).
if [ -x build/examples/distributed_training ]; then
  mpirun=$(command -v mpirun || command -v mpirun.openmpi)
  as_root=()
  [ "$(id -u)" -ne 0 ] || as_root=(--allow-run-as-root)
  echo
  echo "=== distributed_training (2 processes) ==="
  "$mpirun" --oversubscribe "${as_root[@]}" -np 2 ./build/examples/distributed_training \
    --out "$out/distributed_training"
fi

echo
echo "Done. Pictures are in $(pwd)/$out:"
find "$out" -type f \( -name '*.png' -o -name '*.gif' \) | sort | sed 's/^/  /'
