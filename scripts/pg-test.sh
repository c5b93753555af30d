#!/usr/bin/env bash
# A throw-away PostgreSQL for the test suite, on 127.0.0.1 only.
#   pg-test.sh start   prints the DATABASE_URL to use (an existing server on :5432 if we can log in
#                      as postgres without a password, otherwise a fresh cluster under var/pgtest)
#   pg-test.sh stop    stops the cluster this script started (by its pid file), if any
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir="${GUANXI_PGTEST_DIR:-$root/var/pgtest}"  # the benchmarks keep theirs apart (var/bench/pg)
port="${GUANXI_PGTEST_PORT:-54329}"

pgbin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return 0; }; done
  return 1
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  if command -v psql >/dev/null && psql "postgresql://postgres@127.0.0.1:5432/postgres" -Atc 'select 1' >/dev/null 2>&1 </dev/null; then
    echo "postgres://postgres@127.0.0.1:5432/guanxi"; return 0
  fi
  if ! bin=$(pgbin); then
    echo "installing Debian's postgresql…" >&2
    [ "$(id -u)" = 0 ] || { echo "PostgreSQL is missing and this is not root: install postgresql or set DATABASE_URL" >&2; exit 1; }
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    bin=$(pgbin)
  fi
  stop >/dev/null 2>&1 || true
  while (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done  # another run holds it
  rm -rf "$dir"; mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_postgres "$bin/initdb" -D "$dir/data" -E UTF8 --locale=C.UTF-8 -A trust -U postgres >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off -c synchronous_commit=off" start >&2 \
    || { cat "$dir/server.log" >&2; exit 1; }
  echo "postgres://postgres@127.0.0.1:$port/guanxi"
}

stop() {
  local bin
  [ -f "$dir/data/postmaster.pid" ] || return 0
  bin=$(pgbin) || return 0
  as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || kill "$(head -1 "$dir/data/postmaster.pid")" 2>/dev/null || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
