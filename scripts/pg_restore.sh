#!/usr/bin/env bash
# Usage: scripts/pg_restore.sh [--yes] [--env-file FILE] [--] DUMP
# Verifies DUMP against its sha256 sidecar, then restores it into DATABASE_URL in a single transaction
# (service spec §10.7). Without --yes the database name must be typed back on an interactive terminal.
# Reads DATABASE_URL from the environment, or only from FILE with --env-file.
set -Eeuo pipefail
umask 077
export LC_ALL=C

# shellcheck source=lib/common.sh disable=SC1091 # the helper is checked on its own; following it needs -x
source -- "$(dirname -- "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  qnwis_usage '[--yes] [--env-file FILE] [--] DUMP'
}

assume_yes=0
env_file=''
while (($# > 0)); do
  case $1 in
    --yes | -y)
      assume_yes=1
      shift
      ;;
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
      qnwis_log "error: unknown option (use -- before a file name starting with -)"
      usage
      ;;
    *) break ;;
  esac
done
(($# == 1)) || usage
dump_arg=$1

if ((assume_yes == 0)) && [[ ! -t 0 ]]; then
  qnwis_die_usage 'stdin is not a terminal: pass --yes to restore without the typed confirmation'
fi

if [[ -n $env_file ]]; then
  qnwis_read_env_file "$env_file" DATABASE_URL
fi
[[ -n ${DATABASE_URL:-} ]] || qnwis_die_usage 'DATABASE_URL is not set (embedded mode has no Postgres database to restore into)'
db_url=$(qnwis_db_url)

[[ -e $dump_arg ]] || qnwis_die 'dump not found'
# Symlinks such as qnwis_latest.dump are resolved so the sidecar of the real file is the one checked.
dump=$(realpath -e -- "$dump_arg") || qnwis_die 'cannot resolve the dump path'
[[ -f $dump ]] || qnwis_die 'the dump is not a regular file'
sidecar="$dump.sha256"
[[ -f $sidecar ]] || qnwis_die "checksum file ${sidecar##*/} is missing; refusing to restore an unverified dump"

expected=''
read -r expected _ <"$sidecar" || true
expected=${expected#\\}
[[ $expected =~ ^[0-9a-f]{64}$ ]] || qnwis_die "checksum file ${sidecar##*/} is not in sha256sum format"
actual=$(sha256sum <"$dump")
actual=${actual%% *}
[[ $actual == "$expected" ]] || qnwis_die "checksum mismatch for ${dump##*/}; the dump is damaged or altered, nothing restored"
qnwis_log "checksum verified: ${dump##*/} sha256 $actual"

db_name=$(qnwis_db_name "$db_url")
[[ -n $db_name ]] || qnwis_die_usage 'DATABASE_URL must name the database to restore into'
qnwis_log "target: $(qnwis_mask_url "$db_url")"
qnwis_log "dump: ${dump##*/}"

if ((assume_yes == 0)); then
  qnwis_prompt "this replaces the objects in the dump inside database \"$db_name\". Type the database name to continue: "
  answer=''
  read -r answer || true
  [[ $answer == "$db_name" ]] || qnwis_die 'confirmation did not match the database name; nothing restored'
fi

# One transaction: any error rolls everything back and the database keeps its previous state.
pg_restore --clean --if-exists --single-transaction --exit-on-error --no-owner --dbname="$db_url" -- "$dump" ||
  qnwis_die 'pg_restore failed; the transaction was rolled back and the database is unchanged'
printf 'restored: %s\n' "$dump"
printf 'database: %s\n' "$db_name"
