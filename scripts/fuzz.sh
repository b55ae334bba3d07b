#!/usr/bin/env bash
# Builds the fuzz targets with clang and runs each for a bounded time (FUZZ_SECONDS,
# default 20), after replaying every saved regression input. A crash fails the run;
# libFuzzer leaves the input as crash-*: copy it into fuzz/regressions/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-20}
cmake -S . -B build-fuzz -DFERRY_FUZZ=ON -DBUILD_TESTING=OFF \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_label fuzz_block_header fuzz_catalog >/dev/null
for target in label block_header catalog; do
  corpus=$(mktemp -d)
  regressions=fuzz/regressions/$target
  if compgen -G "$regressions/*" >/dev/null; then
    build-fuzz/fuzz/fuzz_$target "$regressions"/* >/dev/null 2>&1 || {
      echo "fuzz_$target: a saved regression input crashes again"; exit 1; }
  fi
  echo "fuzz_$target: ${seconds}s"
  build-fuzz/fuzz/fuzz_$target -max_total_time="$seconds" -artifact_prefix="$PWD/build-fuzz/" \
    "$corpus" "$regressions" 2>&1 | tail -1
  rm -rf "$corpus"
done
echo "fuzzing: 3 passed, 0 failed"
