#!/usr/bin/env bash
# Installs the Debian packages that xgrad's build, tests and examples need and that are missing.
#   bash scripts/install_deps.sh [more packages...]
# Runs apt-get only when something is missing, as root or through sudo.
set -euo pipefail

# clang, its sanitizer and libFuzzer runtimes (libclang-rt-14-dev) and llvm-symbolizer (llvm-14)
# serve the fuzzing stage of scripts/run_tests.sh; gcc's own sanitizer runtimes come with g++.
# Open MPI (libopenmpi-dev, openmpi-bin) builds distributed/ and runs its tests under mpirun.
packages=(cmake g++ make ccache pkg-config libxtensor-dev libxtensor-blas-dev libopenblas-dev libzip-dev catch2
  libcli11-dev clang libclang-rt-14-dev llvm-14 libopenmpi-dev openmpi-bin "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]})) || exit 0

echo "xgrad: installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -q
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 \
  "${missing[@]}"
