#!/usr/bin/env bash
# Runs each fuzz target for a bounded time (FUZZ_SECONDS, default 20), after replaying
# every saved regression input; the targets run side by side, one process each. They
# come from build-asan/, the clang AddressSanitizer + UndefinedBehaviorSanitizer tree
# that scripts/sanitize.sh asan makes (built here if it is not there yet). A crash fails
# the run; libFuzzer leaves the input as build-asan/crash-*: copy it into
# fuzz/regressions/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-20}
targets=(label block_header catalog)
bash scripts/configure.sh build-asan
cmake --build build-asan -j"$(nproc)" --target "${targets[@]/#/fuzz_}" >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fuzz() {
  local target=$1 regressions=fuzz/regressions/$1
  mkdir -p "$work/$target"
  if compgen -G "$regressions/*" >/dev/null; then
    build-asan/fuzz/fuzz_$target "$regressions"/* >"$work/$target.log" 2>&1 || {
      echo "fuzz_$target: a saved regression input crashes again"; tail -30 "$work/$target.log"; return 1; }
  fi
  build-asan/fuzz/fuzz_$target -max_total_time="$seconds" -artifact_prefix="$PWD/build-asan/" \
    "$work/$target" "$regressions" >"$work/$target.log" 2>&1 || {
      echo "fuzz_$target: crashed"; tail -40 "$work/$target.log"; return 1; }
  echo "fuzz_$target: ${seconds}s, $(tail -1 "$work/$target.log")"
}
pids=()
for target in "${targets[@]}"; do
  fuzz "$target" &
  pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
echo "fuzzing: $((${#targets[@]} - failed)) passed, $failed failed"
exit $((failed > 0))
