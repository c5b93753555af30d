"""The sales reports on a small fixed dataset: exact figures, row rules (a rep sees only their own),
the SQL they show, and the XLSX export (no formulas)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from guanxi.core.models import AuditEntry
from guanxi.sales.selectors.reports import (
    ReportParams,
    forecast_vs_quota,
    lead_source_conversion,
    pipeline_by_stage,
    won_lost_by_month,
)
from guanxi.sales.services.money_exports import export_report
from guanxi.sales.tests import money_helpers as h

pytestmark = pytest.mark.django_db
MARCH = dt.date(2026, 3, 1)


@pytest.fixture
def data(sales_world):
    """On top of the world's four stage-0 deals of 10,000.00 (rep_a, rep_b, rep_c, rep_d)."""
    w = sales_world
    s = w.stages
    o = {
        "A1": h.opportunity(w, w.rep_a, "A1", "1234.56", s[1]),
        "A2": h.opportunity(w, w.rep_a, "A2", "1000.01", s[2], expected_close=dt.date(2026, 3, 15)),
        "A3": h.opportunity(w, w.rep_a, "A3", "5000.00", s[4], closed_at=h.at(2026, 3, 10)),
        # 23:00 on 31 March in Shanghai is still March there (15:00 UTC)
        "A4": h.opportunity(w, w.rep_a, "A4", "700.00", s[5], closed_at=h.at(2026, 3, 31, 23, 0)),
        # 00:30 on 1 February in Shanghai is 31 January in UTC: February for the report
        "B1": h.opportunity(w, w.rep_b, "B1", "2500.00", s[4], customer=w.customers["team"],
                            closed_at=h.at(2026, 2, 1, 0, 30)),
        "B2": h.opportunity(w, w.rep_b, "B2", "3333.33", s[3], customer=w.customers["team"],
                            expected_close=dt.date(2026, 3, 31)),
        "D1": h.opportunity(w, w.rep_d, "D1", "9000.00", s[4], customer=w.customers["other_store"],
                            closed_at=h.at(2026, 3, 5)),
        "D2": h.opportunity(w, w.rep_d, "D2", "100.00", s[2], customer=w.customers["other_store"],
                            expected_close=dt.date(2026, 3, 1)),
        "B2_april": h.opportunity(w, w.rep_b, "later", "50.00", s[3], customer=w.customers["team"],
                                  expected_close=dt.date(2026, 4, 1)),
    }
    for user, amount in (("rep_a", "10000.00"), ("rep_b", "2000.00"), ("rep_d", "20000.00")):
        h.quota(w, w.users[user], MARCH, amount)
    h.quota(w, w.rep_c, dt.date(2026, 4, 1), "99999.00")  # another month
    jan = h.at(2026, 1, 15)
    h.lead(w, w.rep_a, "l1", "web", jan, converted_opportunity=o["A3"])
    h.lead(w, w.rep_a, "l2", "web", jan, converted_opportunity=o["A1"])
    h.lead(w, w.rep_a, "l3", "web", jan)
    h.lead(w, w.rep_a, "l4", "phone", jan)
    h.lead(w, w.rep_a, "l5", "referral", jan, converted_opportunity=o["A4"])
    h.lead(w, w.rep_d, "l6", "web", jan, converted_opportunity=o["D1"])
    h.lead(w, w.rep_a, "old", "web", h.at(2025, 12, 31, 23, 0))  # last year
    w.opps = o
    return w


def rows(report, *keys):
    return [tuple(r[k] for k in keys) for r in report.rows]


def test_pipeline_by_stage_for_an_admin(data):
    r = pipeline_by_stage(actor=data.admin)
    assert rows(r, "count", "amount", "weighted") == [
        (4, D("40000.00"), D("4000.00")),
        (1, D("1234.56"), D("370.37")),     # 30% of 1234.56 = 370.368
        (2, D("1100.01"), D("660.01")),     # 60% of (1000.01 + 100.00) = 660.006
        (2, D("3383.33"), D("2706.66")),    # 80% of (3333.33 + 50.00) = 2706.664
        (3, D("16500.00"), D("16500.00")),
        (1, D("700.00"), D("0.00")),
    ]
    assert (r.totals["count"], r.totals["amount"], r.totals["weighted"]) == (13, D("62917.90"), D("24237.04"))
    assert [p["value"] for p in r.chart["series"]] == ["40000.00", "1234.56", "1100.01", "3383.33", "16500.00"]
    assert "sales_opportunity" in r.sql[0].lower()


def test_pipeline_by_stage_a_rep_sees_only_their_own(data):
    r = pipeline_by_stage(actor=data.rep_a)  # rep_a may *see* the team's deals, but reports are own-only
    assert rows(r, "count", "amount", "weighted") == [
        (1, D("10000.00"), D("1000.00")), (1, D("1234.56"), D("370.37")), (1, D("1000.01"), D("600.01")),
        (0, D("0.00"), D("0.00")), (1, D("5000.00"), D("5000.00")), (1, D("700.00"), D("0.00")),
    ]
    assert str(data.rep_a.pk) in r.sql[0]  # the owner filter is in the SQL shown
    rd = pipeline_by_stage(actor=data.rep_d)  # the territory rule shows rep_d 张三's deal, not in reports
    assert rows(rd, "count") == [(1,), (0,), (1,), (0,), (1,), (0,)]
    manager = pipeline_by_stage(actor=data.manager)  # store S1: rep_a, rep_b, rep_c
    assert manager.totals["count"] == 10 and manager.totals["amount"] == D("43817.90")


def test_pipeline_by_stage_refuses_an_unknown_pipeline_and_those_without_the_right(data):
    with pytest.raises(ValidationError):
        pipeline_by_stage(actor=data.admin, pipeline_id=data.pipeline_b.pk)  # another organisation's
    for actor in ("service", "cashier"):
        with pytest.raises(PermissionDenied):
            pipeline_by_stage(actor=data.users[actor])


def test_won_lost_by_month(data):
    r = won_lost_by_month(actor=data.admin, year=2026)
    by_month = {row["month"]: row for row in r.rows}
    assert len(r.rows) == 12 and by_month["2026-01"]["won_count"] == 0 and by_month["2026-01"]["win_rate"] is None
    feb, mar = by_month["2026-02"], by_month["2026-03"]
    assert (feb["won_count"], feb["won_amount"], feb["lost_count"], feb["win_rate"]) == (1, D("2500.00"), 0, D("100.0"))
    assert (mar["won_count"], mar["won_amount"], mar["lost_count"], mar["lost_amount"], mar["win_rate"]) == (
        2, D("14000.00"), 1, D("700.00"), D("66.7"))
    assert (r.totals["won_count"], r.totals["won_amount"], r.totals["lost_amount"], r.totals["win_rate"]) == (
        3, D("16500.00"), D("700.00"), D("75.0"))
    mine = {row["month"]: row for row in won_lost_by_month(actor=data.rep_a, year=2026).rows}
    assert (mine["2026-02"]["won_count"], mine["2026-03"]["won_amount"], mine["2026-03"]["lost_count"]) == (
        0, D("5000.00"), 1)
    assert won_lost_by_month(actor=data.admin, year=2025).totals["won_count"] == 0


def test_won_lost_months_follow_the_organisations_time_zone_and_its_summer_time(sales_world):
    """Berlin: 1 April starts at 22:00 UTC on 31 March (summer time), 1 November at 23:00 UTC."""
    import zoneinfo

    w = sales_world
    w.org.timezone = "Europe/Berlin"
    w.org.save(update_fields=["timezone"])
    utc, won, lost = dt.UTC, w.stages[4], w.stages[5]
    for name, closed, stage in (("new year", dt.datetime(2025, 12, 31, 23, 0, tzinfo=utc), won),  # 1 Jan 00:00
                                ("old year", dt.datetime(2025, 12, 31, 22, 59, tzinfo=utc), won),  # 2025
                                ("march", dt.datetime(2026, 3, 31, 21, 59, tzinfo=utc), won),
                                ("april", dt.datetime(2026, 3, 31, 22, 0, tzinfo=utc), lost),
                                ("october", dt.datetime(2026, 10, 31, 22, 59, tzinfo=utc), won),
                                ("november", dt.datetime(2026, 11, 1, 0, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin")), lost),
                                ("december", dt.datetime(2026, 12, 31, 22, 59, tzinfo=utc), won),
                                ("next year", dt.datetime(2026, 12, 31, 23, 0, tzinfo=utc), won)):
        h.opportunity(w, w.rep_a, name, "100.00", stage, closed_at=closed)
    by_month = {r["month"]: (r["won_count"], r["lost_count"]) for r in won_lost_by_month(actor=w.admin, year=2026).rows}
    assert by_month == {"2026-01": (1, 0), "2026-02": (0, 0), "2026-03": (1, 0), "2026-04": (0, 1), "2026-05": (0, 0),
                        "2026-06": (0, 0), "2026-07": (0, 0), "2026-08": (0, 0), "2026-09": (0, 0), "2026-10": (1, 0),
                        "2026-11": (0, 1), "2026-12": (1, 0)}
    assert won_lost_by_month(actor=w.admin, year=2025).totals["won_count"] == 1


def test_forecast_vs_quota(data):
    r = forecast_vs_quota(actor=data.admin, month=MARCH)
    keys = ("username", "quota", "won_amount", "attainment", "open_count", "open_amount", "weighted", "projected")
    assert rows(r, *keys) == [
        ("rep_a", D("10000.00"), D("5000.00"), D("50.0"), 1, D("1000.01"), D("600.01"), D("5600.01")),
        ("rep_b", D("2000.00"), D("0.00"), D("0.0"), 1, D("3333.33"), D("2666.66"), D("2666.66")),
        ("rep_d", D("20000.00"), D("9000.00"), D("45.0"), 1, D("100.00"), D("60.00"), D("9060.00")),
    ]
    t = r.totals
    assert (t["quota"], t["won_amount"], t["attainment"], t["open_amount"], t["weighted"], t["projected"]) == (
        D("32000.00"), D("14000.00"), D("43.8"), D("4433.34"), D("3326.67"), D("17326.67"))
    assert len(r.sql) == 3 and "sales_quota" in r.sql[2].lower()
    assert rows(forecast_vs_quota(actor=data.rep_a, month=MARCH), "username") == [("rep_a",)]
    assert rows(forecast_vs_quota(actor=data.manager, month=MARCH), "username") == [("rep_a",), ("rep_b",)]
    april = forecast_vs_quota(actor=data.admin, month=dt.date(2026, 4, 1))
    assert rows(april, "username", "quota", "open_amount") == [("rep_b", None, D("50.00")),
                                                              ("rep_c", D("99999.00"), D("0.00"))]


def test_lead_source_conversion(data):
    r = lead_source_conversion(actor=data.admin, year=2026)
    assert rows(r, "code", "leads", "converted", "rate", "won", "won_amount") == [
        ("web", 4, 3, D("75.0"), 2, D("14000.00")),
        ("phone", 1, 0, D("0.0"), 0, D("0.00")),
        ("referral", 1, 1, D("100.0"), 0, D("0.00")),
    ]
    assert (r.totals["leads"], r.totals["converted"], r.totals["rate"], r.totals["won_amount"]) == (
        6, 4, D("66.7"), D("14000.00"))
    mine = lead_source_conversion(actor=data.rep_a, year=2026)
    assert rows(mine, "code", "leads", "converted", "rate", "won_amount") == [
        ("web", 3, 2, D("66.7"), D("5000.00")), ("phone", 1, 0, D("0.0"), D("0.00")),
        ("referral", 1, 1, D("100.0"), D("0.00")),
    ]
    assert lead_source_conversion(actor=data.admin, year=2025).totals["leads"] == 1


def test_report_export_needs_the_export_right_and_writes_no_formulas(data):
    with pytest.raises(PermissionDenied):
        export_report(actor=data.rep_a, name="pipeline", params=ReportParams())
    data.opps["A1"].name = "=cmd|' /C calc'!A0"
    data.opps["A1"].save()
    content, _ctype, filename = export_report(actor=data.manager, name="forecast", params=ReportParams(month=MARCH))
    assert filename.startswith("sales-forecast-") and filename.endswith(".xlsx")
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        strings = z.read("xl/sharedStrings.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    assert "<v>10000.00</v>" in sheet and "<v>5600.01</v>" in sheet  # money as numbers
    assert "rep_d" not in strings and "9000" not in sheet  # the other store's rep is not in the manager's file
    csv_content, _c, _n = export_report(actor=data.marketing, name="lead-sources", params=ReportParams(year=2026),
                                        fmt="csv")
    assert "14000.00" in csv_content.decode("utf-8-sig")
    assert AuditEntry.objects.filter(action="export", object_type="sales.report").count() == 2
