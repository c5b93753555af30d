"""Backup and restore (research T6): `guanxi backup` while another process keeps writing customers,
`guanxi restore` into a fresh database, and logical dumps compared.

Logical dump: every table's rows, sorted, hashed per table (SQLite: the rows as Python reads them;
PostgreSQL: the rows in COPY text format, which is what pg_dump stores). Three comparisons:

1. The backup moment: the backup taken during the writes against the database restored from it
   (SQLite: the backup file is itself a database; PostgreSQL: the COPY data and sequence values
   inside the pg_dump archive, read back with `pg_restore -f -`).
2. That moment is one consistent point in time: the single writer commits 写入者000001, 000002, …
   in order, so the restored database holds exactly 1…k for one k, with k between the writer's
   count just before and just after the backup ran, and no customer without its search keys.
3. After the writer stopped: a second backup restored into a third database has the same dump
   as the live one.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from bench import data
from tests.live import PY, ROOT, LiveDB, figure

WRITER = """
import time
from pathlib import Path
from guanxi.core.models import User
from guanxi.customers.services import customer_create
stop = Path({stop!r})
with unscoped():
    admin = User.objects.select_related("organization", "store").get(username="admin")
n = 0
with tenant_scope(admin.organization_id):
    while not stop.exists():
        n += 1
        customer_create(actor=admin, data={{"name": f"写入者{{n:06d}}", "kind": "person", "phone": f"139{{n:08d}}"}},
                        allow_duplicate=True)
"""


# --- logical dumps ----------------------------------------------------------------------------------

def _digest(lines) -> str:
    h = hashlib.sha256()
    for line in lines:
        h.update(line if isinstance(line, bytes) else repr(line).encode())
        h.update(b"\n")
    return h.hexdigest()


def sqlite_dump(path: Path) -> dict[str, tuple[int, str]]:
    conn = sqlite3.connect(str(path))
    try:
        out = {}
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall():
            width = len(conn.execute(f'SELECT * FROM "{table}" LIMIT 0').description)
            rows = conn.execute(f'SELECT * FROM "{table}" ORDER BY {", ".join(map(str, range(1, width + 1)))}').fetchall()
            out[table] = (len(rows), _digest(rows))
        return out
    finally:
        conn.close()


def pg_dump_live(url: str) -> dict[str, tuple[int, str]]:
    import psycopg

    out = {}
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        for table in sorted(tables):
            buf = bytearray()
            with conn.cursor().copy(f'COPY public."{table}" TO STDOUT') as copy:
                for chunk in copy:
                    buf += chunk
            lines = sorted(bytes(buf).splitlines())
            out[table] = (len(lines), _digest(lines))
        seqs = conn.execute("SELECT schemaname, sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
        for _schema, name, last in seqs.fetchall():
            out[f"sequence {name}"] = (1, _digest([str(last or 1).encode()]))
    return out


COPY_RE = re.compile(rb'^COPY public\.("?)([a-z0-9_]+)\1 \(.*\) FROM stdin;$')
SETVAL_RE = re.compile(rb"^SELECT pg_catalog\.setval\('public\.\"?([a-z0-9_]+)\"?', (\d+), (true|false)\);$")


def pg_dump_archive(path: Path) -> dict[str, tuple[int, str]]:
    """The data inside a pg_dump -Fc archive, in the same shape as pg_dump_live."""
    script = subprocess.run(["pg_restore", "--data-only", "-f", "-", str(path)], capture_output=True, check=True).stdout
    out, table, lines = {}, None, []
    for line in script.splitlines():
        if table is not None:
            if line == rb"\.":
                out[table] = (len(lines), _digest(sorted(lines)))
                table, lines = None, []
            else:
                lines.append(line)
            continue
        if m := COPY_RE.match(line):
            table = m.group(2).decode()
        elif m := SETVAL_RE.match(line):
            out[f"sequence {m.group(1).decode()}"] = (1, _digest([m.group(2)]))
    return out


def dump_of(db: LiveDB, url: str) -> dict:
    return sqlite_dump(Path(url.removeprefix("sqlite:///"))) if db.engine == "sqlite" else pg_dump_live(url)


def _differences(a: dict, b: dict) -> list[str]:
    return [f"{t}: {a.get(t, ('absent',))[0]} vs {b.get(t, ('absent',))[0]} rows" for t in sorted(set(a) | set(b))
            if a.get(t) != b.get(t)]


# --- the test ---------------------------------------------------------------------------------------

def _writer_count(db: LiveDB, url: str | None = None) -> int:
    return db.scalar("SELECT count(*) FROM customers_customer WHERE name LIKE %s", ["写入者%"], url)


def backup_during_writes(tmp_path: Path, seed_rows: int) -> None:
    db = LiveDB(tmp_path, "backup")
    other_dbs = []
    try:
        csv = tmp_path / "seed.csv"
        data.write_csv(str(csv), seed_rows)
        db.cli("import", "customers", str(csv), timeout=1800)

        stop = tmp_path / "stop-writer"
        writer = db.popen([PY, "-c", "from guanxi.cli import _django\n_django()\n"
                           "from guanxi.core.tenancy import unscoped, tenant_scope\n" + WRITER.format(stop=str(stop))],
                          tmp_path / "writer.log")
        deadline = time.monotonic() + 120
        while _writer_count(db) < 20:
            assert writer.poll() is None, (tmp_path / "writer.log").read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the writer made no progress"
            time.sleep(0.1)

        archive = tmp_path / ("during.sqlite3" if db.engine == "sqlite" else "during.dump")
        before = _writer_count(db)
        t0 = time.perf_counter()
        out = db.cli("backup", str(archive))
        backup_s = time.perf_counter() - t0
        after = _writer_count(db)
        time.sleep(0.5)  # the writer keeps going after the backup, too
        stop.touch()
        assert writer.wait(timeout=60) == 0, (tmp_path / "writer.log").read_text(errors="replace")[-3000:]
        assert "written to" in out.stdout, out.stdout

        # 1. the backup moment, restored into a database that does not exist yet
        restored = (f"sqlite:///{tmp_path / 'restored.sqlite3'}" if db.engine == "sqlite"
                    else db.url_for(db.name + "_r1"))
        other_dbs.append(restored)
        t0 = time.perf_counter()
        db.cli("restore", str(archive), url=restored)
        restore_s = time.perf_counter() - t0
        moment = sqlite_dump(archive) if db.engine == "sqlite" else pg_dump_archive(archive)
        got = dump_of(db, restored)
        assert moment and not _differences(moment, got), _differences(moment, got)
        check = subprocess.run([PY, str(ROOT / "manage.py"), "migrate", "--check"], cwd=ROOT, env=db.env(restored),
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr

        # 2. one consistent point in time
        names = [r[0] for r in db.sql("SELECT name FROM customers_customer WHERE name LIKE %s", ["写入者%"], restored)]
        numbers = sorted(int(n.removeprefix("写入者")) for n in names)
        k = len(numbers)
        assert numbers == list(range(1, k + 1)), "the backup holds a gap in the writer's sequence"
        assert before <= k <= after, (before, k, after)
        keyless = db.scalar("SELECT count(*) FROM customers_customer c WHERE NOT EXISTS "
                            "(SELECT 1 FROM customers_searchkey s WHERE s.customer_id = c.id)", url=restored)
        assert keyless == 0
        total = db.scalar("SELECT count(*) FROM customers_customer", url=restored)
        assert total == seed_rows + k

        # 3. quiesced: live == restored from a second backup
        archive2 = tmp_path / ("after.sqlite3" if db.engine == "sqlite" else "after.dump")
        db.cli("backup", str(archive2))
        restored2 = (f"sqlite:///{tmp_path / 'restored2.sqlite3'}" if db.engine == "sqlite"
                     else db.url_for(db.name + "_r2"))
        other_dbs.append(restored2)
        db.cli("restore", str(archive2), url=restored2)
        live, got2 = dump_of(db, db.url), dump_of(db, restored2)
        assert not _differences(live, got2), _differences(live, got2)

        # a second restore into the now non-empty database is refused without --force
        refused = db.cli("restore", str(archive), url=restored2, check=False)
        assert refused.returncode == 1 and "--force" in refused.stderr, refused.stderr
        assert not _differences(live, dump_of(db, restored2))

        final = _writer_count(db)
        figure(f"T6 backup/restore [{db.engine}]: {seed_rows:,} seeded + writer running; backup "
               f"{archive.stat().st_size / 2**20:.1f} MB in {backup_s:.2f} s (CLI, incl. start-up) while the writer "
               f"went {before} → {after} customers; snapshot holds writer rows 1…{k} (no gap); restore "
               f"{restore_s:.2f} s; {len(moment)} tables identical to the backup moment; quiesced: live = restored "
               f"({len(live)} tables, writer ended at {final})")
    finally:
        if db.engine == "pg":
            for url in other_dbs:
                db.drop(url.rsplit("/", 1)[1])
        db.close()


def test_backup_during_writes_restores_the_same_moment(tmp_path):
    backup_during_writes(tmp_path, seed_rows=3_000)


@pytest.mark.slow
def test_backup_during_writes_100k(tmp_path):
    backup_during_writes(tmp_path, seed_rows=100_000)


def test_backup_refuses_an_existing_file_and_explains_missing_tools(tmp_path):
    db = LiveDB(tmp_path, "backupmisc")
    try:
        existing = tmp_path / "exists.bak"
        existing.write_text("x")
        r = db.cli("backup", str(existing), check=False)
        assert r.returncode == 1 and ("exists" in r.stderr or "已存在" in r.stderr), r.stderr
        r = db.cli("restore", str(existing), check=False)
        assert r.returncode == 1, r.stderr
        if db.engine == "pg":  # without pg_dump on the PATH the command says what to install
            r = db.cli("backup", str(tmp_path / "new.dump"), check=False, PATH=str(tmp_path))
            assert r.returncode == 1 and "pg_dump" in r.stderr and "postgresql-client" in r.stderr, r.stderr
    finally:
        db.close()
