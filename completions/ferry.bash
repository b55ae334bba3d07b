# bash completion for ferry                                  -*- shell-script -*-
# Installed as share/bash-completion/completions/ferry; or: source completions/ferry.bash
# Kept in step with the binary by tests/e2e/completion_test.cpp: every command and every
# long option that `ferry help COMMAND` shows must appear on its command's opts= line.

_ferry_dirs() {
  local IFS=$'\n'
  compopt -o filenames 2>/dev/null
  COMPREPLY=($(compgen -d -- "$1"))
}

_ferry_files() {
  local IFS=$'\n'
  compopt -o filenames 2>/dev/null
  COMPREPLY=($(compgen -f -- "$1"))
}

_ferry() {
  local cur="${COMP_WORDS[COMP_CWORD]}" prev="" cmd="" i
  ((COMP_CWORD > 0)) && prev="${COMP_WORDS[COMP_CWORD - 1]}"
  local commands="keygen pack info ls restore plan verify repair mount export help"

  # The command is the first word after `ferry` that is not an option.
  for ((i = 1; i < COMP_CWORD; i++)); do
    if [[ "${COMP_WORDS[i]}" != -* ]]; then
      cmd="${COMP_WORDS[i]}"
      break
    fi
  done

  if [[ -z "$cmd" ]]; then
    if [[ "$cur" == -* ]]; then
      COMPREPLY=($(compgen -W "--help --version" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "$commands" -- "$cur"))
    fi
    return 0
  fi

  local opts=""
  case "$cmd" in
    keygen) opts="--help -o --output" ;;
    pack) opts="--help --to --parity --key-file --passphrase-file --block-size --threads --force --no-compress --no-xattrs --no-space-check --json -q --quiet" ;;
    info) opts="--help --shipment --json" ;;
    ls) opts="--help --key-file --passphrase-file --shipment -l --long --json" ;;
    restore) opts="--help --to --key-file --passphrase-file --shipment --only --overwrite --rename-collisions --no-space-check --numeric-owner --no-xattrs --threads --json -q --quiet" ;;
    plan) opts="--help --size --files --drives --drive-size --parity --drive-speed --transit --link --link-efficiency --bags --ferry-rate --json" ;;
    verify) opts="--help --key-file --passphrase-file --shipment --threads --json -q --quiet" ;;
    repair) opts="--help --rebuild --key-file --passphrase-file --shipment --threads --json -q --quiet" ;;
    mount) opts="--help --key-file --passphrase-file --shipment --only --cache -f --foreground --allow-other --debug" ;;
    export) opts="--help --to --format --key-file --passphrase-file --shipment --only --group --shard-size --shuffle --seed --compression --hash --overwrite --json -q --quiet" ;;
    help) opts="--help" ;;
    *) return 0 ;;
  esac

  # The value of the option just typed.
  case "$prev" in
    --key-file | --passphrase-file | -o | --output)
      _ferry_files "$cur"
      return 0
      ;;
    --to | --rebuild)
      _ferry_dirs "$cur"
      return 0
      ;;
    --format)
      COMPREPLY=($(compgen -W "webdataset mds" -- "$cur"))
      return 0
      ;;
    --group)
      COMPREPLY=($(compgen -W "basename file" -- "$cur"))
      return 0
      ;;
    --compression)
      COMPREPLY=($(compgen -W "zstd" -- "$cur"))
      return 0
      ;;
    --hash)
      COMPREPLY=($(compgen -W "md5 sha1 sha224 sha256 sha384 sha512 sha3_224 sha3_256 sha3_384 sha3_512 blake2b blake2s" -- "$cur"))
      return 0
      ;;
    --shard-size | --seed)
      return 0
      ;;
    --parity | --block-size | --threads | --only | --cache | --size | --files | --drives | --drive-size | \
      --shipment | --drive-speed | --transit | --link | --link-efficiency | --bags)
      return 0 # a number, size, rate or shipment path: nothing to offer
      ;;
  esac

  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return 0
  fi

  case "$cmd" in
    help) COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
    keygen) ;;
    *)
      # Drives, sources and the further drives of --to / --rebuild are all folders.
      _ferry_dirs "$cur"
      ;;
  esac
  return 0
}

complete -F _ferry ferry
