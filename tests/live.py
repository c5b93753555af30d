"""A real database and real `guanxi` processes for the reliability, backup and load tests.

pytest's own database lives inside the test process (and in a transaction); these tests need what
production has instead: a database file (SQLite) or a database on the server of DATABASE_URL
(PostgreSQL), migrated by `guanxi init`, and separate processes that can be killed with SIGKILL.
The engine follows DATABASE_URL, as the rest of the suite does (scripts/test.sh runs both).

Every database is unique to the test (pid + random suffix) and dropped afterwards; processes are
started here and killed by their pid.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
PASSWORD = "Guanxi-live-2026!"
FIGURES: list[str] = []  # carried to the terminal summary by tests/conftest.py


def figure(text: str) -> None:
    """A figure a test measured: printed now (-s) and again in pytest's summary."""
    print(text, flush=True)
    FIGURES.append(text)


def engine() -> str:
    return "pg" if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")) else "sqlite"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveDB:
    """One fresh, migrated database with an owner `admin` (password PASSWORD) in organisation `main`."""

    def __init__(self, work: Path, label: str, *, init: bool = True):
        self.work = Path(work)
        self.work.mkdir(parents=True, exist_ok=True)
        self.engine = engine()
        self.name = f"gx_{label}_{os.getpid()}_{secrets.token_hex(3)}"
        if self.engine == "pg":
            self.server = os.environ["DATABASE_URL"]
            self.url = self.url_for(self.name)
            self.admin_sql(f'CREATE DATABASE "{self.name}"')
        else:
            self.path = self.work / f"{self.name}.sqlite3"
            self.url = f"sqlite:///{self.path}"
        self.procs: list[subprocess.Popen] = []
        if init:
            self.cli("init", "--password-stdin", input=PASSWORD + "\n", timeout=300)

    # --- connection strings and raw SQL (never through the test process's Django connection) ----

    def url_for(self, name: str) -> str:
        return urlunsplit(urlsplit(self.server)._replace(path="/" + name))

    def admin_sql(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url_for("postgres"), autocommit=True) as conn:
            conn.execute(sql)

    def connect(self, url: str | None = None):
        url = url or self.url
        if url.startswith("sqlite:///"):
            conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30, isolation_level=None)
            return conn
        import psycopg

        return psycopg.connect(url, autocommit=True)

    def sql(self, query: str, params=(), url: str | None = None) -> list[tuple]:
        """Run one statement on its own connection; `%s` placeholders on both engines."""
        conn = self.connect(url)
        try:
            if not (url or self.url).startswith("postgres"):
                query = query.replace("%s", "?")
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def scalar(self, query: str, params=(), url: str | None = None):
        return self.sql(query, params, url)[0][0]

    # --- processes -----------------------------------------------------------------------------

    def env(self, url: str | None = None, **extra) -> dict:
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("DJANGO_", "GUANXI_", "DATABASE_URL", "PYTEST_"))}
        return {**base, "DJANGO_SETTINGS_MODULE": "config.settings.base", "DATABASE_URL": url or self.url,
                "GUANXI_VAR_DIR": str(self.work), "GUANXI_MEDIA_ROOT": str(self.work / "media"),
                "GUANXI_SECRET_KEY": "live-test-" + "k" * 50, "GUANXI_TASKS": "immediate",
                "GUANXI_LOG_LEVEL": "WARNING", "GUANXI_HUEY_FILE": str(self.work / "huey.sqlite3"),
                "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]), "PYTHONUNBUFFERED": "1", **extra}

    def cli(self, *args, input: str | None = None, timeout: float = 600, check: bool = True, url: str | None = None,
            **env) -> subprocess.CompletedProcess:
        proc = subprocess.run([PY, "-m", "guanxi.cli", *args], cwd=ROOT, env=self.env(url, **env), input=input,
                              capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"guanxi {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def python(self, code: str, *, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
        """Python with Django set up on this database (as `guanxi` sets it up), everything unscoped."""
        prelude = ("from guanxi.cli import _django\n_django()\nfrom guanxi.core.tenancy import unscoped, tenant_scope\n")
        proc = subprocess.run([PY, "-c", prelude + code], cwd=ROOT, env=self.env(), capture_output=True, text=True,
                              timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"python exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def popen(self, argv: list[str], log: Path | None = None, **env) -> subprocess.Popen:
        out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed when the process is reaped
        proc = subprocess.Popen(argv, cwd=ROOT, env=self.env(**env), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        """Signal the process group we started (the process and any children), then reap it."""
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def close(self) -> None:
        for proc in self.procs:
            self.kill(proc, signal.SIGTERM if proc.poll() is None else signal.SIGKILL)
        if self.engine == "pg":
            self.drop(self.name)

    def drop(self, name: str) -> None:
        if self.engine == "pg":
            for _ in range(20):
                try:
                    self.admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    return
                except Exception:  # noqa: BLE001 - a dying backend may still hold it for a moment
                    time.sleep(0.5)


def wait_http(url: str, timeout: float = 60, proc: subprocess.Popen | None = None, log: Path | None = None) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the server exited {proc.returncode}:\n"
                                 + (log.read_text(errors="replace")[-3000:] if log and log.exists() else ""))
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not answer within {timeout} s") from None
            time.sleep(0.3)
