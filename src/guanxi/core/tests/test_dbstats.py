"""Planner statistics (core.dbstats) and the queries that need them at a million customers.

At 1,000,000 imported customers on SQLite (bench, 2026-11-23), creating one customer took 1.5–11 s:
the search-key DELETE of the new customer read the organisation's 16 million keys through the
(organization, key, …) index, and the duplicate check read every customer of the organisation.
These tests hold the plans, not the times (timing is bench/'s job)."""

from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.core.dbstats import refresh_statistics
from guanxi.customers import services
from guanxi.customers.models import Customer, SearchKey
from guanxi.customers.selectors import customer_duplicates
from guanxi.imports.services import import_file_sync

pytestmark = pytest.mark.django_db

SQLITE_ONLY = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plans")


def _customers(world, n: int) -> list[Customer]:
    return [services.customer_create(actor=world.admin, data={"name": f"统计客户{i:03d}", "phone": f"1370000{i:04d}",
                                                              "email": f"stat{i}@example.cn"}, allow_duplicate=True)
            for i in range(n)]


def _plan(sql: str, params) -> str:
    with connection.cursor() as c:
        c.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in c.fetchall())


@SQLITE_ONLY
def test_with_statistics_a_customers_keys_are_found_by_the_customer_index(world):
    made = _customers(world, 40)
    refresh_statistics()
    qs = SearchKey.objects.filter(organization_id=world.org.pk, customer=made[0], contact__isnull=True)
    sql, params = qs.query.sql_with_params()
    plan = _plan(sql, params)
    assert "customer_id=?" in plan, plan
    assert "(organization_id=?)" not in plan, plan


@SQLITE_ONLY
def test_the_duplicate_check_looks_each_test_up_in_its_index(world):
    _customers(world, 40)
    refresh_statistics()
    with CaptureQueriesContext(connection) as queries:
        customer_duplicates(actor=world.admin, name="统计客户001", name_pinyin="tongjikehu001",
                            phones=["+8613700000001"], email="STAT1@example.cn")
    check = queries.captured_queries[0]["sql"]
    assert " UNION " in check
    plan = _plan(check, ())
    lines = [line for line in plan.splitlines() if "customers_customer" in line]
    assert lines and all("USING" in line and "organization_id=? AND" in line for line in lines), plan


def test_the_duplicate_check_still_finds_every_kind_of_match(world):
    a, b, c = _customers(world, 3)
    found = customer_duplicates(actor=world.admin, name="统计客户000", phones=["+8613700000001"],
                                email="  STAT2@Example.CN ")
    assert {x.pk for x in found.visible} == {a.pk, b.pk, c.pk}
    assert customer_duplicates(actor=world.admin, name="", phones=[], email="").visible == []
    none = customer_duplicates(actor=world.admin, name="统计客户000", phones=[], email="", exclude_id=a.pk)
    assert not none


def test_an_import_leaves_fresh_statistics_for_the_tables_it_wrote(world, tmp_path: Path):
    rows = "\n".join(f"导入统计{i:03d},1360000{i:04d}" for i in range(30))
    path = tmp_path / "stats.csv"
    path.write_text("name,phone\n" + rows + "\n", encoding="utf-8")
    if connection.vendor == "sqlite" and _has_stat1():
        with connection.cursor() as c:
            c.execute("DELETE FROM sqlite_stat1")  # whatever an earlier test left
    job = import_file_sync(actor=world.admin, kind="customers", path=str(path), key="phone")
    assert job.status == "done" and job.created_count == 30
    keys = SearchKey.objects.filter(organization_id=world.org.pk).count()
    with connection.cursor() as c:
        if connection.vendor == "sqlite":
            c.execute("SELECT tbl, stat FROM sqlite_stat1 WHERE tbl IN ('customers_customer', 'customers_searchkey')")
            stats = dict(c.fetchall())
            assert set(stats) == {"customers_customer", "customers_searchkey"}
            assert int(stats["customers_searchkey"].split()[0]) >= keys > 30 * 5
        else:  # ANALYZE sets the row estimate (visible in this transaction, unlike autovacuum's work)
            c.execute("SELECT reltuples FROM pg_class WHERE relname = 'customers_searchkey'")
            assert c.fetchone()[0] >= keys > 30 * 5


def _has_stat1() -> bool:
    with connection.cursor() as c:
        c.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        return c.fetchone() is not None


def test_the_hourly_job_is_scheduled_and_refreshes_sqlite_statistics(world):
    from huey.contrib.djhuey import HUEY

    from guanxi.core.tasks import refresh_planner_statistics

    assert any(task.name.endswith("refresh_planner_statistics") for task in HUEY._registry.periodic_tasks)
    _customers(world, 3)
    if connection.vendor == "sqlite" and _has_stat1():
        with connection.cursor() as c:
            c.execute("DELETE FROM sqlite_stat1")
    refresh_planner_statistics.call_local()
    if connection.vendor == "sqlite":
        with connection.cursor() as c:
            c.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'customers_customer'")
            assert c.fetchone()[0] > 0


@SQLITE_ONLY
def test_the_contact_list_is_read_in_its_order_from_an_index(world):
    from guanxi.customers.selectors import contact_list

    for i, customer in enumerate(_customers(world, 30)):
        services.contact_create(actor=world.admin, customer=customer, data={"name": f"联系人{i:02d}"})
    refresh_statistics()
    sql, params = contact_list(actor=world.admin).query.sql_with_params()
    plan = _plan(sql, params)
    assert "TEMP B-TREE" not in plan, plan  # no sort of every contact for each page
    assert "customers_contact USING INDEX" in plan, plan
