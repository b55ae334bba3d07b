#!/usr/bin/env bash
# Installs what is missing, builds ferry and runs the whole test suite: unit and
# end-to-end tests; each fuzz target for a bounded time; then the whole suite again
# under AddressSanitizer + UndefinedBehaviorSanitizer and under ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
(cd build && ctest --output-on-failure -j"$(nproc)")
bash scripts/fuzz.sh
bash scripts/sanitize.sh
