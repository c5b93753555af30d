"""The sales bench (bench/sales.py, workloads 5–7) runs end to end at a tiny size, and its ledger
check really stops the workload when the commission ledger is wrong. No timing is asserted."""

from decimal import Decimal

import pytest
from django.db.models import F

from bench import sales
from guanxi.core.tenancy import tenant_scope, unscoped
from guanxi.sales.models import CommissionEntry, Order, StageChange


@pytest.mark.django_db
def test_sales_bench_measures_every_workload_and_the_ledger_matches_the_rules():
    with unscoped():
        result = sales.measure(300, orders=40, moves=30, samples=4)
    assert result["opportunities"] == 300
    moves = result["moves"]
    assert moves["moves"] == 30 and moves["ours_per_s"] > 0 and moves["raw_per_s"] > 0 and moves["ratio"] > 0
    assert set(result["board"]) == {"rep", "manager"}
    assert all(result["board"][who]["ours_p95"] > 0 for who in ("rep", "manager"))
    payments = result["payments"]
    assert payments["orders"] == 40 and payments["payments"] >= 40
    check = payments["ledger_check"]
    assert check["passed"] and check["service"] == check["raw"] and check["service"]["entries"] > 0
    assert set(result["reports"]) == {"pipeline admin", "pipeline manager", "won-lost admin", "won-lost manager"}
    lines = sales.report_lines("sqlite", {"sales": result})
    assert len(lines) == 8 and all(line.count("|") == 7 for line in lines)
    with unscoped():
        org_orders = Order.objects.filter(number__startswith="SB-S")
        assert org_orders.count() == 40 and not org_orders.exclude(status=Order.Status.PAID).exists()
        total = sum(CommissionEntry.objects.filter(order__in=org_orders).values_list("amount", flat=True), Decimal(0))
        assert f"{total:.2f}" == check["service"]["total"]
        # 30 moves through the service and 30 in raw SQL, each one history row on top of the creation rows
        assert StageChange.objects.filter(from_stage__isnull=False).count() == 60


@pytest.mark.django_db
def test_ledger_check_stops_the_workload_when_an_entry_is_off_by_a_cent():
    with unscoped():
        w = sales.build(120, orders=12)
        with tenant_scope(w.org.pk):
            sales.bench_payments(w)
            entry = CommissionEntry.objects.filter(order_id__in=[o[0] for o in w.orders["service"]]).first()
            CommissionEntry.objects.filter(pk=entry.pk).update(amount=F("amount") + Decimal("0.01"))
            with pytest.raises(sales.LedgerCheckFailed, match=f"order {entry.order_id}: ledger"):
                sales.check_ledger(w)
