"""Forecast sums (exact Decimals), quotas and attainment, by rep / team / territory / month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from guanxi.sales.models import Quota
from guanxi.sales.selectors.forecast import ForecastFilters, forecast, months_between
from guanxi.sales.services.forecast import quota_delete, quota_set
from guanxi.sales.services.opportunities import opportunity_create, opportunity_move

pytestmark = pytest.mark.django_db
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 4, 1))


def deal(w, actor, customer, amount, stage, close="2026-03-20", name=None):
    opp = opportunity_create(actor=actor, data={"name": name or f"{amount}@{stage}", "customer": customer.pk,
                                                "amount": amount, "expected_close": close})
    if stage:
        opportunity_move(actor=actor, opportunity=opp, stage=w.stages[stage].pk)
    return opp


def row(result, key):
    return next(r for r in result.rows if r.key == key)


@pytest.fixture
def three_deals(sales_world):
    """1000.00 @ 10 %, 333.33 @ 30 %, 0.01 @ 60 %, all rep_a's, expected in March 2026."""
    w = sales_world
    own = w.customers["own"]
    deal(w, w.rep_a, own, "1000.00", 0)
    deal(w, w.rep_a, own, "333.33", 1)
    deal(w, w.rep_a, own, "0.01", 2)
    return w


def test_weighted_sums_are_exact_decimals(three_deals):
    w = three_deals
    result = forecast(actor=w.admin, group_by="rep", start=MARCH[0], end=MARCH[1])
    rep_a = row(result, w.rep_a.pk)
    assert rep_a.open.count == 3
    assert rep_a.open.amount == Decimal("1333.34")
    # 100.000 + 99.999 + 0.006 = 200.005 → rounded half-up once: 200.01
    assert rep_a.open.weighted == Decimal("200.01")
    assert isinstance(rep_a.open.weighted, Decimal) and rep_a.open.weighted.as_tuple().exponent == -2
    assert result.total.open.weighted == Decimal("200.01") and result.total.open.amount == Decimal("1333.34")
    # the world's deals have no expected close date, so they are outside every month
    assert result.total.open.count == 3


def test_group_by_team_territory_and_month(three_deals):
    w = three_deals
    deal(w, w.rep_c, w.customers["other_team"], "100.00", 3, close="2026-04-02")  # 80 %
    both = (dt.date(2026, 3, 1), dt.date(2026, 5, 1))
    by_team = forecast(actor=w.admin, group_by="team", start=both[0], end=both[1])
    assert row(by_team, w.teams["T1"].pk).open.weighted == Decimal("200.01")
    assert row(by_team, w.teams["T2"].pk).open.weighted == Decimal("80.00")
    by_territory = forecast(actor=w.admin, group_by="territory", start=both[0], end=both[1])
    assert row(by_territory, w.territories["shanghai"].pk).open.amount == Decimal("1333.34")
    assert row(by_territory, None).open.amount == Decimal("100.00")  # 单田芳 has no territory
    by_month = forecast(actor=w.admin, group_by="month", start=both[0], end=both[1])
    assert [r.key for r in by_month.rows] == ["2026-03", "2026-04"]
    assert row(by_month, "2026-04").open.weighted == Decimal("80.00")
    assert by_month.total.open.weighted == Decimal("280.01")


def test_filters_and_who_sees_what(three_deals):
    w = three_deals
    deal(w, w.rep_b, w.customers["team"], "50.00", 0)
    # a rep sees their own deals only (VIEW_FORECAST is OWN for reps), not the teammate's
    mine = forecast(actor=w.rep_a, group_by="rep", start=MARCH[0], end=MARCH[1])
    assert [r.key for r in mine.rows] == [w.rep_a.pk]
    # the other store's manager sees none of it
    assert forecast(actor=w.users["manager_s2"], group_by="rep", start=MARCH[0], end=MARCH[1]).total.open.count == 0
    narrowed = forecast(actor=w.admin, group_by="rep", start=MARCH[0], end=MARCH[1],
                        filters=ForecastFilters(owner_id=w.rep_b.pk))
    assert [r.open.amount for r in narrowed.rows] == [Decimal("50.00")]
    with pytest.raises(PermissionDenied):
        forecast(actor=w.users["marketing"], group_by="rep", start=MARCH[0], end=MARCH[1])


def test_quota_and_attainment(three_deals):
    w = three_deals
    quota_set(actor=w.manager, user=w.rep_a, period="2026-03", amount="3000")
    with time_machine.travel(dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC), tick=False):
        won = deal(w, w.rep_a, w.customers["own"], "1000.00", 0, close="2026-03-31", name="赢单")
        opportunity_move(actor=w.rep_a, opportunity=won, stage=w.stages[4].pk)
    with time_machine.travel(dt.datetime(2026, 4, 2, 12, tzinfo=dt.UTC), tick=False):
        april = deal(w, w.rep_a, w.customers["own"], "500.00", 0, name="四月赢")
        opportunity_move(actor=w.rep_a, opportunity=april, stage=w.stages[4].pk)
    result = forecast(actor=w.admin, group_by="rep", start=MARCH[0], end=MARCH[1])
    rep_a = row(result, w.rep_a.pk)
    assert rep_a.won == Decimal("1000.00") and rep_a.quota == Decimal("3000.00")
    assert rep_a.attainment == Decimal("33.3")
    by_month = forecast(actor=w.admin, group_by="month", start=MARCH[0], end=dt.date(2026, 5, 1))
    assert row(by_month, "2026-03").attainment == Decimal("33.3")
    assert row(by_month, "2026-04").won == Decimal("500.00") and row(by_month, "2026-04").quota is None
    # setting the same month again replaces the quota
    quota_set(actor=w.manager, user=w.rep_a, period="2026-03", amount="1000")
    assert Quota.objects.get(user=w.rep_a).amount == Decimal("1000.00")
    assert row(forecast(actor=w.admin, group_by="rep", start=MARCH[0], end=MARCH[1]), w.rep_a.pk).attainment \
        == Decimal("100.0")


def test_quota_rules(sales_world):
    w = sales_world
    with pytest.raises(PermissionDenied):
        quota_set(actor=w.rep_a, user=w.rep_a, period="2026-03", amount="1")
    with pytest.raises(ValidationError) as exc:  # another store's rep
        quota_set(actor=w.manager, user=w.rep_d, period="2026-03", amount="1")
    assert "user" in exc.value.message_dict
    for period in ("2026-13", "march", ""):
        with pytest.raises(ValidationError) as exc:
            quota_set(actor=w.admin, user=w.rep_a, period=period, amount="1")
        assert "period" in exc.value.message_dict
    with pytest.raises(ValidationError):
        quota_set(actor=w.admin, user=w.rep_a, period="2026-03", amount="-5")
    with pytest.raises(ValidationError):
        quota_set(actor=w.admin, user=w.users["rep_b2"], period="2026-03", amount="5")  # other organisation
    quota = quota_set(actor=w.admin, user=w.rep_d, period="2026-03", amount="5")
    with pytest.raises(ValidationError):
        quota_delete(actor=w.manager, quota=quota)
    quota_delete(actor=w.users["manager_s2"], quota=quota)
    assert not Quota.objects.exists()


def test_months_between():
    assert months_between("2026-01", "2026-03") == (dt.date(2026, 1, 1), dt.date(2026, 4, 1))
    assert months_between("2026-03", "2026-01") is None
    assert months_between("2020-01", "2026-01") is None  # longer than three years
    assert months_between("x", "2026-01") is None


def test_forecast_and_quota_pages(three_deals, client_for):
    w = three_deals
    html = client_for("admin").get("/forecast/?group_by=rep&from=2026-03&to=2026-03").content.decode()
    assert "200.01" in html and "1,333.34" in html
    assert client_for("rep_a").get("/forecast/?group_by=bogus&from=zz").status_code == 200
    assert client_for("marketing").get("/forecast/").status_code == 403
    manager = client_for("manager")
    assert manager.post("/forecast/quotas/", {"user": w.rep_a.pk, "period": "2026-03", "amount": "3000"}).status_code \
        == 302
    assert Quota.objects.get(user=w.rep_a).amount == Decimal("3000.00")
    refused = manager.post("/forecast/quotas/", {"user": w.rep_d.pk, "period": "2026-03", "amount": "1"})
    assert refused.status_code == 422 and not Quota.objects.filter(user=w.rep_d).exists()
    html = client_for("admin").get("/forecast/?group_by=rep&from=2026-03&to=2026-03").content.decode()
    assert "3,000.00" in html
    quota = Quota.objects.get(user=w.rep_a)
    assert client_for("manager_s2").post(f"/forecast/quotas/{quota.pk}/delete/").status_code == 404
    assert manager.post(f"/forecast/quotas/{quota.pk}/delete/").status_code == 302
    assert not Quota.objects.exists()
