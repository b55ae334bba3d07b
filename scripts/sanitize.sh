#!/usr/bin/env bash
# Builds everything under AddressSanitizer + UndefinedBehaviorSanitizer, then under
# ThreadSanitizer, and runs the whole unit and end-to-end suite under each. Any report
# fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}
run() {
  local name=$1 flags=$2
  echo "== $name"
  cmake -S . -B "build-$name" -DFERRY_SANITIZE="$flags" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "build-$name" -j"$(nproc)" >/dev/null
  (cd "build-$name" && ctest --output-on-failure -j"$(nproc)")
}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
if [[ $which == all || $which == asan ]]; then run asan "address,undefined"; fi
if [[ $which == all || $which == tsan ]]; then run tsan "thread"; fi
