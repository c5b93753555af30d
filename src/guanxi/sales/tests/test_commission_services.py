"""Commission (SAL-9): rule choice, margin threshold, rounding, the idempotent ledger, reversals,
monthly statements and who may read them, rule management and the statement export."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from guanxi.core.models import AuditEntry
from guanxi.sales.models import CommissionEntry, CommissionRule
from guanxi.sales.selectors.commission import (
    commission_rule_list,
    commission_statement,
    statement_reps,
)
from guanxi.sales.services.commission import (
    commission_on_order_cancelled,
    commission_on_order_paid,
    commission_rule_create,
    commission_rule_delete,
    commission_rule_update,
)
from guanxi.sales.services.money_exports import export_statement
from guanxi.sales.tests import money_helpers as h

pytestmark = pytest.mark.django_db

APRIL = dt.date(2026, 4, 1)
MAY = dt.date(2026, 5, 1)
# 16:30 UTC on 31 March is 00:30 on 1 April in Shanghai: the order was paid in April there.
PAID = dt.datetime(2026, 3, 31, 16, 30, tzinfo=dt.UTC)


def rule(w, name, rate, **kwargs):
    return CommissionRule.objects.create(organization=w.org, name=name, rate=Decimal(rate), **kwargs)


@pytest.fixture
def scheme(world):
    """Rules of every specificity, and a paid order of rep_a's with one line per case."""
    w = world
    w.p1, w.p2, w.p3 = h.product(w, "P1", "主机"), h.product(w, "P2", "软件"), h.product(w, "P3", "配件")
    w.rules = {
        "all": rule(w, "catch-all", "0.0500"),
        "p1": rule(w, "P1", "0.0600", product=w.p1),
        "rep_a": rule(w, "rep_a", "0.0300", user=w.rep_a),
        "rep_a_p1": rule(w, "rep_a P1", "0.0800", user=w.rep_a, product=w.p1),
        "rep_a_p1_first": rule(w, "rep_a P1 first", "0.0900", user=w.rep_a, product=w.p1, priority=50),
        "rep_b_p3": rule(w, "rep_b P3", "0.5000", user=w.rep_b, product=w.p3),
        "p2_margin": rule(w, "P2 margin", "0.1000", product=w.p2, basis="margin",
                          min_margin_percent=Decimal("30.00")),
        "inactive": rule(w, "inactive", "0.9000", user=w.rep_a, product=w.p3, is_active=False),
    }
    w.order = h.order(w, w.rep_a, "SO-1", [
        (w.p1, "1000.00", "600.00"),   # rep_a+P1, priority 50 wins: 9% of 1000.00 = 90.00
        (w.p2, "333.33", "200.00"),    # margin 40% ≥ 30%: 10% of 133.33 = 13.333 → 13.33
        (w.p2, "100.00", "80.00"),     # margin 20% < 30%: nothing, and no fall-back to a looser rule
        (w.p3, "250.50", "0.00"),      # no product rule of rep_a's fits (inactive, rep_b's): rep_a 3% = 7.515 → 7.52
    ], paid_at=PAID)
    return w


def amounts(entries):
    return [(e.order_line.position, e.rule.name, e.basis_amount, e.rate, e.amount) for e in entries]


def test_each_line_earns_under_the_most_specific_rule_and_the_margin_threshold(scheme):
    w = scheme
    entries = commission_on_order_paid(order=w.order, actor=w.manager)
    assert amounts(entries) == [
        (0, "rep_a P1 first", Decimal("1000.00"), Decimal("0.0900"), Decimal("90.00")),
        (1, "P2 margin", Decimal("133.33"), Decimal("0.1000"), Decimal("13.33")),
        (3, "rep_a", Decimal("250.50"), Decimal("0.0300"), Decimal("7.52")),
    ]
    assert {e.user_id for e in entries} == {w.rep_a.pk}  # the order's owner earns, not the actor
    assert {e.period for e in entries} == {APRIL}  # the month in the organisation's time zone
    assert {e.kind for e in entries} == {CommissionEntry.Kind.EARNED}


def test_product_rule_beats_rep_rule_and_catch_all_takes_the_rest(scheme):
    w = scheme
    o = h.order(w, w.rep_c, "SO-2", [(w.p1, "200.00", "0"), (None, "0.50", "0"), (w.p3, "10.00", "0")], paid_at=PAID)
    entries = commission_on_order_paid(order=o, actor=w.rep_c)
    # P1 6% = 12.00; the catch-all 5% of 0.50 = 0.025 → 0.03 (half-up; banker's rounding would give 0.02);
    # rep_b's P3 rule is not rep_c's: catch-all 5% of 10.00 = 0.50.
    assert [(e.rule.name, e.amount) for e in entries] == [("P1", Decimal("12.00")), ("catch-all", Decimal("0.03")),
                                                           ("catch-all", Decimal("0.50"))]


def test_a_rule_at_rate_zero_or_a_negative_margin_earns_nothing(scheme):
    w = scheme
    rule(w, "no commission on P3", "0", product=w.p3, user=w.rep_c)
    margin = rule(w, "margin only", "0.2000", user=w.rep_c, basis="margin")
    o = h.order(w, w.rep_c, "SO-3", [(w.p3, "100.00", "0"), (None, "100.00", "150.00"), (None, "100.00", "40.00")],
                paid_at=PAID)
    entries = commission_on_order_paid(order=o, actor=w.rep_c)
    assert [(e.order_line.position, e.rule_id, e.amount) for e in entries] == [(2, margin.pk, Decimal("12.00"))]


def test_paying_twice_does_not_earn_twice(scheme):
    w = scheme
    first = commission_on_order_paid(order=w.order, actor=w.manager)
    assert commission_on_order_paid(order=w.order, actor=w.manager) == []
    assert CommissionEntry.objects.filter(order=w.order).count() == len(first) == 3
    # and the ledger itself refuses a second earning for the same line
    with pytest.raises(IntegrityError), transaction.atomic():
        CommissionEntry.objects.create(organization=w.org, user=w.rep_a, order=w.order, order_line=first[0].order_line,
                                       kind="earned", period=APRIL, amount=Decimal("1.00"))
    assert AuditEntry.objects.filter(object_type="sales.commissionentry", object_id=str(w.order.pk)).count() == 1


def test_the_ledger_is_append_only(scheme):
    entry = commission_on_order_paid(order=scheme.order, actor=scheme.manager)[0]
    entry.amount = Decimal("1.00")
    with pytest.raises(RuntimeError):
        entry.save()


def test_an_unpaid_order_is_refused_and_an_ownerless_one_earns_nothing(scheme):
    w = scheme
    draft = h.order(w, w.rep_a, "SO-4", [(w.p1, "10.00", "0")], status="confirmed")
    with pytest.raises(ValueError):
        commission_on_order_paid(order=draft, actor=w.rep_a)
    pool = h.order(w, w.rep_a, "SO-5", [(w.p1, "10.00", "0")], paid_at=PAID)
    type(pool).objects.filter(pk=pool.pk).update(owner=None)
    assert commission_on_order_paid(order=pool, actor=w.rep_a) == []


def test_cancelling_after_payment_reverses_in_the_month_of_cancellation(scheme):
    w = scheme
    commission_on_order_paid(order=w.order, actor=w.manager)
    cancelled = h.cancel(w.order, h.at(2026, 5, 3))
    reversals = commission_on_order_cancelled(order=cancelled, actor=w.manager)
    assert [(e.kind, e.period, e.amount, e.basis_amount) for e in reversals] == [
        ("reversal", MAY, Decimal("-90.00"), Decimal("-1000.00")),
        ("reversal", MAY, Decimal("-13.33"), Decimal("-133.33")),
        ("reversal", MAY, Decimal("-7.52"), Decimal("-250.50")),
    ]
    assert commission_on_order_cancelled(order=cancelled, actor=w.manager) == []  # reversing is idempotent too
    april = commission_statement(actor=w.rep_a, user_id=w.rep_a.pk, period=APRIL)
    may = commission_statement(actor=w.rep_a, user_id=w.rep_a.pk, period=MAY)
    assert (april.earned_total, april.reversal_total, april.total) == (Decimal("110.85"), 0, Decimal("110.85"))
    assert (may.earned_total, may.reversal_total, may.total) == (0, Decimal("-110.85"), Decimal("-110.85"))
    assert [ln.kind for ln in may.lines] == ["reversal"] * 3
    # paying the cancelled order again cannot earn again either
    with pytest.raises(ValueError):
        commission_on_order_paid(order=cancelled, actor=w.manager)


def test_cancelling_an_unpaid_order_reverses_nothing(scheme):
    w = scheme
    o = h.order(w, w.rep_a, "SO-6", [(w.p1, "10.00", "0")], status="confirmed")
    assert commission_on_order_cancelled(order=h.cancel(o, h.at(2026, 5, 3)), actor=w.rep_a) == []


def test_statement_lines_and_totals(scheme):
    w = scheme
    commission_on_order_paid(order=w.order, actor=w.manager)
    other = h.order(w, w.rep_a, "SO-7", [(w.p1, "100.00", "0")], customer=w.customers["team"],
                    paid_at=h.at(2026, 4, 30, 23, 59))
    commission_on_order_paid(order=other, actor=w.manager)
    h.order(w, w.rep_a, "SO-8", [(w.p1, "100.00", "0")], paid_at=h.at(2026, 5, 1, 0, 0))  # May: not in April
    commission_on_order_paid(order=type(other).objects.get(number="SO-8"), actor=w.manager)
    s = commission_statement(actor=w.rep_a, user_id=w.rep_a.pk, period=APRIL)
    assert [(ln.order_number, ln.customer, ln.basis, ln.rate, ln.amount, ln.kind) for ln in s.lines] == [
        ("SO-1", "张三", Decimal("1000.00"), Decimal("0.0900"), Decimal("90.00"), "earned"),
        ("SO-1", "张三", Decimal("133.33"), Decimal("0.1000"), Decimal("13.33"), "earned"),
        ("SO-1", "张三", Decimal("250.50"), Decimal("0.0300"), Decimal("7.52"), "earned"),
        ("SO-7", "曾小明", Decimal("100.00"), Decimal("0.0900"), Decimal("9.00"), "earned"),
    ]
    assert s.total == Decimal("119.85") and s.month == "2026-04" and "commissionentry" in s.sql.lower()


def test_reps_see_their_own_statement_managers_their_store_admins_all(scheme):
    w = scheme
    commission_on_order_paid(order=w.order, actor=w.manager)
    for actor in ("rep_a", "manager", "admin", "owner", "readonly"):
        assert commission_statement(actor=w.users[actor], user_id=w.rep_a.pk, period=APRIL).total == Decimal("110.85")
    for actor in ("rep_b", "rep_d", "manager_s2", "admin_b"):
        with pytest.raises(Http404):
            commission_statement(actor=w.users[actor], user_id=w.rep_a.pk, period=APRIL)
    for actor in ("service", "cashier", "marketing"):
        with pytest.raises(PermissionDenied):
            commission_statement(actor=w.users[actor], user_id=w.rep_a.pk, period=APRIL)
    assert list(statement_reps(actor=w.rep_a)) == [w.rep_a]
    assert w.rep_d not in statement_reps(actor=w.manager) and w.rep_c in statement_reps(actor=w.manager)
    # rep_b's own statement holds none of rep_a's entries
    assert commission_statement(actor=w.rep_b, user_id=w.rep_b.pk, period=APRIL).lines == []


def test_only_commission_managers_keep_rules(scheme):
    w = scheme
    for actor in ("rep_a", "manager", "marketing", "readonly"):
        with pytest.raises(PermissionDenied):
            commission_rule_create(actor=w.users[actor], data={"name": "x", "rate": "0.01"})
    r = commission_rule_create(actor=w.admin, data={"name": " 大客户  提成 ", "rate": "0.0525", "user": w.rep_a.pk,
                                                    "product": w.p1.pk, "basis": "margin",
                                                    "min_margin_percent": "12.5", "priority": 10})
    assert (r.name, r.rate, r.min_margin_percent, r.user, r.product) == ("大客户 提成", Decimal("0.0525"),
                                                                        Decimal("12.5"), w.rep_a, w.p1)
    r = commission_rule_update(actor=w.admin, rule=r, data={"rate": "0.06", "user": None})
    assert r.rate == Decimal("0.0600") and r.user is None
    entries = AuditEntry.objects.filter(object_type="sales.commissionrule", object_id=str(r.pk))
    assert sorted(entries.values_list("action", flat=True)) == ["create", "update"]
    assert entries.get(action="update").changes["rate"] == ["0.0525", "0.0600"]
    commission_rule_delete(actor=w.owner, rule=r)
    assert not CommissionRule.objects.filter(pk=r.pk).exists()


@pytest.mark.parametrize("data, field", [
    ({"name": "", "rate": "0.1"}, "name"),
    ({"name": "x", "rate": "1.5"}, "rate"),
    ({"name": "x", "rate": "-0.1"}, "rate"),
    ({"name": "x", "rate": "0.12345"}, "rate"),
    ({"name": "x", "rate": "abc"}, "rate"),
    ({"name": "x", "rate": "NaN"}, "rate"),
    ({"name": "x"}, "rate"),
    ({"name": "x", "rate": "0.1", "min_margin_percent": "101"}, "min_margin_percent"),
    ({"name": "x", "rate": "0.1", "priority": -1}, "priority"),
    ({"name": "x", "rate": "0.1", "basis": "profit"}, "basis"),
    ({"name": "x", "rate": "0.1", "user": 10**9}, "user"),
    ({"name": "x", "rate": "0.1", "product": "p"}, "product"),
    ({"name": "x\x00", "rate": "0.1"}, "name"),
    ({"name": "x", "rate": "0.1", "organization": 2}, "organization"),
])
def test_bad_rules_are_refused_with_the_field_named(scheme, data, field):
    with pytest.raises(ValidationError) as exc:
        commission_rule_create(actor=scheme.admin, data=data)
    assert field in exc.value.message_dict
    assert not CommissionRule.objects.filter(name="x").exists()


def test_rules_of_another_org_or_its_users_cannot_be_named(scheme):
    w = scheme
    with pytest.raises(ValidationError) as exc:
        commission_rule_create(actor=w.admin, data={"name": "x", "rate": "0.1", "user": w.users["rep_b2"].pk})
    assert "user" in exc.value.message_dict
    other = h.product(w, "B1", org=w.org_b)
    with pytest.raises(ValidationError):
        commission_rule_create(actor=w.admin, data={"name": "x", "rate": "0.1", "product": other.pk})


def test_a_rep_sees_general_rules_and_their_own_not_a_colleagues(scheme):
    w = scheme
    names = set(commission_rule_list(actor=w.rep_a).values_list("name", flat=True))
    assert "rep_b P3" not in names and {"catch-all", "P1", "rep_a", "rep_a P1 first"} <= names
    assert "rep_b P3" in set(commission_rule_list(actor=w.manager).values_list("name", flat=True))


def test_statement_export_is_numbers_and_text_never_formulas(scheme):
    w = scheme
    w.customers["own"].name = "=HYPERLINK(\"http://x\")"
    w.customers["own"].save()
    commission_on_order_paid(order=w.order, actor=w.manager)
    content, ctype, name = export_statement(actor=w.rep_a, user_id=w.rep_a.pk, period=APRIL, fmt="xlsx")
    assert name == "commission-rep_a-2026-04.xlsx" and ctype.startswith("application/vnd.openxml")
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        strings = z.read("xl/sharedStrings.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    assert "<v>90.00</v>" in sheet and "<v>110.85</v>" in sheet  # numbers, exact to the cent
    assert "'=HYPERLINK" in strings
    csv_content, _ctype, _name = export_statement(actor=w.rep_a, user_id=w.rep_a.pk, period=APRIL, fmt="csv")
    text = csv_content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "110.85" in text
    assert AuditEntry.objects.filter(action="export", object_type="sales.commissionentry").count() == 2
    with pytest.raises(ValidationError):
        export_statement(actor=w.rep_a, user_id=w.rep_a.pk, period=APRIL, fmt="pdf")
