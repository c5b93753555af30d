"""Load smoke (research T18): gunicorn on a free loopback port over a seeded database, locust headless
for 60 s with a few users over pages and API (tests/load/locustfile.py): 0 failures. Prints the
request rate and the 95th percentile. Slow: `make test-full`."""

from __future__ import annotations

import csv
import os
import subprocess

import pytest

from bench import data
from tests.live import PASSWORD, PY, ROOT, LiveDB, figure, free_port, wait_http

SECONDS = int(os.environ.get("GUANXI_LOAD_SECONDS", "60"))
USERS = 8
SEED = 20_000


def run_load(tmp_path, seconds: int, users: int, seed: int) -> dict:
    db = LiveDB(tmp_path, "load")
    try:
        seed_csv = tmp_path / "seed.csv"
        data.write_csv(str(seed_csv), seed)
        db.cli("import", "customers", str(seed_csv), timeout=1800)
        token = db.cli("token", "admin").stdout.strip()
        port = free_port()
        log = tmp_path / "gunicorn.log"
        server = db.popen([PY, "-m", "gunicorn", "config.wsgi:application", "--chdir", str(ROOT), "--bind",
                           f"127.0.0.1:{port}", "--workers", "2", "--worker-class", "gthread", "--threads", "4"], log,
                          DJANGO_SETTINGS_MODULE="tests.live_settings")
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/api/v1/ping", proc=server, log=log)
        for _ in range(4):  # both workers import their code and scan the static files before the clock starts
            for path in ("/accounts/login/", "/api/v1/ping"):
                wait_http(base + path, proc=server, log=log)
        prefix = tmp_path / "locust"
        proc = subprocess.run(
            [PY, "-m", "locust", "-f", str(ROOT / "tests" / "load" / "locustfile.py"), "--headless", "-u", str(users),
             "-r", str(users), "-t", f"{seconds}s", "-H", base, "--csv", str(prefix), "--only-summary",
             "--stop-timeout", "5"],
            cwd=ROOT, env=db.env(GX_LOAD_USERNAME="admin", GX_LOAD_PASSWORD=PASSWORD, GX_LOAD_TOKEN=token),
            capture_output=True, text=True, timeout=seconds + 300)
        db.kill(server, 15)
        with open(f"{prefix}_stats.csv", newline="") as fh:
            stats = {row["Name"]: row for row in csv.DictReader(fh)}
        total = stats["Aggregated"]
        failures = list(csv.DictReader(open(f"{prefix}_failures.csv", newline="")))  # noqa: SIM115
        return {"requests": int(total["Request Count"]), "failures": int(total["Failure Count"]),
                "rps": float(total["Requests/s"]), "p50": float(total["50%"]), "p95": float(total["95%"]),
                "p99": float(total["99%"]), "by_name": {k: v for k, v in stats.items() if k != "Aggregated"},
                "failure_rows": failures, "exit": proc.returncode, "output": proc.stderr[-3000:], "engine": db.engine}
    finally:
        db.close()


@pytest.mark.slow
def test_sixty_seconds_of_load_without_a_failure(tmp_path):
    r = run_load(tmp_path, SECONDS, USERS, SEED)
    slowest = sorted(r["by_name"].items(), key=lambda kv: -float(kv[1]["95%"]))[:3]
    figure(f"T18 load [{r['engine']}]: {SECONDS} s, {USERS} users, {SEED:,} customers, gunicorn 2×4 on 127.0.0.1: "
           f"{r['requests']:,} requests, {r['failures']} failures, {r['rps']:.1f} req/s, p50 {r['p50']:.0f} ms, "
           f"p95 {r['p95']:.0f} ms, p99 {r['p99']:.0f} ms; slowest p95: "
           + ", ".join(f"{name} {float(row['95%']):.0f} ms" for name, row in slowest))
    assert r["requests"] > 0, r["output"]
    assert r["failures"] == 0, r["failure_rows"][:10]
