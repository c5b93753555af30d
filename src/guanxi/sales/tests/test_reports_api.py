"""The sales reports API: what a client sees, the errors it gets, and what the database holds afterwards."""

from __future__ import annotations

import pytest

from guanxi.sales.tests import money_helpers as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(sales_world):
    return h.api_clients(sales_world)


# --- reports ---------------------------------------------------------------------------------

def test_reports_over_the_api(api, sales_world):
    w = sales_world
    h.opportunity(w, w.rep_a, "won", "5000.00", w.stages[4], closed_at=h.at(2026, 3, 10))
    h.opportunity(w, w.rep_b, "won b", "700.00", w.stages[4], customer=w.customers["team"],
                  closed_at=h.at(2026, 3, 11))
    body = api("rep_a").get("/reports/pipeline").json()
    assert (body["rows"][0]["count"], body["rows"][0]["amount"]) == (1, "10000.00")  # own deals only
    assert body["totals"]["amount"] == "15000.00" and body["sql"] and body["columns"][0]["key"] == "stage"
    admin = api("admin").get("/reports/won-lost", year=2026).json()
    march = next(r for r in admin["rows"] if r["month"] == "2026-03")
    assert (march["won_count"], march["won_amount"], march["win_rate"]) == (2, "5700.00", "100.0")
    assert api("admin").get("/reports/forecast", month="2026-03").json()["totals"]["won_amount"] == "5700.00"
    assert api("marketing").get("/reports/lead-sources", year=2026).status_code == 200
    assert api("admin").get("/reports/nonsense").status_code == 422
    assert api("admin").get("/reports/forecast", month="March").status_code == 422
    assert api("admin").get("/reports/pipeline", pipeline=w.pipeline_b.pk).status_code == 422
    assert api("admin").get("/reports/pipeline", colour="red").status_code == 422
    assert api("cashier").get("/reports/pipeline").status_code == 403
    assert api("admin").get("/reports/won-lost").status_code == 200  # the defaults: this year
