"""Authorisation matrix for every page route (CORE-2): who may do what to rep_a's customer.

The expected outcome of each (route, actor) is written out below from the role policy in the
docs, not computed from the code under test. A route that is not in ROUTES fails the test, so a
new page cannot ship unclassified. A denied request must leave the database unchanged.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from guanxi.customers import services
from tests.security.fingerprint import db_fingerprint

ACTORS = ["anonymous", "rep_a", "rep_b", "rep_c", "rep_d", "manager", "manager_s2", "admin", "owner", "service",
          "cashier", "marketing", "readonly", "admin_b", "deactivated"]
# Who reaches rep_a's customer (owner rep_a, team T1, store S1) and how.
CAN_VIEW = {"rep_a", "rep_b", "manager", "admin", "owner", "service", "cashier", "marketing", "readonly"}
CAN_CHANGE = {"rep_a", "manager", "admin", "owner"}
CAN_DELETE = {"manager", "admin", "owner"}
CAN_EXPORT = {"manager", "admin", "owner", "marketing"}
CAN_IMPORT = {"manager", "admin", "owner"}
CAN_AUDIT = {"admin", "owner"}
SIGNED_IN = set(ACTORS) - {"anonymous", "deactivated"}
# Page-level rights (not tied to rep_a's record): the other store's manager and the other
# organisation's admin hold them over their own data.
MAY_EXPORT = CAN_EXPORT | {"manager_s2", "admin_b"}
MAY_IMPORT = CAN_IMPORT | {"manager_s2", "admin_b"}
MAY_AUDIT = CAN_AUDIT | {"admin_b"}


def object_rule(allowed: set[str]):
    """Allowed → success; can see but not act → 403; cannot see → 404; not signed in → login."""
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


# route name → (method, path builder, payload builder, expectation)
ROUTES = {
    "core:root": ("GET", lambda w: "/", None, lambda a: "ok"),
    "core:home": ("GET", lambda w: "/today/", None, page_rule(SIGNED_IN)),
    "core:search": ("GET", lambda w: "/search/?q=zs", None, page_rule(SIGNED_IN)),
    "core:set_language": ("POST", lambda w: "/account/language/", lambda w: {"language": "en"}, page_rule(SIGNED_IN)),
    "core:tokens": ("POST", lambda w: "/account/tokens/", lambda w: {"name": "t"}, page_rule(SIGNED_IN)),
    "core:token_revoke": ("POST", lambda w: f"/account/tokens/{w.token.pk}/revoke/", None,
                          lambda a: "login" if a not in SIGNED_IN else ("ok" if a == "rep_a" else 404)),
    "core:audit": ("GET", lambda w: "/audit/", None, page_rule(MAY_AUDIT)),
    "customers:list": ("GET", lambda w: "/customers/", None, page_rule(SIGNED_IN)),
    "customers:create": ("POST", lambda w: "/customers/new/", lambda w: {"kind": "person", "name": "矩阵新客户",
                         "stage": "lead", "source": "other"}, page_rule(SIGNED_IN - {"marketing", "readonly"})),
    "customers:detail": ("GET", lambda w: f"/customers/{w.own.pk}/", None, object_rule(CAN_VIEW)),
    "customers:update": ("POST", lambda w: f"/customers/{w.own.pk}/edit/", lambda w: {
        "kind": "person", "name": "改名", "stage": "lead", "source": "other", "owner": w.users["rep_a"].pk,
        "store": w.stores["S1"].pk}, object_rule(CAN_CHANGE)),
    "customers:delete": ("POST", lambda w: f"/customers/{w.own.pk}/delete/", None, object_rule(CAN_DELETE)),
    "customers:merge": ("POST", lambda w: f"/customers/{w.own.pk}/merge/", lambda w: {"source": w.team.pk},
                        object_rule(CAN_DELETE)),
    "customers:note_add": ("POST", lambda w: f"/customers/{w.own.pk}/notes/", lambda w: {"body": "矩阵备注"},
                           object_rule(CAN_CHANGE)),
    "customers:attachment_add": ("POST", lambda w: f"/customers/{w.own.pk}/attachments/",
                                 lambda w: {"file": SimpleUploadedFile("a.txt", b"hello")}, object_rule(CAN_CHANGE)),
    "customers:contact_create": ("POST", lambda w: f"/customers/{w.own.pk}/contacts/new/",
                                 lambda w: {"name": "矩阵联系人", "role": "other"}, object_rule(CAN_CHANGE)),
    "customers:attachment_download": ("GET", lambda w: f"/attachments/{w.attachment.pk}/download/", None,
                                      object_rule(CAN_VIEW)),
    "customers:contacts": ("GET", lambda w: "/contacts/", None, page_rule(SIGNED_IN)),
    "customers:contact_update": ("POST", lambda w: f"/contacts/{w.contact.pk}/edit/",
                                 lambda w: {"name": "改名联系人", "role": "other"}, object_rule(CAN_CHANGE)),
    "customers:contact_delete": ("POST", lambda w: f"/contacts/{w.contact.pk}/delete/", None, object_rule(CAN_CHANGE)),
    "customers:export": ("GET", lambda w: "/customers/export/?format=csv", None, page_rule(MAY_EXPORT)),
    "customers:import": ("POST", lambda w: "/imports/", lambda w: {"kind": "customers", "key": "phone",
                         "file": SimpleUploadedFile("c.csv", "名称,手机\n矩阵导入,13911110000\n".encode())}, page_rule(MAY_IMPORT)),
    "customers:import_detail": ("GET", lambda w: f"/imports/{w.job.pk}/", None, lambda a: _job_rule(a)),
    "customers:import_check": ("POST", lambda w: f"/imports/{w.job.pk}/check/", lambda w: {"column_0": "name",
                               "column_1": "phone", "key": "phone"}, lambda a: _job_rule(a)),
    "customers:import_start": ("POST", lambda w: f"/imports/{w.job.pk}/start/", None, lambda a: _job_rule(a)),
    "customers:import_progress": ("GET", lambda w: f"/imports/{w.job.pk}/progress/", None, lambda a: _job_rule(a)),
    "customers:import_errors": ("GET", lambda w: f"/imports/{w.job.pk}/errors.csv", None, lambda a: _job_rule(a)),
}


def _job_rule(actor):
    """An import job belongs to the manager who uploaded it; importers see only their own jobs."""
    if actor not in SIGNED_IN:
        return "login"
    if actor == "manager":
        return "ok"
    return 404 if actor in MAY_IMPORT else 403


# Routes served by other components, tested elsewhere: sign-in flows (tests in core/tests/test_auth.py,
# test_mfa.py) and the JSON API (its own matrix over the OpenAPI operations).
NOT_PAGES = ("account_", "mfa_", "api:", "openapi", "socialaccount", "usersessions", "login", "logout")


def _names(resolver=None, prefix=""):
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            yield from _names(p, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield prefix + p.name


def classified_routes() -> set[str]:
    """ROUTES here plus the ROUTES of every other matrix module (tests/security/test_*_matrix.py),
    so each domain keeps its own table next to its own world."""
    import importlib
    from pathlib import Path

    names = set(ROUTES)
    for path in sorted(Path(__file__).parent.glob("test_*_matrix.py")):
        if path.stem != "test_page_matrix":
            names |= set(getattr(importlib.import_module(f"tests.security.{path.stem}"), "ROUTES", {}))
    return names


def test_every_page_route_is_classified():
    routes = {n for n in _names() if not n.startswith(NOT_PAGES) and not n.startswith("api-")}
    routes = {n for n in routes if not any(n.startswith(x) for x in NOT_PAGES)}
    assert sorted(routes - classified_routes()) == [], "classify these routes in a ROUTES table"


@pytest.fixture
def matrix_world(world, settings, tmp_path):
    from guanxi.core.services import token_create
    from guanxi.imports.services import import_create

    settings.MEDIA_ROOT = tmp_path
    w = world
    w.own, w.team = w.customers["own"], w.customers["team"]
    w.contact = services.contact_create(actor=w.users["rep_a"], customer=w.own, data={"name": "李秘书"})
    w.attachment = services.attachment_add(actor=w.users["rep_a"], customer=w.own,
                                           upload=SimpleUploadedFile("合同.txt", b"contract"))
    w.token, _secret = token_create(actor=None, user=w.users["rep_a"])
    w.job = import_create(actor=w.users["manager"], kind="customers",
                          upload=SimpleUploadedFile("c.csv", "名称,手机\n矩阵导入,13911110000\n".encode()))
    return w


def _client(world, actor):
    c = Client()
    if actor != "anonymous":
        c.force_login(world.users[actor])
    return c


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_route_for_actor(matrix_world, route, actor):
    method, path, payload, expect = ROUTES[route]
    w = matrix_world
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


@pytest.mark.parametrize(
    "actor, names",
    [("rep_a", {"张三", "曾小明"}), ("rep_b", {"张三", "曾小明"}), ("rep_c", {"单田芳"}), ("rep_d", {"欧阳修"}),
     ("manager", {"张三", "曾小明", "单田芳"}), ("manager_s2", {"欧阳修"}), ("admin", {"张三", "曾小明", "单田芳", "欧阳修"}),
     ("admin_b", {"Acme Ltd"})],
)
def test_lists_searches_and_exports_show_only_reachable_customers(matrix_world, actor, names):
    client = _client(matrix_world, actor)
    everyone = {"张三", "曾小明", "单田芳", "欧阳修", "Acme Ltd"}
    page = client.get("/customers/?page_size=100").content.decode()
    assert {n for n in everyone if n in page} == names
    for q in ("zs", "zxm", "stf", "oyx", "acme"):
        found = client.get(f"/search/?q={q}").content.decode()
        assert not ({n for n in everyone if n in found} - names), (q, found)
    export = client.get("/customers/export/?format=csv")
    if export.status_code == 200:
        text = export.content.decode("utf-8-sig")
        assert {n for n in everyone if n in text} == names
