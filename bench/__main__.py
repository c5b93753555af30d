"""`python -m bench [all|import|search|list_api|peer|sales] [--rows N] [--db sqlite|pg|both]`: each workload on
each database, ours vs. the raw engine (import, search, sales), the bare /api/v1/ping (list API) or the peer
BottleCRM (create/list customers and contacts), measured in the same run. For `sales`, N is the number of
opportunities (bench/sales.py)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.runner import WORKLOADS, workloads
from bench.sales import report_lines as sales_lines

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var" / "bench"
# The benchmark's throw-away PostgreSQL lives apart from the test suite's (scripts/pg-test.sh).
PG_ENV = {**os.environ, "GUANXI_PGTEST_DIR": str(VAR / "pg")}


def run(db: str, rows: int, only: str) -> dict:
    work = VAR / f"{db}-{rows}"
    subprocess.run(["rm", "-rf", str(work)], check=True)
    work.mkdir(parents=True)
    base = None
    if db == "sqlite":
        url = f"sqlite:///{work}/bench.sqlite3"
    else:
        base = subprocess.run([str(ROOT / "scripts" / "pg-test.sh"), "start"], check=True, capture_output=True,
                              text=True, env=PG_ENV).stdout.strip()
        url = base.rsplit("/", 1)[0] + "/guanxi_bench"
        subprocess.run(["psql", base.rsplit("/", 1)[0] + "/postgres", "-qc", "DROP DATABASE IF EXISTS guanxi_bench"],
                       check=True)
        subprocess.run(["psql", base.rsplit("/", 1)[0] + "/postgres", "-qc", "CREATE DATABASE guanxi_bench"], check=True)
    out = work / "result.json"
    try:
        proc = subprocess.run([sys.executable, "-m", "bench.runner", "--db-url", url, "--rows", str(rows), "--work",
                               str(work), "--out", str(out), "--only", only], cwd=ROOT)
        if proc.returncode != 0 and not out.exists():
            raise subprocess.CalledProcessError(proc.returncode, proc.args)
        result = json.loads(out.read_text())  # the runner saves after each workload: a failure keeps those before it
        if proc.returncode != 0:
            result["failed"] = f"bench.runner exited {proc.returncode} after: {', '.join(result) or 'nothing'}"
            print(f"bench on {db}: {result['failed']}", file=sys.stderr)
        if {"all", "peer"} & set(only.split(",")):
            from bench import peer

            try:
                result["peer"] = peer.measure(db, rows, work, pg_server=base)
            except Exception as exc:  # noqa: BLE001 - the report says why instead of a figure
                result["peer"] = {"error": f"{type(exc).__name__}: {exc}"}
                print(f"peer (BottleCRM) on {db} could not be measured: {result['peer']['error']}", file=sys.stderr)
    finally:
        if db == "pg":
            subprocess.run([str(ROOT / "scripts" / "pg-test.sh"), "stop"], check=False, capture_output=True, env=PG_ENV)
    return result


def report(results: dict[str, dict], rows: int) -> str:
    lines = [f"machine: {platform.machine()}, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; rows: {rows:,}",
             "", "| workload | db | ours | yardstick in the same run (raw engine, /ping or peer) | ratio | goal |", "|---|---|---|---|---|---|"]
    for db, r in results.items():
        if r.get("runs"):
            lines.insert(1, f"{db}: " + "; ".join(f"{x['workloads']} finished {x['finished']}" for x in r["runs"]))
    for db, r in results.items():
        for fmt in ("csv", "xlsx") if "import csv" in r else ():
            w = r[f"import {fmt}"]
            lines.append(f"| import {fmt.upper()} | {db} | {w['ours_rows_s']:,.0f} rows/s | {w['raw_rows_s']:,.0f} rows/s "
                         f"| {w['ratio']:.2f}× | ≥ 0.5× {'met' if w['ratio'] >= 0.5 else 'MISSED'} |")
        if "import csv" in r:
            lines.append(f"| import peak RSS | {db} | {r['peak_rss_mb']:,.0f} MB | — | — | < 1 GB {'met' if r['peak_rss_mb'] < 1024 else 'MISSED'} |")
        lines.extend(_search_lines(db, r.get("search", {})))
        lines.extend(_http_lines(db, r))
        lines.extend(sales_lines(db, r))
        if "failed" in r:
            lines.append(f"| stopped | {db} | {r['failed']} | — | — | — |")
    return "\n".join(lines)


def _search_lines(db: str, search: dict) -> list[str]:
    lines = []
    # {"owner": {kind: figures}, "rep": {...}}; results saved before the rep was measured hold the owner's only.
    by_actor = search if "owner" in search else {"owner": search} if search else {}
    for actor, kinds in by_actor.items():
        who = "as owner (all rows)" if actor == "owner" else "as rep (team: 1/8 of the rows)"
        for kind, s in kinds.items():
            ok = s["ours_p95"] <= 10 and s["ours_p95"] <= 3 * max(s["raw_p95"], 0.001)
            lines.append(f"| search {kind}, {who} | {db} | p50 {s['ours_p50']:.2f} / p95 {s['ours_p95']:.2f} ms "
                         f"| p50 {s['raw_p50']:.2f} / p95 {s['raw_p95']:.2f} ms | {s['ours_p95'] / max(s['raw_p95'], 0.001):.1f}× "
                         f"| p95 ≤ 10 ms, ≤ 3× {'met' if ok else 'MISSED'} |")
    return lines


PEER_OPS = [("create_customer", "create customer / lead"), ("list_customers", "list customers / leads (20 pages of 50)"),
            ("create_contact", "create contact"), ("list_contacts", "list contacts (20 pages of 50)")]


def _fmt(r: dict) -> str:
    return f"{r['rps']:,.1f} req/s, p50 {r['p50_ms']:.1f} / p99 {r['p99_ms']:.1f} ms, {r['errors']} errors"


def _http_lines(db: str, r: dict) -> list[str]:
    lines = []
    if "list_api" in r:
        w = r["list_api"]
        ratio = w["ours"]["rps"] / w["ping"]["rps"]
        ok = ratio >= 0.25 and w["ours"]["p99_ms"] < 100 and w["ours"]["errors"] == 0
        lines.append(f"| list API as {w['rep']} ({w['visible']:,} rows visible), c={w['clients']}, {w['seconds']} s "
                     f"| {db} | {_fmt(w['ours'])} | /api/v1/ping: {_fmt(w['ping'])} | {ratio:.2f}× "
                     f"| ≥ 0.25×, p99 < 100 ms, 0 errors {'met' if ok else 'MISSED'} |")
    if "peer_ours" in r:
        peer = r.get("peer", {"error": "not run"})
        label = f"BottleCRM {peer.get('version', '')}".strip()
        for op, what in PEER_OPS:
            ours = r["peer_ours"][op]
            if "error" in peer:
                ref, ratio, verdict = f"{label} not measured: {peer['error']}".replace("|", "/"), "—", "—"
            else:
                theirs = peer[op]
                ref = f"{label}: {_fmt(theirs)}"
                if not theirs["requests"]:  # none answered within the run: no ratio to give
                    ref += f" — no request answered in {theirs['seconds']} s"
                ratio_v = ours["rps"] / theirs["rps"] if theirs["rps"] else float("inf")
                ratio = f"{ratio_v:,.1f}×" if theirs["rps"] else "∞ (peer 0)"
                verdict = "met" if ratio_v >= 1 and ours["errors"] == 0 else "MISSED"
            lines.append(f"| peer: {what}, c={ours['clients']} | {db} | {_fmt(ours)} | {ref} | {ratio} "
                         f"| ≥ 1× the peer {verdict} |")
    return lines


def main():
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "pg", "both"], default="both")
    parser.add_argument("name", nargs="?", default="all", type=lambda t: ",".join(workloads(t)),
                        help="all, or workloads separated by commas: " + ", ".join(WORKLOADS))
    parser.add_argument("--report-only", action="store_true",
                        help="print the report from the results the last runs saved (var/bench/result-DB-ROWS.json)")
    args = parser.parse_args()
    dbs = ["sqlite", "pg"] if args.db == "both" else [args.db]
    results = {}
    for db in dbs:
        saved = VAR / f"result-{db}-{args.rows}.json"
        if args.report_only:
            results[db] = json.loads(saved.read_text())
            continue
        result = run(db, args.rows, args.name)
        runs = [{"workloads": args.name, "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}]
        if args.name != "all" and saved.exists():  # one workload again: it replaces its figures, the rest stay
            earlier = json.loads(saved.read_text())
            earlier.pop("failed", None)
            runs = earlier.pop("runs", []) + runs
            result = {**earlier, **result}
        results[db] = {**result, "runs": runs}
        saved.write_text(json.dumps(results[db], indent=1, ensure_ascii=False))  # kept if a later engine fails
    text = report(results, args.rows)
    print(text)
    (VAR / f"report-{args.rows}.md").write_text(text + "\n")
    if any("failed" in r for r in results.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
