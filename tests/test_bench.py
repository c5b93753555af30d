"""bench/ keeps working: workloads 1 and 2 at a few hundred rows through bench.runner (its own process
and SQLite file, as `make bench` runs it), and the report prints each workload with its yardstick,
ratio and verdict. The HTTP workloads (list API, peer) need gunicorn, wrk and the peer's virtualenv;
`make bench` runs them. Figures are not judged here: speed is measured in bench/, not in tests."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import report
from tests.live import engine

ROOT = Path(__file__).resolve().parents[1]
# bench.runner migrates a SQLite file of its own whatever DATABASE_URL says: once, in the SQLite pass.
pytestmark = pytest.mark.skipif(engine() == "pg", reason="runs once, in the SQLite pass")


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("bench")
    out = {}
    for only in ("import", "search"):
        target = work / f"{only}.json"
        subprocess.run([sys.executable, "-m", "bench.runner", "--db-url", f"sqlite:///{work}/{only}.sqlite3",
                        "--rows", "400", "--work", str(work / only), "--out", str(target), "--only", only],
                       check=True, cwd=ROOT, timeout=600)
        out |= json.loads(target.read_text())
    return out


def test_import_goes_through_the_real_path_and_the_raw_side_writes_the_same_rows(small_run):
    for fmt in ("csv", "xlsx"):
        w = small_run[f"import {fmt}"]
        assert w["rows"] == 400 and w["ours_rows_s"] > 0 and w["raw_rows_s"] > 0
        assert w["ratio"] == pytest.approx(w["raw_s"] / w["ours_s"])
        assert w["search_keys"] > 400 * 5  # pinyin, initials and phone suffixes were made per customer
    assert 0 < small_run["peak_rss_mb"] < 1024


def test_search_is_measured_for_every_kind_as_owner_and_as_rep(small_run):
    kinds = {"hanzi 1", "hanzi 2", "hanzi 3", "pinyin prefix", "initials", "phone fragment", "email prefix"}
    for actor in ("owner", "rep"):
        assert set(small_run["search"][actor]) == kinds
        for figures in small_run["search"][actor].values():
            assert 0 < figures["ours_p50"] <= figures["ours_p95"]
            assert 0 < figures["raw_p50"] <= figures["raw_p95"]


def test_the_report_gives_each_workload_its_yardstick_ratio_and_verdict(small_run):
    http = {"rps": 10.0, "p50_ms": 5.0, "p99_ms": 50.0, "errors": 0, "clients": 16, "requests": 120, "seconds": 12}
    result = {**small_run,
              "list_api": {"ours": http, "ping": {**http, "rps": 100.0}, "visible": 50, "rep": "rep001",
                           "clients": 16, "seconds": 12},
              "peer_ours": {op: http for op in ("create_customer", "list_customers", "create_contact", "list_contacts")},
              "peer": {"error": "RuntimeError: it did not start"},
              "runs": [{"workloads": "import", "finished": "2026-11-23 16:00 UTC"}]}
    text = report({"sqlite": result}, 400)
    rows = [line for line in text.splitlines() if line.startswith("| ") and "| sqlite |" in line]
    assert sum("import CSV" in r or "import XLSX" in r for r in rows) == 2
    assert sum(r.startswith("| search ") for r in rows) == 14
    assert any(r.startswith("| list API") and "0.10×" in r and "MISSED" in r for r in rows)
    peer = [r for r in rows if r.startswith("| peer:")]
    assert len(peer) == 4 and all("not measured: RuntimeError: it did not start" in r for r in peer)
    assert "sqlite: import finished 2026-11-23 16:00 UTC" in text
    assert all(r.rstrip(" |").endswith(("met", "MISSED", "—")) for r in rows)
