"""The products, price-lists and quotes API: what a client sees and what the database holds."""

from __future__ import annotations

import subprocess

import pytest
from django.core import mail

from guanxi.core import services as core
from guanxi.customers.services import contact_create
from guanxi.customers.tests.test_api import Api
from guanxi.sales.models import PriceList, Product, Quote, QuoteLine

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(sales_world):
    def make(name: str) -> Api:
        _token, secret = core.token_create(actor=None, user=sales_world.users[name])
        return Api(secret)

    return make


def test_products_crud_and_strict_input(sales_world, api):
    admin = api("admin")
    r = admin.post("/products", {"sku": "ERP-1", "name": "企业资源计划", "list_price": "1999.90", "unit": "套"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["list_price"] == "1999.90" and body["tax_rate"] == "0.1300" and body["currency"] == "CNY"
    pid = body["id"]
    # the SKU again: a field error
    r = admin.post("/products", {"sku": "erp-1", "name": "x"})
    assert r.status_code == 422 and "sku" in r.json()["errors"]
    for bad in ({"sku": "A", "name": "x", "list_price": 5}, {"sku": "A", "name": "x", "list_price": "-1"},
                {"sku": "A", "name": "x", "list_price": "1.234"}, {"sku": "A", "name": "x", "organization_id": 2},
                {"sku": "A", "name": "x", "tax_rate": "1.5"}):
        r = admin.post("/products", bad)
        assert r.status_code == 422, (bad, r.content)
    assert Product.objects.count() == 1
    r = admin.patch(f"/products/{pid}", {"list_price": "2100.00", "is_active": False})
    assert r.status_code == 200 and r.json()["list_price"] == "2100.00" and r.json()["is_active"] is False
    rep = api("rep_a")
    assert rep.get(f"/products/{pid}").status_code == 200
    assert rep.get("/products", active="false").json()["count"] == 1
    assert rep.get("/products", active="true").json()["count"] == 0
    assert rep.patch(f"/products/{pid}", {"name": "x"}).status_code == 403
    assert rep.post("/products", {"sku": "B", "name": "x"}).status_code == 403
    assert api("admin_b").get(f"/products/{pid}").status_code == 404
    assert rep.get("/products/99999999999999999999").status_code in (404, 422)
    assert admin.delete(f"/products/{pid}").status_code == 204


def test_bundles_rules_configure_and_price(sales_world, api):
    admin = api("admin")
    ids = {}
    for sku, kind in (("SRV", "product"), ("LIC", "product"), ("CLD", "service"), ("KIT", "bundle")):
        ids[sku] = admin.post("/products", {"sku": sku, "name": f"名 {sku}", "kind": kind,
                                            "list_price": "100"}).json()["id"]
    r = admin._send("put", f"/products/{ids['KIT']}/bundle-items/{ids['LIC']}", {"quantity": "2"})
    assert r.status_code == 200 and r.json()["bundle_items"][0]["quantity"] == "2.000"
    r = admin.post(f"/products/{ids['SRV']}/rules", {"kind": "requires", "other_id": ids["LIC"]})
    assert r.status_code == 201
    r = admin.post(f"/products/{ids['SRV']}/rules", {"kind": "excludes", "other_id": ids["CLD"]})
    assert r.status_code == 201
    r = admin.post(f"/products/{ids['SRV']}/rules", {"kind": "requires", "other_id": ids["SRV"]})
    assert r.status_code == 422 and "other_id" in r.json()["errors"]
    rep = api("rep_a")
    r = rep.post("/products/configure", {"items": [{"product_id": ids["SRV"]}, {"product_id": ids["CLD"]}]})
    assert r.status_code == 200
    assert not r.json()["ok"] and sorted(v["kind"] for v in r.json()["violations"]) == ["excludes", "requires"]
    r = rep.post("/products/configure", {"items": [{"product_id": ids["SRV"]}, {"product_id": ids["KIT"]}]})
    assert r.json() == {"ok": True, "violations": []}
    # prices
    r = admin.post("/price-lists", {"name": "标准价", "is_default": True})
    assert r.status_code == 201
    pl = r.json()["id"]
    assert admin.post(f"/price-lists/{pl}/items", {"product_id": ids["SRV"], "price": "90.00",
                                                   "min_quantity": "10"}).status_code == 200
    r = admin.post("/price-lists", {"name": "二号", "is_default": True})
    assert r.status_code == 422 and "is_default" in r.json()["errors"]
    r = rep.get(f"/products/{ids['SRV']}/price", quantity="12", customer_id=str(sales_world.customers["own"].pk))
    assert r.json()["unit_price"] == "90.00" and r.json()["price_list_id"] == pl
    assert rep.get(f"/products/{ids['SRV']}/price", quantity="9").json()["unit_price"] == "100.00"
    r = rep.get(f"/products/{ids['SRV']}/price", customer_id=str(sales_world.customers["other_store"].pk))
    assert r.status_code == 422  # a customer the rep cannot see
    assert rep.get("/price-lists").json()["count"] == 1
    assert rep.post("/price-lists", {"name": "x"}).status_code == 403
    assert PriceList.objects.count() == 1


def _product(admin, sku="ERP-1", price="1000.00"):
    return admin.post("/products", {"sku": sku, "name": "企业资源计划系统", "list_price": price}).json()["id"]


def test_quote_lifecycle_over_the_api(sales_world, api):
    w = sales_world
    admin, rep, manager = api("admin"), api("rep_a"), api("manager")
    pid = _product(admin)
    contact = contact_create(actor=w.rep_a, customer=w.customers["own"], data={"name": "李秘书",
                                                                            "email": "li@example.com"})
    r = rep.post("/quotes", {"opportunity_id": w.opportunities["own"].pk, "contact_id": contact.pk,
                             "lines": [{"product_id": pid, "quantity": "3", "discount_percent": "20"},
                                       {"description": "实施", "quantity": "2", "unit_price": "500.00"}]})
    assert r.status_code == 201, r.content
    q = r.json()
    assert (q["subtotal"], q["discount_total"], q["tax_total"], q["total"]) == ("4000.00", "600.00", "442.00",
                                                                               "3842.00")
    assert q["approval_needed"] and not q["can_send"] and q["status"] == "draft"
    qid = q["id"]
    r = rep.post(f"/quotes/{qid}/send", {})
    assert r.status_code == 422 and "status" in r.json()["errors"]
    assert rep.post(f"/quotes/{qid}/submit").json()["status"] == "pending_approval"
    assert rep.post(f"/quotes/{qid}/approve").status_code == 403
    assert api("manager_s2").post(f"/quotes/{qid}/approve").status_code == 404
    r = manager.post(f"/quotes/{qid}/approve")
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["can_send"]
    r = rep.post(f"/quotes/{qid}/send", {"message": "请查收"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "sent" and r.json()["sent_to"] == "li@example.com"
    assert mail.outbox[0].attachments[0][0].endswith(".pdf")
    line_id = r.json()["lines"][0]["id"]
    assert rep.patch(f"/quotes/{qid}/lines/{line_id}", {"quantity": "4"}).status_code == 422  # sent: locked
    r = rep.post(f"/quotes/{qid}/new-version")
    assert r.status_code == 201 and r.json()["version"] == 2 and r.json()["total"] == "3842.00"
    v2 = r.json()["id"]
    assert rep.get(f"/quotes/{qid}").json()["status"] == "superseded"
    new_line = r.json()["lines"][0]["id"]
    r = rep.patch(f"/quotes/{v2}/lines/{new_line}", {"discount_percent": "10"})
    assert r.status_code == 200 and r.json()["total"] == "4181.00" and not r.json()["approval_needed"]
    r = rep.delete(f"/quotes/{v2}/lines/{r.json()['lines'][1]['id']}")
    assert r.status_code == 200 and r.json()["total"] == "3051.00"
    assert rep.patch(f"/quotes/{qid}/lines/{new_line}", {"quantity": "1"}).status_code == 404  # not that quote's line
    r = rep.post(f"/quotes/{v2}/accept")
    assert r.status_code == 200 and r.json()["status"] == "accepted" and r.json()["opportunity_moved"] is True
    listed = rep.get("/quotes").json()
    assert [i["id"] for i in listed["items"]] == [v2]
    assert rep.get("/quotes", all_versions="true").json()["count"] == 2
    assert rep.get("/quotes", nope="1").status_code == 422


def test_quote_visibility_and_pdf_route(sales_world, api):
    w = sales_world
    rep = api("rep_a")
    qid = rep.post("/quotes", {"customer_id": w.customers["own"].pk,
                               "lines": [{"description": "咨询服务", "quantity": "1", "unit_price": "1234.50"}]}).json()["id"]
    r = rep.get(f"/quotes/{qid}/pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert "attachment" in r["Content-Disposition"]
    text = subprocess.run(["pdftotext", "-", "-"], input=r.content, capture_output=True, check=True).stdout.decode()
    # 1,234.50 + 13 % tax (160.485 → 160.49, half-up) = 1,394.99
    assert "张三" in text and "160.49" in text and "CNY 1,394.99" in text
    for name, status in (("rep_b", 200), ("rep_d", 200), ("rep_c", 404), ("manager_s2", 404), ("admin_b", 404),
                         ("readonly", 200), ("marketing", 404)):
        assert api(name).get(f"/quotes/{qid}").status_code == status, name
    assert api("rep_b").patch(f"/quotes/{qid}", {"terms": "x"}).status_code == 403
    assert api("rep_c").get(f"/quotes/{qid}/pdf").status_code == 404
    assert rep.get("/quotes/999999/pdf").status_code == 404


def test_quote_create_errors_are_field_errors(sales_world, api):
    w = sales_world
    rep = api("rep_a")
    r = rep.post("/quotes", {"customer_id": w.customers["other_store"].pk})
    assert r.status_code == 422 and "customer_id" in r.json()["errors"]
    r = rep.post("/quotes", {"customer_id": w.customers["own"].pk,
                             "lines": [{"description": "x", "quantity": "1", "unit_price": "1"},
                                       {"description": "y", "quantity": "0", "unit_price": "1"}]})
    assert r.status_code == 422 and "lines.1.quantity" in r.json()["errors"], r.json()
    assert not Quote.objects.exists() and not QuoteLine.objects.exists()
    r = rep.post("/quotes", {"customer_id": w.customers["own"].pk, "valid_until": "2026-02-30"})
    assert r.status_code == 422 and "valid_until" in r.json()["errors"]
    r = rep.post("/quotes", {"customer_id": w.customers["own"].pk, "lines": [{"description": "x", "quantity": "1",
                                                                            "unit_price": 1}]})
    assert r.status_code == 422
    assert api("readonly").post("/quotes", {"customer_id": w.customers["own"].pk}).status_code == 403
