"""Authorisation matrix for the commission, expense and sales report pages (SAL-9, SAL-10, reports).

Expectations are written out from the role policy (sales/permissions.py), not computed from the
code under test: rep_a's statement and claims belong to rep_a (team T1, store S1). A denied
request must leave the database unchanged.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from guanxi.sales.models import CommissionRule
from guanxi.sales.services import expenses
from guanxi.sales.services.commission import commission_on_order_paid
from guanxi.sales.tests import money_helpers as h
from tests.security.fingerprint import db_fingerprint
from tests.security.test_page_matrix import ACTORS, SIGNED_IN

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
# rep_a's statement and claims: reps see their own, managers their store's, owners/admins/read-only all.
SEES_REP_A = {"rep_a", "manager", "admin", "owner", "readonly"}
COMMISSION_VIEW = SIGNED_IN - {"service", "cashier", "marketing"}
COMMISSION_MANAGE = {"admin", "owner", "admin_b"}
EXPENSE_VIEW = SIGNED_IN - {"service", "cashier", "marketing"}
EXPENSE_CREATE = EXPENSE_VIEW - {"readonly"}
EXPENSE_APPROVE = {"manager", "manager_s2", "admin", "owner", "admin_b"}
REPORT_VIEW = SIGNED_IN - {"service", "cashier"}
REPORT_EXPORT = {"manager", "manager_s2", "admin", "owner", "marketing", "admin_b"}


def page(allowed):
    def expect(actor):
        if actor not in SIGNED_IN:
            return "login"
        return "ok" if actor in allowed else 403
    return expect


def statement_rule(actor):
    """The statement of rep_a: 403 without any commission right, 404 for a rep out of reach."""
    if actor not in SIGNED_IN:
        return "login"
    if actor not in COMMISSION_VIEW:
        return 403
    return "ok" if actor in SEES_REP_A else 404


def rule_rule(actor):
    """A rule of organisation A: managers of commission change it; others 403; organisation B 404."""
    if actor not in SIGNED_IN:
        return "login"
    if actor == "admin_b":
        return 404
    return "ok" if actor in COMMISSION_MANAGE else 403


def claim_rule(allowed):
    """rep_a's claim: allowed → ok; sees it but may not → 403; cannot see it → 404."""
    def expect(actor):
        if actor not in SIGNED_IN:
            return "login"
        if actor in allowed:
            return "ok"
        return 403 if actor in SEES_REP_A else 404
    return expect


def _claim(w, description, **extra):
    data = {"category": "travel", "amount": "88.00", "spent_on": dt.date(2026, 3, 2), "description": description,
            "opportunity": w.opportunities["own"].pk, **extra}
    return expenses.expense_create(actor=w.rep_a, data=data)


ROUTES = {
    "sales:commission_statement": ("GET", lambda w: f"/commission/?user={w.rep_a.pk}&month=2026-04", None,
                                   statement_rule),
    "sales:commission_statement_export": ("GET", lambda w: f"/commission/export/?user={w.rep_a.pk}&month=2026-04"
                                          "&format=xlsx", None, statement_rule),
    "sales:commission_rules": ("GET", lambda w: "/commission/rules/", None, page(COMMISSION_MANAGE)),
    "sales:commission_rule_create": ("POST", lambda w: "/commission/rules/new/", lambda w: {
        "name": "矩阵规则", "basis": "revenue", "rate_percent": "3", "priority": "100", "is_active": "on"},
        page(COMMISSION_MANAGE)),
    "sales:commission_rule_update": ("POST", lambda w: f"/commission/rules/{w.rule.pk}/edit/", lambda w: {
        "name": "改名规则", "basis": "margin", "rate_percent": "4.5", "priority": "10"}, rule_rule),
    "sales:commission_rule_delete": ("POST", lambda w: f"/commission/rules/{w.rule.pk}/delete/", None, rule_rule),
    "sales:expenses": ("GET", lambda w: "/expenses/", None, page(EXPENSE_VIEW)),
    "sales:expense_create": ("POST", lambda w: "/expenses/new/", lambda w: {
        "category": "meals", "amount": "66.60", "spent_on": "2026-03-01", "description": "矩阵报销"},
        page(EXPENSE_CREATE)),
    "sales:expense_approvals": ("GET", lambda w: "/expenses/approvals/", None, page(EXPENSE_APPROVE)),
    "sales:expense_deals": ("GET", lambda w: "/expenses/deals/", None, page(EXPENSE_VIEW)),
    "sales:expense_detail": ("GET", lambda w: f"/expenses/{w.draft.pk}/", None, claim_rule(SEES_REP_A)),
    "sales:expense_update": ("POST", lambda w: f"/expenses/{w.draft.pk}/edit/", lambda w: {
        "category": "travel", "amount": "99.00", "spent_on": "2026-03-02", "description": "改过的"},
        claim_rule({"rep_a"})),
    "sales:expense_delete": ("POST", lambda w: f"/expenses/{w.draft.pk}/delete/", None, claim_rule({"rep_a"})),
    "sales:expense_submit": ("POST", lambda w: f"/expenses/{w.draft.pk}/submit/", None, claim_rule({"rep_a"})),
    "sales:expense_receipt_upload": ("POST", lambda w: f"/expenses/{w.draft.pk}/receipt/",
                                     lambda w: {"receipt": SimpleUploadedFile("r.png", PNG)}, claim_rule({"rep_a"})),
    "sales:expense_receipt": ("GET", lambda w: f"/expenses/{w.draft.pk}/receipt/download/", None,
                              claim_rule(SEES_REP_A)),
    "sales:expense_approve": ("POST", lambda w: f"/expenses/{w.submitted.pk}/approve/", None,
                              claim_rule({"manager", "admin", "owner"})),
    "sales:expense_reject": ("POST", lambda w: f"/expenses/{w.submitted.pk}/reject/", lambda w: {"note": "不合规"},
                             claim_rule({"manager", "admin", "owner"})),
    "sales:reports": ("GET", lambda w: "/sales/reports/", None, page(REPORT_VIEW)),
    "sales:report": ("GET", lambda w: "/sales/reports/pipeline/", None, page(REPORT_VIEW)),
    "sales:report_export": ("GET", lambda w: "/sales/reports/forecast/export/?format=xlsx&month=2026-03", None,
                            page(REPORT_EXPORT)),
}


@pytest.fixture
def money_world(sales_world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = sales_world
    w.rule = CommissionRule.objects.create(organization=w.org, name="全员", rate=Decimal("0.0500"))
    paid = h.order(w, w.rep_a, "SO-M1", [(None, "1000.00", "100.00")], paid_at=h.at(2026, 4, 2))
    commission_on_order_paid(order=paid, actor=w.rep_a)
    w.draft = _claim(w, "矩阵草稿报销")
    w.draft = expenses.expense_attach_receipt(actor=w.rep_a, claim=w.draft, upload=SimpleUploadedFile("票.png", PNG))
    w.submitted = expenses.expense_submit(actor=w.rep_a, claim=_claim(w, "矩阵已提交报销"))
    return w


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_money_route_for_actor(money_world, route, actor):
    method, path, payload, expect = ROUTES[route]
    w = money_world
    expected = expect(actor)
    client = Client()
    if actor != "anonymous":
        client.force_login(w.users[actor])
    before = db_fingerprint()
    data = payload(w) if payload else {}
    response = client.get(path(w)) if method == "GET" else client.post(path(w), data)
    if expected == "login":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], response.status_code
    elif expected == "ok":
        assert response.status_code in (200, 302), (response.status_code, response.content[:300])
        if response.status_code == 302:
            assert "/accounts/login/" not in response["Location"]
    else:
        assert response.status_code == expected, response.content[:300]
    if expected != "ok":
        assert db_fingerprint() == before, "a denied request changed the database"


@pytest.mark.parametrize("actor, sees", [
    ("rep_a", {"矩阵草稿报销", "矩阵已提交报销"}), ("rep_b", set()), ("manager", {"矩阵草稿报销", "矩阵已提交报销"}),
    ("manager_s2", set()), ("admin", {"矩阵草稿报销", "矩阵已提交报销"}), ("admin_b", set()),
])
def test_expense_lists_show_only_reachable_claims(money_world, actor, sees):
    client = Client()
    client.force_login(money_world.users[actor])
    html = client.get("/expenses/").content.decode()
    assert {d for d in ("矩阵草稿报销", "矩阵已提交报销") if d in html} == sees
