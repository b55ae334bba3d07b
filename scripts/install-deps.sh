#!/usr/bin/env bash
# Installs the Debian packages ferry needs to build, test and run its demo.
# Safe to run again: apt-get skips what is already there.
set -euo pipefail
packages=(
  build-essential cmake pkg-config ninja-build ccache
  libisal-dev libssl-dev libzstd-dev libsqlite3-dev
  libcli11-dev nlohmann-json3-dev
  libfuse3-dev fuse3 exfatprogs exfat-fuse
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  python3 tar zstd
  pybind11-dev python3-dev python3-torch python3-numpy python3-pil dataset-fashion-mnist
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
