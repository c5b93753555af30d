"""Order and contract pages: what the user sees and what the database holds after each form."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guanxi.sales.models import Contract, Order, Payment
from guanxi.sales.services import contracts as contract_services
from guanxi.sales.services import orders as order_services
from guanxi.sales.tests.order_helpers import make_order, make_quote

pytestmark = pytest.mark.django_db
D = Decimal


def line_post(customer_pk, rows, **extra):
    data = {"customer": customer_pk, "lines-TOTAL_FORMS": str(len(rows)), "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "50", **extra}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"lines-{i}-{key}"] = value
    return data


def buttons(html: str) -> set[str]:
    return set(re.findall(r'data-action="([a-z]+)"', html))


def test_new_order_starts_by_finding_the_customer(sales_world, client_for):
    c = client_for("rep_a")
    page = c.get("/orders/new/?q=zs").content.decode()
    assert "张三" in page and "单田芳" not in page
    own = sales_world.customers["own"]
    assert f"/orders/new/?customer={own.pk}" in page
    assert c.get(f"/orders/new/?customer={sales_world.customers['other_team'].pk}").status_code == 404


def test_create_an_order_on_the_page_blank_rows_ignored(sales_world, client_for):
    w = sales_world
    own = w.customers["own"]
    r = client_for("rep_a").post("/orders/new/", line_post(own.pk, [
        {"description": "年度服务", "quantity": "2", "unit_price": "500.00", "tax_rate": "0.13"},
        {"description": "", "quantity": "", "unit_price": ""},
    ], opportunity=w.opportunities["own"].pk, notes="加急"))
    order = Order.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/orders/{order.pk}/"
    assert (order.total, order.lines.count(), order.opportunity, order.notes) == (
        D("1130.00"), 1, w.opportunities["own"], "加急")


def english(user):
    user.language = "en"
    user.save(update_fields=["language"])


def test_a_bad_line_is_shown_on_its_row_and_nothing_is_written(sales_world, client_for):
    own = sales_world.customers["own"]
    english(sales_world.rep_a)
    r = client_for("rep_a").post("/orders/new/", line_post(own.pk, [
        {"description": "好的", "quantity": "1", "unit_price": "1"},
        {"description": "", "quantity": "1", "unit_price": "5"},  # no description, no product
    ]))
    assert r.status_code == 422
    assert Order.objects.count() == 0
    html = r.content.decode()
    row = html.split('name="lines-1-description"')[1].split("</tr>")[0]
    assert "Describe the line or choose a product." in row
    no_lines = client_for("rep_a").post("/orders/new/", line_post(own.pk, [{"description": ""}]))
    assert no_lines.status_code == 422 and Order.objects.count() == 0


def test_the_detail_page_offers_only_allowed_transitions(sales_world, client_for):
    w = sales_world
    order = make_order(w)
    english(w.rep_a)
    rep, manager, cashier = client_for("rep_a"), client_for("manager"), client_for("cashier")
    html = rep.get(f"/orders/{order.pk}/").content.decode()
    assert buttons(html) == {"confirm"} and 'data-testid="cancel-form"' not in html
    assert 'data-testid="payment-form"' not in html  # no payments on a draft
    assert 'data-testid="cancel-form"' in manager.get(f"/orders/{order.pk}/").content.decode()
    rep.post(f"/orders/{order.pk}/confirm/")
    html = rep.get(f"/orders/{order.pk}/").content.decode()
    assert buttons(html) == {"deliver"} and 'data-testid="payment-form"' in html
    html = cashier.get(f"/orders/{order.pk}/").content.decode()
    assert buttons(html) == set() and 'data-testid="payment-form"' not in html and order.number in html
    # an illegal transition posted anyway: a message, nothing changes
    r = rep.post(f"/orders/{order.pk}/confirm/", follow=True)
    assert Order.objects.get(pk=order.pk).status == "confirmed"
    assert "Only a draft order can be confirmed" in r.content.decode()


def test_payments_on_the_page(sales_world, client_for):
    w = sales_world
    order = order_services.order_confirm(actor=w.rep_a, order=make_order(w))
    c = client_for("rep_a")
    today = timezone.localdate().isoformat()
    r = c.post(f"/orders/{order.pk}/payments/", {"amount": "1130.01", "method": "bank", "paid_on": today})
    assert r.status_code == 422 and Payment.objects.count() == 0
    assert "1,130.00" in r.content.decode()
    r = c.post(f"/orders/{order.pk}/payments/", {"amount": "1000", "method": "cash", "paid_on": today,
                                                 "reference": "收据 7"})
    assert r.status_code == 302
    html = c.get(f"/orders/{order.pk}/").content.decode()
    assert "收据 7" in html and re.search(r'data-testid="balance-due">130[.,]00<', html)
    c.post(f"/orders/{order.pk}/payments/", {"amount": "130", "method": "cash", "paid_on": today})
    order.refresh_from_db()
    assert order.status == "paid"
    html = c.get(f"/orders/{order.pk}/").content.decode()
    assert 'data-testid="payment-form"' not in html and 'data-status="paid"' in html
    assert buttons(html) == {"deliver"}  # paid before delivery: the delivery can still be recorded


def test_cancel_with_a_refund_on_the_page(sales_world, client_for):
    w = sales_world
    order = order_services.order_confirm(actor=w.rep_a, order=make_order(w))
    order_services.payment_record(w.rep_a, order, "1130", "bank", None, "")
    c = client_for("manager")
    r = c.post(f"/orders/{order.pk}/cancel/", {"reason": "退货", "refund_amount": "2000", "refund_method": "bank"})
    assert r.status_code == 422 and Order.objects.get(pk=order.pk).status == "paid"
    r = c.post(f"/orders/{order.pk}/cancel/", {"reason": "退货", "refund_amount": "1130", "refund_method": "bank"})
    assert r.status_code == 302
    order.refresh_from_db()
    assert order.status == "cancelled" and order.paid_amount == 0
    assert list(order.payments.values_list("amount", flat=True)) == [D("1130.00"), D("-1130.00")]


def test_order_list_filters(sales_world, client_for):
    w = sales_world
    draft = make_order(w)
    confirmed = order_services.order_confirm(actor=w.rep_a, order=make_order(w))
    c = client_for("manager")
    page = c.get("/orders/?status=confirmed").content.decode()
    assert confirmed.number in page and draft.number not in page
    page = c.get(f"/orders/?month={timezone.localdate():%Y-%m}&owner={w.rep_a.pk}").content.decode()
    assert confirmed.number in page and draft.number in page
    assert draft.number not in c.get("/orders/?month=2001-01").content.decode()
    page = c.get(f"/orders/?customer={w.customers['team'].pk}").content.decode()
    assert draft.number not in page
    assert c.get("/orders/?status=bogus&month=x&owner=abc&sort=evil").status_code == 200
    assert client_for("marketing").get("/orders/").status_code == 403


def test_order_list_query_count_does_not_grow_with_rows(sales_world, client_for):
    w = sales_world
    c = client_for("admin")
    make_order(w)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert c.get("/orders/?page_size=100").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for _ in range(8):
        make_order(w, actor="rep_c", case="other_team")
    assert count() == few


def test_customer_page_shows_orders_and_their_timeline(sales_world, client_for):
    w = sales_world
    order = order_services.order_confirm(actor=w.rep_a, order=make_order(w))
    order_services.payment_record(w.rep_a, order, "130", "bank", None, "")
    hidden = make_order(w, actor="rep_c", case="other_team")
    html = client_for("rep_a").get(f"/customers/{w.customers['own'].pk}/").content.decode()
    card = html.split('data-testid="customer-orders"')[1].split("</ul>")[0]
    assert order.number in card and hidden.number not in card
    timeline = html.split('id="timeline"')[1]
    assert timeline.count(order.number) == 3  # created, confirmed, payment
    assert 'data-kind="payment"' in timeline and "130.00 CNY" in timeline
    # no order rights at all: no card
    assert 'data-testid="customer-orders"' not in client_for("marketing").get(
        f"/customers/{w.customers['own'].pk}/").content.decode()


def test_order_and_contract_from_quote_buttons(sales_world, client_for):
    w = sales_world
    quote = make_quote(w)
    c = client_for("rep_a")
    r = c.post(f"/quotes/{quote.pk}/order/")
    order = Order.objects.get(quote=quote)
    assert r.status_code == 302 and r["Location"] == f"/orders/{order.pk}/"
    r = c.post(f"/quotes/{quote.pk}/order/", follow=True)
    assert Order.objects.filter(quote=quote).count() == 1 and order.number in r.content.decode()
    r = c.post(f"/quotes/{quote.pk}/contract/")
    contract = Contract.objects.get(quote=quote)
    assert r.status_code == 302 and r["Location"] == f"/contracts/{contract.pk}/"
    assert c.get(f"/quotes/{quote.pk}/order/").status_code == 405
    assert client_for("rep_c").post(f"/quotes/{quote.pk}/order/").status_code == 404


# --- contracts -----------------------------------------------------------------------------------

def test_contract_pages(sales_world, client_for, settings, tmp_path):
    w = sales_world
    settings.MEDIA_ROOT = tmp_path
    own = w.customers["own"]
    c = client_for("rep_a")
    r = c.post("/contracts/new/", {"customer": own.pk, "title": "框架协议", "value": "8000", "reminder_days": "15",
                                   "renewal_date": "2027-01-01", "owner": w.rep_a.pk})
    contract = Contract.objects.get()
    assert r.status_code == 302 and (contract.value, contract.reminder_days) == (D("8000.00"), 15)
    r = c.post(f"/contracts/{contract.pk}/edit/", {"title": "框架协议", "reminder_days": "15",
                                                   "start_date": "2026-05-01", "end_date": "2026-04-01"})
    assert r.status_code == 422 and Contract.objects.get().end_date is None
    c.post(f"/contracts/{contract.pk}/activate/")
    assert Contract.objects.get().status == "active"
    c.post(f"/contracts/{contract.pk}/files/", {"file": SimpleUploadedFile("签字版.html", b"<script>x</script>")})
    item = contract.files.get()
    html = c.get(f"/contracts/{contract.pk}/").content.decode()
    assert "签字版.html" in html and "15" in html and "2027-01-01" in html
    download = c.get(f"/contract-files/{item.pk}/download/")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff" and download["Content-Type"] == "application/octet-stream"
    assert b"".join(download.streaming_content) == b"<script>x</script>"
    assert client_for("rep_c").get(f"/contract-files/{item.pk}/download/").status_code == 404
    page = c.get("/contracts/?due=3650").content.decode()
    assert contract.number in page
    assert contract.number not in c.get("/contracts/?status=terminated").content.decode()
    contract_services.contract_terminate(actor=w.rep_a, contract=contract)
    html = c.get(f"/contracts/{contract.pk}/").content.decode()
    assert 'data-action="activate"' not in html and "/files/" not in html


@pytest.mark.parametrize("actor, contracts, orders", [
    ("rep_a", True, True), ("cashier", False, True), ("marketing", False, False), ("readonly", True, True),
])
def test_navigation_offers_contracts_and_orders_by_permission(sales_world, client_for, actor, contracts, orders):
    html = client_for(actor).get("/today/").content.decode()
    nav = html.split('id="nav-main"')[1].split('role="search"')[0]
    assert ('href="/contracts/"' in nav) is contracts
    assert ('href="/orders/"' in nav) is orders
