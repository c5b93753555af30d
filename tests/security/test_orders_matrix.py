"""Authorisation matrix for the contract and order pages (SAL-7, SAL-8): who may do what to rep_a's
order, contract and quote, written out from the role policy in sales/permissions.py.

Orders (OrderPerm): reps see their team's and change their own, and record payments on their own,
but only managers (their store), admins and owners cancel; service and cashier staff see their
store's orders and nothing else; marketing has no order rights. Contracts follow QuotePerm:
counter staff and marketing have none. rep_d (store S2) is a member of 华东, the territory of
rep_a's customer (上海), so rep_d sees rep_a's order, contract and quote — and may change none of them.
A denied request must leave the database unchanged.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.security.fingerprint import db_fingerprint

ACTORS = ["anonymous", "rep_a", "rep_b", "rep_c", "rep_d", "manager", "manager_s2", "admin", "owner", "service",
          "cashier", "marketing", "readonly", "admin_b", "deactivated"]
SIGNED_IN = set(ACTORS) - {"anonymous", "deactivated"}

ORDER_VIEW = {"rep_a", "rep_b", "rep_d", "manager", "admin", "owner", "service", "cashier", "readonly"}
ORDER_CHANGE = {"rep_a", "manager", "admin", "owner"}
ORDER_CANCEL = {"manager", "admin", "owner"}
ORDER_PAY = {"rep_a", "manager", "admin", "owner"}
MAY_LIST_ORDERS = SIGNED_IN - {"marketing"}
MAY_CREATE = {"rep_a", "rep_b", "rep_c", "rep_d", "manager", "manager_s2", "admin", "owner", "admin_b"}
# rep_a's customer 张三: its team, its store (incl. counter staff and marketing), read-only, and rep_d by territory.
SEES_CUSTOMER = {"rep_a", "rep_b", "rep_d", "manager", "admin", "owner", "service", "cashier", "marketing", "readonly"}

CONTRACT_VIEW = {"rep_a", "rep_b", "rep_d", "manager", "admin", "owner", "readonly"}  # also rep_a's quote
CONTRACT_CHANGE = {"rep_a", "manager", "admin", "owner"}
MAY_LIST_CONTRACTS = SIGNED_IN - {"service", "cashier", "marketing"}


def object_rule(allowed: set[str], visible: set[str]):
    """Allowed → success; can see but not act → 403; cannot see → 404; not signed in → login."""
    def expect(actor):
        if actor not in SIGNED_IN:
            return "login"
        if actor in allowed:
            return "ok"
        return 403 if actor in visible else 404
    return expect


def page_rule(allowed: set[str]):
    def expect(actor):
        if actor not in SIGNED_IN:
            return "login"
        return "ok" if actor in allowed else 403
    return expect


def create_rule(may: set[str], sees: set[str]):
    """A page-level right (403 without it), then the named customer or quote must be visible (404)."""
    def expect(actor):
        if actor not in SIGNED_IN:
            return "login"
        if actor not in may:
            return 403
        return "ok" if actor in sees else 404
    return expect


def _lines(w):
    return {"customer": w.own.pk, "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "50", "lines-0-description": "矩阵订单", "lines-0-quantity": "1",
            "lines-0-unit_price": "10.00"}


def _today():
    from django.utils import timezone

    return timezone.localdate().isoformat()


# route name → (method, path builder, payload builder, expectation)
ROUTES = {
    "sales:order_list": ("GET", lambda w: "/orders/", None, page_rule(MAY_LIST_ORDERS)),
    "sales:order_create": ("POST", lambda w: "/orders/new/", _lines, create_rule(MAY_CREATE, SEES_CUSTOMER)),
    "sales:order_detail": ("GET", lambda w: f"/orders/{w.draft.pk}/", None, object_rule(ORDER_VIEW, ORDER_VIEW)),
    "sales:order_confirm": ("POST", lambda w: f"/orders/{w.draft.pk}/confirm/", None,
                            object_rule(ORDER_CHANGE, ORDER_VIEW)),
    "sales:order_deliver": ("POST", lambda w: f"/orders/{w.confirmed.pk}/deliver/", None,
                            object_rule(ORDER_CHANGE, ORDER_VIEW)),
    "sales:order_cancel": ("POST", lambda w: f"/orders/{w.confirmed.pk}/cancel/", lambda w: {"reason": "矩阵"},
                           object_rule(ORDER_CANCEL, ORDER_VIEW)),
    "sales:order_payment_add": ("POST", lambda w: f"/orders/{w.confirmed.pk}/payments/",
                                lambda w: {"amount": "10.00", "method": "cash", "paid_on": _today()},
                                object_rule(ORDER_PAY, ORDER_VIEW)),
    "sales:order_from_quote": ("POST", lambda w: f"/quotes/{w.quote.pk}/order/", None,
                               create_rule(MAY_CREATE, CONTRACT_VIEW)),
    "sales:contract_list": ("GET", lambda w: "/contracts/?due=30", None, page_rule(MAY_LIST_CONTRACTS)),
    "sales:contract_create": ("POST", lambda w: "/contracts/new/", lambda w: {
        "customer": w.own.pk, "title": "矩阵合同", "reminder_days": "30"}, create_rule(MAY_CREATE, SEES_CUSTOMER)),
    "sales:contract_detail": ("GET", lambda w: f"/contracts/{w.contract.pk}/", None,
                              object_rule(CONTRACT_VIEW, CONTRACT_VIEW)),
    "sales:contract_update": ("POST", lambda w: f"/contracts/{w.contract.pk}/edit/", lambda w: {
        "title": "改名合同", "reminder_days": "10"}, object_rule(CONTRACT_CHANGE, CONTRACT_VIEW)),
    "sales:contract_activate": ("POST", lambda w: f"/contracts/{w.contract.pk}/activate/", None,
                                object_rule(CONTRACT_CHANGE, CONTRACT_VIEW)),
    "sales:contract_terminate": ("POST", lambda w: f"/contracts/{w.contract.pk}/terminate/",
                                 lambda w: {"reason": "矩阵"}, object_rule(CONTRACT_CHANGE, CONTRACT_VIEW)),
    "sales:contract_file_add": ("POST", lambda w: f"/contracts/{w.contract.pk}/files/",
                                lambda w: {"file": SimpleUploadedFile("附件.pdf", b"%PDF")},
                                object_rule(CONTRACT_CHANGE, CONTRACT_VIEW)),
    "sales:contract_file_download": ("GET", lambda w: f"/contract-files/{w.contract_file.pk}/download/", None,
                                     object_rule(CONTRACT_VIEW, CONTRACT_VIEW)),
    "sales:contract_from_quote": ("POST", lambda w: f"/quotes/{w.quote.pk}/contract/", None,
                                  create_rule(MAY_CREATE, CONTRACT_VIEW)),
}


@pytest.fixture
def orders_world(sales_world, settings, tmp_path):
    from guanxi.sales.services import contracts, orders
    from guanxi.sales.tests.order_helpers import make_order, make_quote

    settings.MEDIA_ROOT = tmp_path
    w = sales_world
    w.own = w.customers["own"]
    w.draft = make_order(w)
    w.confirmed = orders.order_confirm(actor=w.rep_a, order=make_order(w))
    w.quote = make_quote(w)
    w.contract = contracts.contract_create(actor=w.rep_a, data={"title": "年度合同", "customer": w.own.pk,
                                                               "renewal_date": "2027-01-01"})
    w.contract_file = contracts.contract_file_add(actor=w.rep_a, contract=w.contract,
                                                  upload=SimpleUploadedFile("签字版.pdf", b"%PDF-1.4"))
    return w


def _client(world, actor):
    c = Client()
    if actor != "anonymous":
        c.force_login(world.users[actor])
    return c


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_route_for_actor(orders_world, route, actor):
    method, path, payload, expect = ROUTES[route]
    w = orders_world
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


@pytest.mark.parametrize("actor, cases", [
    ("rep_a", {"own", "team"}), ("rep_b", {"own", "team"}), ("rep_c", {"other_team"}), ("rep_d", {"own", "other_store"}),
    ("manager", {"own", "team", "other_team"}), ("manager_s2", {"other_store"}),
    ("service", {"own", "team", "other_team"}), ("cashier", {"own", "team", "other_team"}),
    ("admin", {"own", "team", "other_team", "other_store"}), ("readonly", {"own", "team", "other_team", "other_store"}),
    ("admin_b", {"other_org"}),
])
def test_the_order_list_shows_only_reachable_orders(sales_world, actor, cases):
    """One order per customer, each owned by the customer's owner; the list shows exactly the reachable ones."""
    from guanxi.sales.services.orders import order_create

    w = sales_world
    ids = {}
    for case, customer in w.customers.items():
        order = order_create(actor=customer.owner, data={"customer": customer.pk, "lines": [
            {"description": "x", "unit_price": "1"}]})
        ids[case] = order.pk
    page = _client(w, actor).get("/orders/?page_size=100").content.decode()
    assert {case for case, pk in ids.items() if f'href="/orders/{pk}/"' in page} == cases
