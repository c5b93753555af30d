"""One benchmark run against one database, in its own process (Django settings are per process).

    python -m bench.runner --db-url URL --rows N --out result.json

Import (CSV and XLSX through the real import path) vs. bare executemany/COPY of the same rows into
the same tables; then search-as-you-type through the selector vs. the raw indexed query.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLES = ["customers_customer", "customers_searchkey", "customers_customertag", "customers_timelineevent"]


def setup(db_url: str, work: Path):
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    os.environ.update(DJANGO_SETTINGS_MODULE="config.settings.base", DATABASE_URL=db_url, GUANXI_VAR_DIR=str(work),
                      GUANXI_TASKS="immediate", GUANXI_LOG_LEVEL="WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_actor():
    from guanxi.core import services
    from guanxi.core.roles import Role

    org = services.organization_create(name="基准", slug="bench")
    store = services.store_create(organization=org, code="HQ", name="总部", is_headquarters=True)
    return services.user_create(actor=None, organization=org, username="bench", role=Role.OWNER, store=store)


def truncate():
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as c:
        if connection.vendor == "postgresql":
            # TRUNCATE, not DELETE: deleted rows stay in the tables and their indexes until a vacuum, which
            # the raw side's one long transaction holds off, so its COPY and foreign-key checks would wade
            # through a million dead customers (its COMMIT ran > 15 min at 1M). CASCADE: the tables that
            # point at customers are empty at this stage.
            c.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in TABLES) + " CASCADE")
        else:
            for t in reversed(TABLES):
                c.execute(f'DELETE FROM "{t}"')


def dump() -> dict[str, tuple[list[str], list[tuple]]]:
    from django.db import connection

    out = {}
    with connection.cursor() as c:
        for t in TABLES:
            c.execute(f'SELECT * FROM "{t}" ORDER BY id')
            out[t] = ([d[0] for d in c.description], c.fetchall())
    return out


def raw_insert(rows: dict) -> float:
    """The engine doing the same writes with no Python work: one transaction, executemany / COPY."""
    from django.db import connection, transaction

    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as c:
        for t in TABLES:
            cols, data = rows[t]
            names = ", ".join(f'"{x}"' for x in cols)
            if connection.vendor == "postgresql":
                with c.cursor.copy(f'COPY "{t}" ({names}) FROM STDIN') as copy:
                    for r in data:
                        copy.write_row(r)
            else:
                c.executemany(f'INSERT INTO "{t}" ({names}) VALUES ({", ".join(["%s"] * len(cols))})', data)
    return time.perf_counter() - start


def bench_import(actor, path: str, n: int) -> dict:
    from guanxi.core.tenancy import tenant_scope
    from guanxi.imports.services import import_file_sync

    _reset_high_water()
    with tenant_scope(actor.organization_id):
        start = time.perf_counter()
        job = import_file_sync(actor=actor, kind="customers", path=path, key="phone")
        ours = time.perf_counter() - start
    assert job.status == "done" and job.created_count == n, (job.status, job.errors[:3])
    hwm_mb = _high_water_mb()  # before this process copies the rows for the raw side
    rows = dump()
    truncate()
    raw = raw_insert(rows)
    return {"rows": n, "ours_s": ours, "raw_s": raw, "ours_rows_s": n / ours, "raw_rows_s": n / raw,
            "ratio": raw / ours, "search_keys": len(rows["customers_searchkey"][1]), "rss_hwm_mb": hwm_mb}


def _reset_high_water() -> None:
    """Start each import's peak RSS afresh (Linux), so the XLSX figure does not carry the CSV run's raw copy."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)  # hand freed memory back first
        Path("/proc/self/clear_refs").write_text("5")
    except (OSError, AttributeError):
        pass


def _high_water_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_search(owner, rep, samples: int = 60) -> dict:
    """Type-ahead through the selector, as the owner (row rule "all") and as a sales rep whose
    team owns 1/8 of the customers (row rule "team"): the rep types names, phones and e-mails of
    customers the rep can see, while the other 7/8 match the same prefixes too. Each actor first
    runs two untimed queries ("王", "u12345") so that, as in a server that has been up a while,
    the SQL of its row rule is compiled (and prepared on PostgreSQL) before the clock starts."""
    return {"owner": _search_as(owner, samples), "rep": _search_as(rep, samples)}


def _search_as(actor, samples: int) -> dict:
    import random

    from django.db import connection

    from guanxi.core.phones import national_digits
    from guanxi.core.tenancy import tenant_scope
    from guanxi.customers.search import KEY_MAX, query_prefixes
    from guanxi.customers.selectors import customer_visible, global_search

    rng = random.Random(7)
    org = actor.organization_id
    with tenant_scope(org):
        ids = list(customer_visible(actor).values_list("pk", flat=True))
        picked = list(customer_visible(actor).filter(pk__in=rng.sample(ids, min(samples, len(ids)))))
    kinds = {
        "hanzi 1": [c.name[:1] for c in picked], "hanzi 2": [c.name[:2] for c in picked],
        "hanzi 3": [c.name[:3] for c in picked if len(c.name) >= 3], "pinyin prefix": [c.name_pinyin[:5] for c in picked],
        "initials": [c.name_initials[:2] for c in picked], "phone fragment": [national_digits(c.phone)[-6:] for c in picked],
        "email prefix": [c.email[:6] for c in picked if c.email],
    }
    with tenant_scope(org):  # a running server has compiled its few query shapes once (one and two key prefixes)
        for q in ("王", "u12345"):
            global_search(actor=actor, q=q)
    result = {}
    for kind, queries in kinds.items():
        ours, raw = [], []
        for q in queries:
            with tenant_scope(org):
                start = time.perf_counter()
                found = global_search(actor=actor, q=q)
                ours.append((time.perf_counter() - start) * 1000)
            assert found["customers"], (kind, q)
            prefix = query_prefixes(q)[0]
            start = time.perf_counter()
            with connection.cursor() as c:
                c.execute("SELECT DISTINCT customer_id FROM customers_searchkey WHERE organization_id = %s "
                          "AND key >= %s AND key < %s LIMIT 8", [org, prefix, prefix + KEY_MAX])
                c.fetchall()
            raw.append((time.perf_counter() - start) * 1000)
        p = lambda xs, q: statistics.quantiles(xs, n=20)[18] if q == 95 else statistics.median(xs)  # noqa: E731
        result[kind] = {"ours_p50": p(ours, 50), "ours_p95": p(ours, 95), "raw_p50": p(raw, 50), "raw_p95": p(raw, 95)}
    return result


WORKLOADS = ("all", "import", "search", "list_api", "peer", "sales")


def workloads(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in WORKLOADS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"unknown workload {', '.join(unknown) or '(none)'}; choose from {', '.join(WORKLOADS)}")
    return names


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--work", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--only", default="all", type=workloads,
                        help="all, or workloads separated by commas: " + ", ".join(WORKLOADS))
    args = parser.parse_args()
    want = set(args.only)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    setup(args.db_url, work)
    from guanxi.core.tenancy import unscoped

    from bench import data, http

    with unscoped():
        actor = make_actor()
    out = {}

    def save():  # after every workload: a later one that fails (or a stopped run) keeps the figures so far
        Path(args.out).write_text(json.dumps(out, indent=1, ensure_ascii=False))

    if want & {"all", "import"}:
        for fmt in ("csv", "xlsx"):
            path = str(work / f"customers-{args.rows}.{fmt}")
            (data.write_csv if fmt == "csv" else data.write_xlsx)(path, args.rows)
            with unscoped():
                if fmt == "xlsx":
                    truncate()
                out[f"import {fmt}"] = bench_import(actor, path, args.rows)
                save()
        # Peak RSS of the import path: measured right after the first (CSV) import, before any copy for the raw side.
        out["peak_rss_mb"] = out["import csv"]["rss_hwm_mb"]
        save()
    elif want & {"search", "list_api", "peer"}:  # search and the HTTP workloads only need the dataset: one import through the real path
        from guanxi.core.tenancy import tenant_scope
        from guanxi.imports.services import import_file_sync

        path = str(work / f"customers-{args.rows}.csv")
        data.write_csv(path, args.rows)
        with unscoped(), tenant_scope(actor.organization_id):
            job = import_file_sync(actor=actor, kind="customers", path=path, key="phone")
        assert job.status == "done", (job.status, job.errors[:3])
    if want & {"all", "search"}:
        with unscoped():
            http.load_contacts(actor, args.rows, work)  # search runs over customers and their contacts
            rep = http.reps(actor)[0]
        out["search"] = bench_search(actor, rep)
        save()
    if want & {"all", "list_api"}:
        with unscoped():
            out["list_api"] = http.list_api(actor, work)
        save()
    if want & {"all", "peer"}:
        with unscoped():
            out["peer_ours"] = http.peer_ours(actor, args.rows, work)
        save()
    if want & {"all", "sales"}:  # workloads 5-7 in their own organisation: bench/sales.py
        from bench import sales

        with unscoped():
            # Under `all`, the sales workloads keep to 20,000 opportunities (seeding a million deals is not
            # what they measure); `bench sales --rows N` sizes them on their own.
            out["sales"] = sales.measure(args.rows if "all" not in want else min(args.rows, 20_000))
    save()


if __name__ == "__main__":
    main()
