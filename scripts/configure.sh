#!/usr/bin/env bash
# Usage: bash scripts/configure.sh DIR [CMAKE_OPTION...]
# Configures a build tree; its name says which kind:
#   build       gcc, RelWithDebInfo: what users build and the benchmarks run
#   build-asan  clang, AddressSanitizer + UndefinedBehaviorSanitizer and libFuzzer's
#               coverage: the sanitized suite and the fuzz targets
#   build-tsan  ThreadSanitizer
# The sanitized trees use -O1 and line tables only (-g1 for gcc), as the sanitizers
# advise: enough for their stack traces, and far quicker to compile than -O2 -g.
# A new tree uses Ninja; an existing one keeps the generator it was made with.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1
shift
case $dir in
  build) kind=() ;;
  build-asan) kind=(-DFERRY_SANITIZE=address,undefined -DFERRY_FUZZ=ON
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG"
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG") ;;
  build-tsan) kind=(-DFERRY_SANITIZE=thread
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG") ;;
  *) echo "configure.sh: unknown build tree $dir (build, build-asan or build-tsan)" >&2; exit 2 ;;
esac
generator=()
if [[ ! -f $dir/CMakeCache.txt ]] && command -v ninja >/dev/null; then generator=(-G Ninja); fi
cmake -S . -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${kind[@]}" "$@" >/dev/null
