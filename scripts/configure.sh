#!/usr/bin/env bash
# Usage: bash scripts/configure.sh DIR [CMAKE_OPTION...]
# Configures the build tree DIR: with Ninja when the tree is new (an existing tree keeps
# the generator it was made with), RelWithDebInfo unless an option says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1
shift
generator=()
if [[ ! -f $dir/CMakeCache.txt ]] && command -v ninja >/dev/null; then generator=(-G Ninja); fi
cmake -S . -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
