"""`python -m bench [--rows N] [--db sqlite|pg|both]`: each workload on each database, ours vs. the raw engine."""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var" / "bench"


def run(db: str, rows: int, only: str) -> dict:
    work = VAR / f"{db}-{rows}"
    subprocess.run(["rm", "-rf", str(work)], check=True)
    if db == "sqlite":
        url = f"sqlite:///{work}/bench.sqlite3"
    else:
        base = subprocess.run([str(ROOT / "scripts" / "pg-test.sh"), "start"], check=True, capture_output=True,
                              text=True).stdout.strip()
        url = base.rsplit("/", 1)[0] + "/guanxi_bench"
        subprocess.run(["psql", base.rsplit("/", 1)[0] + "/postgres", "-qc", "DROP DATABASE IF EXISTS guanxi_bench"],
                       check=True)
        subprocess.run(["psql", base.rsplit("/", 1)[0] + "/postgres", "-qc", "CREATE DATABASE guanxi_bench"], check=True)
    out = work / "result.json"
    try:
        subprocess.run([sys.executable, "-m", "bench.runner", "--db-url", url, "--rows", str(rows), "--work", str(work),
                        "--out", str(out), "--only", only], check=True, cwd=ROOT)
    finally:
        if db == "pg":
            subprocess.run([str(ROOT / "scripts" / "pg-test.sh"), "stop"], check=False, capture_output=True)
    return json.loads(out.read_text())


def report(results: dict[str, dict], rows: int) -> str:
    lines = [f"machine: {platform.machine()}, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; rows: {rows:,}",
             "", "| workload | db | ours | raw engine | ratio (ours/raw) | goal |", "|---|---|---|---|---|---|"]
    for db, r in results.items():
        for fmt in ("csv", "xlsx") if "import csv" in r else ():
            w = r[f"import {fmt}"]
            lines.append(f"| import {fmt.upper()} | {db} | {w['ours_rows_s']:,.0f} rows/s | {w['raw_rows_s']:,.0f} rows/s "
                         f"| {w['ratio']:.2f}× | ≥ 0.5× {'met' if w['ratio'] >= 0.5 else 'MISSED'} |")
        if "import csv" in r:
            lines.append(f"| import peak RSS | {db} | {r['peak_rss_mb']:,.0f} MB | — | — | < 1 GB {'met' if r['peak_rss_mb'] < 1024 else 'MISSED'} |")
        for kind, s in r.get("search", {}).items():
            ok = s["ours_p95"] <= 10 and s["ours_p95"] <= 3 * max(s["raw_p95"], 0.001)
            lines.append(f"| search {kind} | {db} | p50 {s['ours_p50']:.2f} / p95 {s['ours_p95']:.2f} ms "
                         f"| p50 {s['raw_p50']:.2f} / p95 {s['raw_p95']:.2f} ms | {s['ours_p95'] / max(s['raw_p95'], 0.001):.1f}× "
                         f"| p95 ≤ 10 ms, ≤ 3× {'met' if ok else 'MISSED'} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "pg", "both"], default="both")
    parser.add_argument("name", nargs="?", default="all", choices=["all", "import", "search"])
    args = parser.parse_args()
    dbs = ["sqlite", "pg"] if args.db == "both" else [args.db]
    results = {db: run(db, args.rows, args.name) for db in dbs}
    text = report(results, args.rows)
    print(text)
    (VAR / f"report-{args.rows}.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
