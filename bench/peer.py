"""Workload 4, the peer's side: BottleCRM (PyPI `django-crm`), built under var/peer, never in the repo.

- `pip install django-crm` from the package registry into var/peer/venv (Python ≥ 3.12, its own
  requirement), once; the version installed is reported.
- Its own settings (crm.settings) with two changes written by bench/peer_side.py: SQLite with the
  same options Guanxi uses (WAL, IMMEDIATE, synchronous=FULL) when measuring on SQLite, and Celery's
  in-memory transport instead of Redis. On PostgreSQL it connects with its DBNAME/DBHOST/… variables
  as the server's superuser (which bypasses its row-level security; noted in the report).
- Its migrations are slow (minutes), so a migrated, empty database is kept: var/peer/template.sqlite3,
  and var/peer/template.pgdump (restored into a fresh database of the bench's PostgreSQL).
- Seeded with the same generated rows as ours (N customers → N leads, N/4 contacts) by the ORM's
  bulk_create inside its own process, with one ADMIN profile and a personal access token.
- gunicorn, 2 workers × 4 threads (gthread) on 127.0.0.1, like ours; wrk with the same 16
  connections: create leads (the same new people as our created customers), list leads (offset/limit
  50, the same 20 pages), create contacts, list contacts.

Anything that fails is raised with the command and its output; bench/__main__.py prints it in the
report instead of a figure and carries on.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from bench import data
from bench.load import CLIENTS, SECONDS, Server, free_port, load

ROOT = Path(__file__).resolve().parents[1]
PEER = ROOT / "var" / "peer"
VENV_PY = PEER / "venv" / "bin" / "python"
SECRET = "bench-peer-not-a-secret-" + "0" * 40
PAGES, PAGE_SIZE = 20, 50
LIST_SECONDS, LIST_TIMEOUT = 30, 60  # its lists take seconds per request at 100k rows


def _run(cmd: list, env: dict | None = None, timeout: int = 3600) -> str:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, timeout=timeout,
                          cwd=PEER / "run")
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
        raise RuntimeError(f"`{' '.join(map(str, cmd))}` exited {proc.returncode}: " + " | ".join(tail))
    return proc.stdout


def _python312() -> str:
    for candidate in (sys.executable, shutil.which("python3.13"), shutil.which("python3.12")):
        if candidate and subprocess.run([candidate, "-c", "import sys; assert sys.version_info >= (3, 12)"],
                                        capture_output=True).returncode == 0:
            return candidate
    raise RuntimeError("django-crm needs Python ≥ 3.12 and none was found")


def venv() -> str:
    """The peer's virtualenv; returns the installed django-crm version."""
    (PEER / "run").mkdir(parents=True, exist_ok=True)
    marker = PEER / "venv" / "installed"
    if not marker.exists():
        shutil.rmtree(PEER / "venv", ignore_errors=True)
        _run([_python312(), "-m", "venv", PEER / "venv"])
        _run([VENV_PY, "-m", "pip", "install", "-q", "django-crm"], timeout=3600)
        marker.write_text("ok\n")
    version = _run([VENV_PY, "-c", "import importlib.metadata as m; print(m.version('django-crm'))"]).strip()
    from bench.peer_side import SETTINGS

    (PEER / "run" / "peer_settings.py").write_text(SETTINGS)
    shutil.copy(ROOT / "bench" / "peer_side.py", PEER / "run" / "peer_side.py")
    return version


def _env(engine: str, db_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "GUANXI_", "PYTHONPATH"))}
    env.update(DJANGO_SETTINGS_MODULE="peer_settings", PYTHONPATH=str(PEER / "run"), SECRET_KEY=SECRET,
               DOMAIN_NAME="http://127.0.0.1", ENV_TYPE="dev", PYTHONWARNINGS="ignore")
    if engine == "sqlite":
        env["PEER_SQLITE"] = db_url
    else:
        u = urlsplit(db_url)
        env.update(DBNAME=u.path.lstrip("/"), DBUSER=u.username or "postgres", DBPASSWORD=u.password or "",
                   DBHOST=u.hostname or "127.0.0.1", DBPORT=str(u.port or 5432))
    return env


def _database(engine: str, pg_server: str | None, work: Path) -> str:
    """A fresh, migrated, empty peer database; its path (SQLite) or URL (PostgreSQL)."""
    if engine == "sqlite":
        template = PEER / "template.sqlite3"
        if not template.exists():
            building = PEER / "template-build.sqlite3"
            building.unlink(missing_ok=True)
            _run([VENV_PY, "-m", "django", "migrate", "-v", "0"], env=_env("sqlite", str(building)))
            building.rename(template)
        target = work / "peer.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copy(template, target)
        return str(target)
    import psycopg

    base = pg_server.rsplit("/", 1)[0]
    name = "gx_bench_peer"
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    url = f"{base}/{name}"
    dump = PEER / "template.pgdump"
    if dump.exists():
        subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "-d", url, str(dump)], check=True,
                       capture_output=True)
    else:
        _run([VENV_PY, "-m", "django", "migrate", "-v", "0"], env=_env("pg", url))
        subprocess.run(["pg_dump", "-Fc", "-f", str(dump), url], check=True, capture_output=True)
    return url


def measure(engine: str, rows: int, work: Path, pg_server: str | None = None) -> dict:
    version = venv()
    db = _database(engine, pg_server, work)
    env = _env(engine, db)
    customers_csv, contacts_csv = work / f"peer-customers-{rows}.csv", work / f"peer-contacts-{rows}.csv"
    data.write_csv(str(customers_csv), rows)
    data.write_contacts_csv(str(contacts_csv), rows)
    seeded_out = work / "peer-seed.json"
    _run([VENV_PY, PEER / "run" / "peer_side.py", "seed", customers_csv, contacts_csv, seeded_out], env=env)
    seeded = json.loads(seeded_out.read_text())
    auth = f"Bearer {seeded['token']}"
    leads = [f"POST\t/api/leads/\t" + json.dumps(
        {"title": name, "first_name": name[1:], "last_name": name[:1], "phone": "+86" + phone,
         "email": email or None, "city": city, "status": "assigned"}, ensure_ascii=False)
        for name, _kind, phone, email, city, _tags in data.new_rows(rows, 5000)]
    contacts = [f"POST\t/api/contacts/\t" + json.dumps(
        {"first_name": f"系人{i}", "last_name": "联", "phone": f"+86177{i:08d}", "department": "销售部"},
        ensure_ascii=False) for i in range(5000)]
    offsets = [(p - 1) * PAGE_SIZE for p in range(1, PAGES + 1)]
    port = free_port()
    cmd = [VENV_PY, "-m", "gunicorn", "crm.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2",
           "--worker-class", "gthread", "--threads", "4", "--timeout", "120"]
    out = {"version": version, "seeded": {"leads": seeded["leads"], "contacts": seeded["contacts"]},
           "superuser_bypasses_rls": engine == "pg"}
    with Server([str(c) for c in cmd], port, "/api/leads/?limit=1", work / "peer-gunicorn.log", env=env,
                cwd=PEER / "run") as server:
        from bench.http import load_once

        for _ in range(4):  # both workers load their code before the clock starts
            load_once(server.base + "/api/leads/?limit=1", auth)
            load_once(server.base + "/api/contacts/?limit=1", auth)
        out["create_customer"] = load(server.base, leads, auth, work)
        out["list_customers"] = load(server.base, [f"GET\t/api/leads/?offset={o}&limit={PAGE_SIZE}" for o in offsets],
                                     auth, work, seconds=LIST_SECONDS, timeout=LIST_TIMEOUT)
        out["create_contact"] = load(server.base, contacts, auth, work)
        out["list_contacts"] = load(server.base, [f"GET\t/api/contacts/?offset={o}&limit={PAGE_SIZE}"
                                                  for o in offsets], auth, work, seconds=LIST_SECONDS,
                                    timeout=LIST_TIMEOUT)
    out["clients"], out["seconds"] = CLIENTS, SECONDS
    return out


if __name__ == "__main__":  # python -m bench.peer: install the peer only
    print("django-crm", venv())
