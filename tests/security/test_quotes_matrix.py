"""Authorisation matrix for the product, price-list and quote pages (CORE-2, SAL-6, SAL-7).

The quote belongs to rep_a (team T1, store S1) and sits in territory 上海 (under 华东, where rep_d
of store S2 is a member): the team, the store's manager, the territory member, admins, the owner
and read-only staff see it; its owner, the store's manager, admins and the owner change it;
managers, admins and the owner delete and approve it. The catalogue belongs to the organisation:
everybody in it reads, admins and the owner manage. Written out from the role policy, not
computed from the code under test. A denied request must leave the database unchanged.
"""

import pytest
from django.test import Client

from guanxi.customers.services import contact_create
from guanxi.sales.selectors.quotes import sales_settings
from guanxi.sales.services import catalog
from guanxi.sales.services.quotes import line_add, quote_create, quote_submit
from tests.security.fingerprint import db_fingerprint
from tests.security.test_page_matrix import ACTORS, SIGNED_IN

ORG_A = SIGNED_IN - {"admin_b"}
CATALOG_MANAGERS = {"admin", "owner"}
QUOTE_VIEW = {"rep_a", "rep_b", "rep_d", "manager", "admin", "owner", "readonly"}
QUOTE_CHANGE = {"rep_a", "manager", "admin", "owner"}
QUOTE_MANAGE = {"manager", "admin", "owner"}  # delete, approve
QUOTE_PAGES = SIGNED_IN - {"service", "cashier", "marketing"}  # hold QuotePerm.VIEW over their own data
QUOTE_CREATORS = QUOTE_PAGES - {"readonly"}
# Creating a quote for 张三: those who also see the customer succeed; other creators get the form back (422).
SEES_CUSTOMER = {"rep_a", "rep_b", "rep_d", "manager", "admin", "owner"}
SETTINGS = {"manager", "manager_s2", "admin", "owner", "admin_b"}


def page_rule(allowed: set[str]):
    def expect(actor):
        if actor not in SIGNED_IN:
            return "login"
        return "ok" if actor in allowed else 403
    return expect


def object_rule(allowed: set[str], visible: set[str]):
    """Allowed → success; visible but not allowed → 403; invisible → 404; not signed in → login."""
    def expect(actor):
        if actor not in SIGNED_IN:
            return "login"
        if actor in allowed:
            return "ok"
        return 403 if actor in visible else 404
    return expect


def create_rule(actor):
    if actor not in SIGNED_IN:
        return "login"
    if actor not in QUOTE_CREATORS:
        return 403
    return "ok" if actor in SEES_CUSTOMER else 422


catalog_object = object_rule(CATALOG_MANAGERS, ORG_A)


def _line(w):
    pk = w.line.pk
    return {f"l{pk}-description": "改过的行", f"l{pk}-quantity": "2", f"l{pk}-unit_price": "100.00",
            f"l{pk}-discount_percent": "20", f"l{pk}-tax_percent": "13"}


# route name → (method, path builder, payload builder, expectation)
ROUTES = {
    "sales:product_list": ("GET", lambda w: "/products/?q=ERP", None, page_rule(SIGNED_IN)),
    "sales:product_create": ("POST", lambda w: "/products/new/", lambda w: {
        "sku": "MX-1", "name": "矩阵产品", "kind": "product", "list_price": "1", "is_active": "on"},
        page_rule(CATALOG_MANAGERS | {"admin_b"})),
    "sales:product_detail": ("GET", lambda w: f"/products/{w.product.pk}/", None, object_rule(ORG_A, ORG_A)),
    "sales:product_update": ("POST", lambda w: f"/products/{w.product.pk}/edit/", lambda w: {
        "sku": "ERP", "name": "改名", "kind": "product", "list_price": "2", "is_active": "on"}, catalog_object),
    "sales:product_delete": ("POST", lambda w: f"/products/{w.loose.pk}/delete/", None, catalog_object),
    "sales:bundle_item_add": ("POST", lambda w: f"/products/{w.bundle.pk}/bundle-items/",
                              lambda w: {"product": w.product.pk, "quantity": "1"}, catalog_object),
    "sales:bundle_item_remove": ("POST", lambda w: f"/bundle-items/{w.bundle_item.pk}/delete/", None, catalog_object),
    "sales:rule_add": ("POST", lambda w: f"/products/{w.product.pk}/rules/",
                       lambda w: {"kind": "excludes", "other": w.loose.pk}, catalog_object),
    "sales:rule_remove": ("POST", lambda w: f"/product-rules/{w.rule.pk}/delete/", None, catalog_object),
    "sales:price_list_list": ("GET", lambda w: "/price-lists/", None, page_rule(SIGNED_IN)),
    "sales:price_list_create": ("POST", lambda w: "/price-lists/new/", lambda w: {"name": "矩阵价", "is_active": "on"},
                                page_rule(CATALOG_MANAGERS | {"admin_b"})),
    "sales:price_list_detail": ("GET", lambda w: f"/price-lists/{w.price_list.pk}/", None, object_rule(ORG_A, ORG_A)),
    "sales:price_list_update": ("POST", lambda w: f"/price-lists/{w.price_list.pk}/edit/",
                                lambda w: {"name": "改名价", "is_active": "on"}, catalog_object),
    "sales:price_list_delete": ("POST", lambda w: f"/price-lists/{w.price_list.pk}/delete/", None, catalog_object),
    "sales:price_item_set": ("POST", lambda w: f"/price-lists/{w.price_list.pk}/items/",
                             lambda w: {"product": w.product.pk, "price": "1.00", "min_quantity": "3"}, catalog_object),
    "sales:price_item_remove": ("POST", lambda w: f"/price-items/{w.price_item.pk}/delete/", None, catalog_object),
    "sales:quote_list": ("GET", lambda w: "/quotes/?q=Q", None, page_rule(QUOTE_PAGES)),
    "sales:quote_create": ("POST", lambda w: "/quotes/new/", lambda w: {"customer": w.customers["own"].pk},
                           create_rule),
    "sales:quote_settings": ("POST", lambda w: "/quotes/settings/", lambda w: {
        "quote_discount_threshold": "20", "quote_validity_days": "30", "default_tax_percent": "13"},
        page_rule(SETTINGS)),
    "sales:quote_detail": ("GET", lambda w: f"/quotes/{w.quote.pk}/", None, object_rule(QUOTE_VIEW, QUOTE_VIEW)),
    "sales:quote_pdf": ("GET", lambda w: f"/quotes/{w.quote.pk}/pdf/", None, object_rule(QUOTE_VIEW, QUOTE_VIEW)),
    "sales:quote_update": ("POST", lambda w: f"/quotes/{w.quote.pk}/edit/", lambda w: {"terms": "矩阵条款"},
                           object_rule(QUOTE_CHANGE, QUOTE_VIEW)),
    "sales:quote_delete": ("POST", lambda w: f"/quotes/{w.quote.pk}/delete/", None,
                           object_rule(QUOTE_MANAGE, QUOTE_VIEW)),
    "sales:quote_line_add": ("POST", lambda w: f"/quotes/{w.quote.pk}/lines/", lambda w: {
        "new-description": "矩阵行", "new-quantity": "1", "new-unit_price": "10"}, object_rule(QUOTE_CHANGE, QUOTE_VIEW)),
    "sales:quote_line_update": ("POST", lambda w: f"/quote-lines/{w.line.pk}/", _line,
                                object_rule(QUOTE_CHANGE, QUOTE_VIEW)),
    "sales:quote_line_remove": ("POST", lambda w: f"/quote-lines/{w.line.pk}/delete/", None,
                                object_rule(QUOTE_CHANGE, QUOTE_VIEW)),
    "sales:quote_submit": ("POST", lambda w: f"/quotes/{w.quote.pk}/submit/", None,
                           object_rule(QUOTE_CHANGE, QUOTE_VIEW)),
    "sales:quote_approve": ("POST", lambda w: f"/quotes/{w.pending.pk}/approve/", None,
                            object_rule(QUOTE_MANAGE, QUOTE_VIEW)),
    "sales:quote_reject": ("POST", lambda w: f"/quotes/{w.pending.pk}/reject/", lambda w: {"reason": "太低"},
                           object_rule(QUOTE_MANAGE, QUOTE_VIEW)),
    "sales:quote_new_version": ("POST", lambda w: f"/quotes/{w.quote.pk}/new-version/", None,
                                object_rule(QUOTE_CHANGE, QUOTE_VIEW)),
    "sales:quote_accept": ("POST", lambda w: f"/quotes/{w.plain.pk}/accept/", None,
                           object_rule(QUOTE_CHANGE, QUOTE_VIEW)),
    "sales:quote_decline": ("POST", lambda w: f"/quotes/{w.plain.pk}/decline/", lambda w: {"reason": "预算"},
                            object_rule(QUOTE_CHANGE, QUOTE_VIEW)),
    "sales:quote_send": ("POST", lambda w: f"/quotes/{w.plain.pk}/send/", lambda w: {
        "to": "li@example.com", "subject": "报价", "message": "请查收"}, object_rule(QUOTE_CHANGE, QUOTE_VIEW)),
}


@pytest.fixture
def quotes_world(sales_world):
    w = sales_world
    admin, rep = w.users["admin"], w.users["rep_a"]
    sales_settings(w.org.pk)  # the settings row exists before any request, so reads never write it
    w.product = catalog.product_create(actor=admin, data={"sku": "ERP", "name": "企业资源计划系统",
                                                          "list_price": "1000.00"})
    w.loose = catalog.product_create(actor=admin, data={"sku": "LOOSE", "name": "散件", "list_price": "5"})
    w.lic = catalog.product_create(actor=admin, data={"sku": "LIC", "name": "许可", "list_price": "5"})
    w.bundle = catalog.product_create(actor=admin, data={"sku": "KIT", "name": "套装", "kind": "bundle"})
    w.bundle_item = catalog.bundle_item_set(actor=admin, bundle=w.bundle, product=w.lic.pk, quantity="1")
    w.rule = catalog.product_rule_add(actor=admin, product=w.product, kind="requires", other=w.lic.pk)
    w.price_list = catalog.price_list_create(actor=admin, data={"name": "标准价", "is_default": True})
    w.price_item = catalog.price_list_item_set(actor=admin, price_list=w.price_list,
                                               data={"product": w.product.pk, "price": "900.00"})
    contact = contact_create(actor=rep, customer=w.customers["own"], data={"name": "李秘书",
                                                                        "email": "li@example.com"})

    def quote(discount: str):
        q = quote_create(actor=rep, data={"opportunity": w.opportunities["own"].pk, "contact": contact.pk})
        line = line_add(actor=rep, quote=q, data={"description": "咨询", "quantity": "1", "unit_price": "100",
                                                  "discount_percent": discount})
        return q, line

    w.quote, w.line = quote("20")
    w.pending, _line = quote("30")
    quote_submit(actor=rep, quote=w.pending)
    w.plain, _line = quote("0")
    return w


def _client(world, actor):
    c = Client()
    if actor != "anonymous":
        c.force_login(world.users[actor])
    return c


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_quotes_route_for_actor(quotes_world, route, actor):
    method, path, payload, expect = ROUTES[route]
    w = quotes_world
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


@pytest.mark.parametrize("actor, sees", [
    ("rep_a", True), ("rep_b", True), ("rep_c", False), ("rep_d", True), ("manager", True), ("manager_s2", False),
    ("admin", True), ("readonly", True), ("admin_b", False),
])
def test_quote_list_shows_only_reachable_quotes(quotes_world, actor, sees):
    page = _client(quotes_world, actor).get("/quotes/?page_size=100").content.decode()
    assert (quotes_world.quote.number in page) is sees
