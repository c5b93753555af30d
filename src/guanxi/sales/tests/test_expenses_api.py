"""The expense claims API: what a client sees, the errors it gets, and what the database holds afterwards."""

from __future__ import annotations

import pytest

from guanxi.sales.models import ExpenseClaim
from guanxi.sales.tests import money_helpers as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(sales_world):
    return h.api_clients(sales_world)


# --- expenses --------------------------------------------------------------------------------

def test_expense_flow_over_the_api(api, sales_world):
    w = sales_world
    rep, manager = api("rep_a"), api("manager")
    r = rep.post("/expenses", {"category": "meals", "amount": "256.80", "spent_on": "2026-03-02",
                               "description": "客户晚餐", "opportunity_id": w.opportunities["own"].pk})
    assert r.status_code == 201, r.content
    claim = r.json()
    assert (claim["status"], claim["amount"], claim["owner_id"], claim["has_receipt"]) == ("draft", "256.80",
                                                                                          w.rep_a.pk, False)
    cid = claim["id"]
    assert rep.patch(f"/expenses/{cid}", {"amount": "250.00"}).json()["amount"] == "250.00"
    assert manager.patch(f"/expenses/{cid}", {"amount": "1.00"}).status_code == 403
    assert api("rep_b").get(f"/expenses/{cid}").status_code == 404
    assert rep.post(f"/expenses/{cid}/submit").json()["status"] == "submitted"
    assert rep.patch(f"/expenses/{cid}", {"amount": "1.00"}).status_code == 422
    assert rep.post(f"/expenses/{cid}/approve", {}).status_code == 403  # no approving one's own claim
    assert api("manager_s2").post(f"/expenses/{cid}/approve", {}).status_code == 404
    assert manager.post(f"/expenses/{cid}/reject", {}).status_code == 422  # a rejection needs a reason
    r = manager.post(f"/expenses/{cid}/approve", {"note": "同意"})
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["decided_by_id"] == w.manager.pk
    deals = manager.get("/expenses/deals").json()
    assert deals["items"] == [{"opportunity_id": w.opportunities["own"].pk, "name": "张三 年度采购", "customer": "张三",
                               "claims": 1, "cost": "250.00", "amount": "10000.00", "share_percent": "2.5"}]
    assert [i["id"] for i in rep.get("/expenses", status="approved").json()["items"]] == [cid]
    assert rep.get("/expenses", status="draft").json()["count"] == 0


def test_expense_input_is_checked(api, sales_world):
    w = sales_world
    rep = api("rep_a")
    base = {"category": "travel", "amount": "10.00", "spent_on": "2026-03-02", "description": "x"}
    for change, field in (({"amount": 10}, "amount"), ({"amount": "-1"}, "amount"), ({"spent_on": "2026-02-30"},
                          "spent_on"), ({"spent_on": "2999-01-01"}, "spent_on"), ({"status": "approved"}, "status"),
                          ({"opportunity_id": w.opportunities["other_team"].pk}, "opportunity_id"),
                          ({"category": "yacht"}, "category"), ({"description": ""}, "description")):
        r = rep.post("/expenses", {**base, **change})
        assert r.status_code == 422 and field in r.json()["errors"], (change, r.content)
    assert not ExpenseClaim.objects.exists()
    assert api("cashier").post("/expenses", base).status_code == 403
    assert api("readonly").post("/expenses", base).status_code == 403


def test_only_the_claimant_deletes_a_draft(api, sales_world):
    rep = api("rep_a")
    cid = rep.post("/expenses", {"amount": "5.00", "spent_on": "2026-03-02", "description": "x"}).json()["id"]
    assert api("manager").delete(f"/expenses/{cid}").status_code == 403
    assert rep.delete(f"/expenses/{cid}").status_code == 204
    assert rep.get(f"/expenses/{cid}").status_code == 404


