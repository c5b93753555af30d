"""The opportunities, pipelines, territories and forecast API: what a client sees and what the DB holds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from guanxi.core import services as core
from guanxi.customers.services import contact_create
from guanxi.customers.tests.test_api import Api
from guanxi.sales.models import Opportunity, StageChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(sales_world):
    def make(name: str) -> Api:
        _token, secret = core.token_create(actor=None, user=sales_world.users[name])
        return Api(secret)

    return make


def names(response) -> set[str]:
    return {item["name"] for item in response.json()["items"]}


def test_list_filters_and_visibility(sales_world, api):
    w = sales_world
    r = api("rep_d").get("/opportunities")
    assert r.status_code == 200 and names(r) == {"张三 年度采购", "欧阳修 年度采购"} and r.json()["count"] == 2
    item = next(i for i in r.json()["items"] if i["name"] == "张三 年度采购")
    assert item["amount"] == "10000.00" and item["weighted_amount"] == "1000.00" and item["status"] == "open"
    assert item["territory_id"] == w.territories["shanghai"].pk
    admin = api("admin")
    assert names(admin.get("/opportunities", owner_id=w.rep_c.pk)) == {"单田芳 年度采购"}
    assert names(admin.get("/opportunities", territory_id=w.territories["east"].pk)) == {"张三 年度采购"}
    assert admin.get("/opportunities", status="won").json()["count"] == 0
    assert admin.get("/opportunities", q="stf").json()["count"] == 1
    for bad in ({"close_month": "2026-13"}, {"sort": "password"}, {"status": "maybe"}, {"ownr": 1}):
        r = admin.get("/opportunities", **bad)
        assert r.status_code == 422, bad
        assert set(r.json()) == {"detail", "errors"}
    assert api("admin_b").get("/opportunities").json()["count"] == 1


def test_create_get_patch_and_delete(sales_world, api):
    w = sales_world
    rep = api("rep_a")
    contact = contact_create(actor=w.rep_a, customer=w.customers["own"], data={"name": "王经理"})
    r = rep.post("/opportunities", {"name": "API 商机", "customer_id": w.customers["own"].pk, "contact_id": contact.pk,
                                    "amount": "1234.5", "expected_close": "2026-06-30"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["amount"] == "1234.50" and body["owner_id"] == w.rep_a.pk and body["stage_id"] == w.stages[0].pk
    assert body["expected_close"] == "2026-06-30" and body["probability"] == 10
    opp_id = body["id"]
    assert rep.get(f"/opportunities/{opp_id}").json()["name"] == "API 商机"
    r = rep.patch(f"/opportunities/{opp_id}", {"probability": 45, "next_step": "演示"})
    assert r.status_code == 200 and r.json()["probability"] == 45 and r.json()["probability_overridden"]
    r = rep.patch(f"/opportunities/{opp_id}", {"stage_id": w.stages[1].pk})
    assert r.json()["stage_id"] == w.stages[1].pk and r.json()["probability"] == 45  # hand-set survives
    assert StageChange.objects.filter(opportunity_id=opp_id).count() == 2
    r = rep.patch(f"/opportunities/{opp_id}", {"probability": None})
    assert r.json()["probability"] == 30
    # deleting is for managers and up
    assert rep.delete(f"/opportunities/{opp_id}").status_code == 403
    assert api("manager").delete(f"/opportunities/{opp_id}").status_code == 204
    assert not Opportunity.objects.filter(pk=opp_id).exists()


def test_create_refuses_bad_input_with_field_errors(sales_world, api):
    w = sales_world
    rep = api("rep_a")
    before = Opportunity.objects.count()
    cases = [
        ({"name": "x", "customer_id": w.customers["other_team"].pk}, "customer_id"),  # invisible customer
        ({"name": "x", "customer_id": w.customers["own"].pk, "amount": "1.234"}, "amount"),
        ({"name": "x", "customer_id": w.customers["own"].pk, "amount": 12.5}, "amount"),  # no floats
        ({"name": "x", "customer_id": w.customers["own"].pk, "expected_close": "2026-02-30"}, "expected_close"),
        ({"name": "x", "customer_id": w.customers["own"].pk, "stage_id": w.pipeline_b.stages.first().pk}, "stage_id"),
        ({"name": "x", "customer_id": w.customers["own"].pk, "owner_id": w.rep_c.pk}, "owner_id"),
        ({"name": "x", "customer_id": w.customers["own"].pk, "organization_id": 1}, "organization_id"),
        ({"name": "x", "customer_id": w.customers["own"].pk, "probability": 101}, "probability"),
        ({"name": "x\x00", "customer_id": w.customers["own"].pk}, "name"),
    ]
    for body, field in cases:
        r = rep.post("/opportunities", body)
        assert r.status_code == 422, (body, r.content)
        assert field in r.json()["errors"], (body, r.json())
    assert Opportunity.objects.count() == before


def test_move_and_history(sales_world, api):
    w = sales_world
    opp = w.opportunities["own"]
    rep = api("rep_a")
    r = rep.post(f"/opportunities/{opp.pk}/move", {"stage_id": w.stages[2].pk})
    assert r.status_code == 200 and r.json()["stage_id"] == w.stages[2].pk and r.json()["probability"] == 60
    r = rep.post(f"/opportunities/{opp.pk}/move", {"stage_id": w.stages[5].pk})
    assert r.status_code == 422 and "lost_reason" in r.json()["errors"]
    r = rep.post(f"/opportunities/{opp.pk}/move", {"stage_id": w.stages[5].pk, "lost_reason": "竞品低价"})
    assert r.status_code == 200 and r.json()["status"] == "lost" and r.json()["closed_at"]
    history = rep.get(f"/opportunities/{opp.pk}/history").json()["items"]
    assert [h["to_stage_id"] for h in history] == [w.stages[0].pk, w.stages[2].pk, w.stages[5].pk]
    assert [h["current"] for h in history] == [False, False, True]
    assert all(h["seconds_in_stage"] >= 0 for h in history) and history[0]["from_stage_id"] is None
    # rep_d sees the deal (territory) but cannot move it; the other organisation cannot see it
    assert api("rep_d").get(f"/opportunities/{opp.pk}/history").status_code == 200
    assert api("rep_d").post(f"/opportunities/{opp.pk}/move", {"stage_id": w.stages[1].pk}).status_code == 403
    assert api("admin_b").post(f"/opportunities/{opp.pk}/move", {"stage_id": w.stages[1].pk}).status_code == 404
    assert api("admin_b").get(f"/opportunities/{opp.pk}").status_code == 404
    assert rep.post(f"/opportunities/{opp.pk}/move", {"stage_id": "2"}).status_code == 422  # strict


def test_pipelines_and_territories(sales_world, api):
    w = sales_world
    r = api("rep_a").get("/pipelines")
    assert r.status_code == 200
    (pipeline,) = r.json()["items"]
    assert pipeline["id"] == w.pipeline.pk and pipeline["is_default"]
    assert [s["probability"] for s in pipeline["stages"]] == [10, 30, 60, 80, 100, 0]
    flat = api("rep_a").get("/territories").json()["items"]
    assert [t["name"] for t in flat][:2] == ["华东", "上海"]
    east = flat[0]
    assert east["provinces"] == ["上海", "江苏", "浙江"] and east["members"][0]["username"] == "rep_d"
    tree = api("rep_a").get("/territories/tree").json()["items"]
    assert [t["name"] for t in tree] == ["华东", "华北"] and tree[0]["children"][0]["name"] == "上海"
    assert tree[0]["children"][0]["customers"] == 1 and tree[0]["children"][0]["open_opportunities"] == 1
    assert api("rep_a").get("/territories", x=1).status_code == 422
    assert api("admin_b").get("/territories").json()["items"] == []


def test_forecast_endpoint(sales_world, api):
    w = sales_world
    own = w.customers["own"]
    for amount, stage in (("1000.00", 0), ("333.33", 1), ("0.01", 2)):
        r = api("rep_a").post("/opportunities", {"name": f"预测{amount}", "customer_id": own.pk, "amount": amount,
                                                 "stage_id": w.stages[stage].pk, "expected_close": "2026-03-05"})
        assert r.status_code == 201
    r = api("admin").get("/forecast", group_by="rep", **{"from": "2026-03", "to": "2026-03"})
    assert r.status_code == 200, r.content
    body = r.json()
    (row,) = body["rows"]
    assert row["key"] == w.rep_a.pk and row["open_amount"] == "1333.34" and row["weighted_amount"] == "200.01"
    assert body["total"]["weighted_amount"] == "200.01" and body["total"]["key"] is None
    by_month = api("admin").get("/forecast", group_by="month", **{"from": "2026-02", "to": "2026-03"}).json()
    assert [r["key"] for r in by_month["rows"]] == ["2026-02", "2026-03"]
    assert Decimal(by_month["rows"][0]["weighted_amount"]) == 0
    assert api("admin").get("/forecast", **{"from": "2026-05", "to": "2026-03"}).status_code == 422
    assert api("admin").get("/forecast", **{"from": "2026-5"}).status_code == 422
    assert api("admin").get("/forecast", group_by="galaxy").status_code == 422
    assert api("marketing").get("/forecast").status_code == 403
