"""The orders and contracts API: what a client sees and what the database holds afterwards."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from guanxi.core import services as core
from guanxi.sales.models import Contract, Order, Payment
from guanxi.sales.services import contracts as contract_services
from guanxi.sales.services import orders as order_services
from guanxi.sales.tests.order_helpers import make_order, make_product, make_quote

pytestmark = pytest.mark.django_db
BASE = "/api/v1"
D = Decimal


class Api:
    def __init__(self, secret: str):
        self.client = Client(headers={"Authorization": f"Bearer {secret}"})

    def get(self, path, **params):
        return self.client.get(BASE + path, params)

    def post(self, path, body=None):
        return self.client.post(BASE + path, data=json.dumps(body if body is not None else {}),
                                content_type="application/json")

    def patch(self, path, body):
        return self.client.patch(BASE + path, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def api(sales_world):
    def make(name: str) -> Api:
        _token, secret = core.token_create(actor=None, user=sales_world.users[name])
        return Api(secret)

    return make


def db_state():
    return (list(Order.objects.order_by("pk").values()), list(Payment.objects.order_by("pk").values()),
            list(Contract.objects.order_by("pk").values()))


# --- orders --------------------------------------------------------------------------------------

def test_create_an_order_with_lines_amounts_as_strings(sales_world, api):
    w = sales_world
    product = make_product(w.org)
    r = api("rep_a").post("/orders", {"customer_id": w.customers["own"].pk, "lines": [
        {"product_id": product.pk, "quantity": "2", "discount_percent": "10"},
        {"description": "安装", "quantity": "3", "unit_price": "0.35", "discount_percent": "50", "tax_rate": "0"},
    ]})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["number"].startswith("SO-") and body["status"] == "draft"
    assert (body["total"], body["tax_total"], body["balance_due"], body["paid_amount"]) == (
        "2034.53", "234.00", "2034.53", "0.00")
    assert [ln["net_amount"] for ln in body["lines"]] == ["1800.00", "0.53"]
    assert body["lines"][0]["product_id"] == product.pk and body["lines"][0]["description"] == "打印机"
    assert body["allowed_actions"] == ["confirm"]  # a rep may not cancel
    assert Order.objects.get(pk=body["id"]).total == D("2034.53")


@pytest.mark.parametrize("body, field", [
    ({"lines": []}, "lines"),
    ({"lines": [{"description": "x", "quantity": 2, "unit_price": "1"}]}, "lines.0.quantity"),
    ({"lines": [{"description": "x", "quantity": "1", "unit_price": 9.99}]}, "lines.0.unit_price"),
    ({"lines": [{"description": "x", "quantity": "1", "unit_price": "1.999"}]}, "lines.0.unit_price"),
    ({"lines": [{"description": "x", "quantity": "0", "unit_price": "1"}]}, "lines.0.quantity"),
    ({"lines": [{"description": "x", "quantity": "1", "unit_price": "1", "product_id": 424242}]},
     "lines.0.product_id"),
    ({"lines": [{"description": "x", "quantity": "1", "unit_price": "1", "net_amount": "0"}]}, "lines.0.net_amount"),
    ({"total": "1", "lines": [{"description": "x", "unit_price": "1"}]}, "total"),
    ({"owner_id": "rep_c", "lines": [{"description": "x", "unit_price": "1"}]}, "owner_id"),
])
def test_bad_orders_are_422_naming_the_field(sales_world, api, body, field):
    w = sales_world
    if body.get("owner_id") == "rep_c":
        body["owner_id"] = w.rep_c.pk  # another team: a rep may not assign to them
    before = db_state()
    r = api("rep_a").post("/orders", {"customer_id": w.customers["own"].pk, **body})
    assert r.status_code == 422, r.content
    assert field in r.json()["errors"], r.json()
    assert db_state() == before


def test_an_invisible_customer_is_a_field_error_and_a_counter_role_is_403(sales_world, api):
    w = sales_world
    line = [{"description": "x", "unit_price": "1"}]
    r = api("rep_a").post("/orders", {"customer_id": w.customers["other_team"].pk, "lines": line})
    assert r.status_code == 422 and "customer_id" in r.json()["errors"]
    assert api("cashier").post("/orders", {"customer_id": w.customers["own"].pk, "lines": line}).status_code == 403


def test_from_quote(sales_world, api):
    w = sales_world
    quote = make_quote(w)
    r = api("rep_a").post("/orders/from-quote", {"quote_id": quote.pk})
    assert r.status_code == 201, r.content
    assert r.json()["total"] == f"{quote.total:.2f}" and r.json()["quote_id"] == quote.pk
    again = api("rep_a").post("/orders/from-quote", {"quote_id": quote.pk})
    assert again.status_code == 422 and "quote_id" in again.json()["errors"]
    draft = make_quote(w, status="draft", number="Q-2026-00002")
    assert api("rep_a").post("/orders/from-quote", {"quote_id": draft.pk}).status_code == 422
    hidden = make_quote(w, case="other_team", number="Q-2026-00003")
    r = api("rep_a").post("/orders/from-quote", {"quote_id": hidden.pk})
    assert r.status_code == 422 and set(r.json()["errors"]) == {"quote_id"}


def test_status_changes_over_the_api(sales_world, api):
    w = sales_world
    order = make_order(w)
    assert api("rep_c").post(f"/orders/{order.pk}/confirm").status_code == 404  # cannot see it
    assert api("rep_b").post(f"/orders/{order.pk}/confirm").status_code == 403  # sees it, may not change it
    r = api("rep_a").post(f"/orders/{order.pk}/confirm")
    assert r.status_code == 200 and r.json()["status"] == "confirmed" and r.json()["confirmed_at"]
    r = api("rep_a").post(f"/orders/{order.pk}/confirm")
    assert r.status_code == 422 and "status" in r.json()["errors"]
    assert api("rep_a").post(f"/orders/{order.pk}/deliver").json()["status"] == "delivered"
    assert api("rep_a").post(f"/orders/{order.pk}/cancel", {}).status_code == 403
    r = api("manager").post(f"/orders/{order.pk}/cancel", {"reason": "客户取消"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled" and r.json()["allowed_actions"] == []


def test_payments_over_the_api(sales_world, api):
    w = sales_world
    order = order_services.order_confirm(actor=w.rep_a, order=make_order(w))
    rep = api("rep_a")
    before = db_state()
    r = rep.post(f"/orders/{order.pk}/payments", {"amount": "1130.01"})
    assert r.status_code == 422 and "amount" in r.json()["errors"] and db_state() == before
    assert rep.post(f"/orders/{order.pk}/payments", {"amount": 100}).status_code == 422  # a number, not a string
    r = rep.post(f"/orders/{order.pk}/payments", {"amount": "1000.00", "method": "wechat", "reference": "微信 01",
                                                 "paid_on": str(timezone.localdate()), "idempotency_key": "pay-1"})
    assert r.status_code == 201, r.content
    assert (r.json()["amount"], r.json()["order_status"], r.json()["order_balance_due"]) == ("1000.00", "confirmed",
                                                                                           "130.00")
    replay = rep.post(f"/orders/{order.pk}/payments", {"amount": "1000.00", "method": "wechat", "reference": "微信 01",
                                                      "idempotency_key": "pay-1"})
    assert replay.status_code == 200 and replay.json()["id"] == r.json()["id"]
    r = rep.post(f"/orders/{order.pk}/payments", {"amount": "130.00", "paid_on": "2999-01-01"})
    assert r.status_code == 422 and "paid_on" in r.json()["errors"]
    r = rep.post(f"/orders/{order.pk}/payments", {"amount": "130.00"})
    assert r.status_code == 201 and r.json()["order_status"] == "paid" and r.json()["order_balance_due"] == "0.00"
    listed = rep.get(f"/orders/{order.pk}/payments").json()["items"]
    assert [p["amount"] for p in listed] == ["1000.00", "130.00"]
    assert api("cashier").get(f"/orders/{order.pk}/payments").status_code == 200
    assert api("cashier").post(f"/orders/{order.pk}/payments", {"amount": "1.00"}).status_code == 403
    assert api("rep_c").get(f"/orders/{order.pk}/payments").status_code == 404
    r = api("manager").post(f"/orders/{order.pk}/cancel", {"refund_amount": "1130.00", "refund_method": "bank"})
    assert r.status_code == 200 and (r.json()["status"], r.json()["paid_amount"]) == ("cancelled", "0.00")
    assert [p["amount"] for p in rep.get(f"/orders/{order.pk}/payments").json()["items"]][-1] == "-1130.00"


def test_the_order_list_filters_and_shows_only_what_the_caller_may_see(sales_world, api):
    w = sales_world
    mine = make_order(w)
    order_services.order_confirm(actor=w.rep_a, order=mine)
    make_order(w, actor="rep_c", case="other_team")
    theirs_s2 = make_order(w, actor="rep_d", case="other_store")

    def numbers(name, **params):
        r = api(name).get("/orders", **params)
        assert r.status_code == 200, r.content
        return {item["id"] for item in r.json()["items"]}

    assert numbers("rep_a") == {mine.pk}
    assert numbers("rep_d") == {mine.pk, theirs_s2.pk}  # rep_a's customer sits in rep_d's territory
    assert numbers("cashier") == {o.pk for o in Order.objects.filter(store=w.stores["S1"])}
    assert len(numbers("admin")) == 3
    assert numbers("admin", status="confirmed") == {mine.pk}
    assert numbers("admin", customer_id=w.customers["other_store"].pk) == {theirs_s2.pk}
    assert numbers("admin", owner_id=w.rep_a.pk) == {mine.pk}
    this_month = timezone.localdate().strftime("%Y-%m")
    assert len(numbers("admin", month=this_month)) == 3
    assert numbers("admin", month="2001-01") == set()
    assert api("admin").get("/orders", month="2026-13").status_code == 422
    assert api("admin").get("/orders", colour="red").status_code == 422
    assert api("marketing").get("/orders").status_code == 403
    assert numbers("admin_b") == set()


# --- contracts -----------------------------------------------------------------------------------

def test_contracts_over_the_api(sales_world, api, settings, tmp_path):
    w = sales_world
    settings.MEDIA_ROOT = tmp_path
    rep = api("rep_a")
    r = rep.post("/contracts", {"customer_id": w.customers["own"].pk, "title": "年度维保", "value": "120000.00",
                                "start_date": "2026-01-01", "end_date": "2026-12-31", "renewal_date": "2026-12-01"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["value"], body["reminder_days"], body["status"], body["renewal_date"]) == (
        "120000.00", 30, "draft", "2026-12-01")
    cid = body["id"]
    r = rep.post("/contracts", {"customer_id": w.customers["own"].pk, "title": "x", "end_date": "2026-02-30"})
    assert r.status_code == 422 and "end_date" in r.json()["errors"]
    r = rep.patch(f"/contracts/{cid}", {"renewal_date": "2026-11-01", "reminder_days": 10})
    assert r.status_code == 200 and (r.json()["renewal_date"], r.json()["reminder_days"]) == ("2026-11-01", 10)
    assert rep.patch(f"/contracts/{cid}", {"status": "active"}).status_code == 422
    assert api("rep_b").patch(f"/contracts/{cid}", {"title": "改"}).status_code == 403
    assert api("rep_c").get(f"/contracts/{cid}").status_code == 404
    assert api("cashier").get(f"/contracts/{cid}").status_code == 404  # counter staff do not see contracts
    assert rep.post(f"/contracts/{cid}/activate").json()["status"] == "active"
    assert rep.post(f"/contracts/{cid}/activate").status_code == 422
    contract = Contract.objects.get(pk=cid)
    contract_services.contract_file_add(actor=w.rep_a, contract=contract,
                                        upload=SimpleUploadedFile("签字版.pdf", b"%PDF-1.4"))
    files = rep.get(f"/contracts/{cid}/files").json()["items"]
    assert [(f["name"], f["size"]) for f in files] == [("签字版.pdf", 8)]
    assert files[0]["download_url"].endswith(f"/contract-files/{files[0]['id']}/download/")
    soon = (timezone.localdate() + dt.timedelta(days=400)).isoformat()
    rep.patch(f"/contracts/{cid}", {"renewal_date": soon})
    assert rep.get("/contracts", renewal_due_days=30).json()["count"] == 0
    assert rep.get("/contracts", renewal_due_days=400).json()["count"] == 1
    r = rep.post(f"/contracts/{cid}/terminate", {"reason": "到期不续"})
    assert r.json()["status"] == "terminated"
    assert rep.patch(f"/contracts/{cid}", {"title": "改"}).status_code == 422


def test_contract_from_quote_over_the_api(sales_world, api):
    w = sales_world
    quote = make_quote(w)
    r = api("rep_a").post("/contracts/from-quote", {"quote_id": quote.pk})
    assert r.status_code == 201 and r.json()["value"] == f"{quote.total:.2f}" and r.json()["quote_id"] == quote.pk
    r = api("rep_a").post("/contracts/from-quote", {"quote_id": quote.pk})
    assert r.status_code == 422 and "quote_id" in r.json()["errors"]
    assert api("cashier").post("/contracts/from-quote", {"quote_id": quote.pk}).status_code == 403
