#!/usr/bin/env bash
# The benchmark harness (issue 5): ferry against restic, tar | zstd | age, plain tar and
# par2, side by side on the same generated data, with every drive a folder in /dev/shm so
# that the disk is not what is measured. Prints a table (GB/s, files/s, ratios against
# ferry, peak RSS) and every target with "met" or "NOT met", and writes it all as JSON.
# Next to each target that asks for a rate it sets the most that the bare work allows on
# this machine (bench/floor.cpp): a rate above that is out of reach of any pack or restore
# that does this work here.
#
#   bash bench/run.sh [--size 2GiB] [--small-files 200000] [--sizes-rss 1GiB,2GiB]
#                     [--rss-dir DIR] [--par2-size 128MB] [--out bench/results.json] [--md FILE]
#                     [--update-readme] [--no-build] [--keep] [--wait-quiet SECONDS]
#                     [--nice N] [--cold] [--repeat N] [--random-size 1GiB] [--mount-cache 256MiB]
#
# The read side (issue 22): every file of the mixed and small-files sets read through
# `ferry mount` (4 drives, and 3 with one missing) and through squashfuse over a
# `mksquashfs -comp zstd` image of the same set, each a step of bench/mount_read.sh (mount,
# read every file with parallel cats, unmount); the mount's peak RSS is the step's (its
# cache budget --mount-cache). bench/random_read.cpp then times random 64 KiB reads of a
# compressible and an incompressible file of --random-size through the public Shipment
# API, and a read of the whole mixed set with one drive of four slowed to a fifth of its
# speed by a delay injected in the ReadEnv (the benchmark's own, see random_read.cpp).
# Where it can (root, cgroup v1 blkio, loop devices, mkfs.ext4), it also slows a drive
# with a real throttle: four ext4 file systems on loop devices over files in /dev/shm,
# the mixed set packed onto them, restore and the mount read it as they are and then with
# drive b's device held by blkio.throttle.read_bps_device to a fifth of the rate that
# drive served in the unslowed restore. Without /dev/fuse the mount steps are skipped
# with a note.
#
# --repeat N: run the mixed and small-files sets' steps in N rounds, each round every
# step once in the usual order, and report for each step the run with the median wall
# time, with the range of all N. Rounds spread each tool's runs over the same stretch
# of time, so the host's drift (about 15 % over minutes) weighs on ferry and its peers
# alike. par2 and the peak-RSS-only steps run once.
# --cold: do not warm the memory before each step. By default every step, ferry's and
# the peers' alike, starts right after a file as large as what the step writes was
# written to /dev/shm and deleted: on virtual machines freed memory goes back to the
# host within seconds, and touching it again costs a fault per page in the hypervisor
# (1-2 ns a byte, varying with the host), paid by whichever step comes first.
# --sizes-rss: the sizes at which peak RSS of pack and restore is measured (the main set
# counts for its own size). --rss-dir DIR: where those sizes keep their set, drives and
# restored copy (default /dev/shm). Only peak RSS is read from these steps, and it does not
# depend on where the bytes go: a folder on a disk lets a 10 GiB set (about 24 GiB with its
# drives) be measured on a machine with less memory than that. --wait-quiet: before
# starting, wait up to SECONDS for the other processes on the machine to use less than a
# fifth of it. --nice N: run every measured step under `nice -n N`, and the harness's
# session (its autogroup) too (N < 0, as root, gives the steps the CPU before other work
# on a shared machine, slowing that work down; the same for every tool). --update-readme
# copies the table into README.md between its bench markers. --keep leaves the work folder in
# /dev/shm (logs and timings; the data is removed step by step). --no-build measures
# build/ferry as it is. Every step also records how much CPU other processes took
# meanwhile ("others %"): the machine is shared.
#
# It measures; it never fails on a target (exit 0 unless the harness itself breaks or
# a tool gives a wrong result). Not part of the test suite, not run by CI.
set -euo pipefail
invoked_from=$PWD
cd "$(dirname "$0")/.."
repo=$PWD
# --out and --md given on the command line are relative to where the harness was started.
from_caller() { case "$1" in /*) echo "$1" ;; *) echo "$invoked_from/$1" ;; esac; }

size=2GiB
small_files=200000
sizes_rss=1GiB,2GiB
rss_dir=
par2_size=128MB
out=bench/results.json
md=
update_readme=0
build=1
keep=0
seed=1
wait_quiet=0
niceness=0
warm=1
repeat=1
random_size=1GiB
mount_cache=256MiB

usage() { awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; }
while (($#)); do
  case "$1" in
    --size) size=$2; shift 2 ;;
    --small-files) small_files=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --random-size) random_size=$2; shift 2 ;;
    --mount-cache) mount_cache=$2; shift 2 ;;
    --sizes-rss|--sizes) sizes_rss=$2; shift 2 ;;
    --rss-dir) rss_dir=$(from_caller "$2"); shift 2 ;;
    --par2-size) par2_size=$2; shift 2 ;;
    --out) out=$(from_caller "$2"); shift 2 ;;
    --md) md=$(from_caller "$2"); shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --update-readme) update_readme=1; shift ;;
    --no-build) build=0; shift ;;
    --wait-quiet) wait_quiet=$2; shift 2 ;;
    --nice) niceness=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --cold) warm=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench/run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
[ -n "$md" ] || md=${out%.json}.md

say() { printf '\033[1m== %s\033[0m\n' "$*"; }
die() { echo "bench/run.sh: $*" >&2; exit 1; }

# Sizes as bytes, with the units the generator understands (GB = 10^9, GiB = 2^30).
bytes_of() {
  python3 - "$1" <<'EOF'
import re, sys
m = re.fullmatch(r'([0-9.]+)\s*(B|kB|KB|MB|GB|KiB|MiB|GiB)?', sys.argv[1])
if not m: sys.exit("bad size '%s' (try 256MB or 2GiB)" % sys.argv[1])
scale = {None: 1, 'B': 1, 'kB': 1e3, 'KB': 1e3, 'MB': 1e6, 'GB': 1e9,
         'KiB': 1024, 'MiB': 1024**2, 'GiB': 1024**3}[m.group(2)]
print(int(float(m.group(1)) * scale))
EOF
}
gib() { python3 -c "print('%.1f GiB' % ($1 / 2**30))"; }

size_bytes=$(bytes_of "$size") || exit 2
par2_bytes=$(bytes_of "$par2_size") || exit 2
random_bytes=$(bytes_of "$random_size") || exit 2
bytes_of "$mount_cache" >/dev/null || exit 2
[[ "$small_files" =~ ^[0-9]+$ ]] || die "--small-files takes a number of files"
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || die "--repeat takes a number of runs, 1 or more"
[[ "$niceness" =~ ^-?[0-9]+$ ]] || die "--nice takes a number"
((niceness >= 0)) || [ "$(id -u)" = 0 ] || die "--nice $niceness needs root"
# With autogroup scheduling, nice only orders processes within one session; the
# harness's session gets the same niceness so that it counts against other sessions.
if ((niceness != 0)) && [ -w /proc/self/autogroup ]; then
  echo "$niceness" >"/proc/$$/autogroup" 2>/dev/null || echo "note: could not set the session's autogroup niceness"
fi
IFS=, read -r -a rss_list <<<"$sizes_rss"

# ---------------------------------------------------------------- tools and build
say "Tools: restic, age, zstd, par2, GNU time, squashfs-tools, squashfuse, fuse3"
need=()
for pair in restic:restic age:age age-keygen:age zstd:zstd par2:par2 /usr/bin/time:time \
            mksquashfs:squashfs-tools squashfuse:squashfuse fusermount3:fuse3; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair##*:}")
done
if ((${#need[@]})); then
  mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
  [ "$(id -u)" = 0 ] || die "missing ${need[*]}; run as root to install them, or: apt-get install -y ${need[*]}"
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ((build)); then
  say "Building ferry (scripts/build.sh)"
  bash scripts/build.sh
fi
for tool in build/ferry build/bench/ferry-make-dataset build/bench/ferry-floor build/bench/ferry-random-read; do
  [ -x "$tool" ] || die "$tool is missing: run without --no-build"
done

# ---------------------------------------------------------------- room in /dev/shm
shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || die "$shm is not a writable folder: the drives must live in memory so the disk is not measured"
shm_free=$(df -B1 --output=avail "$shm" | tail -1 | tr -d ' ')
mem_avail=$(awk '/^MemAvailable:/ {printf "%.0f", $2 * 1024}' /proc/meminfo)
room=$((shm_free < mem_avail ? shm_free : mem_avail))
# The mixed set lives next to its four drives (4/3 of it), one restored copy or one
# peer's output at a time: about 3.5 x the set. The small-files set: about 20 KiB a file
# all told (tmpfs rounds every file up to a page). The RSS-only sizes delete the source
# before restoring: about 2.4 x.
need_main=$(python3 -c "print(int(max($size_bytes * 3.5, $par2_bytes * 4, $small_files * 20480)))")
if ((need_main > room)); then
  die "not enough room: the $size set needs about $(gib "$need_main") in $shm (3.5 x the set: the source, four drives, one restored copy), but only $(gib "$room") is free ($shm free $(gib "$shm_free"), memory available $(gib "$mem_avail")). Try a smaller --size."
fi
echo "room: $(gib "$room") free in $shm and memory; this run needs about $(gib "$need_main")"

work=$(mktemp -d "$shm/ferry-bench.XXXXXX")
rss_work=$work/rss
if [ -n "$rss_dir" ]; then
  [ -d "$rss_dir" ] && [ -w "$rss_dir" ] || die "--rss-dir $rss_dir is not a writable folder"
  rss_work=$(mktemp -d "$rss_dir/ferry-bench-rss.XXXXXX")
fi
mkdir -p "$rss_work"
rss_on_disk=$([ "$(stat -f -c %T "$rss_work")" = tmpfs ] && echo 0 || echo 1)
loop_mnts=()
loop_devs=()
cgroup=
cleanup() {
  local mp dev
  for mp in "${loop_mnts[@]}"; do umount "$mp" 2>/dev/null || true; done
  for dev in "${loop_devs[@]}"; do losetup -d "$dev" 2>/dev/null || true; done
  [ -z "$cgroup" ] || rmdir "$cgroup" 2>/dev/null || true
  if ((keep)); then echo "kept $work"; else rm -rf "$work"; fi
  [ "$rss_work" = "$work/rss" ] || rm -rf "$rss_work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$work"/{bin,time,log}
# A snapshot of the binaries, so that a rebuild by someone else during the run does not
# change what is measured half-way.
cp build/ferry build/bench/ferry-make-dataset build/bench/ferry-floor build/bench/ferry-random-read "$work/bin/"
ferry=$work/bin/ferry
mkds=$work/bin/ferry-make-dataset
export RESTIC_PASSWORD=ferry-bench RESTIC_CACHE_DIR=$work/restic-cache
"$ferry" keygen -o "$work/ship.key" >/dev/null
age-keygen -o "$work/age.key" 2>/dev/null
age_recipient=$(age-keygen -y "$work/age.key")

steps=$work/steps.tsv
sets=$work/sets.tsv
notes=$work/notes.tsv
: >"$steps"; : >"$sets"; : >"$notes"
note() { printf '%s\n' "$*" >>"$notes"; echo "note: $*"; }
# The mounts need FUSE: /dev/fuse and fusermount3 (the tools above install it).
fuse=1
if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
  fuse=0
  note "mount steps skipped: no /dev/fuse here (FUSE is not available)"
fi

# Bytes the coming steps write at most (set with each data set); see --cold.
warm_bytes=0
warm_memory() {
  ((warm && warm_bytes > 0)) || return 0
  local avail
  avail=$(awk '/^MemAvailable:/ {printf "%.0f", $2 * 1024}' /proc/meminfo)
  local bytes=$((warm_bytes < avail - (1 << 30) ? warm_bytes : avail - (1 << 30)))
  ((bytes > 0)) || return 0
  head -c "$bytes" /dev/zero >"$work/warm" 2>/dev/null || true
  rm -f "$work/warm"
}

# step ID SET LABEL -- COMMAND...: runs COMMAND under /usr/bin/time -v as run $round of
# the step; finish_steps then records each step by its median run.
round=1
pending=()  # steps run in this section, in order, not yet recorded
declare -A step_set step_label
step() {
  local id=$1 set=$2 label=$3 rc=0
  shift 4
  warm_memory
  # The machine's CPU counters around the run tell how much of it others used meanwhile.
  head -1 /proc/stat >"$work/time/$id.$round.stat"
  nice -n "$niceness" /usr/bin/time -v -o "$work/time/$id.$round" "$@" >"$work/log/$id.out" 2>"$work/log/$id.err" || rc=$?
  head -1 /proc/stat >>"$work/time/$id.$round.stat"
  echo "$rc" >"$work/time/$id.$round.rc"
  if [ -z "${step_set[$id]:-}" ]; then pending+=("$id"); step_set[$id]=$set; step_label[$id]=$label; fi
  if ((rc != 0)); then
    echo "  $label exited with status $rc; its output:" >&2
    tail -n 5 "$work/log/$id.out" "$work/log/$id.err" >&2 || true
  elif ((repeat > 1)); then
    printf '  %-40s round %d: %s\n' "$label" "$round" "$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$work/time/$id.$round")"
  fi
  return 0
}
# Records every step of the section run so far by its median run, and prints its line.
finish_steps() {
  local id rc
  for id in "${pending[@]}"; do
    rc=$(cat "$work/time/$id".*.rc | awk '$1 != 0 {bad = $1} END {print bad + 0}')
    python3 bench/report.py pick "$work" "$id"
    printf '%s\t%s\t%s\t%s\n' "$id" "${step_set[$id]}" "${step_label[$id]}" "$rc" >>"$steps"
    python3 bench/report.py line "$work" "$id"
  done
  pending=()
}
# A step whose result is checked: a failed run stops the harness.
ok() { [ "$(cat "$work/time/$1.$round.rc")" = 0 ] || die "$1 failed (log in the output above)"; }

make_set() {  # make_set NAME DIR GENERATOR-ARGS...
  local name=$1 dir=$2
  shift 2
  local t0=$SECONDS
  "$mkds" "$@" --seed "$seed" "$dir"
  local counts
  counts=$(find "$dir" -type f -printf '%s\n' | awk '{n++; b += $1} END {printf "%.0f\t%.0f", b, n}')
  printf '%s\t%s\n' "$name" "$counts" >>"$sets"
  echo "set $name: $(cut -f1 <<<"$counts") bytes in $(cut -f2 <<<"$counts") files (made in $((SECONDS - t0)) s)"
}

drives() { local d=$1; mkdir -p "$d"/{a,b,c,d}; echo "$d"/{a,b,c,d}; }

# Same files, bytes, modes and mtimes? (outside the timing)
same_tree() {
  local listing='find . -mindepth 1 -printf "%y %m %s %T@ %p\n" | sort'
  diff -q <(cd "$1" && eval "$listing") <(cd "$2" && eval "$listing") >/dev/null &&
    diff -rq "$1" "$2" >/dev/null || die "restored tree $2 differs from $1"
}

# Share of the machine that other processes use over a few seconds, in percent.
others_busy() {
  local a b
  a=$(head -1 /proc/stat); sleep "${1:-3}"; b=$(head -1 /proc/stat)
  python3 - "$a" "$b" <<'EOF'
import sys
a, b = ([int(x) for x in s.split()[1:]] for s in sys.argv[1:3])
d = [y - x for x, y in zip(a, b)]
busy = d[0] + d[1] + d[2] + d[5] + d[6] + (d[7] if len(d) > 7 else 0)
print(int(100 * busy / max(1, sum(d[:8]))))
EOF
}
if ((wait_quiet > 0)); then
  say "Waiting up to ${wait_quiet} s for a quiet machine"
  t0=$SECONDS
  while :; do
    busy=$(others_busy 5)
    echo "  others use ${busy}% of the machine"
    ((busy < 20)) && break
    if ((SECONDS - t0 >= wait_quiet)); then note "started on a busy machine: others used ${busy}% of it"; break; fi
  done
fi

# Training input (bench/loader.py), first round only: FerryDataLoader over the drives
# (all, then one missing) against a plain torch Dataset over the restored tree, 2 workers
# each. Figures only, printed again at the end; needs build/python and python3-torch.
loader_step() {  # loader_step SET TREE DRIVES...
  local set=$1 tree=$2
  shift 2
  ((round == 1)) || return 0
  if ! [ -e build/python/ferry/__init__.py ] || ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
    note "training input ($set set): not measured, no build/python or no python3-torch"
    return 0
  fi
  say "$set set: training input, FerryDataLoader against a plain torch Dataset"
  PYTHONPATH=build/python nice -n "$niceness" /usr/bin/python3 bench/loader.py --label "$set" \
    --key "$work/ship.key" --tree "$tree" --drives "$@" --json "$work/loader-$set.json" \
    | tee -a "$work/loader.txt" || note "training input ($set set): bench/loader.py failed"
}

# ---------------------------------------------------------------- mixed set
mixed_round() {
  say "Mixed set ($size): pack$round_title"
  read -r -a dv <<<"$(drives "$work/mixed/drives")"
  step pack mixed "ferry pack (3+1, encrypted)" -- "$ferry" pack "$src" --to "${dv[@]}" --parity 1 --key-file "$work/ship.key"
  ok pack
  echo "  drives hold $(du -sb "$work/mixed/drives" | cut -f1) bytes"

  # ferry's hidden --discard drops every block in the I/O layer after it is sealed; onto
  # drives of its own: what it leaves there (labels, no blocks) is no shipment.
  read -r -a sink <<<"$(drives "$work/mixed/sink")"
  step pack_sink mixed "ferry pack, drives discarded (--discard)" -- "$ferry" pack "$src" --to "${sink[@]}" --parity 1 --key-file "$work/ship.key" --discard
  rm -rf "$work/mixed/sink"

  say "Mixed set: verify and restore$round_title"
  step verify mixed "ferry verify (keyless, 4 drives)" -- "$ferry" verify "${dv[@]}"
  ok verify
  step restore_all mixed "ferry restore (all 4 drives)" -- "$ferry" restore "${dv[@]}" --to "$work/mixed/out" --key-file "$work/ship.key"
  ok restore_all; same_tree "$src" "$work/mixed/out"
  loader_step mixed "$work/mixed/out" "${dv[@]}"
  rm -rf "$work/mixed/out"
  # Drive b (slot 1) is missing: a quarter of the blocks are rebuilt from parity.
  step restore_missing mixed "ferry restore (3 drives, one missing)" -- "$ferry" restore "${dv[0]}" "${dv[2]}" "${dv[3]}" --to "$work/mixed/out" --key-file "$work/ship.key"
  ok restore_missing; same_tree "$src" "$work/mixed/out"; rm -rf "$work/mixed/out"
  # Training shards straight from the drives (each file a sample: one extension a name).
  step export_wds mixed "ferry export webdataset (all 4 drives)" -- "$ferry" export "${dv[@]}" --to "$work/mixed/shards" --format webdataset --key-file "$work/ship.key" -q
  ok export_wds; rm -rf "$work/mixed/shards"
  step export_mds mixed "ferry export mds (all 4 drives)" -- "$ferry" export "${dv[@]}" --to "$work/mixed/shards" --format mds --key-file "$work/ship.key" -q
  ok export_mds; rm -rf "$work/mixed/shards"

  if ((fuse)); then
    say "Mixed set: every file read through ferry mount and squashfuse$round_title"
    step mksquashfs mixed "mksquashfs -comp zstd" -- mksquashfs "$src" "$work/mixed/set.sqfs" -comp zstd -noappend -quiet -no-progress
    ok mksquashfs
    step squashfuse_read mixed "squashfuse: read every file" -- bash bench/mount_read.sh "$work/mnt" -- squashfuse -f "$work/mixed/set.sqfs" "$work/mnt"
    ok squashfuse_read
    rm -f "$work/mixed/set.sqfs"
    step mount_read mixed "ferry mount: read every file (4 drives)" -- bash bench/mount_read.sh "$work/mnt" -- "$ferry" mount "${dv[@]}" "$work/mnt" --key-file "$work/ship.key" --foreground --cache "$mount_cache"
    ok mount_read
    step mount_missing mixed "ferry mount: read every file (3 drives)" -- bash bench/mount_read.sh "$work/mnt" -- "$ferry" mount "${dv[0]}" "${dv[2]}" "${dv[3]}" "$work/mnt" --key-file "$work/ship.key" --foreground --cache "$mount_cache"
    ok mount_missing
  fi
  if ((round == 1)); then
    # Not a step: its figures are its own (the reader's rate as the drives are, then with
    # drive b slowed to a fifth of its speed by an injected delay).
    say "Mixed set: the reader with one drive of four slowed to a fifth (injected delay)"
    warm_memory
    "$work/bin/ferry-random-read" "${dv[@]}" --key-file "$work/ship.key" --cache "$mount_cache" \
      --sequential --slow-drive "${dv[1]}" --slow-factor 5 --tsv "$work/reader_seq.tsv" || die "ferry-random-read --sequential failed"
  fi

  say "Mixed set: scaling (--threads 1 keeps ferry to one core; then taskset to one core)$round_title"
  # Onto fresh, empty drives like the first pack: rewriting pages tmpfs already holds costs less.
  rm -rf "$work/mixed/drives"
  read -r -a dv <<<"$(drives "$work/mixed/drives")"
  step pack_t1 mixed "ferry pack --threads 1" -- "$ferry" pack "$src" --to "${dv[@]}" --parity 1 --key-file "$work/ship.key" --threads 1
  ok pack_t1
  # The same from outside: pinned to one core by taskset.
  if command -v taskset >/dev/null && (($(nproc) > 1)); then
    rm -rf "$work/mixed/drives"
    read -r -a dv <<<"$(drives "$work/mixed/drives")"
    step pack_1core mixed "ferry pack on one core (taskset -c 0)" -- taskset -c 0 "$ferry" pack "$src" --to "${dv[@]}" --parity 1 --key-file "$work/ship.key"
    ok pack_1core
  fi
  rm -rf "$work/mixed/drives"

  say "Mixed set: the peers$round_title"
  restic init -q --repo "$work/restic" >/dev/null
  # restic keeps the path it is given: back up from the set's parent, as "src".
  step restic_backup mixed "restic backup" -- bash -c 'cd "$1" && restic -q --repo "$2" backup src' _ "$work/mixed" "$work/restic"
  ok restic_backup
  step restic_restore mixed "restic restore" -- restic -q --repo "$work/restic" restore latest --target "$work/mixed/out"
  ok restic_restore
  rm -rf "$work/restic" "$work/mixed/out" "$RESTIC_CACHE_DIR"
  step tar_zstd_age mixed "tar | zstd -1 -T0 | age" -- bash -c 'set -o pipefail; tar -cf - -C "$1" src | zstd -1 -T0 -q | age -r "$2" >"$3"' _ "$work/mixed" "$age_recipient" "$work/mixed/out.tar.zst.age"
  ok tar_zstd_age
  rm -f "$work/mixed/out.tar.zst.age"
  step tar mixed "tar" -- tar -cf "$work/mixed/out.tar" -C "$work/mixed" src
  ok tar
  rm -f "$work/mixed/out.tar"
}

# The sets' steps in rounds (see --repeat); each round leaves nothing behind but the set.
in_rounds() {
  for ((round = 1; round <= repeat; round++)); do
    round_title=$( ((repeat > 1)) && echo ", round $round of $repeat" || true)
    "$1"
  done
  round=1
  finish_steps
}

src=$work/mixed/src
make_set mixed "$src" --profile mixed --size "$size"
warm_bytes=$((size_bytes * 3 / 2))
# The least CPU a pack and a restore of this set can need here (see bench/floor.cpp):
# the table sets each rate a target asks for against what that allows.
say "Mixed set: the floor (ferry-floor, the bare work on one core)"
warm_memory
"$work/bin/ferry-floor" "$src" "$work/floor" --tsv "$work/floor.tsv" || die "ferry-floor failed"
rm -rf "$work/floor"
in_rounds mixed_round

# ---------------------------------------------------------------- one drive slowed, for real
slow_why=
if [ "$(id -u)" != 0 ]; then slow_why="needs root"
elif [ ! -w /sys/fs/cgroup/blkio ]; then slow_why="no cgroup v1 blkio controller"
elif ! command -v losetup >/dev/null || ! command -v mkfs.ext4 >/dev/null || ! command -v lsblk >/dev/null; then
  slow_why="needs losetup, lsblk and mkfs.ext4"
fi
# Mounts every drive's file system afresh: its page cache goes, reads reach the device.
remount_loops() {
  local i
  for i in "${!loop_mnts[@]}"; do
    umount "${loop_mnts[$i]}" && mount "${loop_devs[$i]}" "${loop_mnts[$i]}" || die "cannot mount ${loop_devs[$i]} again"
  done
}
# throttle BYTES_PER_S: drive b's device (0: no limit).
throttle() {
  echo "$(lsblk -dno MAJ:MIN "${loop_devs[1]}" | tr -d ' ') $1" >"$cgroup/blkio.throttle.read_bps_device"
}
in_cgroup=(bash -c 'echo $$ >"$0/cgroup.procs" && exec "$@"')
if [ -z "$slow_why" ]; then
  say "Mixed set: one drive of four slowed to a fifth (cgroup blkio on loop devices)"
  cgroup=/sys/fs/cgroup/blkio/ferry-bench-$$
  mkdir "$cgroup" || die "cannot make $cgroup"
  image_bytes=$((((size_bytes * 2 / 5) >> 20) + 96 << 20))  # whole MiB: whole sectors
  for name in a b c d; do
    truncate -s "$image_bytes" "$work/mixed/loop-$name.img"
    mkfs.ext4 -q -F "$work/mixed/loop-$name.img" || die "mkfs.ext4 failed"
    dev=$(losetup -f --show "$work/mixed/loop-$name.img") || die "losetup failed"
    loop_devs+=("$dev")
    mkdir -p "$work/mixed/loop/$name"
    mount "$dev" "$work/mixed/loop/$name" || die "cannot mount $dev"
    loop_mnts+=("$work/mixed/loop/$name")
  done
  ldv=("$work"/mixed/loop/{a,b,c,d}/drive)
  mkdir -p "${ldv[@]}"
  "$ferry" pack "$src" --to "${ldv[@]}" --parity 1 --key-file "$work/ship.key" >"$work/log/loop_pack.out" 2>&1 || die "pack onto the loop drives failed"
  warm_bytes=$size_bytes
  throttle 0
  remount_loops
  step slow_restore_base mixed "ferry restore (4 loop drives)" -- "${in_cgroup[@]}" "$cgroup" "$ferry" restore "${ldv[@]}" --to "$work/mixed/out" --key-file "$work/ship.key"
  ok slow_restore_base; same_tree "$src" "$work/mixed/out"; rm -rf "$work/mixed/out"
  # A fifth of what drive b served in that restore.
  wall=$(python3 bench/report.py wall "$work/time/slow_restore_base.1")
  limit=$(python3 -c "print(max(1 << 20, int($(du -sb "${ldv[1]}" | cut -f1) / $wall / 5)))")
  note "slowed drive: drive b (slot 1) held to $(python3 -c "print('%.0f MB/s' % ($limit / 1e6))") by blkio.throttle.read_bps_device, a fifth of what it served in the unslowed restore"
  throttle "$limit"
  remount_loops
  step slow_restore mixed "ferry restore (4 loop drives, b at 1/5)" -- "${in_cgroup[@]}" "$cgroup" "$ferry" restore "${ldv[@]}" --to "$work/mixed/out" --key-file "$work/ship.key"
  ok slow_restore; same_tree "$src" "$work/mixed/out"; rm -rf "$work/mixed/out"
  if ((fuse)); then
    throttle 0
    remount_loops
    step slow_mount_base mixed "ferry mount: read every file (4 loop drives)" -- "${in_cgroup[@]}" "$cgroup" bash bench/mount_read.sh "$work/mnt" -- "$ferry" mount "${ldv[@]}" "$work/mnt" --key-file "$work/ship.key" --foreground --cache "$mount_cache"
    ok slow_mount_base
    throttle "$limit"
    remount_loops
    step slow_mount mixed "ferry mount: read every file (4 loop drives, b at 1/5)" -- "${in_cgroup[@]}" "$cgroup" bash bench/mount_read.sh "$work/mnt" -- "$ferry" mount "${ldv[@]}" "$work/mnt" --key-file "$work/ship.key" --foreground --cache "$mount_cache"
    ok slow_mount
  fi
  throttle 0
  finish_steps
  for mp in "${loop_mnts[@]}"; do umount "$mp"; done
  for dev in "${loop_devs[@]}"; do losetup -d "$dev"; done
  loop_mnts=(); loop_devs=()
  rmdir "$cgroup"; cgroup=
else
  note "slowed drive, real throttle: not measured: $slow_why"
fi
rm -rf "$work/mixed"

# ---------------------------------------------------------------- par2 set
# Once only: par2 takes twenty seconds, and its ratio is far from any target.
say "Smaller mixed set ($par2_size): par2 create -r33 against ferry pack"
psrc=$work/par2/src
make_set par2 "$psrc" --profile mixed --size "$par2_size"
warm_bytes=$((par2_bytes * 3 / 2))
read -r -a dv <<<"$(drives "$work/par2/drives")"
step par2_pack par2 "ferry pack (3+1, encrypted)" -- "$ferry" pack "$psrc" --to "${dv[@]}" --parity 1 --key-file "$work/ship.key"
ok par2_pack
rm -rf "$work/par2/drives"
mkdir -p "$work/par2/out"
step par2_create par2 "par2 create -r33" -- par2 create -q -q -r33 -R -B "$psrc" "$work/par2/out/set.par2" "$psrc"
ok par2_create
finish_steps
rm -rf "$work/par2"

# ---------------------------------------------------------------- small files
small_round() {
  say "Small-files set ($small_files files of 1-8 KiB)$round_title"
  read -r -a dv <<<"$(drives "$work/small/drives")"
  step small_pack small "ferry pack (3+1, encrypted)" -- "$ferry" pack "$ssrc" --to "${dv[@]}" --parity 1 --key-file "$work/ship.key"
  ok small_pack
  if ((fuse)); then
    step small_mksquashfs small "mksquashfs -comp zstd" -- mksquashfs "$ssrc" "$work/small/set.sqfs" -comp zstd -noappend -quiet -no-progress
    ok small_mksquashfs
    step small_squashfuse_read small "squashfuse: read every file" -- bash bench/mount_read.sh "$work/mnt" -- squashfuse -f "$work/small/set.sqfs" "$work/mnt"
    ok small_squashfuse_read
    rm -f "$work/small/set.sqfs"
    step small_mount_read small "ferry mount: read every file (4 drives)" -- bash bench/mount_read.sh "$work/mnt" -- "$ferry" mount "${dv[@]}" "$work/mnt" --key-file "$work/ship.key" --foreground --cache "$mount_cache"
    ok small_mount_read
  fi
  step small_restore small "ferry restore (all 4 drives)" -- "$ferry" restore "${dv[@]}" --to "$work/small/out" --key-file "$work/ship.key"
  ok small_restore; same_tree "$ssrc" "$work/small/out"
  loader_step small "$work/small/out" "${dv[@]}"
  rm -rf "$work/small/out"
  step small_export small "ferry export webdataset (all 4 drives)" -- "$ferry" export "${dv[@]}" --to "$work/small/shards" --format webdataset --key-file "$work/ship.key" -q
  ok small_export; rm -rf "$work/small/shards" "$work/small/drives"
  restic init -q --repo "$work/restic" >/dev/null
  step small_restic small "restic backup" -- bash -c 'cd "$1" && restic -q --repo "$2" backup src' _ "$work/small" "$work/restic"
  rm -rf "$work/restic" "$RESTIC_CACHE_DIR"
  step small_tar_zstd_age small "tar | zstd -1 -T0 | age" -- bash -c 'set -o pipefail; tar -cf - -C "$1" src | zstd -1 -T0 -q | age -r "$2" >"$3"' _ "$work/small" "$age_recipient" "$work/small/out.tar.zst.age"
  rm -f "$work/small/out.tar.zst.age"
  step small_tar small "tar" -- tar -cf "$work/small/out.tar" -C "$work/small" src
  ok small_tar
  mkdir -p "$work/small/untar"
  step small_untar small "tar -x" -- tar -xf "$work/small/out.tar" -C "$work/small/untar"
  rm -rf "$work/small/untar" "$work/small/out.tar"
}
if ((small_files > 0)); then
  ssrc=$work/small/src
  make_set small "$ssrc" --profile small-files --files "$small_files"
  warm_bytes=$((small_files * 12288))
  in_rounds small_round
  rm -rf "$work/small"
fi

# ---------------------------------------------------------------- random reads
# Two files of --random-size, one compressible and one not, packed; the source goes before
# the reads. Not steps: ferry-random-read's own figures (reads/s, units and frames opened
# per read once warm) go to the report.
shm_room() {
  local free mem
  free=$(df -B1 --output=avail "$shm" | tail -1 | tr -d ' ')
  mem=$(awk '/^MemAvailable:/ {printf "%.0f", $2 * 1024}' /proc/meminfo)
  echo $((free < mem ? free : mem))
}
# The two files, then their drives (4/3 of them) while the files are still there.
if (($(shm_room) > random_bytes * 5)); then
  say "Random 64 KiB reads of a compressible and an incompressible file of $random_size"
  rsrc=$work/random/src
  "$mkds" --profile random-read --size "$random_size" --seed "$seed" "$rsrc" >/dev/null
  read -r -a dv <<<"$(drives "$work/random/drives")"
  "$ferry" pack "$rsrc" --to "${dv[@]}" --parity 1 --key-file "$work/ship.key" >"$work/log/random_pack.out" 2>&1 || die "pack of the random-read set failed"
  rm -rf "$rsrc"
  warm_bytes=0
  "$work/bin/ferry-random-read" "${dv[@]}" --key-file "$work/ship.key" --cache "$mount_cache" \
    --random compressible.csv --random incompressible.bin --reads 20000 --warm 5000 --len 65536 \
    --tsv "$work/reader_random.tsv" || die "ferry-random-read failed"
  rm -rf "$work/random"
else
  note "random reads: skipped: the $random_size files and their drives do not fit in $shm"
fi

# ---------------------------------------------------------------- peak RSS by size
# Room where the RSS-only sizes go: free space there, and memory too when it is a tmpfs.
rss_room() {
  local free
  free=$(df -B1 --output=avail "$rss_work" | tail -1 | tr -d ' ')
  if ((!rss_on_disk)); then
    local mem
    mem=$(awk '/^MemAvailable:/ {printf "%.0f", $2 * 1024}' /proc/meminfo)
    ((mem < free)) && free=$mem
  fi
  echo "$free"
}
if ((rss_on_disk)); then
  note "peak RSS sizes: set, drives and restored copy on a disk (--rss-dir); their rates are the disk's, only their peak RSS is a figure"
fi
for s in "${rss_list[@]}"; do
  [ -n "$s" ] || continue
  b=$(bytes_of "$s")
  if [ "$b" = "$size_bytes" ]; then continue; fi  # measured above on the main set
  room=$(rss_room)
  need=$(python3 -c "print(int($b * 2.4))")
  if ((need > room)); then
    note "rss $s: skipped: needs about $(gib "$need") in ${rss_dir:-$shm} (the source plus four drives at 4/3 of it), only $(gib "$room") free; --rss-dir can put it on a disk"
    continue
  fi
  say "Peak RSS at $s"
  name="rss-$s"
  make_set "$name" "$rss_work/src" --profile mixed --size "$s"
  warm_bytes=$((rss_on_disk ? 0 : b * 3 / 2))  # warming is for pages of /dev/shm
  read -r -a dv <<<"$(drives "$rss_work/drives")"
  step "rss_pack_$s" "$name" "ferry pack (3+1, encrypted)" -- "$ferry" pack "$rss_work/src" --to "${dv[@]}" --parity 1 --key-file "$work/ship.key"
  ok "rss_pack_$s"
  rm -rf "$rss_work/src"  # room for the restored copy
  step "rss_restore_$s" "$name" "ferry restore (all 4 drives)" -- "$ferry" restore "${dv[@]}" --to "$rss_work/out" --key-file "$work/ship.key"
  ok "rss_restore_$s"
  rm -rf "${rss_work:?}"/{drives,out}
done
finish_steps

# ---------------------------------------------------------------- the report
say "Results"
{
  printf 'size\t%s\n' "$size"
  printf 'sizes_rss\t%s\n' "$sizes_rss"
  printf 'small_files\t%s\n' "$small_files"
  printf 'par2_size\t%s\n' "$par2_size"
  printf 'seed\t%s\n' "$seed"
  printf 'nice\t%s\n' "$niceness"
  printf 'repeat\t%s\n' "$repeat"
  printf 'random_size\t%s\n' "$random_size"
  printf 'mount_cache\t%s\n' "$mount_cache"
  printf 'date\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf 'nproc\t%s\n' "$(nproc)"
  printf 'cpu\t%s\n' "$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
  printf 'memory\t%s\n' "$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  printf 'kernel\t%s\n' "$(uname -r)"
  printf 'ferry_commit\t%s\n' "$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$repo" diff --quiet HEAD -- src include 2>/dev/null || echo '+local changes')"
  printf 'ferry\t%s\n' "$("$ferry" --version 2>/dev/null | head -1)"
  printf 'restic\t%s\n' "$(restic version | head -1 | cut -d' ' -f1-2)"
  printf 'age\t%s\n' "age $(age --version)"
  printf 'zstd\t%s\n' "zstd $(zstd --version | grep -oE 'v[0-9.]+' | head -1)"
  printf 'tar\t%s\n' "$(tar --version | head -1)"
  printf 'par2\t%s\n' "$(par2 --version 2>&1 | head -1 | sed 's/ version//')"
  printf 'squashfuse\t%s\n' "squashfuse $(dpkg-query -W -f '${Version}' squashfuse 2>/dev/null || echo '?'); mksquashfs $(mksquashfs -version 2>/dev/null | head -1 | grep -oE '[0-9][0-9.]+' | head -1)"
} >"$work/meta.tsv"
args=(report "$work" --out "$out" --md "$md")
((update_readme)) && args+=(--readme README.md)
python3 bench/report.py "${args[@]}"
if [ -s "$work/loader.txt" ]; then
  say "Training input (bench/loader.py): samples/s and MB/s, FerryDataLoader against a plain Dataset"
  cat "$work/loader.txt"
fi
