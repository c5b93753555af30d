"""The sales report charts draw under the site's strict CSP: ECharts and the page script are static
files, the data comes from a json_script island, and the browser reports no CSP violation."""

import pytest
from playwright.sync_api import expect

from guanxi.sales.tests import money_helpers as h
from tests.browser.test_customer_journey import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_funnel_and_bar_charts_render_without_csp_errors(page, sales_world):
    w = sales_world
    h.opportunity(w, w.rep_a, "赢单", "5000.00", w.stages[4], closed_at=h.at(2026, 3, 10))
    h.opportunity(w, w.rep_a, "谈判中", "3000.00", w.stages[3])
    login(page, "manager")
    for path in ("/sales/reports/pipeline/", "/sales/reports/won-lost/?year=2026",
                 "/sales/reports/forecast/?month=2026-03", "/sales/reports/lead-sources/?year=2026"):
        page.goto(path)
        chart = page.locator("#report-chart")
        expect(chart).to_have_attribute("data-rendered", "1", timeout=5000)
        expect(chart.locator("canvas").first).to_be_visible()
        assert chart.bounding_box()["height"] >= 300  # the stylesheet gave it room
    assert not [e for e in page.console_errors if "Content Security Policy" in e or "Refused" in e], \
        page.console_errors
