#!/usr/bin/env bash
# Usage: scripts/pg_backup.sh [--env-file FILE] [--] [DIR]
# Writes a verified custom-format dump DIR/qnwis_YYYYmmdd_HHMMSS.dump (UTC) with a sha256sum sidecar, repoints
# DIR/qnwis_latest.dump and keeps the newest QNWIS_BACKUP_KEEP dumps (service spec §10.7). DIR defaults to ./backups.
# Reads DATABASE_URL and QNWIS_BACKUP_KEEP from the environment, or only from FILE with --env-file.
set -Eeuo pipefail
umask 077
export LC_ALL=C

# shellcheck source=lib/common.sh disable=SC1091 # the helper is checked on its own; following it needs -x
source -- "$(dirname -- "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  qnwis_usage '[--env-file FILE] [--] [DIR]'
}

env_file=''
backup_dir=''
while (($# > 0)); do
  case $1 in
    --env-file)
      (($# >= 2)) || usage
      env_file=$2
      shift 2
      ;;
    --env-file=*)
      env_file=${1#--env-file=}
      shift
      ;;
    -h | --help) usage ;;
    --)
      shift
      break
      ;;
    -*)
      qnwis_log "error: unknown option (use -- before a directory starting with -)"
      usage
      ;;
    *) break ;;
  esac
done
(($# <= 1)) || usage
(($# == 0)) || backup_dir=$1
[[ -n $backup_dir ]] || backup_dir=backups

if [[ -n $env_file ]]; then
  qnwis_read_env_file "$env_file" DATABASE_URL QNWIS_BACKUP_KEEP
fi

[[ -n ${DATABASE_URL:-} ]] || qnwis_die_usage 'DATABASE_URL is not set (embedded mode has no Postgres database to back up)'
db_url=$(qnwis_db_url)

keep=${QNWIS_BACKUP_KEEP:-14}
if [[ ! $keep =~ ^[0-9]{1,3}$ ]] || ((10#$keep < 1 || 10#$keep > 365)); then
  qnwis_die_usage 'QNWIS_BACKUP_KEEP must be an integer between 1 and 365'
fi
keep=$((10#$keep))

if [[ ! -d $backup_dir ]]; then
  # umask 077 gives every directory mkdir -p creates mode 0700; chmod states it for the backup directory itself.
  mkdir -p -- "$backup_dir" || qnwis_die 'cannot create the backup directory'
  chmod 0700 -- "$backup_dir"
fi
[[ -d $backup_dir && -w $backup_dir ]] || qnwis_die 'the backup directory is not a writable directory'

# One backup at a time per directory; a second run fails instead of queueing behind the first.
exec {lock_fd}>>"$backup_dir/.qnwis_backup.lock"
flock --exclusive --nonblock "$lock_fd" || qnwis_die 'another backup holds the lock on this directory'

latest="$backup_dir/qnwis_latest.dump"
if [[ -e $latest && ! -L $latest ]]; then
  qnwis_die 'qnwis_latest.dump exists and is not a symlink; move it away first'
fi

name="qnwis_$(date -u +%Y%m%d_%H%M%S).dump"
final="$backup_dir/$name"
if [[ -e $final || -L $final ]]; then
  qnwis_die "$name already exists; refusing to overwrite it"
fi

partial=''
cleanup() {
  if [[ -n $partial ]]; then rm -f -- "$partial"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

partial=$(mktemp -- "$backup_dir/.${name}.partial.XXXXXX")
qnwis_log "dumping $(qnwis_mask_url "$db_url")"
pg_dump --format=custom --file="$partial" --dbname="$db_url" || qnwis_die 'pg_dump failed'
pg_restore --list -- "$partial" >/dev/null || qnwis_die 'the dump does not read back (pg_restore --list failed)'

# A hard link publishes the complete file atomically and fails if the name appeared meanwhile.
ln -- "$partial" "$final" || qnwis_die "cannot publish $name (does it exist already?)"
rm -f -- "$partial"
partial=''

hash=$(sha256sum <"$final")
hash=${hash%% *}
sidecar_tmp=$(mktemp -- "$backup_dir/.${name}.sha256.XXXXXX")
partial=$sidecar_tmp
printf '%s  %s\n' "$hash" "$name" >"$sidecar_tmp"
chmod 0600 -- "$sidecar_tmp"
mv -f -T -- "$sidecar_tmp" "$final.sha256"
partial=''

link_tmp="$backup_dir/.qnwis_latest.dump.$$"
partial=$link_tmp
ln -s -f -T -- "$name" "$link_tmp"
mv -f -T -- "$link_tmp" "$latest"
partial=''

# Retention: only names matching the pattern exactly, sorted by name (= by time); everything else is left alone.
dumps=()
for candidate in "$backup_dir"/qnwis_*.dump; do
  base=${candidate##*/}
  [[ $base =~ ^qnwis_[0-9]{8}_[0-9]{6}\.dump$ ]] || continue
  [[ -f $candidate && ! -L $candidate ]] || continue
  dumps+=("$candidate")
done
deleted=0
excess=$((${#dumps[@]} - keep))
for ((i = 0; i < excess; i++)); do
  old=${dumps[i]}
  # The dump just written is never deleted, even if the clock went backwards.
  [[ $old != "$final" ]] || continue
  rm -f -- "$old" "$old.sha256"
  qnwis_log "retention: deleted ${old##*/}"
  deleted=$((deleted + 1))
done
kept=$((${#dumps[@]} - deleted))

size=$(stat -c %s -- "$final")
printf 'backup: %s\n' "$final"
printf 'size: %s bytes\n' "$size"
printf 'sha256: %s\n' "$hash"
printf 'retention: kept %d, deleted %d (QNWIS_BACKUP_KEEP=%d)\n' "$kept" "$deleted" "$keep"
