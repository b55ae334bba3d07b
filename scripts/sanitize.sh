#!/usr/bin/env bash
# Usage: bash scripts/sanitize.sh [asan|tsan|all]
#   asan: builds everything with clang under AddressSanitizer + UndefinedBehaviorSanitizer
#         (and libFuzzer's coverage, so that scripts/fuzz.sh runs its targets from the
#         same tree, build-asan/) and runs the whole unit and end-to-end suite.
#   tsan: builds the tests under ThreadSanitizer (build-tsan/) and runs those labelled
#         `concurrency` (tests/CMakeLists.txt says which).
# Any sanitizer report fails the run. Extra CMake options come from FERRY_CMAKE_OPTIONS.
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}
read -ra options <<<"${FERRY_CMAKE_OPTIONS:-}"
# The build's output goes to DIR/build.log, shown when the build fails.
build() {
  local dir=$1
  shift
  cmake --build "$dir" -j"$(nproc)" "$@" >"$dir/build.log" || { cat "$dir/build.log"; exit 1; }
}
# One test more than cores: a test waiting on a child process, a pipe or an fsync
# leaves its core to the next (a quarter quicker than one per core, on two cores).
jobs=$(($(nproc) + 1))
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
if [[ $which == all || $which == asan ]]; then
  echo "== asan: build"
  bash scripts/configure.sh build-asan "${options[@]}"
  build build-asan
  echo "== asan: the whole suite"
  (cd build-asan && ctest --output-on-failure -j"$jobs")
fi
if [[ $which == all || $which == tsan ]]; then
  echo "== tsan: build"
  bash scripts/configure.sh build-tsan "${options[@]}"
  build build-tsan --target ferry_unit_tests ferry_e2e_tests
  echo "== tsan: the tests labelled concurrency"
  (cd build-tsan && ctest --output-on-failure -j"$jobs" -L concurrency)
fi
