#!/usr/bin/env bash
# Where the time goes in ferry pack, restore (all drives and one missing) and keyless
# verify, on a small mixed set in /dev/shm, and for pack on a small-files set.
#
#   bash bench/profile.sh [--size 100MB] [--small-files 20000] [--tool perf|callgrind]
#                         [--keep DIR] [--no-build]
#
# perf (sampling, with DWARF call graphs) when the kernel lets it record; otherwise
# valgrind --tool=callgrind. Beware with callgrind: valgrind hides SHA-NI and AVX-512
# from the program, so OpenSSL and ISA-L fall back to slower code and the counts
# overstate SHA-256 and Reed-Solomon; it counts instructions, not time, and no kernel
# work (copies into and out of tmpfs are a third of pack). Not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

size=100MB
small_files=20000
tool=
keep=
build=1
while (($#)); do
  case "$1" in
    --size) size=$2; shift 2 ;;
    --small-files) small_files=$2; shift 2 ;;
    --tool) tool=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    *) echo "bench/profile.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
((build)) && bash scripts/build.sh

if [ -z "$tool" ]; then
  if command -v perf >/dev/null && perf record -q -o /dev/null -- true >/dev/null 2>&1; then
    tool=perf
  elif command -v valgrind >/dev/null; then
    tool=callgrind
  else
    echo "bench/profile.sh: neither perf nor valgrind works here" >&2; exit 1
  fi
fi

work=$(mktemp -d /dev/shm/ferry-profile.XXXXXX)
out=${keep:-$work/out}
mkdir -p "$out"
trap 'rm -rf "$work"' EXIT
cp build/ferry build/bench/ferry-make-dataset "$work/"
ferry=$work/ferry
"$work/ferry-make-dataset" --profile mixed --size "$size" --seed 1 "$work/src" >/dev/null
"$work/ferry-make-dataset" --profile small-files --files "$small_files" --seed 1 "$work/small" >/dev/null
"$ferry" keygen -o "$work/k.key" >/dev/null
mkdir -p "$work"/d{a,b,c,d} "$work"/s{a,b,c,d}

profile() {  # profile NAME COMMAND...
  local name=$1; shift
  echo
  echo "=================== $name ($tool): $*" | sed "s|$work|W|g"
  if [ "$tool" = perf ]; then
    perf record -q -F 2000 --call-graph dwarf,16384 -o "$out/$name.perf" -- "$@" >/dev/null 2>&1
    python3 bench/perf_summary.py "$out/$name.perf" --hz 2000
  else
    valgrind --tool=callgrind --callgrind-out-file="$out/$name.callgrind" "$@" >/dev/null 2>&1
    echo "-- self (instructions):"
    callgrind_annotate --inclusive=no "$out/$name.callgrind" 2>/dev/null | grep -E '^ *[0-9,]+ \(' | sed -n '2,16p' | cut -c1-150
    echo "-- inclusive, ferry functions:"
    callgrind_annotate --inclusive=yes "$out/$name.callgrind" 2>/dev/null | grep -E '^ *[0-9,]+ \(' | grep 'ferry::' | sed -n '1,16p' | cut -c1-150
  fi
}

d=("$work"/d{a,b,c,d})
profile pack "$ferry" pack "$work/src" --to "${d[@]}" --parity 1 --key-file "$work/k.key" -q
profile restore "$ferry" restore "${d[@]}" --to "$work/out1" --key-file "$work/k.key" -q
rm -rf "$work/out1"
profile restore-missing "$ferry" restore "${d[0]}" "${d[2]}" "${d[3]}" --to "$work/out2" --key-file "$work/k.key" -q
rm -rf "$work/out2"
profile verify "$ferry" verify "${d[@]}" -q
s=("$work"/s{a,b,c,d})
profile pack-small-files "$ferry" pack "$work/small" --to "${s[@]}" --parity 1 --key-file "$work/k.key" -q
[ -n "$keep" ] && echo "profiles kept in $keep"
