"""The HTTP workloads on Guanxi's side, run inside bench.runner (Django set up on the bench database).

Workload 3, list API under load: 40 sales reps in 8 teams of store S1 own the customers round-robin,
so a rep's row rule (team scope) reaches 1/8 of them. gunicorn (gthread, 2 workers × 4 threads, as
`guanxi serve` runs it) on 127.0.0.1 and a free port; wrk with 16 connections: /api/v1/ping (no
auth, no database), then GET /api/v1/customers?page=P&page_size=50 (P cycling 1…20) as rep001 with
an API token, then /api/v1/ping again; the yardstick is the mean of the two ping runs.

Workload 4, our side of the peer comparison: as the organisation owner (who, like the peer's ADMIN,
sees every row), over the same generated customers plus one contact per fourth customer: create
customers (POST /api/v1/customers, new unique names and phones, duplicate check on), list customers,
create contacts, list contacts — each 16 connections for SECONDS.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from bench import data
from bench.load import CLIENTS, SECONDS, Server, combine, free_port, load

ROOT = Path(__file__).resolve().parents[1]
TEAMS, PER_TEAM = 8, 5
PAGES, PAGE_SIZE = 20, 50
CREATES = 20_000


def gunicorn(work: Path) -> Server:
    from django.db import connections

    connections.close_all()  # the server's processes open their own
    port = free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]))
    cmd = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--chdir", str(ROOT), "--bind",
           f"127.0.0.1:{port}", "--workers", "2", "--worker-class", "gthread", "--threads", "4"]
    server = Server(cmd, port, "/api/v1/ping", work / "gunicorn.log", env=env, cwd=ROOT)
    for _ in range(8):  # both workers load their code and open their connection before the clock starts
        load_once(server.base + "/api/v1/ping")
    return server


def load_once(url: str, auth: str = "") -> None:
    import urllib.request

    request = urllib.request.Request(url, headers={"Authorization": auth} if auth else {})
    urllib.request.urlopen(request, timeout=60).read()


def reps(owner) -> list:
    """40 reps in 8 teams of store S1; the customers are theirs, round-robin by id (made once per run)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from guanxi.core import services
    from guanxi.core.dbstats import refresh_statistics
    from guanxi.core.roles import Role
    from guanxi.customers.models import Customer

    org = owner.organization
    made = list(get_user_model().objects.filter(organization=org, role=Role.SALES, store__code="S1").order_by("username"))
    if made:
        return made
    store = services.store_create(organization=org, code="S1", name="一号店")
    for t in range(TEAMS):
        team = services.team_create(organization=org, name=f"销售{t + 1}组", store=store)
        for k in range(PER_TEAM):
            made.append(services.user_create(actor=None, organization=org, username=f"rep{t * PER_TEAM + k + 1:03d}",
                                             role=Role.SALES, store=store, team=team))
    table = Customer._meta.db_table
    with transaction.atomic(), connection.cursor() as c:
        c.execute("CREATE TEMPORARY TABLE bench_owner_map (k integer PRIMARY KEY, owner integer)")
        c.executemany("INSERT INTO bench_owner_map (k, owner) VALUES (%s, %s)", [(i, r.pk) for i, r in enumerate(made)])
        c.execute(f"UPDATE {table} SET store_id = %s, owner_id = (SELECT owner FROM bench_owner_map m "
                  f"WHERE m.k = {table}.id %% {len(made)}) WHERE organization_id = %s", [store.pk, org.pk])
        c.execute("DROP TABLE bench_owner_map")
    # Fresh planner statistics for the owners just written, as autovacuum (PostgreSQL) or the hourly job
    # (SQLite) would give them; measured straight away, stale ones made PostgreSQL sort every visible row.
    refresh_statistics([table])
    if connection.vendor == "postgresql":
        # The UPDATE above left a dead version of every customer, which autovacuum removes within
        # minutes of a real server's life; measured straight away, the rep's list counted through a
        # table twice its size with no visibility map (1M rows: 15.6 req/s, p99 1.4 s).
        with connection.cursor() as c:
            c.execute(f"VACUUM {table}")
    return made


def list_api(owner, work: Path) -> dict:
    from guanxi.core.services import token_create
    from guanxi.core.tenancy import tenant_scope
    from guanxi.customers.selectors import customer_visible

    rep = reps(owner)[0]
    with tenant_scope(owner.organization_id):
        _t, secret = token_create(actor=None, user=rep, name="bench")
        visible = customer_visible(rep).count()
    auth = f"Bearer {secret}"
    pages = [f"GET\t/api/v1/customers?page={p}&page_size={PAGE_SIZE}" for p in range(1, PAGES + 1)]
    with gunicorn(work) as server:
        load_once(server.base + "/api/v1/customers?page=1&page_size=50", auth)
        before = load(server.base, ["GET\t/api/v1/ping"], "", work)
        ours = load(server.base, pages, auth, work)
        bare = combine(before, load(server.base, ["GET\t/api/v1/ping"], "", work))
    return {"ours": ours, "ping": bare, "visible": visible, "rep": rep.username, "clients": CLIENTS,
            "seconds": SECONDS}


def load_contacts(owner, rows: int, work: Path) -> None:
    """One contact per fourth customer, through the real import path (once per run)."""
    from guanxi.core.tenancy import tenant_scope
    from guanxi.customers.models import Contact
    from guanxi.imports.services import import_file_sync

    with tenant_scope(owner.organization_id):
        if Contact.objects.exists():
            return
        contacts_csv = work / f"contacts-{rows}.csv"
        data.write_contacts_csv(str(contacts_csv), rows)
        job = import_file_sync(actor=owner, kind="contacts", path=str(contacts_csv), key="phone")
        assert job.status == "done", (job.status, job.errors[:3])


def peer_ours(owner, rows: int, work: Path) -> dict:
    """Our four operations for the peer comparison."""
    from guanxi.core.services import token_create
    from guanxi.core.tenancy import tenant_scope
    from guanxi.customers.models import Contact, Customer

    load_contacts(owner, rows, work)
    with tenant_scope(owner.organization_id):
        _t, secret = token_create(actor=None, user=owner, name="bench-peer")
        ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[:: max(1, rows // 2000)])
        counts = {"customers": Customer.objects.count(), "contacts": Contact.objects.count()}
    auth = f"Bearer {secret}"
    customers = [f"POST\t/api/v1/customers\t" + json.dumps(
        {"name": name, "kind": "person", "phone": phone, "email": email, "city": city}, ensure_ascii=False)
        for name, _kind, phone, email, city, _tags in data.new_rows(rows, CREATES)]
    contacts = [f"POST\t/api/v1/contacts\t" + json.dumps(
        {"customer_id": ids[i % len(ids)], "name": f"联系人{i}", "phone": f"177{i:08d}", "department": "销售部"},
        ensure_ascii=False) for i in range(CREATES)]
    out = {"counts": counts}
    with gunicorn(work) as server:
        load_once(server.base + "/api/v1/customers?page=1&page_size=50", auth)
        out["create_customer"] = load(server.base, customers, auth, work)
        out["list_customers"] = load(server.base, [f"GET\t/api/v1/customers?page={p}&page_size={PAGE_SIZE}"
                                                   for p in range(1, PAGES + 1)], auth, work)
        out["create_contact"] = load(server.base, contacts, auth, work)
        out["list_contacts"] = load(server.base, [f"GET\t/api/v1/contacts?page={p}&page_size={PAGE_SIZE}"
                                                  for p in range(1, PAGES + 1)], auth, work)
    return out
