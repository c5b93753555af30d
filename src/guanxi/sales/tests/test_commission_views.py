"""Commission pages: the statement and the rule form."""

from __future__ import annotations

from decimal import Decimal

import pytest

from guanxi.sales.models import CommissionRule
from guanxi.sales.services.commission import commission_on_order_paid
from guanxi.sales.tests import money_helpers as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(sales_world, settings, tmp_path):
    return h.page_world(sales_world, settings, tmp_path)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


# --- commission pages ------------------------------------------------------------------------

def test_statement_page_defaults_to_the_user_and_shows_totals(pages):
    w = pages
    CommissionRule.objects.create(organization=w.org, name="全员", rate=Decimal("0.0300"))
    o = h.order(w, w.rep_a, "SO-P1", [(None, "1000.00", "0"), (None, "0.50", "0")], paid_at=h.at(2026, 4, 2))
    commission_on_order_paid(order=o, actor=w.rep_a)
    html = w.client("rep_a").get("/commission/?month=2026-04").content.decode()
    assert "SO-P1" in html and 'data-testid="total">30.02<' in html  # 30.00 + 0.015 → 0.02
    assert html.count("<option") == 1  # a rep chooses only themself
    assert w.client("rep_b").get(f"/commission/?user={w.rep_a.pk}&month=2026-04").status_code == 404
    r = w.client("manager").get(f"/commission/export/?user={w.rep_a.pk}&month=2026-04&format=csv")
    assert r.status_code == 200 and "30.02" in r.content.decode("utf-8-sig")


def test_rule_form_takes_a_percentage(pages):
    w = pages
    c = w.client("admin")
    r = c.post("/commission/rules/new/", {"name": "软件", "basis": "margin", "rate_percent": "5.25",
                                          "min_margin_percent": "30", "priority": "10", "is_active": "on",
                                          "user": w.rep_a.pk})
    assert r.status_code == 302
    rule = CommissionRule.objects.get(name="软件")
    assert (rule.rate, rule.min_margin_percent, rule.user, rule.basis) == (Decimal("0.0525"), Decimal(30),
                                                                          w.rep_a, "margin")
    edit = c.get(f"/commission/rules/{rule.pk}/edit/").content.decode()
    assert 'value="5.25"' in edit
    r = c.post("/commission/rules/new/", {"name": "太高", "basis": "revenue", "rate_percent": "150", "priority": "1"})
    assert r.status_code == 422 and not CommissionRule.objects.filter(name="太高").exists()
    assert "5.25%" in c.get("/commission/rules/").content.decode()


