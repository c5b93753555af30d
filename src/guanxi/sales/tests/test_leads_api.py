"""The leads API: list/create/get/patch/delete/assign/convert, with what the database holds after."""

from __future__ import annotations

import pytest

from guanxi.core import services as core
from guanxi.core.models import Notification
from guanxi.customers.models import Customer
from guanxi.customers.tests.test_api import Api
from guanxi.sales.models import Lead, Opportunity
from guanxi.sales.services.leads import lead_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(sales_world):
    def make(name: str) -> Api:
        _token, secret = core.token_create(actor=None, user=sales_world.users[name])
        return Api(secret)

    return make


@pytest.fixture
def lead(sales_world):
    return lead_create(actor=sales_world.rep_a, data={"name": "接口线索", "phone": "13988880000", "province": "上海",
                                                      "estimated_amount": "3000"})


def test_list_shows_visible_leads_with_filters(sales_world, api, lead):
    lead_create(actor=sales_world.rep_c, data={"name": "二组线索"})
    r = api("rep_a").get("/leads")
    assert r.status_code == 200 and [i["name"] for i in r.json()["items"]] == ["接口线索"]
    item = r.json()["items"][0]
    assert item["territory_name"] == "上海" and item["estimated_amount"] == "3000.00" and item["owner_id"] == \
        sales_world.rep_a.pk
    assert api("rep_d").get("/leads").json()["count"] == 1  # through the territory rule
    assert api("admin").get("/leads", status="converted").json()["count"] == 0
    assert api("admin").get("/leads", q="13988880000").json()["count"] == 1
    r = api("admin").get("/leads", sortt="name")
    assert r.status_code == 422 and "sortt" in r.json()["errors"]


def test_create_with_strict_schema_and_field_errors(sales_world, api):
    r = api("rep_a").post("/leads", {"name": "新", "phone": "139 0000 1111", "estimated_amount": "12.5",
                                     "campaign": "春季"})
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["source"] == "api" and body["phone"] == "+8613900001111" and body["estimated_amount"] == "12.50"
    assert Lead.objects.get(pk=body["id"]).owner == sales_world.rep_a
    before = Lead.objects.count()
    for bad, field in (({"name": "x", "score": 5}, "score"), ({"name": "x", "estimated_amount": 12.5},
                                                               "estimated_amount"),
                       ({"name": "x", "status": "converted"}, "status"), ({"name": "x", "phone": "12"}, "phone"),
                       ({"name": "x", "owner_id": sales_world.rep_b.pk}, "owner_id")):
        r = api("rep_a").post("/leads", bad)
        assert r.status_code == 422 and field in r.json()["errors"], (bad, r.json())
    assert Lead.objects.count() == before


def test_get_patch_delete_follow_the_row_rules(sales_world, api, lead):
    assert api("rep_b").get(f"/leads/{lead.pk}").status_code == 200
    assert api("rep_c").get(f"/leads/{lead.pk}").status_code == 404
    assert api("rep_b").patch(f"/leads/{lead.pk}", {"status": "qualified"}).status_code == 403
    r = api("rep_a").patch(f"/leads/{lead.pk}", {"status": "qualified", "rating": "hot"})
    assert r.status_code == 200 and (r.json()["status"], r.json()["rating"]) == ("qualified", "hot")
    assert api("rep_a").patch(f"/leads/{lead.pk}", {"owner_id": 1}).status_code == 422
    assert api("rep_a").delete(f"/leads/{lead.pk}").status_code == 403
    assert api("manager").delete(f"/leads/{lead.pk}").status_code == 204
    assert not Lead.objects.filter(pk=lead.pk).exists()


def test_assign_by_hand_team_and_territory(sales_world, api, lead):
    w = sales_world
    r = api("manager").post(f"/leads/{lead.pk}/assign", {"owner_id": w.rep_b.pk})
    assert r.status_code == 200 and r.json()["owner_id"] == w.rep_b.pk
    assert Notification.objects.filter(recipient=w.rep_b).count() == 1
    r = api("admin").post(f"/leads/{lead.pk}/assign", {"team_id": w.teams["T1"].pk})
    assert r.json()["owner_id"] == w.rep_a.pk
    r = api("admin").post(f"/leads/{lead.pk}/assign", {"by_territory": True})
    assert r.json()["owner_id"] == w.rep_d.pk
    for body in ({}, {"owner_id": w.rep_b.pk, "by_territory": True}):
        assert api("admin").post(f"/leads/{lead.pk}/assign", body).status_code == 422
    r = api("manager").post(f"/leads/{lead.pk}/assign", {"owner_id": w.rep_d.pk})  # other store's rep
    assert r.status_code in (403, 404, 422)
    assert api("rep_a").post(f"/leads/{lead.pk}/assign", {"owner_id": w.rep_b.pk}).status_code in (403, 404)


def test_convert_with_duplicate_offer_then_reuse_then_refusal(sales_world, api):
    w = sales_world
    own = w.customers["own"]
    dup = lead_create(actor=w.rep_a, data={"name": "张三", "phone": "13800000001", "campaign": "老客回访"})
    customers = Customer.objects.count()
    r = api("rep_a").post(f"/leads/{dup.pk}/convert", {"opportunity_name": "续约"})
    assert r.status_code == 409 and [d["id"] for d in r.json()["duplicates"]] == [own.pk]
    assert Customer.objects.count() == customers
    r = api("rep_a").post(f"/leads/{dup.pk}/convert", {"customer_id": own.pk, "opportunity_name": "续约",
                                                      "amount": "990.10", "expected_close": "2026-12-31"})
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["customer_id"] == own.pk and not body["customer_created"]
    assert body["lead"]["status"] == "converted" and body["lead"]["converted_customer_id"] == own.pk
    opp = Opportunity.objects.get(pk=body["opportunity_id"])
    assert (opp.name, str(opp.amount), opp.campaign, str(opp.expected_close)) == ("续约", "990.10", "老客回访",
                                                                                 "2026-12-31")
    r = api("rep_a").post(f"/leads/{dup.pk}/convert", {"allow_duplicate": True})
    assert r.status_code == 422 and Customer.objects.count() == customers


def test_convert_refusals(sales_world, api, lead):
    assert api("rep_b").post(f"/leads/{lead.pk}/convert", {}).status_code == 403
    assert api("rep_c").post(f"/leads/{lead.pk}/convert", {}).status_code == 404
    r = api("rep_a").post(f"/leads/{lead.pk}/convert", {"customer_id": sales_world.customers["other_org"].pk})
    assert r.status_code == 422 and "customer_id" in r.json()["errors"]
    r = api("rep_a").post(f"/leads/{lead.pk}/convert", {"amount": 5})
    assert r.status_code == 422
    assert Lead.objects.get(pk=lead.pk).status == "new"


def test_export(sales_world, api, lead):
    r = api("manager").get("/leads/export", format="csv")
    assert r.status_code == 200 and "接口线索" in r.content.decode("utf-8-sig")
    assert api("rep_a").get("/leads/export").status_code == 403
