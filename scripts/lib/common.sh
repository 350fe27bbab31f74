#!/usr/bin/env bash
# Shared helpers for the QNWIS operations scripts (service spec §10.7). Sourced, never executed.
# Exit codes: 0 success, 1 failure, 2 usage or configuration error.
set -Eeuo pipefail

# Lower-case globals: upper-case QNWIS_ names are reserved for the environment catalogue.
qnwis_exit_failure=1
qnwis_exit_usage=2
# Prefix of every log line: the sourcing script's file name.
qnwis_script_name="$(basename -- "${0:-qnwis}")"

# Every log line goes to stderr so stdout stays free for results.
qnwis_log() {
  printf '%s: %s\n' "$qnwis_script_name" "$*" >&2
}

# Writes a prompt (no newline) to stderr.
qnwis_prompt() {
  printf '%s: %s' "$qnwis_script_name" "$*" >&2
}

# Prints the usage line for the calling script and exits 2.
qnwis_usage() {
  printf 'Usage: %s %s\n' "$qnwis_script_name" "$*" >&2
  exit "$qnwis_exit_usage"
}

# Runtime failure: exit 1.
qnwis_die() {
  qnwis_log "error: $*"
  exit "$qnwis_exit_failure"
}

# Usage or configuration error: exit 2.
qnwis_die_usage() {
  qnwis_log "error: $*"
  exit "$qnwis_exit_usage"
}

# An unexpected command failure names the line, never the command text (it could hold a URL).
qnwis_on_err() {
  local status=$1 line=$2
  qnwis_log "error: command failed with status $status at line $line"
}
trap 'qnwis_on_err "$?" "$LINENO"' ERR

# Prints URL with its password replaced by ***, both in the userinfo and in a password= query parameter.
qnwis_mask_url() {
  local url=$1 scheme rest userinfo hostpart user
  if [[ $url == *://* ]]; then
    scheme=${url%%://*}
    rest=${url#*://}
    if [[ $rest == *@* ]]; then
      # The last @ ends the userinfo; splitting there can only hide more, never less.
      userinfo=${rest%@*}
      hostpart=${rest##*@}
      if [[ $userinfo == *:* ]]; then
        user=${userinfo%%:*}
        rest="$user:***@$hostpart"
      fi
    fi
    url="$scheme://$rest"
  fi
  local masked='' part
  if [[ $url == *\?* ]]; then
    local query=${url#*\?}
    masked=${url%%\?*}'?'
    local -a params
    IFS='&' read -r -a params <<<"$query"
    local first=1
    for part in "${params[@]}"; do
      [[ $first -eq 1 ]] || masked+='&'
      first=0
      if [[ ${part%%=*} == password ]]; then
        masked+='password=***'
      else
        masked+=$part
      fi
    done
    url=$masked
  fi
  printf '%s\n' "$url"
}

# Prints DATABASE_URL in a form libpq accepts: the +psycopg, +psycopg2 and +asyncpg driver suffixes are removed,
# query parameters (sslmode, ...) are kept. Exits 2 when the URL is empty or not a Postgres URL.
qnwis_db_url() {
  local url=${DATABASE_URL:-}
  [[ -n $url ]] || qnwis_die_usage 'DATABASE_URL is not set'
  case $url in
    postgresql+psycopg://* | postgresql+psycopg2://* | postgresql+asyncpg://*)
      url="postgresql://${url#*://}"
      ;;
    postgres://* | postgresql://*) ;;
    *)
      qnwis_die_usage 'DATABASE_URL must start with postgres://, postgresql:// or postgresql+psycopg|psycopg2|asyncpg://'
      ;;
  esac
  printf '%s\n' "$url"
}

# Prints the database name a URL names, percent-decoded: the dbname query parameter, else the path; prints an
# empty line when the URL names none (libpq would then fall back to environment defaults).
qnwis_db_name() {
  local url=$1 rest query='' name='' part
  rest=${url#*://}
  if [[ $rest == *\?* ]]; then
    query=${rest#*\?}
    rest=${rest%%\?*}
  fi
  if [[ -n $query ]]; then
    local -a params
    IFS='&' read -r -a params <<<"$query"
    for part in "${params[@]}"; do
      [[ ${part%%=*} != dbname ]] || name=${part#*=}
    done
  fi
  rest=${rest##*@}
  if [[ -z $name && $rest == */* ]]; then
    name=${rest#*/}
    name=${name%%/*}
  fi
  # Percent-decoding: %XX becomes \xXX for printf %b; a literal backslash is doubled first.
  name=${name//\\/\\\\}
  printf '%b\n' "${name//%/\\x}"
}

# Scans one line of a quoted env-file value. Sets qnwis_scan_value (the text up to the closing quote, escapes
# applied) and qnwis_scan_end (index of the closing quote, -1 when the line ends first).
qnwis_scan_quoted() {
  local text=$1 quote=$2 i=0 c next len=${#1}
  qnwis_scan_value=''
  qnwis_scan_end=-1
  while ((i < len)); do
    c=${text:i:1}
    if [[ $c == "\\" ]] && ((i + 1 < len)); then
      next=${text:i+1:1}
      if [[ $quote == "'" ]]; then
        if [[ $next == "'" ]]; then
          qnwis_scan_value+="'"
          ((i += 2))
        else
          qnwis_scan_value+=$c
          ((i += 1))
        fi
        continue
      fi
      case $next in
        n) qnwis_scan_value+=$'\n' ;;
        r) qnwis_scan_value+=$'\r' ;;
        t) qnwis_scan_value+=$'\t' ;;
        "\\" | '"') qnwis_scan_value+=$next ;;
        *) qnwis_scan_value+="$c$next" ;;
      esac
      ((i += 2))
      continue
    fi
    if [[ $c == "$quote" ]]; then
      qnwis_scan_end=$i
      return 0
    fi
    qnwis_scan_value+=$c
    ((i += 1))
  done
}

# qnwis_read_env_file FILE NAME... : sets each NAME from FILE (Docker Compose env-file syntax, the same rules as
# src/config/env-file.ts) and unsets each NAME the file does not define, so the file is the only source. Nothing
# in the file is executed or interpolated; other variables in it are parsed and ignored. Exits 2 on an unreadable
# or malformed file (line numbers only: a line may hold a secret).
qnwis_read_env_file() {
  local qef_file=$1
  shift
  [[ -f $qef_file && -r $qef_file ]] || qnwis_die_usage "cannot read env file: $qef_file"
  local -a qef_lines
  mapfile -t qef_lines <"$qef_file"
  local -A qef_values=()
  local qef_i=0 qef_count=${#qef_lines[@]} qef_line qef_body qef_key qef_raw qef_quote qef_value qef_start
  local qef_comment_re='[[:space:]]#'
  while ((qef_i < qef_count)); do
    qef_line=${qef_lines[qef_i]%$'\r'}
    ((qef_i == 0)) && qef_line=${qef_line#$'\xef\xbb\xbf'}
    qef_start=$((qef_i + 1))
    ((qef_i += 1))
    qef_body=${qef_line#"${qef_line%%[![:space:]]*}"}
    [[ -z $qef_body || $qef_body == '#'* ]] && continue
    if [[ $qef_body =~ ^export[[:space:]]+(.*)$ ]]; then
      qef_body=${BASH_REMATCH[1]}
    fi
    [[ $qef_body == *=* ]] || qnwis_die_usage "$qef_file:$qef_start: expected KEY=VALUE"
    qef_key=${qef_body%%=*}
    qef_key=${qef_key%"${qef_key##*[![:space:]]}"}
    [[ $qef_key =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || qnwis_die_usage "$qef_file:$qef_start: invalid variable name"
    qef_raw=${qef_body#*=}
    qef_raw=${qef_raw#"${qef_raw%%[![:blank:]]*}"}
    qef_quote=${qef_raw:0:1}
    if [[ $qef_quote == '"' || $qef_quote == "'" ]]; then
      # Quoted values may continue on the following lines until the closing quote.
      local qef_buffer=${qef_raw:1}
      qef_value=''
      while :; do
        qnwis_scan_quoted "$qef_buffer" "$qef_quote"
        if ((qnwis_scan_end >= 0)); then
          qef_value+=$qnwis_scan_value
          break
        fi
        ((qef_i < qef_count)) || qnwis_die_usage "$qef_file:$qef_start: unterminated quoted value"
        qef_value+=$qnwis_scan_value$'\n'
        qef_buffer=${qef_lines[qef_i]%$'\r'}
        ((qef_i += 1))
      done
      [[ ${qef_buffer:qnwis_scan_end+1} =~ ^[[:space:]]*(#.*)?$ ]] ||
        qnwis_die_usage "$qef_file:$qef_i: unexpected text after the closing quote"
    else
      # Unquoted: an inline comment starts at a # preceded by whitespace.
      qef_value=${qef_body#*=}
      if [[ $qef_value =~ $qef_comment_re ]]; then
        qef_value=${qef_value%%"${BASH_REMATCH[0]}"*}
      fi
      qef_value=${qef_value#"${qef_value%%[![:space:]]*}"}
      qef_value=${qef_value%"${qef_value##*[![:space:]]}"}
    fi
    qef_values[$qef_key]=$qef_value
  done
  local qef_name
  for qef_name in "$@"; do
    unset -v "$qef_name"
    if [[ -v qef_values[$qef_name] ]]; then
      printf -v "$qef_name" '%s' "${qef_values[$qef_name]}"
    fi
  done
}
