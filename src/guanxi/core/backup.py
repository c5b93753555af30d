"""Backup and restore of the whole database (`guanxi backup PATH`, `guanxi restore PATH`).

SQLite: the online backup API (`sqlite3.Connection.backup`) copies the database in one step under
a read transaction, so the copy is one consistent moment even while the server keeps writing (WAL
lets writers go on). The copy is checked (`PRAGMA integrity_check`), switched to a plain rollback
journal so it is one self-contained file, and renamed into place.

PostgreSQL: `pg_dump -Fc` (one consistent snapshot) with the connection settings of DATABASE_URL;
`pg_restore` into the configured database, created when missing. Both tools must be installed
(the client of the server's major version or newer).

Uploaded files (attachments, import files) live under GUANXI_MEDIA_ROOT, not in the database:
back that directory up as files.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

from django.db import connections
from django.utils.translation import gettext as _

PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(Exception):
    """Something the operator has to fix; the message says what."""


def _settings() -> dict:
    return connections["default"].settings_dict


def _vendor() -> str:
    return connections["default"].vendor


def backup(path: str | os.PathLike) -> dict:
    """Write a backup of the configured database to `path` (which must not exist)."""
    target = Path(path)
    if target.exists():
        raise BackupError(_("%(path)s already exists; choose a new file name.") % {"path": target})
    if not target.parent.is_dir():
        raise BackupError(_("The directory %(path)s does not exist.") % {"path": target.parent})
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    start = time.perf_counter()
    try:
        if _vendor() == "sqlite":
            _sqlite_backup(Path(_settings()["NAME"]), partial)
        elif _vendor() == "postgresql":
            _pg_dump(partial)
        else:
            raise BackupError(_("Backups support SQLite and PostgreSQL only."))
        _fsync(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return {"path": str(target), "bytes": target.stat().st_size, "seconds": time.perf_counter() - start,
            "engine": _vendor()}


def restore(path: str | os.PathLike, *, force: bool = False) -> dict:
    """Load a backup into the configured database, which must be empty (or `force`: replaced)."""
    source = Path(path)
    if not source.is_file():
        raise BackupError(_("%(path)s is not a file.") % {"path": source})
    start = time.perf_counter()
    with open(source, "rb") as fh:
        head = fh.read(16)
    if _vendor() == "sqlite":
        if head != SQLITE_MAGIC:
            raise BackupError(_("%(path)s is not a SQLite backup.") % {"path": source})
        _sqlite_restore(source, Path(_settings()["NAME"]), force)
    elif _vendor() == "postgresql":
        if not head.startswith(PG_MAGIC):
            raise BackupError(_("%(path)s is not a pg_dump custom-format backup.") % {"path": source})
        _pg_restore(source, force)
    else:
        raise BackupError(_("Backups support SQLite and PostgreSQL only."))
    return {"path": str(source), "seconds": time.perf_counter() - start, "engine": _vendor()}


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


# --- SQLite ----------------------------------------------------------------------------------------

def _sqlite_connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def _has_schema(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
                        ).fetchone()[0] > 0


def _sqlite_backup(source: Path, partial: Path) -> None:
    if not source.is_file():
        raise BackupError(_("The database file %(path)s does not exist.") % {"path": source})
    src = _sqlite_connect(source)
    dst = sqlite3.connect(str(partial), isolation_level=None)
    try:
        src.backup(dst)  # pages=-1: all pages in one step, under one read transaction
        dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        result = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError(_("The copy failed its integrity check: %(result)s") % {"result": result})
    finally:
        dst.close()
        src.close()


def _sqlite_restore(source: Path, target: Path, force: bool) -> None:
    src = _sqlite_connect(source)
    try:
        if src.execute("PRAGMA integrity_check").fetchone()[0] != "ok" or not _has_schema(src):
            raise BackupError(_("%(path)s is damaged or not a Guanxi database.") % {"path": source})
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = _sqlite_connect(target)
        try:
            if _has_schema(dst) and not force:
                raise BackupError(_("The database %(path)s is not empty. Restore into a new database, or stop "
                                    "the server and pass --force to replace it.") % {"path": target})
            src.backup(dst)  # replaces every page of the target
            dst.execute("PRAGMA journal_mode = WAL")
        finally:
            dst.close()
    finally:
        src.close()


# --- PostgreSQL ------------------------------------------------------------------------------------

def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(_("%(tool)s is not installed. Install the PostgreSQL client tools of the server's "
                            "major version (Debian: apt-get install postgresql-client).") % {"tool": name})
    return found


def _pg_env(database: str | None = None) -> dict:
    s = _settings()
    env = dict(os.environ)
    for key, value in (("PGHOST", s.get("HOST")), ("PGPORT", s.get("PORT")), ("PGUSER", s.get("USER")),
                       ("PGPASSWORD", s.get("PASSWORD")), ("PGDATABASE", database or s.get("NAME"))):
        if value:
            env[key] = str(value)
    options = s.get("OPTIONS") or {}
    for key, var in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"), ("sslcert", "PGSSLCERT"),
                     ("sslkey", "PGSSLKEY")):
        if options.get(key):
            env[var] = str(options[key])
    return env


def _run(argv: list[str], env: dict) -> None:
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BackupError(_("%(tool)s failed (exit %(code)s): %(error)s")
                          % {"tool": Path(argv[0]).name, "code": proc.returncode,
                             "error": (proc.stderr or proc.stdout).strip()[-2000:]})


def _pg_dump(partial: Path) -> None:
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(partial)], _pg_env())


def _maintenance_connection():
    import psycopg

    s = _settings()
    params = {"dbname": "postgres", "host": s.get("HOST") or None, "port": s.get("PORT") or None,
              "user": s.get("USER") or None, "password": s.get("PASSWORD") or None}
    params.update({k: v for k, v in (s.get("OPTIONS") or {}).items() if k.startswith("ssl")})
    return psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True)


def _pg_restore(source: Path, force: bool) -> None:
    import psycopg
    from psycopg import sql

    pg_restore = _tool("pg_restore")
    name = _settings()["NAME"]
    with _maintenance_connection() as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(sql.Identifier(name)))
    env = _pg_env(name)
    with psycopg.connect(**_conninfo(env), autocommit=True) as conn:
        used = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
    if used and not force:
        raise BackupError(_("The database %(name)s is not empty. Restore into a new database, or stop the server "
                            "and pass --force to replace it.") % {"name": name})
    argv = [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--dbname", name]
    if used:
        argv[1:1] = ["--clean", "--if-exists"]
    _run([*argv, str(source)], env)


def _conninfo(env: dict) -> dict:
    keys = {"PGHOST": "host", "PGPORT": "port", "PGUSER": "user", "PGPASSWORD": "password", "PGDATABASE": "dbname",
            "PGSSLMODE": "sslmode"}
    return {v: env[k] for k, v in keys.items() if env.get(k)}
