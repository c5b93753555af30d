#!/usr/bin/env bash
# Runs the whole suite on SQLite, then on PostgreSQL (DATABASE_URL, or a throw-away local cluster).
# Both passes always run; the exit code is non-zero when either failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
py=.venv/bin/python
marker="${GUANXI_TEST_MARKER:-not slow}"
# Two workers by default (CI has 2 cores): the suite is xdist-safe (one SQLite file / PG database per worker).
workers="${GUANXI_TEST_WORKERS:-2}"
args=(-m "$marker" -p no:randomly -n "$workers" "$@")

run() {  # name, then env assignments for the pass
  local name=$1; shift
  echo "=== pytest on $name ==="
  env "$@" "$py" -m pytest -q "${args[@]}"
  local rc=$?
  [ $rc -eq 5 ] && rc=0  # "no tests collected" is not a failure of the suite
  return $rc
}

scripts/ensure-chromium.sh || echo "chromium could not be installed; browser tests will fail" >&2

run SQLite "DATABASE_URL=sqlite:///$root/var/guanxi-test-main.sqlite3"
sqlite_rc=$?

started=""
if [ -n "${GUANXI_TEST_PG_URL:-}" ]; then
  pg_url=$GUANXI_TEST_PG_URL
else
  pg_url=$(scripts/pg-test.sh start) || { echo "PostgreSQL could not be started" >&2; pg_url=""; }
  started=1
fi
trap '[ -n "$started" ] && scripts/pg-test.sh stop' EXIT
if [ -n "$pg_url" ]; then
  run PostgreSQL "DATABASE_URL=$pg_url"
  pg_rc=$?
else
  pg_rc=1
fi

echo
echo "SQLite:     $([ $sqlite_rc -eq 0 ] && echo passed || echo "FAILED (exit $sqlite_rc)")"
echo "PostgreSQL: $([ $pg_rc -eq 0 ] && echo passed || echo "FAILED (exit $pg_rc)")"
[ $sqlite_rc -eq 0 ] && [ $pg_rc -eq 0 ]
