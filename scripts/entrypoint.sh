#!/usr/bin/env bash
# Container and systemd entrypoint (service spec §10.7): wait for Postgres when DATABASE_URL is set, apply the
# migrations, ingest the LMIS pack unless QNWIS_INGEST_ON_START=false, then exec the server. Paths resolve from
# this file's location, so it works under /app (Docker) and /opt/qnwis (systemd).
set -Eeuo pipefail

# shellcheck source=lib/common.sh disable=SC1091 # the helper is checked on its own; following it needs -x
source -- "$(dirname -- "${BASH_SOURCE[0]}")/lib/common.sh"

# Lower-case: upper-case names are reserved for the environment catalogue.
readonly max_attempts=30
readonly wait_interval_s=2

app_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
cd -- "$app_root"

ingest_on_start=${QNWIS_INGEST_ON_START:-true}
case ${ingest_on_start,,} in
  true | 1 | yes) ingest_on_start=1 ;;
  false | 0 | no) ingest_on_start=0 ;;
  *) qnwis_die_usage 'QNWIS_INGEST_ON_START must be one of true, false, 1, 0, yes, no' ;;
esac
data_dir=${QNWIS_DATA_DIR:-data/lmis}

if [[ -n ${DATABASE_URL:-} ]]; then
  db_url=$(qnwis_db_url)
  masked=$(qnwis_mask_url "$db_url")
  attempt=1
  while :; do
    qnwis_log "waiting for PostgreSQL at $masked (attempt $attempt/$max_attempts)"
    status=0
    pg_isready -q -d "$db_url" -t 2 || status=$?
    if ((status == 0)); then
      qnwis_log 'PostgreSQL is accepting connections'
      break
    fi
    # Status 3 means the parameters are invalid: retrying cannot help.
    ((status != 3)) || qnwis_die_usage 'pg_isready rejected the connection parameters of DATABASE_URL'
    if ((attempt >= max_attempts)); then
      qnwis_die "PostgreSQL at $masked is not ready after $max_attempts attempts; giving up"
    fi
    attempt=$((attempt + 1))
    sleep "$wait_interval_s"
  done
else
  qnwis_log 'DATABASE_URL is not set: embedded mode, no database to wait for'
fi

qnwis_log 'applying migrations'
node dist/cli/main.js migrate || qnwis_die 'migrate failed'

if ((ingest_on_start == 1)); then
  qnwis_log 'ingesting the LMIS pack'
  node dist/cli/main.js ingest --from "$data_dir" || qnwis_die 'ingest failed'
else
  qnwis_log 'QNWIS_INGEST_ON_START=false: skipping ingest'
fi

qnwis_log 'starting the server'
exec node dist/cli/main.js serve
