#!/usr/bin/env bash
# Installs what is missing, builds xgrad in build/ and runs every example; pictures land in out/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install_deps.sh graphviz
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$(nproc)"

out=out
./build/examples/autograd_tour --out "$out/autograd_tour"

echo
echo "Done. Pictures and data are in $(pwd)/$out:"
find "$out" -type f \( -name '*.png' -o -name '*.gif' -o -name '*.csv' -o -name '*.dot' \) | sort |
  sed 's/^/  /'
