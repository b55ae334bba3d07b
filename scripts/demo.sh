#!/usr/bin/env bash
# The demo: pack a sample data set onto four folder-drives with parity 1, lose one
# drive, restore from the other three, and show the result is identical to the source.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
ferry=$PWD/build/ferry

base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
work=$(mktemp -d "$base/ferry-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "A sample data set: CSV sheets, images and video-sized clips"
build/bench/ferry-make-dataset --profile mixed --size "${FERRY_DEMO_SIZE:-300MB}" "$work/source"
du -sh "$work/source"; find "$work/source" -type f | wc -l | sed 's/$/ files/'

step "A key, and four drives (folders here; mount points in real life)"
"$ferry" keygen -o "$work/demo.key"
mkdir "$work"/drive-{a,b,c,d}

step "ferry pack: 3 data + 1 parity drive"
"$ferry" pack "$work/source" --to "$work"/drive-{a,b,c,d} --parity 1 --key-file "$work/demo.key"

step "ferry info: what the drives hold, without the key"
"$ferry" info "$work"/drive-{a,b,c,d}

step "The bag with drive c is lost on the way"
rm -rf "$work/drive-c"
"$ferry" info "$work"/drive-{d,a,b} || true

step "ferry restore from the three drives left"
"$ferry" restore "$work"/drive-{d,b,a} --to "$work/restored" --key-file "$work/demo.key"

step "Is the result identical to the source?"
listing() { (cd "$1" && find . -mindepth 1 -printf '%y %m %T@ %s %p\n' | sort && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
if diff <(listing "$work/source") <(listing "$work/restored") >/dev/null; then
  echo "identical: every file's bytes, mode and mtime match the source"
else
  echo "DIFFERENT: the restored tree does not match the source" >&2
  diff <(listing "$work/source") <(listing "$work/restored") | head -20 >&2
  exit 1
fi
