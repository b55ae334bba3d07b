#!/usr/bin/env bash
# ferry-floor, the benchmark's measure of the bare work, on a small mixed set: every
# part of a pack and of a restore is measured (zstd included: the set holds CSV sheets),
# each total is the sum of its parts, and the ceiling is the cores over that total. No
# timing is asserted. A set without bytes is refused.
#
#   bash tests/bench_floor_test.sh FERRY_FLOOR FERRY_MAKE_DATASET
set -euo pipefail
floor=$1
make_dataset=$2
work=$(mktemp -d "${TMPDIR:-/dev/shm}/ferry-floor-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$make_dataset" --profile mixed --size 24MB --seed 1 "$work/set" >/dev/null
"$floor" "$work/set" "$work/scratch" --repeat 1 --cores 2 --tsv "$work/floor.tsv" >"$work/out"
grep -q "at most" "$work/out" || fail "no ceiling printed: $(cat "$work/out")"
[ -z "$(ls -A "$work/scratch")" ] || fail "scratch not emptied: $(ls "$work/scratch")"

python3 - "$work/floor.tsv" <<'PY'
import sys
f = dict((k, float(v)) for k, v in (line.split("\t") for line in open(sys.argv[1])))
parts = {
    "pack": ["read_source", "decide", "compress", "sha256", "seal", "parity", "crc", "write_drives"],
    "restore": ["sha256", "read_drives", "check_crc", "open", "decompress", "write_files"],
}
for kind, names in parts.items():
    for n in names:
        key = "%s_%s" % (kind, n)
        assert key in f, "missing " + key
        # Every part does work on this set; only the sample test may round to nothing.
        assert f[key] > 0 or n == "decide", "%s is %s" % (key, f[key])
    total = sum(f["%s_%s" % (kind, n)] for n in names)
    assert abs(f[kind + "_total"] - total) < 1e-3, "%s_total %s, parts %s" % (kind, f[kind + "_total"], total)
    ceiling = f["cores"] / f[kind + "_total"]
    assert abs(f[kind + "_ceiling_gbps"] - ceiling) < 1e-3 * ceiling, kind + " ceiling"
assert f["cores"] == 2
PY

mkdir "$work/empty"
if "$floor" "$work/empty" "$work/scratch" --repeat 1 2>"$work/err"; then fail "an empty set was measured"; fi
grep -q "holds no bytes" "$work/err" || fail "no reason given: $(cat "$work/err")"
echo "ok"
