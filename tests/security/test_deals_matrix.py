"""Authorisation matrix for the deals pages: opportunities and the board, forecast and quotas,
pipelines settings, territories, playbook and tips (SAL-2…SAL-5, SAL-11).

The record under test is rep_a's opportunity (owner rep_a, team T1, store S1) on 张三, who sits in
the 上海 territory under 华东. rep_d (store S2, team T3) is a member of 华东: the territory rule lets
rep_d see the deal, but not move or change it. Org B sees none of it (404). Expectations are
written out from the role policy (sales/permissions.py), not computed from the code under test,
and a denied request must leave the database unchanged.
"""

import pytest
from django.test import Client

from tests.security.fingerprint import db_fingerprint
from tests.security.test_page_matrix import ACTORS, SIGNED_IN

# Who reaches rep_a's opportunity and how.
CAN_VIEW = {"rep_a", "rep_b", "rep_d", "manager", "admin", "owner", "marketing", "readonly"}
CAN_CHANGE = {"rep_a", "manager", "admin", "owner"}
CAN_DELETE = {"manager", "admin", "owner"}
# Page-level rights.
SEE_DEALS = SIGNED_IN - {"service", "cashier"}
CREATE_DEALS = {"rep_a", "rep_b", "rep_c", "rep_d", "manager", "manager_s2", "admin", "owner", "admin_b"}
FORECAST = SIGNED_IN - {"service", "cashier", "marketing"}
QUOTAS = {"manager", "manager_s2", "admin", "owner", "admin_b"}
PIPELINES = {"admin", "owner", "admin_b"}
SEE_TERRITORIES = SIGNED_IN - {"service", "cashier"}
MANAGE_TERRITORIES = {"admin", "owner", "admin_b"}
SEE_PLAYBOOK = SIGNED_IN - {"service", "cashier"}
MANAGE_PLAYBOOK = {"manager", "manager_s2", "admin", "owner", "admin_b"}
POST_TIPS = SIGNED_IN - {"service", "cashier", "marketing", "readonly"}


def object_rule(allowed: set[str]):
    """Allowed → success; can see but not act → 403; cannot see (or no right at all) → 404."""
    def expect(actor):
        if actor not in SIGNED_IN:
            return "login"
        if actor in allowed:
            return "ok"
        return 403 if actor in CAN_VIEW else 404
    return expect


def page_rule(allowed: set[str], **others):
    """Allowed → success; other signed-in users → 403, except where `others` says (e.g. 404, 422)."""
    def expect(actor):
        if actor not in SIGNED_IN:
            return "login"
        if actor in others:
            return others[actor]
        return "ok" if actor in allowed else 403
    return expect


def org_rule(allowed: set[str], holders: set[str]):
    """A record of org A behind a page-level right: org B's holders of the right get 404 (they
    cannot know it exists); everyone else not allowed gets 403."""
    return page_rule(allowed, **({"admin_b": 404} if "admin_b" in holders - allowed else {}))


def _deal(w):
    return w.opportunities["own"]


def _opp_form(w):
    return {"name": "矩阵商机", "customer": w.customers["own"].pk, "stage": w.stages[0].pk, "amount": "100.00"}


# route name → (method, path builder, payload builder, expectation)
ROUTES = {
    "sales:opportunity_list": ("GET", lambda w: "/opportunities/", None, page_rule(SEE_DEALS)),
    "sales:board": ("GET", lambda w: "/opportunities/board/", None, page_rule(SEE_DEALS)),
    "sales:board_pipeline": ("GET", lambda w: f"/opportunities/board/{w.pipeline.pk}/", None,
                             page_rule(SEE_DEALS - {"admin_b"}, admin_b=404)),
    "sales:opportunity_create": ("POST", lambda w: "/opportunities/new/", _opp_form,
                                 page_rule(CREATE_DEALS - {"rep_c", "manager_s2", "admin_b"},
                                           rep_c=422, manager_s2=422, admin_b=422)),
    "sales:customer_options": ("GET", lambda w: "/opportunities/customer-options/?customer_q=zs", None,
                               page_rule(SEE_DEALS)),
    "sales:contact_options": ("GET", lambda w: f"/opportunities/contact-options/?customer={w.customers['own'].pk}",
                              None, page_rule(SEE_DEALS)),
    "sales:opportunity_detail": ("GET", lambda w: f"/opportunities/{_deal(w).pk}/", None, object_rule(CAN_VIEW)),
    "sales:opportunity_update": ("POST", lambda w: f"/opportunities/{_deal(w).pk}/edit/",
                                 lambda w: {**_opp_form(w), "owner": w.users["rep_a"].pk}, object_rule(CAN_CHANGE)),
    "sales:opportunity_delete": ("POST", lambda w: f"/opportunities/{_deal(w).pk}/delete/", None,
                                 object_rule(CAN_DELETE)),
    "sales:opportunity_move": ("POST", lambda w: f"/opportunities/{_deal(w).pk}/move/",
                               lambda w: {"stage": w.stages[1].pk}, object_rule(CAN_CHANGE)),
    "sales:forecast": ("GET", lambda w: "/forecast/", None, page_rule(FORECAST)),
    "sales:quotas": ("POST", lambda w: "/forecast/quotas/",
                     lambda w: {"user": w.users["rep_a"].pk, "period": "2026-03", "amount": "100"},
                     page_rule(QUOTAS - {"manager_s2", "admin_b"}, manager_s2=422, admin_b=422)),
    "sales:quota_delete": ("POST", lambda w: f"/forecast/quotas/{w.quota.pk}/delete/", None,
                           page_rule(QUOTAS - {"manager_s2", "admin_b"}, manager_s2=404, admin_b=404)),
    "sales:pipelines": ("POST", lambda w: "/settings/pipelines/",
                        lambda w: {"name": "矩阵管道", "stages": "初访, 10", "won_name": "赢", "lost_name": "输"},
                        page_rule(PIPELINES)),
    "sales:pipeline_edit": ("POST", lambda w: f"/settings/pipelines/{w.pipeline.pk}/",
                            lambda w: {"name": "改名管道", "is_active": "on", "is_default": "on"},
                            org_rule(PIPELINES - {"admin_b"}, PIPELINES)),
    "sales:stage_add": ("POST", lambda w: f"/settings/pipelines/{w.pipeline.pk}/stages/",
                        lambda w: {"new-name": "矩阵阶段", "new-probability": "50", "new-kind": "open"},
                        org_rule(PIPELINES - {"admin_b"}, PIPELINES)),
    "sales:stage_update": ("POST", lambda w: f"/settings/stages/{w.stages[1].pk}/",
                           lambda w: {f"s{w.stages[1].pk}-name": "改名阶段", f"s{w.stages[1].pk}-probability": "35",
                                      f"s{w.stages[1].pk}-kind": "open"},
                           org_rule(PIPELINES - {"admin_b"}, PIPELINES)),
    "sales:stage_move": ("POST", lambda w: f"/settings/stages/{w.stages[1].pk}/move/",
                         lambda w: {"direction": "down"}, org_rule(PIPELINES - {"admin_b"}, PIPELINES)),
    "sales:stage_delete": ("POST", lambda w: f"/settings/stages/{w.spare_stage.pk}/delete/", None,
                           org_rule(PIPELINES - {"admin_b"}, PIPELINES)),
    "sales:territories": ("GET", lambda w: "/territories/", None, page_rule(SEE_TERRITORIES)),
    "sales:territory_create": ("POST", lambda w: "/territories/new/",
                               lambda w: {"name": "矩阵区域", "priority": "10", "provinces": "广东", "is_active": "on"},
                               page_rule(MANAGE_TERRITORIES)),
    "sales:territory_realign": ("POST", lambda w: "/territories/realign/", None, page_rule(MANAGE_TERRITORIES)),
    "sales:territory_detail": ("GET", lambda w: f"/territories/{w.territories['east'].pk}/", None,
                               org_rule(SEE_TERRITORIES - {"admin_b"}, SEE_TERRITORIES)),
    "sales:territory_update": ("POST", lambda w: f"/territories/{w.territories['east'].pk}/edit/",
                               lambda w: {"name": "华东区", "priority": "100", "provinces": "上海\n江苏"},
                               org_rule(MANAGE_TERRITORIES - {"admin_b"}, MANAGE_TERRITORIES)),
    "sales:territory_member_add": ("POST", lambda w: f"/territories/{w.territories['east'].pk}/members/",
                                   lambda w: {"user": w.users["rep_c"].pk, "role": "rep"},
                                   org_rule(MANAGE_TERRITORIES - {"admin_b"}, MANAGE_TERRITORIES)),
    "sales:territory_member_remove": ("POST", lambda w: f"/territories/{w.territories['east'].pk}/members/"
                                                        f"{w.users['rep_d'].pk}/remove/", None,
                                      org_rule(MANAGE_TERRITORIES - {"admin_b"}, MANAGE_TERRITORIES)),
    "sales:playbook": ("GET", lambda w: "/playbook/", None, page_rule(SEE_PLAYBOOK)),
    "sales:playbook_entry_create": ("POST", lambda w: "/playbook/entries/new/",
                                    lambda w: {"stage": w.stages[1].pk, "title": "矩阵指引", "body": "内容"},
                                    page_rule(MANAGE_PLAYBOOK - {"admin_b"}, admin_b=422)),
    "sales:playbook_entry_update": ("POST", lambda w: f"/playbook/entries/{w.entry.pk}/edit/",
                                    lambda w: {"stage": w.stages[1].pk, "title": "改", "body": "改"},
                                    org_rule(MANAGE_PLAYBOOK - {"admin_b"}, MANAGE_PLAYBOOK)),
    "sales:playbook_entry_delete": ("POST", lambda w: f"/playbook/entries/{w.entry.pk}/delete/", None,
                                    org_rule(MANAGE_PLAYBOOK - {"admin_b"}, MANAGE_PLAYBOOK)),
    "sales:tips": ("GET", lambda w: "/playbook/tips/?q=预算", None, page_rule(SEE_PLAYBOOK)),
    "sales:tip_create": ("POST", lambda w: "/playbook/tips/new/", lambda w: {"title": "矩阵技巧", "body": "内容"},
                         page_rule(POST_TIPS)),
    "sales:tip_detail": ("GET", lambda w: f"/playbook/tips/{w.tip.pk}/", None,
                         org_rule(SEE_PLAYBOOK - {"admin_b"}, SEE_PLAYBOOK)),
    # rep_a wrote the tip; playbook managers may change anyone's
    "sales:tip_update": ("POST", lambda w: f"/playbook/tips/{w.tip.pk}/edit/", lambda w: {"title": "改", "body": "改"},
                         org_rule((MANAGE_PLAYBOOK | {"rep_a"}) - {"admin_b"}, SEE_PLAYBOOK)),
    "sales:tip_delete": ("POST", lambda w: f"/playbook/tips/{w.tip.pk}/delete/", None,
                         org_rule((MANAGE_PLAYBOOK | {"rep_a"}) - {"admin_b"}, SEE_PLAYBOOK)),
    "sales:tip_comment_add": ("POST", lambda w: f"/playbook/tips/{w.tip.pk}/comments/", lambda w: {"body": "赞"},
                              org_rule(POST_TIPS - {"admin_b"}, POST_TIPS)),
}


@pytest.fixture
def deals_world(sales_world):
    from guanxi.sales.services.forecast import quota_set
    from guanxi.sales.services.pipelines import stage_add
    from guanxi.sales.services.playbook import playbook_entry_create, tip_create

    w = sales_world
    admin = w.users["admin"]
    w.quota = quota_set(actor=admin, user=w.users["rep_a"], period="2026-02", amount="5000")
    w.spare_stage = stage_add(actor=admin, pipeline=w.pipeline, data={"name": "备用", "probability": 20})
    w.entry = playbook_entry_create(actor=admin, data={"stage": w.stages[1].pk, "title": "指引", "body": "先问预算"})
    w.tip = tip_create(actor=w.users["rep_a"], data={"title": "问预算", "body": "预算先行", "stage": w.stages[1].pk})
    return w


def _client(world, actor):
    c = Client()
    if actor != "anonymous":
        c.force_login(world.users[actor])
    return c


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_deals_route_for_actor(deals_world, route, actor):
    method, path, payload, expect = ROUTES[route]
    w = deals_world
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
        assert response.status_code == expected, (response.status_code, response.content[:300])
    if expected != "ok":
        assert db_fingerprint() == before, "a denied request changed the database"


@pytest.mark.parametrize("actor, expected", [
    ("rep_a", {"张三 年度采购", "曾小明 年度采购"}), ("rep_b", {"张三 年度采购", "曾小明 年度采购"}),
    ("rep_c", {"单田芳 年度采购"}), ("rep_d", {"张三 年度采购", "欧阳修 年度采购"}),
    ("manager", {"张三 年度采购", "曾小明 年度采购", "单田芳 年度采购"}), ("manager_s2", {"欧阳修 年度采购"}),
    ("admin_b", {"Acme Ltd 年度采购"}),
])
def test_board_and_list_show_only_reachable_deals(deals_world, actor, expected):
    everyone = {"张三 年度采购", "曾小明 年度采购", "单田芳 年度采购", "欧阳修 年度采购", "Acme Ltd 年度采购"}
    client = _client(deals_world, actor)
    for url in ("/opportunities/?page_size=100", "/opportunities/board/"):
        html = client.get(url).content.decode()
        assert {n for n in everyone if n in html} == expected, url


def test_territory_member_sees_but_cannot_move(deals_world):
    from guanxi.sales.models import Opportunity, StageChange

    w = deals_world
    opp = w.opportunities["own"]
    client = _client(w, "rep_d")
    assert client.get(f"/opportunities/{opp.pk}/").status_code == 200
    before = db_fingerprint()
    response = client.post(f"/opportunities/{opp.pk}/move/", {"stage": w.stages[2].pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert db_fingerprint() == before
    assert Opportunity.objects.get(pk=opp.pk).stage == w.stages[0]
    assert StageChange.objects.filter(opportunity=opp).count() == 1
    other_org = _client(w, "admin_b")
    assert other_org.get(f"/opportunities/{opp.pk}/").status_code == 404
    assert other_org.post(f"/opportunities/{opp.pk}/move/", {"stage": w.stages[2].pk}).status_code == 404
