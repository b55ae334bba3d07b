#!/usr/bin/env bash
# Writes docs/ferry.1 from the built binary's own command definitions
# (`ferry help --man`). Run it after changing any help text, description, option or
# example in src/cli/; the end-to-end tests fail while docs/ferry.1 is out of step.
#   bash scripts/gen-man.sh [path/to/ferry]    (default: build/ferry)
set -euo pipefail
cd "$(dirname "$0")/.."
ferry="${1:-build/ferry}"
if [[ ! -x "$ferry" ]]; then
  echo "gen-man.sh: no ferry binary at $ferry; build first (cmake --build build)" >&2
  exit 1
fi
tmp="$(mktemp docs/.ferry.1.XXXXXX)"
trap 'rm -f "$tmp"' EXIT
"$ferry" help --man >"$tmp"
chmod 0644 "$tmp"
mv "$tmp" docs/ferry.1
trap - EXIT
echo "wrote docs/ferry.1"
