#!/usr/bin/env bash
# Usage: bash scripts/build.sh [CMAKE_OPTION...]
# Installs what is missing, then configures and builds ferry into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/configure.sh build "$@"
cmake --build build -j"$(nproc)"
