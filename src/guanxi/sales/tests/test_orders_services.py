"""Orders (SAL-8): totals, the status flow, payments, cancellation, and what the customer's timeline says."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from guanxi.core.models import AuditEntry
from guanxi.customers.models import TimelineEvent
from guanxi.sales.models import NumberSequence, Order, OrderLine, Payment, Quote
from guanxi.sales.services import orders as svc
from guanxi.sales.services.contracts import contract_create
from guanxi.sales.tests.order_helpers import make_order, make_product, make_quote

pytestmark = pytest.mark.django_db
D = Decimal
S = Order.Status


def rows():
    """What the database holds for orders, to prove a refused call wrote nothing."""
    return (list(Order.objects.order_by("pk").values()), list(OrderLine.objects.order_by("pk").values()),
            list(Payment.objects.order_by("pk").values()), AuditEntry.objects.count(),
            TimelineEvent.objects.count(), list(NumberSequence.objects.values()))


def set_status(order, status, **fields):
    Order.objects.filter(pk=order.pk).update(status=status, **fields)
    order.refresh_from_db()
    return order


# --- totals ------------------------------------------------------------------------------------

def test_each_line_is_rounded_half_up_and_totals_are_sums_of_rounded_lines(sales_world):
    order = make_order(sales_world, lines=[
        # 3 × 0.35 at 50% off = 0.525 → 0.53 (half-up; half-even would give 0.52)
        {"description": "甲", "quantity": "3", "unit_price": "0.35", "discount_percent": "50", "tax_rate": "0"},
        # 10.05 at 5% tax = 0.5025 → 0.50
        {"description": "乙", "quantity": "1", "unit_price": "10.05", "tax_rate": "0.05"},
        # three lines of 0.005 each: 0.01 + 0.01 + 0.01, not round(0.015) = 0.02
        *[{"description": f"丙{i}", "quantity": "1", "unit_price": "0.01", "discount_percent": "50",
           "tax_rate": "0"} for i in range(3)],
    ])
    lines = list(order.lines.order_by("position"))
    assert [line.net_amount for line in lines] == [D("0.53"), D("10.05"), D("0.01"), D("0.01"), D("0.01")]
    assert [line.tax_amount for line in lines] == [D("0.00"), D("0.50"), D("0.00"), D("0.00"), D("0.00")]
    assert order.subtotal == D("1.05") + D("10.05") + D("0.03")
    assert order.discount_total == D("0.52") + D("0.00") + D("0.00")
    assert order.tax_total == D("0.50")
    assert order.total == sum(line.net_amount + line.tax_amount for line in lines) == D("11.11")
    assert order.status == S.DRAFT and order.paid_amount == 0 and order.number.startswith("SO-")


def test_a_product_fills_in_description_price_tax_and_cost_for_margin(sales_world):
    w = sales_world
    product = make_product(w.org, price="1000.00", cost="600.00", tax="0.1300")
    order = make_order(w, lines=[{"product": product.pk, "quantity": "2", "discount_percent": "10"}])
    line = order.lines.get()
    assert (line.description, line.unit_price, line.tax_rate) == ("打印机", D("1000.00"), D("0.1300"))
    assert (line.net_amount, line.tax_amount, line.cost) == (D("1800.00"), D("234.00"), D("1200.00"))
    assert (order.total, order.cost_total) == (D("2034.00"), D("1200.00"))


def test_customer_owner_store_and_territory_of_a_new_order(sales_world):
    w = sales_world
    order = make_order(w, opportunity=w.opportunities["own"].pk)
    assert order.owner == w.rep_a and order.store == w.stores["S1"]
    assert order.territory == w.territories["shanghai"] and order.opportunity == w.opportunities["own"]
    assert order.created_by == w.rep_a and order.currency == "CNY"


@pytest.mark.parametrize("data, field", [
    ({"lines": []}, "lines"),
    ({"lines": [{"description": "x", "quantity": "0", "unit_price": "1"}]}, "lines.0.quantity"),
    ({"lines": [{"description": "x", "quantity": "1.0001", "unit_price": "1"}]}, "lines.0.quantity"),
    ({"lines": [{"description": "x", "quantity": 1.5, "unit_price": "1"}]}, "lines.0.quantity"),
    ({"lines": [{"description": "x", "quantity": "1", "unit_price": "-1"}]}, "lines.0.unit_price"),
    ({"lines": [{"description": "x", "quantity": "1", "unit_price": "1.001"}]}, "lines.0.unit_price"),
    ({"lines": [{"description": "x", "quantity": "1", "unit_price": "NaN"}]}, "lines.0.unit_price"),
    ({"lines": [{"description": "x", "quantity": "1", "unit_price": "1", "discount_percent": "100.5"}]},
     "lines.0.discount_percent"),
    ({"lines": [{"description": "x", "quantity": "1", "unit_price": "1", "tax_rate": "13"}]}, "lines.0.tax_rate"),
    ({"lines": [{"quantity": "1", "unit_price": "1"}]}, "lines.0.description"),
    ({"lines": [{"description": "x", "quantity": "1"}]}, "lines.0.unit_price"),
    ({"lines": [{"description": "x", "quantity": "1", "unit_price": "1", "cost": "1"}]}, "lines.0.cost"),
    ({"lines": [{"description": "x", "quantity": "1", "unit_price": "1", "product": 999999}]}, "lines.0.product"),
    ({"lines": [{"description": "x", "quantity": "999999999", "unit_price": "999999999999.99"}]}, "lines.0.quantity"),
    ({"total": "1"}, "total"),
    ({"opportunity": "team"}, "opportunity"),
    ({"notes": "a\x00b"}, "notes"),
])
def test_bad_order_input_names_the_field_and_writes_nothing(sales_world, data, field):
    w = sales_world
    if data.get("opportunity") == "team":
        data = {"opportunity": w.opportunities["team"].pk}  # another customer's opportunity
    before = rows()
    with pytest.raises(ValidationError) as exc:
        make_order(w, **data) if "lines" not in data else svc.order_create(
            actor=w.rep_a, data={"customer": w.customers["own"].pk, **data})
    assert field in exc.value.message_dict
    assert rows() == before


def test_an_order_for_a_customer_the_actor_cannot_see_is_refused(sales_world):
    w = sales_world
    with pytest.raises(ValidationError) as exc:
        make_order(w, actor="rep_a", case="other_team")
    assert "customer" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        make_order(w, actor="cashier")


# --- from a quote ------------------------------------------------------------------------------

def test_an_accepted_quote_becomes_an_order_with_its_lines_and_totals(sales_world):
    w = sales_world
    quote = make_quote(w)
    order = svc.order_create_from_quote(w.rep_a, quote)
    assert (order.subtotal, order.discount_total, order.tax_total, order.total) == (
        quote.subtotal, quote.discount_total, quote.tax_total, quote.total)
    assert order.total == D("899.99") + D("54.00") + D("99.99") + D("13.00")
    got = [(ln.description, ln.quantity, ln.unit_price, ln.net_amount, ln.tax_amount, ln.cost)
           for ln in order.lines.all()]
    want = [(ln.description, ln.quantity, ln.unit_price, ln.net_amount, ln.tax_amount, ln.cost)
            for ln in quote.lines.all()]
    assert got == want
    assert (order.quote, order.customer, order.opportunity, order.owner, order.store_id, order.territory_id) == (
        quote, quote.customer, quote.opportunity, quote.owner, quote.store_id, quote.territory_id)
    assert order.cost_total == D("50.00")


@pytest.mark.parametrize("status", [s for s in Quote.Status.values if s != Quote.Status.ACCEPTED])
def test_only_an_accepted_quote_becomes_an_order(sales_world, status):
    w = sales_world
    quote = make_quote(w, status=status)
    before = rows()
    with pytest.raises(ValidationError) as exc:
        svc.order_create_from_quote(w.rep_a, quote)
    assert "quote" in exc.value.message_dict and rows() == before


def test_one_live_order_per_quote_and_a_contract_of_the_same_customer(sales_world):
    w = sales_world
    quote = make_quote(w)
    other = contract_create(actor=w.rep_b, data={"title": "别的合同", "customer": w.customers["team"].pk})
    with pytest.raises(ValidationError) as exc:
        svc.order_create_from_quote(w.rep_a, quote, contract=other)
    assert "contract" in exc.value.message_dict
    mine = contract_create(actor=w.rep_a, data={"title": "框架合同", "customer": w.customers["own"].pk})
    first = svc.order_create_from_quote(w.rep_a, quote, contract=mine)
    assert first.contract == mine
    with pytest.raises(ValidationError) as exc:
        svc.order_create_from_quote(w.rep_a, quote)
    assert first.number in exc.value.message_dict["quote"][0]
    svc.order_cancel(actor=w.manager, order=first)
    assert svc.order_create_from_quote(w.rep_a, quote).pk != first.pk


def test_a_quote_the_actor_cannot_see_cannot_become_their_order(sales_world):
    w = sales_world
    quote = make_quote(w, case="other_team")
    with pytest.raises(PermissionDenied):
        svc.order_create_from_quote(w.rep_a, quote)


# --- the status flow ---------------------------------------------------------------------------

LEGAL = {
    S.DRAFT: {"confirm", "cancel"},
    S.CONFIRMED: {"deliver", "cancel"},
    S.DELIVERED: {"cancel"},
    S.PAID: {"cancel"},
    S.CANCELLED: set(),
}


def test_the_happy_path_stamps_each_step(sales_world):
    w = sales_world
    order = make_order(w)
    svc.order_confirm(actor=w.rep_a, order=order)
    assert order.status == S.CONFIRMED and order.confirmed_at is not None
    svc.order_deliver(actor=w.rep_a, order=order)
    assert order.status == S.DELIVERED and order.delivered_at is not None
    svc.payment_record(w.rep_a, order, "1130.00", "bank", timezone.localdate(), "网银 001")
    order.refresh_from_db()
    assert order.status == S.PAID and order.paid_at is not None and order.balance_due == 0


@pytest.mark.parametrize("status", list(LEGAL))
@pytest.mark.parametrize("action", ["confirm", "deliver", "cancel"])
def test_every_transition_from_every_status(sales_world, status, action):
    w = sales_world
    order = set_status(make_order(w), status, delivered_at=timezone.now())
    assert set(svc.allowed_actions(order)) == LEGAL[status]
    before = rows()
    if action in LEGAL[status]:
        svc.order_transition(actor=w.admin, order=order, action=action)
        order.refresh_from_db()
        assert order.status == svc.TRANSITIONS[action][1]
    else:
        with pytest.raises(ValidationError) as exc:
            svc.order_transition(actor=w.admin, order=order, action=action)
        message = exc.value.message_dict["status"][0]
        assert message and (action == "cancel" or order.get_status_display() in message)
        assert rows() == before


def test_a_prepaid_order_is_paid_and_can_still_be_delivered_once(sales_world):
    w = sales_world
    order = make_order(w)
    svc.order_confirm(actor=w.rep_a, order=order)
    svc.payment_record(w.rep_a, order, "1130.00", "wechat", None, "")
    assert order.status == S.PAID and order.delivered_at is None
    assert svc.allowed_actions(order) == ["deliver", "cancel"]
    svc.order_deliver(actor=w.rep_a, order=order)
    assert order.status == S.PAID and order.delivered_at is not None
    with pytest.raises(ValidationError):
        svc.order_deliver(actor=w.rep_a, order=order)


def test_who_may_move_an_order(sales_world):
    w = sales_world
    order = make_order(w)
    for name in ("rep_b", "rep_d", "service", "cashier", "readonly"):  # they see it, may not change it
        with pytest.raises(PermissionDenied):
            svc.order_confirm(actor=w.users[name], order=order)
    with pytest.raises(PermissionDenied):
        svc.order_cancel(actor=w.rep_a, order=order)  # reps do not cancel; their manager does
    svc.order_confirm(actor=w.rep_a, order=order)
    svc.order_cancel(actor=w.manager, order=order, reason="客户取消")
    assert order.status == S.CANCELLED and "客户取消" in order.notes
    with pytest.raises(PermissionDenied):
        svc.order_cancel(actor=w.manager_s2, order=make_order(w))


# --- payments ----------------------------------------------------------------------------------

def confirmed(w, **kw):
    order = make_order(w, **kw)
    return svc.order_confirm(actor=w.rep_a, order=order)


def test_payments_add_up_and_the_last_one_makes_the_order_paid(sales_world):
    w = sales_world
    order = confirmed(w)
    with mock.patch.object(svc, "_order_became_paid") as became_paid:
        first = svc.payment_record(w.rep_a, order, "1000.00", "bank", timezone.localdate() - dt.timedelta(days=1),
                                   "网银 001")
        assert order.status == S.CONFIRMED and order.paid_amount == D("1000.00") and order.balance_due == D("130.00")
        became_paid.assert_not_called()
        second = svc.payment_record(w.rep_a, order, D("130.00"), "alipay", timezone.localdate(), "")
        became_paid.assert_called_once()
        assert became_paid.call_args.kwargs["order"].pk == order.pk
    assert order.status == S.PAID and order.paid_at is not None
    assert (first.amount, second.amount, second.recorded_by) == (D("1000.00"), D("130.00"), w.rep_a)
    assert svc.payments_total(order) == order.paid_amount == order.total
    assert AuditEntry.objects.filter(object_type="sales.payment").count() == 2


def test_an_overpayment_is_refused_and_nothing_is_written(sales_world):
    w = sales_world
    order = confirmed(w)
    before = rows()
    with pytest.raises(ValidationError) as exc:
        svc.payment_record(w.rep_a, order, "1130.01", "bank", None, "")
    assert "1,130.00" in exc.value.message_dict["amount"][0]
    assert rows() == before


def test_a_second_payment_that_would_exceed_the_balance_is_refused(sales_world):
    """Two clerks each record 700 on a 1,130 order: the order row is locked while the balance is
    checked, so whichever comes second sees the first and is refused."""
    w = sales_world
    order = confirmed(w)
    stale_copy = Order.objects.get(pk=order.pk)  # what the second clerk's page loaded
    svc.payment_record(w.rep_a, order, "700.00", "cash", None, "")
    before = rows()
    with pytest.raises(ValidationError) as exc:
        svc.payment_record(w.manager, stale_copy, "700.00", "cash", None, "")
    assert "430.00" in exc.value.message_dict["amount"][0]
    assert rows() == before
    order.refresh_from_db()
    assert order.paid_amount == D("700.00") and order.status == S.CONFIRMED


@pytest.mark.parametrize("amount, method, paid_on, field", [
    ("0", "bank", None, "amount"),
    ("-5", "bank", None, "amount"),
    ("1.001", "bank", None, "amount"),
    (1.5, "bank", None, "amount"),
    ("abc", "bank", None, "amount"),
    ("10", "bitcoin", None, "method"),
    ("10", "bank", "2999-01-01", "paid_on"),
    ("10", "bank", "yesterday", "paid_on"),
])
def test_bad_payments_are_refused(sales_world, amount, method, paid_on, field):
    w = sales_world
    order = confirmed(w)
    before = rows()
    with pytest.raises(ValidationError) as exc:
        svc.payment_record(w.rep_a, order, amount, method, paid_on, "")
    assert field in exc.value.message_dict and rows() == before


@pytest.mark.parametrize("status", [S.DRAFT, S.CANCELLED, S.PAID])
def test_payments_only_on_confirmed_or_delivered_orders(sales_world, status):
    w = sales_world
    order = set_status(make_order(w), status)
    with pytest.raises(ValidationError) as exc:
        svc.payment_record(w.rep_a, order, "10", "bank", None, "")
    assert "status" in exc.value.message_dict


def test_who_may_record_a_payment(sales_world):
    w = sales_world
    order = confirmed(w)
    for name in ("rep_b", "service", "cashier", "readonly", "manager_s2"):
        with pytest.raises(PermissionDenied):
            svc.payment_record(w.users[name], order, "10", "cash", None, "")
        with pytest.raises(PermissionDenied):  # the permission is checked before the input
            svc.payment_record(w.users[name], order, "-1", "cash", None, "")
    svc.payment_record(w.manager, order, "10", "cash", None, "")


def test_a_retried_payment_with_the_same_key_is_recorded_once(sales_world):
    w = sales_world
    order = confirmed(w)
    first = svc.payment_record(w.rep_a, order, "100.00", "bank", None, "", idempotency_key="k-1")
    again = svc.payment_record(w.rep_a, order, "100.00", "bank", None, "", idempotency_key="k-1")
    assert again.pk == first.pk and again.replayed and not first.replayed
    assert order.payments.count() == 1 and order.paid_amount == D("100.00")
    with pytest.raises(ValidationError) as exc:
        svc.payment_record(w.rep_a, order, "200.00", "bank", None, "", idempotency_key="k-1")
    assert "idempotency_key" in exc.value.message_dict


def test_payments_are_append_only(sales_world):
    w = sales_world
    payment = svc.payment_record(w.rep_a, confirmed(w), "10", "bank", None, "")
    payment.amount = D("1")
    with pytest.raises(RuntimeError):
        payment.save()


# --- cancelling --------------------------------------------------------------------------------

def test_cancel_after_paid_keeps_the_payments_and_calls_the_reversal_once(sales_world):
    w = sales_world
    order = confirmed(w)
    svc.payment_record(w.rep_a, order, "1130.00", "bank", None, "")
    with mock.patch.object(svc, "_order_cancelled_after_paid") as reversed_:
        svc.order_cancel(actor=w.manager, order=order, reason="退货")
        reversed_.assert_called_once()
    order.refresh_from_db()
    assert order.status == S.CANCELLED and order.cancelled_at is not None and order.paid_at is not None
    assert order.paid_amount == D("1130.00") and [p.amount for p in order.payments.all()] == [D("1130.00")]


def test_cancel_before_payment_does_not_call_the_reversal(sales_world):
    w = sales_world
    order = confirmed(w)
    svc.payment_record(w.rep_a, order, "100.00", "bank", None, "")
    with mock.patch.object(svc, "_order_cancelled_after_paid") as reversed_:
        svc.order_cancel(actor=w.manager, order=order)
    reversed_.assert_not_called()
    assert order.paid_amount == D("100.00")


def test_a_refund_on_cancel_is_a_negative_payment_when_asked_for(sales_world):
    w = sales_world
    order = confirmed(w)
    svc.payment_record(w.rep_a, order, "1130.00", "bank", None, "")
    before = rows()
    with pytest.raises(ValidationError) as exc:
        svc.order_cancel(actor=w.manager, order=order, refund_amount="1130.01")
    assert "refund_amount" in exc.value.message_dict and rows() == before
    svc.order_cancel(actor=w.manager, order=order, refund_amount="1000.00", refund_method="bank",
                     refund_reference="退款 01")
    assert [p.amount for p in order.payments.order_by("id")] == [D("1130.00"), D("-1000.00")]
    assert order.paid_amount == D("130.00") == svc.payments_total(order)
    text = TimelineEvent.objects.filter(customer=order.customer, kind="order").first().text()
    assert "1,000.00" in text and order.number in text


# --- timeline and audit ------------------------------------------------------------------------

def test_the_customer_timeline_tells_the_order_story(sales_world):
    w = sales_world
    order = confirmed(w)
    svc.order_deliver(actor=w.rep_a, order=order)
    svc.payment_record(w.rep_a, order, "1130.00", "bank", None, "")
    events = list(TimelineEvent.objects.filter(customer=w.customers["own"], kind__in=["order", "payment"])
                  .order_by("id"))
    assert [e.kind for e in events] == ["order", "order", "order", "payment", "order"]
    assert all(order.number in e.text() for e in events)
    assert "1,130.00 CNY" in events[0].text() and "1,130.00 CNY" in events[3].text()
    actions = list(AuditEntry.objects.filter(object_type="sales.order", object_id=str(order.pk))
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["create", "update", "update", "update"]
