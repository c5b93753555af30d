"""Crash safety of the import (research T5): `kill -9` in the middle of the write, then resume.

A real `guanxi import customers FILE` process imports N generated rows into a real database (a
SQLite file, or a database on the PostgreSQL of DATABASE_URL). The test waits until the process is
inside its write transaction — on SQLite the write lock has been held for a while (probed with
`BEGIN IMMEDIATE` from another connection, which the short progress updates never hold for long);
on PostgreSQL its backend is running COPY into the customer tables — and kills it with SIGKILL.

Then: no customer, search key, tag link or timeline row of the batch exists (0 partial rows), the
job still says "running", and SQLite's integrity check passes. The job is resumed the way the
engine resumes a stale job (`engine.run_job(job, resume=True)` once its heartbeat is older than
STALE_AFTER; the test ages the heartbeat instead of waiting ten minutes) — and killed again the
same way in the next rounds. The last resume runs to the end: exactly N customers, no phone twice.
Finally the same file is imported again as a new job: every row is an update, still N customers.
"""

from __future__ import annotations

import random
import time

import pytest

from bench import data
from tests.live import PY, LiveDB, figure

TABLES = ["customers_customer", "customers_searchkey", "customers_customertag", "customers_timelineevent"]


def _in_write(db: LiveDB, probe, held_since: list) -> bool:
    """True once the importer is inside its write transaction."""
    if db.engine == "pg":
        rows = probe.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
                             "AND query ILIKE 'COPY %%customers_%%' AND state <> 'idle'", [db.name]).fetchone()
        return rows[0] > 0
    import sqlite3

    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        held_since.clear()
        return False
    except sqlite3.OperationalError:  # locked: a writer holds the lock
        if not held_since:
            held_since.append(time.monotonic())
        # a progress update holds it for milliseconds; the batch write for much longer
        return time.monotonic() - held_since[0] > 0.15


def _kill_mid_write(db: LiveDB, argv: list[str], log, rng: random.Random, rows: int) -> dict:
    """Start argv, kill -9 it inside the write; how long it had been writing, and what it left."""
    probe = db.connect()
    if db.engine == "sqlite":
        probe.execute("PRAGMA busy_timeout = 0")
    held: list = []
    proc = db.popen(argv, log)
    start = time.monotonic()
    try:
        while not _in_write(db, probe, held):
            if proc.poll() is not None:
                raise AssertionError(f"the import ended (exit {proc.returncode}) before it could be killed "
                                     f"mid-write:\n{log.read_text(errors='replace')[-2000:]}")
            if time.monotonic() - start > 900:
                raise AssertionError("the import never reached its write")
            time.sleep(0.01)
        seen = time.monotonic()
        time.sleep(rng.uniform(0, max(0.05, rows / 25_000)))  # somewhere in the write, not only its start
        db.kill(proc)  # SIGKILL
        writing = time.monotonic() - seen
    finally:
        probe.close()
    if db.engine == "pg":  # the server ends the dead client's backend and rolls its transaction back
        for _ in range(100):
            if not db.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                             [db.name]):
                break
            time.sleep(0.1)
    return {"killed_after_s": time.monotonic() - start, "writing_s": writing}


def _counts(db: LiveDB) -> dict[str, int]:
    return {t: db.scalar(f"SELECT count(*) FROM {t}") for t in TABLES}


def _job(db: LiveDB) -> tuple[int, str]:
    return db.sql("SELECT id, status FROM imports_importjob ORDER BY id DESC LIMIT 1")[0]


def _resume_argv(job_id: int) -> list[str]:
    code = ("from guanxi.cli import _django\n_django()\n"
            "from guanxi.core.tenancy import tenant_scope, unscoped\n"
            "from guanxi.imports import engine\nfrom guanxi.imports.models import ImportJob\n"
            f"with unscoped():\n    org = ImportJob.objects.get(pk={job_id}).organization_id\n"
            f"with tenant_scope(org):\n    job = engine.run_job({job_id}, resume=True)\n"
            "print('resumed', job.status, job.created_count, flush=True)\n")
    return [PY, "-c", code]


def _age_heartbeat(db: LiveDB, job_id: int) -> None:
    """As if STALE_AFTER (10 minutes) had passed since the dead runner's last heartbeat."""
    db.sql("UPDATE imports_importjob SET heartbeat_at = %s WHERE id = %s",
           ["2000-01-01 00:00:00" if db.engine == "sqlite" else "2000-01-01T00:00:00Z", job_id])


def crash_rounds(tmp_path, rows: int, rounds: int) -> None:
    db = LiveDB(tmp_path, "crash")
    rng = random.Random(rows * 31 + rounds)
    try:
        csv = tmp_path / f"customers-{rows}.csv"
        data.write_csv(str(csv), rows)
        log = tmp_path / "import.log"
        first = [PY, "-m", "guanxi.cli", "import", "customers", str(csv)]
        partial = []
        for round_no in range(1, rounds + 1):
            if round_no == 1:
                info = _kill_mid_write(db, first, log, rng, rows)
            else:
                _age_heartbeat(db, job_id)
                info = _kill_mid_write(db, _resume_argv(job_id), log, rng, rows)
            job_id, status = _job(db)
            counts = _counts(db)
            partial.append(sum(counts.values()))
            figure(f"T5 import crash [{db.engine}] round {round_no}/{rounds}: {rows:,} rows, kill -9 after "
                   f"{info['killed_after_s']:.1f} s ({info['writing_s']:.2f} s into the write) → job {status!r}, "
                   f"rows left: {counts}")
            assert status == "running", f"the kill came after the commit (job {status}); nothing was tested"
            assert sum(counts.values()) == 0, f"partial rows after kill -9: {counts}"
            if db.engine == "sqlite":
                assert db.scalar("PRAGMA integrity_check") == "ok"

        _age_heartbeat(db, job_id)
        done = db.popen(_resume_argv(job_id), log)
        assert done.wait(timeout=1800) == 0, log.read_text(errors="replace")[-3000:]
        after = db.scalar("SELECT count(*) FROM customers_customer")
        distinct = db.scalar("SELECT count(DISTINCT phone) FROM customers_customer")
        status = db.scalar("SELECT status FROM imports_importjob WHERE id = %s", [job_id])
        attempts = db.scalar("SELECT attempts FROM imports_importjob WHERE id = %s", [job_id])

        again = db.cli("import", "customers", str(csv), timeout=1800)  # a new job over the same file
        total = db.scalar("SELECT count(*) FROM customers_customer")
        figure(f"T5 import crash [{db.engine}]: {rounds} × kill -9 mid-write, partial rows {partial}, rows lost 0; "
               f"resumed job ({attempts} attempts) → {status}, {after:,} rows ({after - distinct} duplicate phones); "
               f"same file again → {again.stdout.strip()!r}, {total:,} rows")
        assert status == "done"
        assert after == rows and distinct == rows
        assert total == rows
        assert "0 created" in again.stdout and f"{rows} updated" in again.stdout
    finally:
        db.close()


def test_kill_9_during_import_leaves_nothing_and_resume_imports_exactly_once(tmp_path):
    crash_rounds(tmp_path, rows=5_000, rounds=1)


@pytest.mark.slow
def test_kill_9_during_a_100k_import_three_rounds(tmp_path):
    crash_rounds(tmp_path, rows=100_000, rounds=3)
