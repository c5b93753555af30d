"""Authorisation matrix for the lead pages: who may do what to rep_a's lead.

The lead is owned by rep_a (team T1, store S1) and sits in territory 上海 (under 华东, where
rep_d works). The expected outcome of each (route, actor) is written out below from the role
policy in sales/permissions.py, not computed from the code under test:

  leads.view        owner/admin/marketing/read-only: all; manager: own store; sales: own team,
                    plus the territory rule (members of 华东 see what 上海 holds)
  leads.create      sales (as owner themselves), managers, admin/owner, marketing
  leads.change      sales: own; manager: store; admin/owner, marketing: all
  leads.delete      manager: store; admin/owner: all
  leads.assign      manager: store; admin/owner, marketing: all
  leads.convert     sales: own; manager: store; admin/owner: all
  leads.export, leads.manage_forms   managers, admin/owner, marketing
  service and cashier staff hold no lead permission at all.

A denied request must leave the database unchanged. The public web form takes anyone.
"""

from __future__ import annotations

import time

import pytest
from django.test import Client

from guanxi.sales.services.leads import lead_create, score_rule_create
from guanxi.sales.services.web_forms import issue_token, web_form_create
from tests.security.fingerprint import db_fingerprint
from tests.security.test_page_matrix import ACTORS, SIGNED_IN

NO_LEADS = {"service", "cashier"}
CAN_VIEW = {"rep_a", "rep_b", "rep_d", "manager", "admin", "owner", "marketing", "readonly"}
CAN_CHANGE = {"rep_a", "manager", "admin", "owner", "marketing"}
CAN_DELETE = {"manager", "admin", "owner"}
CAN_ASSIGN = {"manager", "admin", "owner", "marketing"}
CAN_CONVERT = {"rep_a", "manager", "admin", "owner"}
# Page-level rights, held over one's own organisation's data (so admin_b has them too).
MAY_VIEW = SIGNED_IN - NO_LEADS
MAY_CREATE = {"rep_a", "rep_b", "rep_c", "rep_d", "manager", "manager_s2", "admin", "owner", "marketing", "admin_b"}
MAY_EXPORT = {"manager", "manager_s2", "admin", "owner", "marketing", "admin_b"}
MAY_MANAGE = MAY_EXPORT


def object_rule(allowed: set[str]):
    """Allowed → success; sees the lead but may not act → 403; cannot see it → 404."""
    def expect(actor):
        if actor not in SIGNED_IN:
            return "login"
        if actor in allowed:
            return "ok"
        return 403 if actor in CAN_VIEW else 404
    return expect


def page_rule(allowed: set[str]):
    def expect(actor):
        if actor not in SIGNED_IN:
            return "login"
        return "ok" if actor in allowed else 403
    return expect


def org_setting_rule(actor):
    """A scoring rule or web form of organisation A: its managers act; others are refused (403)
    unless the right is theirs in another organisation (404: not found there)."""
    if actor not in SIGNED_IN:
        return "login"
    if actor == "admin_b":
        return 404
    return "ok" if actor in MAY_MANAGE else 403


RULE = {"name": "矩阵规则", "field": "source", "operator": "equals", "value": "web", "points": "5", "is_active": "on"}

# route name → (method, path builder, payload builder, expectation)
ROUTES = {
    "sales:leads": ("GET", lambda w: "/leads/?status=new&sort=-score", None, page_rule(MAY_VIEW)),
    "sales:lead_create": ("POST", lambda w: "/leads/new/", lambda w: {"name": "矩阵线索", "status": "new",
                          "source": "other"}, page_rule(MAY_CREATE)),
    "sales:lead_detail": ("GET", lambda w: f"/leads/{w.lead.pk}/", None, object_rule(CAN_VIEW)),
    "sales:lead_update": ("POST", lambda w: f"/leads/{w.lead.pk}/edit/", lambda w: {
        "name": "改名线索", "status": "contacted", "source": "event", "province": "上海"}, object_rule(CAN_CHANGE)),
    "sales:lead_delete": ("POST", lambda w: f"/leads/{w.lead.pk}/delete/", None, object_rule(CAN_DELETE)),
    "sales:lead_qualify": ("POST", lambda w: f"/leads/{w.lead.pk}/qualify/", lambda w: {
        "status": "qualified", "rating": "hot"}, object_rule(CAN_CHANGE)),
    "sales:lead_assign": ("POST", lambda w: f"/leads/{w.lead.pk}/assign/", lambda w: {
        "mode": "user", "owner": w.users["rep_b"].pk}, object_rule(CAN_ASSIGN)),
    "sales:lead_convert": ("POST", lambda w: f"/leads/{w.lead.pk}/convert/", lambda w: {
        "create_opportunity": "on", "allow_duplicate": "on", "opportunity_name": "矩阵商机", "amount": "100"},
        object_rule(CAN_CONVERT)),
    "sales:lead_export": ("GET", lambda w: "/leads/export/?format=csv", None, page_rule(MAY_EXPORT)),
    "sales:lead_score_rules": ("POST", lambda w: "/leads/scoring/", lambda w: RULE, page_rule(MAY_MANAGE)),
    "sales:lead_score_rule_update": ("POST", lambda w: f"/leads/scoring/{w.rule.pk}/", lambda w: {
        f"r{w.rule.pk}-{k}": v for k, v in {**RULE, "points": "7"}.items()}, org_setting_rule),
    "sales:lead_score_rule_delete": ("POST", lambda w: f"/leads/scoring/{w.rule.pk}/delete/", None,
                                     org_setting_rule),
    "sales:lead_web_forms": ("GET", lambda w: "/leads/forms/", None, page_rule(MAY_MANAGE)),
    "sales:lead_web_form_update": ("GET", lambda w: f"/leads/forms/{w.web_form.pk}/", None, org_setting_rule),
    "sales:lead_web_form_delete": ("POST", lambda w: f"/leads/forms/{w.web_form.pk}/delete/", None,
                                   org_setting_rule),
    "sales:web_form_public": ("POST", lambda w: f"/f/{w.web_form.key}/", lambda w: {
        "name": "访客", "phone": "13966667777", "token": issue_token(w.web_form, now=time.time() - 30)},
        lambda a: "ok"),
    "core:notifications": ("GET", lambda w: "/notifications/", None, page_rule(SIGNED_IN)),
}


@pytest.fixture
def leads_world(sales_world):
    w = sales_world
    w.lead = lead_create(actor=w.users["rep_a"], data={"name": "矩阵客户", "phone": "13977778888",
                                                       "province": "上海", "company": "矩阵公司"})
    w.rule = score_rule_create(actor=w.users["admin"], data={"name": "展会", "field": "source", "value": "event",
                                                            "points": 10})
    w.web_form = web_form_create(actor=w.users["admin"], data={"name": "矩阵表单", "owner": w.users["rep_a"].pk})
    return w


def _client(world, actor):
    c = Client()
    if actor != "anonymous":
        c.force_login(world.users[actor])
    return c


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_lead_route_for_actor(leads_world, route, actor):
    method, path, payload, expect = ROUTES[route]
    w = leads_world
    expected = expect(actor)
    client = _client(w, actor)
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
        assert response.status_code == expected
    if expected != "ok":
        assert db_fingerprint() == before, "a denied request changed the database"


@pytest.mark.parametrize("actor, sees", [
    ("rep_a", True), ("rep_b", True), ("rep_c", False), ("rep_d", True), ("manager", True), ("manager_s2", False),
    ("admin", True), ("marketing", True), ("readonly", True), ("admin_b", False),
])
def test_the_list_export_and_api_agree_on_who_sees_the_lead(leads_world, actor, sees):
    from guanxi.sales.selectors.leads import lead_list

    user = leads_world.users[actor]
    assert (leads_world.lead in lead_list(actor=user)) is sees
    page = _client(leads_world, actor).get("/leads/?page_size=100").content.decode()
    assert ("矩阵客户" in page) is sees
    export = _client(leads_world, actor).get("/leads/export/?format=csv")
    if export.status_code == 200:
        assert ("矩阵客户" in export.content.decode("utf-8-sig")) is sees
