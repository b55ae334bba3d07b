#!/usr/bin/env bash
# The README's test command: installs what is missing (scripts/build.sh), then three builds, each with
# what only it catches, -Werror on ferry's own code in all three:
#   release  gcc, as users build it: the whole unit and end-to-end suite
#   asan     clang, AddressSanitizer + UndefinedBehaviorSanitizer: the whole suite again,
#            then each fuzz target for a bounded time (same tree, scripts/fuzz.sh)
#   tsan     ThreadSanitizer: the tests labelled `concurrency` (tests/CMakeLists.txt)
# Each phase says how long it took; the last lines sum them up.
set -euo pipefail
cd "$(dirname "$0")/.."
export FERRY_CMAKE_OPTIONS="-DFERRY_WERROR=ON ${FERRY_CMAKE_OPTIONS:-}"
timings=()
phase() {
  local name=$1 start=$SECONDS
  shift
  "$@"
  timings+=("$(printf '%-22s %4d s' "$name" $((SECONDS - start)))")
}
phase "release: build" bash scripts/build.sh $FERRY_CMAKE_OPTIONS
# One test more than cores, as scripts/sanitize.sh says why.
phase "release: tests" bash -c 'cd build && ctest --output-on-failure -j"$(($(nproc) + 1))"'
phase "asan: build and tests" bash scripts/sanitize.sh asan
phase "asan: fuzz" bash scripts/fuzz.sh
phase "tsan: build and tests" bash scripts/sanitize.sh tsan
echo "== time per phase"
printf '%s\n' "${timings[@]}"
echo "total                  $SECONDS s"
