#!/usr/bin/env bash
# Mounts a read-only file system, reads every file under it, unmounts: one timed step of
# bench/run.sh, the same for `ferry mount` and its peer squashfuse.
#
#   bash bench/mount_read.sh MOUNTPOINT -- MOUNT-COMMAND...
#
# MOUNT-COMMAND must stay in the foreground while mounted (`ferry mount ... --foreground`,
# `squashfuse -f ...`); it runs in the background here, so the step's peak RSS
# (/usr/bin/time -v over this script) is the mount process's, the largest of the tree.
# Every file is read by `cat` into /dev/null, $READERS (default 4) at a time, groups of 32
# files to a cat. Then `fusermount3 -u`, and the mount process must end with status 0.
set -euo pipefail
mnt=$1
[ "${2:-}" = -- ] || { echo "usage: mount_read.sh MOUNTPOINT -- MOUNT-COMMAND..." >&2; exit 2; }
shift 2
readers=${READERS:-4}
mkdir -p "$mnt"
"$@" &
pid=$!
unmount() { fusermount3 -u "$mnt" 2>/dev/null || true; }
trap 'unmount; wait "$pid" 2>/dev/null || true' EXIT
# Mounted when the mount point's device differs from its parent's.
for ((i = 0; i < 600; i++)); do
  if [ "$(stat -c %d "$mnt")" != "$(stat -c %d "$mnt/..")" ]; then break; fi
  kill -0 "$pid" 2>/dev/null || { echo "mount_read.sh: the mount command ended before mounting" >&2; exit 1; }
  sleep 0.05
done
[ "$(stat -c %d "$mnt")" != "$(stat -c %d "$mnt/..")" ] || { echo "mount_read.sh: $mnt not mounted after 30 s" >&2; exit 1; }
files=$(cd "$mnt" && find . -type f -print0 | xargs -0 -r -n 32 -P "$readers" cat -- | wc -c)  # wc only counts: the pipe costs both sides alike
echo "read $files bytes through $mnt"
trap - EXIT
fusermount3 -u "$mnt"
wait "$pid"
