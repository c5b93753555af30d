"""The commission API: what a client sees, the errors it gets, and what the database holds afterwards."""

from __future__ import annotations

from decimal import Decimal

import pytest

from guanxi.sales.models import CommissionRule
from guanxi.sales.services.commission import commission_on_order_paid
from guanxi.sales.tests import money_helpers as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(sales_world):
    return h.api_clients(sales_world)


# --- commission ------------------------------------------------------------------------------

def test_rules_crud_for_a_commission_manager(api, sales_world):
    w = sales_world
    admin = api("admin")
    product = h.product(w, "P1", "主机")
    r = admin.post("/commission/rules", {"name": "主机提成", "product_id": product.pk, "rate": "0.0525",
                                         "basis": "margin", "min_margin_percent": "20.5"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["rate"], body["min_margin_percent"], body["product_name"], body["user_id"]) == (
        "0.0525", "20.50", "主机", None)
    rule_id = body["id"]
    r = admin.patch(f"/commission/rules/{rule_id}", {"rate": "0.06", "user_id": w.rep_a.pk})
    assert r.status_code == 200 and r.json()["rate"] == "0.0600" and r.json()["user_id"] == w.rep_a.pk
    assert admin.get(f"/commission/rules/{rule_id}").json()["name"] == "主机提成"
    assert admin.delete(f"/commission/rules/{rule_id}").status_code == 204
    assert not CommissionRule.objects.filter(pk=rule_id).exists()


@pytest.mark.parametrize("body, field", [
    ({"name": "x", "rate": 0.05}, "rate"),                     # a JSON number is not money
    ({"name": "x", "rate": "1.5"}, "rate"),
    ({"name": "x", "rate": "0.12345"}, "rate"),
    ({"name": "x", "rate": "0.1", "organization_id": 2}, "organization_id"),
    ({"name": "", "rate": "0.1"}, "name"),
    ({"name": "x", "rate": "0.1", "user_id": 10**12}, "user_id"),
    ({"name": "x", "rate": "0.1", "priority": "1"}, "priority"),
    ({"name": "x", "rate": "0.1", "min_margin_percent": "101"}, "min_margin_percent"),
])
def test_bad_rules_get_422_naming_the_field(api, body, field):
    r = api("admin").post("/commission/rules", body)
    assert r.status_code == 422 and field in r.json()["errors"], r.content
    assert not CommissionRule.objects.exists()


def test_reps_read_rules_that_apply_to_them_and_change_none(api, sales_world):
    w = sales_world
    general = CommissionRule.objects.create(organization=w.org, name="全员", rate=Decimal("0.05"))
    other = CommissionRule.objects.create(organization=w.org, name="rep_b 专属", rate=Decimal("0.08"), user=w.rep_b)
    rep = api("rep_a")
    assert [i["name"] for i in rep.get("/commission/rules").json()["items"]] == ["全员"]
    assert rep.get(f"/commission/rules/{other.pk}").status_code == 404
    assert rep.patch(f"/commission/rules/{general.pk}", {"rate": "0.5"}).status_code == 403
    assert rep.post("/commission/rules", {"name": "x", "rate": "0.5"}).status_code == 403
    assert rep.delete(f"/commission/rules/{general.pk}").status_code == 403
    assert api("admin_b").get(f"/commission/rules/{general.pk}").status_code == 404
    assert CommissionRule.objects.get(pk=general.pk).rate == Decimal("0.0500")


def test_statement(api, sales_world):
    w = sales_world
    CommissionRule.objects.create(organization=w.org, name="全员", rate=Decimal("0.0500"))
    o = h.order(w, w.rep_a, "SO-9", [(None, "1000.50", "0")], paid_at=h.at(2026, 4, 2))
    commission_on_order_paid(order=o, actor=w.rep_a)
    r = api("rep_a").get("/commission/statement", month="2026-04")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["user_id"], body["month"], body["total"], body["earned_total"]) == (w.rep_a.pk, "2026-04", "50.03",
                                                                                     "50.03")
    assert [(ln["order_number"], ln["customer"], ln["basis"], ln["rate"], ln["amount"], ln["kind"])
            for ln in body["lines"]] == [("SO-9", "张三", "1000.50", "0.0500", "50.03", "earned")]
    assert api("manager").get("/commission/statement", user=w.rep_a.pk, month="2026-04").json()["total"] == "50.03"
    assert api("rep_b").get("/commission/statement", user=w.rep_a.pk, month="2026-04").status_code == 404
    assert api("cashier").get("/commission/statement").status_code == 403
    assert api("rep_a").get("/commission/statement", month="2026-13").status_code == 422
    assert api("rep_a").get("/commission/statement", mnth="2026-04").status_code == 422


