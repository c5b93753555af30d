"""Authorisation matrix for every JSON API operation (research T8/T9, issue 4).

Every operation in /api/v1/openapi.json must have a row in OPERATIONS, keyed by operationId; the
row says, for each actor × object, which status the API must answer. An operation the document
lists but the table does not fails `test_every_api_operation_is_classified`, which names it.

Actors: anonymous, the other organisation's admin (admin_b) and rep (rep_b2), rep_a (owner of
"own"), rep_b (same team), rep_c (other team, same store), rep_d (other store), the S1 manager,
the organisation admin, and a deactivated rep (whose token was revoked by the deactivation). Tokens
come from guanxi.core.services.token_create.

Objects: the customers of guanxi.testing.build_world — own (rep_a), team (rep_b), other_team
(rep_c), other_store (rep_d), other_org (rep_b2) — and one contact on each.

Who reaches what is written out below from the role policy in the README (view: sales = team,
manager = store, admin = all; change: sales = own; delete/merge/export: manager = store, admin =
all), not computed from the code under test. Every case runs in a savepoint rolled back afterwards,
so each meets the same world. After a denial (401/403/404/422) the database fingerprint must be
unchanged and the body must not carry the object's name or phone; list and export answers must
hold the object exactly when the actor may see it.

Other domains add their operations by defining OPERATIONS in tests/security/test_<domain>_api_matrix.py
with the same Op shape (and a `world_extra(world)` fixture helper if they need more objects).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from tests.live import figure
from tests.security.fingerprint import db_fingerprint

ACTORS = ["anonymous", "admin_b", "rep_b2", "rep_a", "rep_b", "rep_c", "rep_d", "manager", "admin", "deactivated"]
OBJECTS = ["own", "team", "other_team", "other_store", "other_org"]
ORG_A = {"own", "team", "other_team", "other_store"}
S1 = {"own", "team", "other_team"}
SIGNED_OUT = {"anonymous", "deactivated"}

# What each actor reaches among the objects (README "Roles and what they reach").
VIEW = {"rep_a": {"own", "team"}, "rep_b": {"own", "team"}, "rep_c": {"other_team"}, "rep_d": {"other_store"},
        "manager": S1, "admin": ORG_A, "admin_b": {"other_org"}, "rep_b2": {"other_org"}}
CHANGE = {"rep_a": {"own"}, "rep_b": {"team"}, "rep_c": {"other_team"}, "rep_d": {"other_store"},
          "manager": S1, "admin": ORG_A, "admin_b": {"other_org"}, "rep_b2": {"other_org"}}
DELETE = {"manager": S1, "admin": ORG_A, "admin_b": {"other_org"}}  # also merge
EXPORTERS = {"manager", "admin", "admin_b"}  # export is a page-level right
# Whom each actor may name as owner of a new customer (objects named by their owner).
ASSIGN = {"rep_a": {"own"}, "rep_b": {"team"}, "rep_c": {"other_team"}, "rep_d": {"other_store"},
          "manager": S1, "admin": ORG_A, "admin_b": {"other_org"}, "rep_b2": {"other_org"}}


def reach(allowed: dict[str, set], ok: int, hidden: int = 404) -> Callable[[str, str], int]:
    """Allowed → ok; visible but not allowed → 403; not visible → `hidden`; no valid token → 401."""
    def expect(actor: str, obj: str) -> int:
        if actor in SIGNED_OUT:
            return 401
        if obj in allowed.get(actor, set()):
            return ok
        return 403 if obj in VIEW.get(actor, set()) else hidden
    return expect


def signed_in(ok: int, allowed: set[str] | None = None) -> Callable[[str, str], int]:
    """Not tied to the object: ok for signed-in actors (in `allowed`, when given), else 403."""
    def expect(actor: str, obj: str) -> int:
        if actor in SIGNED_OUT:
            return 401
        return ok if allowed is None or actor in allowed else 403
    return expect


def owner_rule(actor: str, obj: str) -> int:
    if actor in SIGNED_OUT:
        return 401
    return 201 if obj in ASSIGN.get(actor, set()) else 422


@dataclass
class Op:
    method: str
    path: str  # as in the OpenAPI document
    expect: Callable[[str, str], int]
    params: Callable = lambda w, obj: {}  # noqa: E731 - path parameters
    body: Callable | None = None  # JSON body
    query: Callable | None = None  # query string
    check: Callable | None = None  # (response, world, actor, obj) on success: content checks
    notes: str = ""
    extra: dict = field(default_factory=dict)


def _in_items(key: str):
    def check(response, w, actor, obj):
        ids = {item["id"] for item in response.json()["items"]}
        target = (w.customers[obj] if key == "customer" else w.contacts[obj]).pk
        should = obj in VIEW.get(actor, set())
        assert (target in ids) == should, f"{key} of {obj} {'missing from' if should else 'leaked into'} the list"
    return check


def _export_check(response, w, actor, obj):
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8-sig")
    should = obj in VIEW.get(actor, set())
    assert (w.customers[obj].name in text) == should, f"export {'misses' if should else 'leaks'} {obj}"


def _me_check(response, w, actor, obj):
    assert response.json()["username"] == actor


customer = lambda w, obj: {"customer_id": w.customers[obj].pk}  # noqa: E731
contact = lambda w, obj: {"contact_id": w.contacts[obj].pk}  # noqa: E731

OPERATIONS: dict[str, Op] = {
    "me": Op("get", "/api/v1/me", signed_in(200), check=_me_check),
    "customers_list": Op("get", "/api/v1/customers", signed_in(200), query=lambda w, o: {"page_size": 200},
                         check=_in_items("customer")),
    "customers_create": Op("post", "/api/v1/customers", owner_rule,
                           body=lambda w, o: {"name": "矩阵新客户", "kind": "person", "allow_duplicate": True,
                                              "owner_id": w.customers[o].owner_id},
                           notes="owner_id = the object's owner: whom may the actor name as owner"),
    "customers_export": Op("get", "/api/v1/customers/export", signed_in(200, EXPORTERS),
                           query=lambda w, o: {"format": "csv"}, check=_export_check),
    "customers_get": Op("get", "/api/v1/customers/{customer_id}", reach(VIEW, 200), params=customer),
    "customers_update": Op("patch", "/api/v1/customers/{customer_id}", reach(CHANGE, 200), params=customer,
                           body=lambda w, o: {"notes": "矩阵修改", "stage": "customer"}),
    "customers_delete": Op("delete", "/api/v1/customers/{customer_id}", reach(DELETE, 204), params=customer),
    "customers_merge": Op("post", "/api/v1/customers/{customer_id}/merge", reach(DELETE, 200), params=customer,
                          body=lambda w, o: {"source_id": w.twins[o].pk},
                          notes="source: a second customer of the same owner"),
    "customers_timeline": Op("get", "/api/v1/customers/{customer_id}/timeline", reach(VIEW, 200), params=customer),
    "customers_add_note": Op("post", "/api/v1/customers/{customer_id}/notes", reach(CHANGE, 201), params=customer,
                             body=lambda w, o: {"body": "矩阵备注"}),
    "contacts_list": Op("get", "/api/v1/contacts", signed_in(200), query=lambda w, o: {"page_size": 200},
                        check=_in_items("contact")),
    "contacts_create": Op("post", "/api/v1/contacts", reach(CHANGE, 201, hidden=422),
                          body=lambda w, o: {"customer_id": w.customers[o].pk, "name": "矩阵联系人"},
                          notes="an invisible customer_id is a 422 on that field"),
    "contacts_get": Op("get", "/api/v1/contacts/{contact_id}", reach(VIEW, 200), params=contact),
    "contacts_update": Op("patch", "/api/v1/contacts/{contact_id}", reach(CHANGE, 200), params=contact,
                          body=lambda w, o: {"title": "矩阵职位"}),
    "contacts_delete": Op("delete", "/api/v1/contacts/{contact_id}", reach(CHANGE, 204), params=contact),
}


def all_operations() -> dict[str, Op]:
    """OPERATIONS here plus those of other domains' test_*_api_matrix.py modules."""
    ops = dict(OPERATIONS)
    for path in sorted(Path(__file__).parent.glob("test_*_api_matrix.py")):
        ops.update(getattr(importlib.import_module(f"tests.security.{path.stem}"), "OPERATIONS", {}))
    return ops


def _document() -> dict:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def _documented() -> dict[str, tuple[str, str]]:
    return {op["operationId"]: (method, path) for path, ops in _document()["paths"].items()
            for method, op in ops.items()}


def test_every_api_operation_is_classified():
    documented, table = _documented(), all_operations()
    missing = sorted(set(documented) - set(table))
    stale = sorted(set(table) - set(documented))
    assert not missing, ("API operations without a row in the authorisation table "
                         f"(add them to OPERATIONS, keyed by operationId): {missing}")
    assert not stale, f"rows for operations the API no longer has: {stale}"
    moved = {k: (documented[k], (table[k].method, table[k].path)) for k in documented
             if documented[k] != (table[k].method, table[k].path)}
    assert not moved, f"method/path changed: {moved}"
    figure(f"T8 API matrix: {len(documented)} of {len(documented)} documented operations classified "
           f"× {len(ACTORS)} actors × {len(OBJECTS)} objects")


# --- the world ------------------------------------------------------------------------------------

@pytest.fixture
def api_world(world):
    from guanxi.core.models import ApiToken
    from guanxi.core.services import token_create, user_deactivate
    from guanxi.customers import services

    w = world
    w.contacts, w.twins, w.tokens = {}, {}, {}
    for obj, c in w.customers.items():
        w.contacts[obj] = services.contact_create(actor=c.owner, customer=c, data={"name": f"联系人{obj}"})
        w.twins[obj] = services.customer_create(actor=c.owner, data={"name": f"孪生{obj}", "kind": "person"},
                                                allow_duplicate=True)
    dead = w.users["deactivated"]
    dead.is_active = True
    dead.save(update_fields=["is_active"])
    for actor in ACTORS:
        if actor != "anonymous":
            _token, w.tokens[actor] = token_create(actor=None, user=w.users[actor], name="matrix")
    user_deactivate(actor=None, user=dead)  # revokes its token, as in real life
    # A token's first use records last_used_at (then at most once a minute): done now, so a denied
    # request leaves every row as it was.
    ApiToken.objects.update(last_used_at=timezone.now())
    return w


def call(client: Client, w, actor: str, op: Op, obj: str):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {w.tokens[actor]}"} if actor in w.tokens else {}
    path = op.path.format(**op.params(w, obj))
    if op.query:
        return client.generic(op.method.upper(), path + "?" + "&".join(f"{k}={v}" for k, v in op.query(w, obj).items()),
                              **headers)
    body = json.dumps(op.body(w, obj), ensure_ascii=False) if op.body else ""
    return client.generic(op.method.upper(), path, body, content_type="application/json", **headers)


CASES = {"run": 0, "denied": 0}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_api_operation_for_every_actor_and_object(api_world, operation):
    op = OPERATIONS[operation]
    w, client = api_world, Client()
    wrong = []
    for actor in ACTORS:
        for obj in OBJECTS:
            expected = op.expect(actor, obj)
            with transaction.atomic():
                before = db_fingerprint() if expected >= 400 else None
                response = call(client, w, actor, op, obj)
                CASES["run"] += 1
                problem = None
                if response.status_code != expected:
                    body = b"" if getattr(response, "streaming", False) else response.content[:200]
                    problem = f"{actor} × {obj}: {response.status_code} (expected {expected}) {body!r}"
                elif before is not None:
                    CASES["denied"] += 1
                    if db_fingerprint() != before:
                        problem = f"{actor} × {obj}: denied with {expected} but the database changed"
                    target = w.customers[obj]
                    if target.name.encode() in response.content or target.phone.encode() in response.content:
                        problem = f"{actor} × {obj}: the {expected} answer names the customer"
                elif op.check:
                    try:
                        op.check(response, w, actor, obj)
                    except AssertionError as exc:
                        problem = f"{actor} × {obj}: {exc}"
                if problem:
                    wrong.append(problem)
                transaction.set_rollback(True)
    figure(f"T8 API matrix {operation}: {len(ACTORS) * len(OBJECTS)} cases, {len(wrong)} wrong "
           f"(total so far: {CASES['run']} cases, {CASES['denied']} denials with an unchanged database)")
    assert not wrong, "\n".join(wrong)


# --- mass assignment ------------------------------------------------------------------------------

def _protected(w) -> dict:
    from guanxi.core.models import User
    from guanxi.customers.models import Contact, Customer

    return {
        "customers": {c.pk: (c.organization_id, c.owner_id, c.store_id, c.created_by_id)
                      for c in Customer.objects.order_by("pk")},
        "contacts": {c.pk: (c.organization_id, c.customer_id, c.reports_to_id) for c in Contact.objects.order_by("pk")},
        "users": {u.pk: (u.organization_id, u.role, u.is_active, u.is_staff, u.is_superuser)
                  for u in User.objects.order_by("pk")},
    }


FORBIDDEN = {  # field → value builder(world): what a client must not be able to set
    "organization": lambda w: w.org_b.pk,
    "organization_id": lambda w: w.org_b.pk,
    "id": lambda w: w.customers["other_org"].pk,
    "created_by": lambda w: w.users["admin_b"].pk,
    "created_by_id": lambda w: w.users["admin_b"].pk,
    "role": lambda w: "admin",
    "is_staff": lambda w: True,
}


def _mass_cases(w):
    other_org_owner = w.users["rep_b2"].pk
    own, contact = w.customers["own"], w.contacts["own"]
    for field_name, value in FORBIDDEN.items():
        yield "post", "/api/v1/customers", {"name": "批量赋值", "kind": "person", field_name: value(w)}
        yield "patch", f"/api/v1/customers/{own.pk}", {"notes": "x", field_name: value(w)}
        yield "post", "/api/v1/contacts", {"customer_id": own.pk, "name": "批量赋值", field_name: value(w)}
        yield "patch", f"/api/v1/contacts/{contact.pk}", {"title": "x", field_name: value(w)}
    # ids of another organisation in fields a client may set
    yield "post", "/api/v1/customers", {"name": "外部负责人", "owner_id": other_org_owner}
    yield "patch", f"/api/v1/customers/{own.pk}", {"owner_id": other_org_owner}
    yield "post", "/api/v1/contacts", {"customer_id": w.customers["other_org"].pk, "name": "外部客户"}
    yield "patch", f"/api/v1/contacts/{contact.pk}", {"customer_id": w.customers["other_org"].pk}
    yield "patch", f"/api/v1/contacts/{contact.pk}", {"reports_to_id": w.contacts["other_org"].pk}
    yield "post", f"/api/v1/customers/{own.pk}/merge", {"source_id": w.customers["other_org"].pk}


@pytest.mark.parametrize("actor", ["rep_a", "admin"])
def test_mass_assignment_is_refused_or_ignored(api_world, actor):
    w, client = api_world, Client()
    ran, refused, wrong = 0, 0, []
    for method, path, body in _mass_cases(w):
        with transaction.atomic():
            before, protected = db_fingerprint(), _protected(w)
            response = client.generic(method.upper(), path, json.dumps(body, ensure_ascii=False),
                                      content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {w.tokens[actor]}")
            ran += 1
            label = f"{method.upper()} {path} {sorted(body)}"
            if response.status_code in (403, 404, 422):
                refused += 1
                if db_fingerprint() != before:
                    wrong.append(f"{label}: {response.status_code} but the database changed")
            elif response.status_code < 300:  # accepted: the forbidden part must have had no effect
                after = _protected(w)
                for kind, rows in protected.items():
                    changed = {k for k in rows if after[kind].get(k) != rows[k]}
                    if changed:
                        wrong.append(f"{label}: {response.status_code} and changed protected {kind} {sorted(changed)}")
                    for pk in set(after[kind]) - set(rows):
                        if after[kind][pk][0] != w.org.pk:
                            wrong.append(f"{label}: created a {kind[:-1]} in another organisation")
            else:
                wrong.append(f"{label}: {response.status_code} {response.content[:200]!r}")
            transaction.set_rollback(True)
    figure(f"T8 API mass assignment as {actor}: {ran} requests, {refused} refused (422/403/404), "
           f"{ran - refused - len(wrong)} accepted without effect, {len(wrong)} wrong")
    assert not wrong, "\n".join(wrong)
