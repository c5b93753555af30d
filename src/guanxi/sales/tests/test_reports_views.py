"""Sales report pages: table, chart data for ECharts under the strict CSP, the SQL, the export,
and the navigation entries."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest

from guanxi.sales.tests import money_helpers as h

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def pages(sales_world, settings, tmp_path):
    return h.page_world(sales_world, settings, tmp_path)


def scripts(html: str) -> list[str]:
    return re.findall(r"<script\b[^>]*>", html)


@pytest.mark.parametrize("name, params", [("pipeline", ""), ("won-lost", "?year=2026"), ("forecast", "?month=2026-03"),
                                          ("lead-sources", "?year=2026")])
def test_each_report_page_has_table_chart_data_sql_and_no_inline_script(pages, name, params):
    r = pages.client("manager").get(f"/sales/reports/{name}/{params}")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-testid="report-table"' in html and 'data-testid="sql"' in html and "SELECT" in html
    data = re.search(r'<script id="report-chart-data" type="application/json">(.*?)</script>', html, re.DOTALL)
    assert data and json.loads(data.group(1))["type"] in ("funnel", "bar")
    for tag in scripts(html):  # the strict CSP: every script is a file or a JSON data island
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag
    assert "/static/vendor/echarts.min.js" in html and "/static/sales/reports.js" in html
    assert f"/sales/reports/{name}/export/" in html  # a manager may export


def test_report_figures_on_the_page_are_the_actors_own(pages):
    rep = pages.client("rep_a").get("/sales/reports/won-lost/?year=2026").content.decode()
    manager = pages.client("manager").get("/sales/reports/won-lost/?year=2026").content.decode()
    assert "5000.00" in rep and "5700.00" not in rep and "/export/" not in rep  # reps may not export
    assert "5700.00" in manager
    chart = json.loads(re.search(r'type="application/json">(.*?)</script>', manager, re.DOTALL).group(1))
    assert chart["categories"][2] == "2026-03" and chart["series"][0]["data"][2] == "5700.00"


def test_report_export_from_the_page_is_a_spreadsheet_without_formulas(pages):
    r = pages.client("manager").get("/sales/reports/won-lost/export/?year=2026&format=xlsx")
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment;")
    assert r["X-Content-Type-Options"] == "nosniff"
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet and "<v>5700.00</v>" in sheet


def test_bad_report_parameters_fall_back_with_a_message_and_unknown_reports_are_404(pages):
    c = pages.client("admin")
    r = c.get("/sales/reports/won-lost/?year=abc")
    assert r.status_code == 200 and "2000" in r.content.decode()  # the message names the allowed years
    assert c.get("/sales/reports/forecast/?month=2026-13").status_code == 200
    assert c.get("/sales/reports/pipeline/?pipeline=999999").status_code == 200
    assert c.get("/sales/reports/nope/").status_code == 404
    assert c.get("/sales/reports/nope/export/").status_code == 404


def test_navigation_entries_follow_the_rights(pages):
    rep = pages.client("rep_a").get("/today/").content.decode()
    assert all(url in rep for url in ('href="/commission/"', 'href="/expenses/"', 'href="/sales/reports/"'))
    cashier = pages.client("cashier").get("/today/").content.decode()
    assert not any(url in cashier for url in ('href="/commission/"', 'href="/expenses/"', 'href="/sales/reports/"'))


