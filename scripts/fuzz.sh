#!/usr/bin/env bash
# Runs each fuzz target for a bounded time (FUZZ_SECONDS, default 20), after replaying
# every saved regression input. The targets come from build-asan/, the clang
# AddressSanitizer + UndefinedBehaviorSanitizer tree that scripts/sanitize.sh asan makes
# (built here if it is not there yet). A crash fails the run; libFuzzer leaves the input
# as build-asan/crash-*: copy it into fuzz/regressions/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-20}
targets=(label block_header catalog)
bash scripts/configure.sh build-asan
cmake --build build-asan -j"$(nproc)" --target "${targets[@]/#/fuzz_}" >/dev/null
for target in "${targets[@]}"; do
  corpus=$(mktemp -d)
  regressions=fuzz/regressions/$target
  if compgen -G "$regressions/*" >/dev/null; then
    build-asan/fuzz/fuzz_$target "$regressions"/* >/dev/null 2>&1 || {
      echo "fuzz_$target: a saved regression input crashes again"; exit 1; }
  fi
  echo "fuzz_$target: ${seconds}s"
  build-asan/fuzz/fuzz_$target -max_total_time="$seconds" -artifact_prefix="$PWD/build-asan/" \
    "$corpus" "$regressions" 2>&1 | tail -1
  rm -rf "$corpus"
done
echo "fuzzing: ${#targets[@]} passed, 0 failed"
