"""The customers and contacts API: what a client sees and what the database holds afterwards."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from django.forms.models import model_to_dict
from django.test import Client

from guanxi.core import services as core
from guanxi.core.models import AuditEntry, User
from guanxi.customers import services
from guanxi.customers.models import Contact, Customer, TimelineEvent

BASE = "/api/v1"


class Api:
    """A test client that sends JSON with a real bearer token."""

    def __init__(self, secret: str | None):
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        self.client = Client(headers=headers)

    def _send(self, method, path, body=None, raw: bytes | None = None, **extra):
        kwargs = {}
        if raw is not None:
            kwargs = {"data": raw, "content_type": "application/json"}
        elif body is not None:
            kwargs = {"data": json.dumps(body), "content_type": "application/json"}
        return getattr(self.client, method)(BASE + path, **kwargs, **extra)

    def get(self, path, **params):
        return self.client.get(BASE + path, params)

    def post(self, path, body=None, **kw):
        return self._send("post", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self._send("patch", path, body, **kw)

    def delete(self, path):
        return self.client.delete(BASE + path)


@pytest.fixture
def api(world):
    def make(name: str) -> Api:
        _token, secret = core.token_create(actor=None, user=world.users[name])
        return Api(secret)

    return make


def row(customer: Customer) -> dict:
    """Everything the database holds for one customer, to compare before and after a refused request."""
    customer = Customer.objects.get(pk=customer.pk)
    data = model_to_dict(customer, exclude=["tags"])
    data["tags"] = sorted(customer.tags.values_list("name", flat=True))
    data["updated_at"] = customer.updated_at
    data["contacts"] = sorted(customer.contacts.values_list("pk", "name"))
    return data


def names(response) -> list[str]:
    return sorted(item["name"] for item in response.json()["items"])


# --- list -------------------------------------------------------------------------------

def test_list_shows_only_visible_customers_with_count(world, api):
    r = api("rep_a").get("/customers")
    assert r.status_code == 200
    assert names(r) == sorted(["张三", "曾小明"]) and r.json()["count"] == 2
    item = next(i for i in r.json()["items"] if i["name"] == "张三")
    assert item["owner_id"] == world.rep_a.pk and item["owner_name"] == "rep_a"
    assert item["phone"] == "+8613800000001" and item["store_id"] == world.stores["S1"].pk
    assert {"id", "kind", "phone2", "email", "tags", "source", "industry", "province", "city", "address", "website",
            "stage", "notes", "external_id", "created_at", "updated_at"} <= set(item)
    assert names(api("manager_s2").get("/customers")) == ["欧阳修"]
    assert names(api("admin_b").get("/customers")) == ["Acme Ltd"]
    assert api("admin").get("/customers").json()["count"] == 4


def test_list_items_are_what_get_shows(world, api):
    """The list reads rows its own way (no model instances); each item is still exactly the customer's JSON."""
    services.customer_update(actor=world.admin, customer=world.customers["own"],
                             data={"tags": ["VIP", "A级", "老客户"], "notes": "备注", "website": "https://example.cn"})
    world.rep_a.first_name, world.rep_a.last_name = "小", "王"
    world.rep_a.save()
    admin = api("admin")
    items = admin.get("/customers", page_size=200).json()["items"]
    assert len(items) == 4
    for item in items:
        assert item == admin.get(f"/customers/{item['id']}").json()
    own = next(i for i in items if i["id"] == world.customers["own"].pk)
    assert own["tags"] == sorted(["VIP", "A级", "老客户"]) and own["owner_name"] == "小 王"


def test_list_filters(world, api):
    admin = world.admin
    services.customer_update(actor=admin, customer=world.customers["own"],
                             data={"stage": "customer", "city": "上海", "province": "上海", "industry": "零售",
                                   "tags": ["VIP"], "kind": "company"})
    pool = services.customer_create(actor=admin, data={"name": "公海客户", "owner": None, "source": "web"})
    a = api("admin")
    assert names(a.get("/customers", q="zs")) == ["张三"]
    assert names(a.get("/customers", q="0002")) == ["曾小明"]
    assert names(a.get("/customers", kind="company")) == sorted(["张三", "公海客户"])
    assert names(a.get("/customers", stage="customer")) == ["张三"]
    assert names(a.get("/customers", source="web")) == ["公海客户"]
    assert names(a.get("/customers", owner_id=world.rep_c.pk)) == ["单田芳"]
    assert names(a.get("/customers", store_id=world.stores["S2"].pk)) == ["欧阳修"]
    assert names(a.get("/customers", tag="VIP")) == ["张三"]
    assert names(a.get("/customers", province="上海", city="上海", industry="零售")) == ["张三"]
    assert names(a.get("/customers", unowned="true")) == [pool.name]
    # A rep filtering by a customer outside their reach gets nothing, not a leak.
    assert names(api("rep_a").get("/customers", owner_id=world.rep_c.pk)) == []


def test_list_sorts_and_paginates(world, api):
    a = api("admin")
    by_name = [i["name"] for i in a.get("/customers", sort="name").json()["items"]]
    assert by_name == ["欧阳修", "单田芳", "曾小明", "张三"]  # ouyang, shan, zeng, zhang: 单 and 曾 read as surnames
    assert [i["name"] for i in a.get("/customers", sort="-name").json()["items"]] == by_name[::-1]
    pages = [a.get("/customers", sort="name", page=p, page_size=3).json() for p in (1, 2)]
    assert [len(p["items"]) for p in pages] == [3, 1] and {p["count"] for p in pages} == {4}
    assert [i["name"] for p in pages for i in p["items"]] == by_name
    beyond = a.get("/customers", page=999999999999999999999, page_size=200)
    assert beyond.status_code == 200 and beyond.json() == {"items": [], "count": 4}


@pytest.mark.parametrize(
    "params, field",
    [
        ({"sort": "organization_id"}, "sort"),
        ({"sort": "-name_pinyin"}, "sort"),
        ({"page": 0}, "page"),
        ({"page": -1}, "page"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 201}, "page_size"),
        ({"kind": "robot"}, "kind"),
        ({"stage": "x"}, "stage"),
        ({"owner_id": 2**63}, "owner_id"),
        ({"owner_id": "abc"}, "owner_id"),
        ({"q": "bad\x00"}, "q"),
        ({"city": "\x00"}, "city"),
        ({"q": "x" * 101}, "q"),
        ({"organization_id": 2}, "organization_id"),
    ],
)
def test_list_refuses_bad_parameters_with_422(world, api, params, field):
    r = api("admin").get("/customers", **params)
    assert r.status_code == 422
    assert field in r.json()["errors"] and r.json()["detail"]


def test_list_survives_odd_query_strings(world, api):
    a = api("admin")
    assert a.client.get(BASE + "/customers?q=%FF%FE%00").status_code == 422  # NUL after invalid UTF-8
    r = a.client.get(BASE + "/customers?q=%FF%FE")
    assert r.status_code == 200 and r.json()["count"] == 0
    assert a.client.get(BASE + "/contacts?q=%C0%AF").status_code == 200


def test_list_query_count_does_not_grow_with_rows(world, api, django_assert_max_num_queries):
    a = api("admin")
    for i in range(30):
        services.customer_create(actor=world.admin, data={"name": f"客户{i}", "tags": ["A", "B"], "owner": world.rep_a.pk},
                                 allow_duplicate=True)
    # token lookup + last-used update, territories, count, page, tags (and the session/savepoint bookkeeping).
    with django_assert_max_num_queries(8):
        r = a.get("/customers", page_size=200)
    assert r.json()["count"] == 34 and len(r.json()["items"]) == 34


# --- create ----------------------------------------------------------------------------

def test_create_makes_the_caller_owner_and_audits(world, api):
    rep = api("rep_a")
    before = AuditEntry.objects.count()
    r = rep.post("/customers", {"name": " 李 四 ", "kind": "person", "phone": "139 1234 5678",
                                         "email": "Li@Example.com", "tags": ["VIP", "老客户"], "city": "上海"})
    assert r.status_code == 201, r.content
    body = r.json()
    c = Customer.objects.get(pk=body["id"])
    assert (c.name, c.phone, c.email, c.owner, c.store, c.created_by, c.source) == (
        "李 四", "+8613912345678", "li@example.com", world.rep_a, world.stores["S1"], world.rep_a, "api")
    assert body["owner_id"] == world.rep_a.pk and body["tags"] == ["VIP", "老客户"] and body["source"] == "api"
    assert AuditEntry.objects.count() == before + 1
    assert AuditEntry.objects.filter(action="create", object_type="customers.customer", object_id=str(c.pk)).exists()


def test_create_duplicate_is_409_until_allowed(world, api):
    rep = api("rep_a")
    count = Customer.objects.count()
    r = rep.post("/customers", {"name": "张三丰", "phone": "13800000001"})  # rep_a's own customer's phone
    assert r.status_code == 409
    body = r.json()
    assert body["duplicates"] == [{"id": world.customers["own"].pk, "name": "张三", "phone": "+8613800000001", "email": ""}]
    assert body["hidden_duplicates"] == 0 and body["errors"] == {} and body["detail"]
    assert Customer.objects.count() == count
    # rep_c cannot see rep_a's customer: it is counted, not shown.
    hidden = api("rep_c").post("/customers", {"name": "张三", "kind": "person"})
    assert hidden.status_code == 409 and hidden.json()["duplicates"] == [] and hidden.json()["hidden_duplicates"] == 1
    assert Customer.objects.count() == count
    ok = rep.post("/customers", {"name": "张三丰", "phone": "13800000001", "allow_duplicate": True})
    assert ok.status_code == 201 and Customer.objects.count() == count + 1


def test_create_external_id_taken_is_422_naming_the_field(world, api):
    a = api("admin")
    assert a.post("/customers", {"name": "甲", "external_id": "ERP-1"}).status_code == 201
    r = a.post("/customers", {"name": "乙", "external_id": "ERP-1"})
    assert r.status_code == 422 and "external_id" in r.json()["errors"]
    assert not Customer.objects.filter(name="乙").exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "bad\x00name"}, "name"),
        ({"name": "ok", "notes": "\x00"}, "notes"),
        ({"name": "ok", "phone": "12345"}, "phone"),
        ({"name": "ok", "email": "not-an-email"}, "email"),
        ({"name": "ok", "stage": "nonsense"}, "stage"),
        ({"name": "ok", "kind": 1}, "kind"),
        ({"name": 5}, "name"),
        ({"name": "ok", "allow_duplicate": 0}, "allow_duplicate"),
        ({"name": "ok", "tags": ["x" * 51]}, "tags.0"),
        ({"name": "ok", "tags": "VIP"}, "tags"),
        ({"name": "ok", "website": "w" * 201}, "website"),
        ({"name": "ok", "store_id": 2**63}, "store_id"),
        ({"name": "ok", "store_id": 999999}, "store_id"),
        ({"name": "ok", "organization": 2}, "organization"),
        ({"name": "ok", "organization_id": 2}, "organization_id"),
        ({"name": "ok", "id": 77}, "id"),
        ({"name": "ok", "created_by": 1}, "created_by"),
        ({"name": "ok", "name_pinyin": "x"}, "name_pinyin"),
        ({"kind": "person"}, "name"),
    ],
)
def test_create_refuses_bad_input_with_422_and_writes_nothing(world, api, body, field):
    a = api("admin")
    before = (Customer.objects.count(), AuditEntry.objects.count())
    r = a.post("/customers", body)
    assert r.status_code == 422, r.content
    assert field in r.json()["errors"], r.json()
    assert (Customer.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.parametrize(
    "raw, status",
    [
        (b"", 422),
        (b"[]", 422),
        (b'[{"name": "x"}]', 422),
        (b"null", 422),
        (b'"name"', 422),
        (b"{", 400),
        (b"\xff\xfe{}", 400),
        (b'{"name": "\\ud800"}', 422),  # a lone surrogate: valid JSON, not encodable text
        (b'{"name": "x", "name": "\\u0000"}', 422),
        (b"[" * 5000, 400),
    ],
)
def test_create_with_odd_bodies_never_fails_with_500(world, api, raw, status):
    count = Customer.objects.count()
    r = api("admin").post("/customers", raw=raw)
    assert r.status_code == status, r.content
    assert set(r.json()) >= {"detail", "errors"}
    assert Customer.objects.count() == count


def test_store_wide_roles_may_create_unowned_customers_reps_may_not(world, api):
    r = api("manager").post("/customers", {"name": "公海", "owner_id": None})
    assert r.status_code == 201 and r.json()["owner_id"] is None
    refused = api("rep_a").post("/customers", {"name": "公海2", "owner_id": None})
    assert refused.status_code == 422 and "owner_id" in refused.json()["errors"]
    assert not Customer.objects.filter(name="公海2").exists()


# --- get, patch, delete ---------------------------------------------------------------

def test_get_one(world, api):
    c = world.customers["team"]
    r = api("rep_a").get(f"/customers/{c.pk}")
    assert r.status_code == 200 and r.json()["name"] == "曾小明" and r.json()["owner_id"] == world.rep_b.pk


@pytest.mark.parametrize("pk", ["0", "-1", str(2**63), str(2**63 - 1), "99999999999999999999999999999", "000"])
def test_out_of_range_ids_are_404(world, api, pk):
    a = api("admin")
    for method in ("get", "delete"):
        r = getattr(a, method)(f"/customers/{pk}")
        assert r.status_code == 404 and r.json() == {"detail": r.json()["detail"], "errors": {}}
    assert a.patch(f"/customers/{pk}", {"city": "x"}).status_code == 404
    assert a.get(f"/contacts/{pk}").status_code == 404
    assert a.get(f"/customers/{pk}/timeline").status_code == 404


def test_non_numeric_ids_are_422(world, api):
    assert api("admin").get("/customers/abc").status_code == 422
    assert api("admin").get("/contacts/1.5").status_code == 422


def test_patch_changes_only_the_fields_sent(world, api):
    c = world.customers["own"]
    services.customer_update(actor=world.rep_a, customer=c, data={"tags": ["VIP"], "email": "a@example.com"})
    before = row(c)
    r = api("rep_a").patch(f"/customers/{c.pk}", {"city": "杭州", "stage": "prospect"})
    assert r.status_code == 200, r.content
    after = row(c)
    assert (after["city"], after["stage"]) == ("杭州", "prospect")
    assert {k: v for k, v in after.items() if k not in ("city", "stage", "updated_at")} == {
        k: v for k, v in before.items() if k not in ("city", "stage", "updated_at")}
    assert r.json()["tags"] == ["VIP"] and r.json()["email"] == "a@example.com"
    entry = AuditEntry.objects.filter(action="update", object_id=str(c.pk)).first()
    assert entry.changes == {"city": ["", "杭州"], "stage": ["lead", "prospect"]}


def test_patch_tags_replace_the_set_and_empty_body_changes_nothing(world, api):
    c = world.customers["own"]
    rep = api("rep_a")
    assert rep.patch(f"/customers/{c.pk}", {"tags": ["甲", "乙"]}).json()["tags"] == ["乙", "甲"]
    assert rep.patch(f"/customers/{c.pk}", {"tags": []}).json()["tags"] == []
    audits = AuditEntry.objects.count()
    before = row(c)
    assert rep.patch(f"/customers/{c.pk}", {}).status_code == 200
    assert row(c)["name"] == before["name"] and AuditEntry.objects.count() == audits


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"phone": None}, "phone"),
        ({"phone": "abc"}, "phone"),
        ({"stage": None}, "stage"),
        ({"tags": None}, "tags"),
        ({"email": "x\x00@example.com"}, "email"),
        ({"organization": 2}, "organization"),
        ({"id": 1}, "id"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
    ],
)
def test_patch_refuses_bad_input_and_changes_nothing(world, api, body, field):
    c, rep = world.customers["own"], api("rep_a")
    before, audits = row(c), AuditEntry.objects.count()
    r = rep.patch(f"/customers/{c.pk}", body)
    assert r.status_code == 422 and field in r.json()["errors"], r.content
    assert row(c) == before and AuditEntry.objects.count() == audits


def test_delete(world, api):
    c = world.customers["other_team"]
    r = api("manager").delete(f"/customers/{c.pk}")
    assert r.status_code == 204 and r.content == b""
    assert not Customer.objects.filter(pk=c.pk).exists()
    assert AuditEntry.objects.filter(action="delete", object_type="customers.customer", object_id=str(c.pk)).exists()
    assert api("manager").delete(f"/customers/{c.pk}").status_code == 404


# --- mass assignment ------------------------------------------------------------------

def test_mass_assignment_is_refused_and_the_database_unchanged(world, api):
    c = world.customers["own"]
    rep = api("rep_a")
    before, audits, count = row(c), AuditEntry.objects.count(), Customer.objects.count()
    attempts = [
        ("patch", f"/customers/{c.pk}", {"organization": world.org_b.pk}),
        ("patch", f"/customers/{c.pk}", {"organization_id": world.org_b.pk}),
        ("patch", f"/customers/{c.pk}", {"id": 999}),
        ("patch", f"/customers/{c.pk}", {"owner_id": world.rep_c.pk}),  # another team
        ("patch", f"/customers/{c.pk}", {"owner_id": world.rep_b2.pk}),  # another organisation
        ("patch", f"/customers/{c.pk}", {"store_id": world.stores["S2"].pk}),  # another store
        ("patch", f"/customers/{c.pk}", {"created_by": world.admin.pk}),
        ("post", "/customers", {"name": "钱八", "owner_id": world.rep_c.pk}),
        ("post", "/customers", {"name": "钱八", "organization": world.org_b.pk}),
        ("post", "/customers", {"name": "钱八", "id": c.pk}),
    ]
    for method, path, body in attempts:
        r = getattr(rep, method)(path, body)
        assert r.status_code == 422, (body, r.content)
        key = next(iter(body.keys() - {"name"}))
        assert key in r.json()["errors"], (body, r.json())
    assert row(c) == before
    assert (AuditEntry.objects.count(), Customer.objects.count()) == (audits, count)
    # The field itself is allowed, within the rule: a rep may name only themselves.
    assert rep.patch(f"/customers/{c.pk}", {"owner_id": world.rep_a.pk}).status_code == 200


def test_manager_assigns_owner_within_store(world, api):
    c = world.customers["own"]
    r = api("manager").patch(f"/customers/{c.pk}", {"owner_id": world.rep_c.pk})
    assert r.status_code == 200 and r.json()["owner_id"] == world.rep_c.pk
    assert Customer.objects.get(pk=c.pk).owner == world.rep_c
    r = api("manager").patch(f"/customers/{c.pk}", {"owner_id": world.rep_d.pk})  # rep_d works in S2
    assert r.status_code == 422 and "owner_id" in r.json()["errors"]
    assert Customer.objects.get(pk=c.pk).owner == world.rep_c


# --- permissions ------------------------------------------------------------------------

def _routes(customer_pk: int) -> list[tuple[str, str, dict | None]]:
    return [
        ("get", f"/customers/{customer_pk}", None),
        ("patch", f"/customers/{customer_pk}", {"city": "北京"}),
        ("delete", f"/customers/{customer_pk}", None),
        ("post", f"/customers/{customer_pk}/merge", {"source_id": customer_pk}),
        ("get", f"/customers/{customer_pk}/timeline", None),
        ("post", f"/customers/{customer_pk}/notes", {"body": "hi"}),
    ]


def _call(client: Api, method, path, body):
    return client.get(path) if method == "get" else client.delete(path) if method == "delete" else getattr(
        client, method)(path, body)


def _denied(world, client: Api, customer: Customer, expected: dict[str, int]):
    before, audits, events = row(customer), AuditEntry.objects.count(), TimelineEvent.objects.count()
    for method, path, body in _routes(customer.pk):
        r = _call(client, method, path, body)
        want = expected.get(method + " " + path.rsplit("/", 1)[-1], expected.get(method, expected["*"]))
        assert r.status_code == want, (method, path, r.status_code, r.content)
        if want >= 400:
            assert set(r.json()) == {"detail", "errors"}
        assert row(customer) == before
        assert AuditEntry.objects.count() == audits and TimelineEvent.objects.count() == events


@pytest.mark.parametrize("user", ["rep_c", "rep_d", "manager_s2", "admin_b", "rep_b2"])
def test_invisible_customer_is_404_on_every_route(world, api, user):
    _denied(world, api(user), world.customers["own"], {"*": 404})


def test_same_team_rep_sees_but_cannot_change_a_colleagues_customer(world, api):
    rep_b = api("rep_b")
    c = world.customers["own"]
    assert rep_b.get(f"/customers/{c.pk}").status_code == 200
    _denied(world, rep_b, c, {"*": 403, "get": 200})


def test_read_only_and_marketing_cannot_write(world, api):
    c = world.customers["own"]
    for user in ("readonly", "marketing"):
        _denied(world, api(user), c, {"*": 403, "get": 200})
        before = Customer.objects.count()
        assert api(user).post("/customers", {"name": "新客户"}).status_code == 403
        assert Customer.objects.count() == before


@pytest.mark.parametrize("secret", [None, "", "gx_nonsense", "gx_" + "x" * 300, "Bearer"])
def test_missing_or_invalid_token_is_401(world, secret):
    client = Api(secret)
    c = world.customers["own"]
    before, audits = row(c), AuditEntry.objects.count()
    for method, path, body in _routes(c.pk) + [("get", "/customers", None), ("post", "/customers", {"name": "x"}),
                                               ("get", "/contacts", None), ("get", "/customers/export", None)]:
        r = _call(client, method, path, body)
        assert r.status_code == 401, (method, path)
        assert r.json()["errors"] == {} and r.json()["detail"]
    assert row(c) == before and AuditEntry.objects.count() == audits


def test_session_cookie_alone_does_not_authenticate_the_api(world, client_for):
    browser = client_for("admin")
    assert browser.get(BASE + "/customers").status_code == 401
    r = browser.post(BASE + "/customers", json.dumps({"name": "CSRF?"}), content_type="application/json")
    assert r.status_code == 401 and not Customer.objects.filter(name="CSRF?").exists()


def test_revoked_token_and_deactivated_user_are_401(world, api):
    c = world.customers["own"]
    token, secret = core.token_create(actor=None, user=world.rep_a)
    client = Api(secret)
    assert client.get(f"/customers/{c.pk}").status_code == 200
    core.token_revoke(actor=world.rep_a, token=token)
    assert client.get(f"/customers/{c.pk}").status_code == 401

    _t, secret_b = core.token_create(actor=None, user=world.rep_b)
    rep_b = Api(secret_b)
    assert rep_b.get("/customers").status_code == 200
    # Deactivated without the service (so the token itself is still live): the user check alone refuses it.
    User.objects.filter(pk=world.rep_b.pk).update(is_active=False)
    before = row(c)
    assert rep_b.get("/customers").status_code == 401
    assert rep_b.patch(f"/customers/{c.pk}", {"city": "x"}).status_code == 401
    assert row(c) == before


# --- merge ----------------------------------------------------------------------------

def test_merge_moves_contacts_and_notes_and_deletes_the_source(world, api):
    target, source = world.customers["own"], world.customers["team"]
    contact = services.contact_create(actor=world.rep_b, customer=source, data={"name": "王经理"})
    note = services.note_add(actor=world.rep_b, customer=source, body="likes tea")
    services.customer_update(actor=world.rep_b, customer=source, data={"email": "zeng@example.com", "tags": ["B"]})
    r = api("admin").post(f"/customers/{target.pk}/merge", {"source_id": source.pk})
    assert r.status_code == 200, r.content
    assert r.json()["id"] == target.pk and r.json()["email"] == "zeng@example.com" and r.json()["tags"] == ["B"]
    assert not Customer.objects.filter(pk=source.pk).exists()
    assert Contact.objects.get(pk=contact.pk).customer_id == target.pk
    assert TimelineEvent.objects.get(pk=note.pk).customer_id == target.pk
    assert AuditEntry.objects.filter(action="merge", object_id=str(target.pk)).count() == 1
    deleted = AuditEntry.objects.get(action="delete", object_type="customers.customer", object_id=str(source.pk))
    assert deleted.changes["merged_into"] == [None, target.pk]
    timeline = api("admin").get(f"/customers/{target.pk}/timeline").json()["items"]
    assert timeline[0]["kind"] == "merged" and any(e["body"] == "likes tea" for e in timeline)


@pytest.mark.parametrize(
    "user, source_case, status, field",
    [
        ("admin", "own", 422, "source_id"),  # into itself
        ("admin", "other_org", 422, "source_id"),  # another organisation's: not found
        ("manager", "other_store", 422, "source_id"),  # not visible to the manager
        ("rep_a", "team", 403, None),  # reps may not merge
    ],
)
def test_merge_refusals_change_nothing(world, api, user, source_case, status, field):
    target = world.customers["own"]
    source = world.customers[source_case]
    client = api(user)
    before = (row(target), row(source), AuditEntry.objects.count())
    r = client.post(f"/customers/{target.pk}/merge", {"source_id": source.pk})
    assert r.status_code == status, r.content
    if field:
        assert field in r.json()["errors"]
    assert (row(target), row(source), AuditEntry.objects.count()) == before


def test_merge_body_is_checked(world, api):
    target = world.customers["own"]
    for body in ({}, {"source_id": "1"}, {"source_id": 0}, {"source_id": 2**63}, {"source_id": 1, "x": 1}, []):
        assert api("admin").post(f"/customers/{target.pk}/merge", body).status_code == 422, body


# --- export ----------------------------------------------------------------------------

def _csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_export_csv_has_the_visible_rows_and_neutralises_formulas(world, api):
    services.customer_create(actor=world.manager, data={"name": "=1+1", "owner": world.rep_c.pk}, allow_duplicate=True)
    r = api("manager").get("/customers/export", format="csv", sort="name")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/csv")
    assert r["Content-Disposition"].startswith("attachment;") and ".csv" in r["Content-Disposition"]
    rows = _csv_rows(r.content)
    assert sorted(x[1] for x in rows[1:]) == sorted(["'=1+1", "张三", "曾小明", "单田芳"])  # store S1 only
    assert AuditEntry.objects.filter(action="export", actor=world.manager).count() == 1


def test_export_filters_like_the_list(world, api):
    r = api("marketing").get("/customers/export", q="ouyang")
    assert [x[1] for x in _csv_rows(r.content)[1:]] == ["欧阳修"]


def test_export_xlsx_contains_no_formula(world, api):
    services.customer_create(actor=world.admin, data={"name": "=HYPERLINK(\"http://evil\")", "notes": "+cmd|' /C calc'!A0"},
                             allow_duplicate=True)
    r = api("admin").get("/customers/export", format="xlsx")
    assert r.status_code == 200
    assert r["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert r["Content-Disposition"].startswith("attachment;") and ".xlsx" in r["Content-Disposition"]
    book = zipfile.ZipFile(io.BytesIO(r.content))
    sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and all(b"<f>" not in book.read(n) and b"<f " not in book.read(n) for n in sheets)
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    names_in_file = sorted(str(row[1]) for row in ws.iter_rows(min_row=2, values_only=True))
    assert "'=HYPERLINK(\"http://evil\")" in names_in_file
    assert len(names_in_file) == 5  # the four of organisation A plus the new one; not Acme


def test_export_refusals(world, api):
    rep, admin = api("rep_a"), api("admin")
    audits = AuditEntry.objects.count()
    assert rep.get("/customers/export").status_code == 403  # reps may not export
    assert admin.get("/customers/export", format="pdf").status_code == 422
    assert admin.get("/customers/export", format="csv", q="\x00").status_code == 422
    assert admin.get("/customers/export", sort="pinyin").status_code == 422
    assert AuditEntry.objects.count() == audits  # nothing was exported


# --- timeline and notes ---------------------------------------------------------------

def test_notes_and_timeline(world, api):
    c = world.customers["own"]
    r = api("rep_a").post(f"/customers/{c.pk}/notes", {"body": "回访：满意\nsecond line"})
    assert r.status_code == 201 and r.json()["kind"] == "note" and r.json()["summary"] == "回访：满意"
    assert TimelineEvent.objects.filter(customer=c, kind="note", body="回访：满意\nsecond line").exists()
    items = api("rep_b").get(f"/customers/{c.pk}/timeline").json()["items"]  # a teammate reads it
    assert items[0]["body"] == "回访：满意\nsecond line" and items[0]["actor_id"] == world.rep_a.pk
    assert [i["kind"] for i in api("rep_a").get(f"/customers/{c.pk}/timeline", limit=1).json()["items"]] == ["note"]
    for body in ({"body": ""}, {"body": "\x00"}, {"body": "x" * 10001}, {}, {"text": "x"}):
        assert api("rep_a").post(f"/customers/{c.pk}/notes", body).status_code == 422, body
    assert api("rep_b").post(f"/customers/{c.pk}/notes", {"body": "mine"}).status_code == 403
    assert TimelineEvent.objects.filter(customer=c, kind="note").count() == 1


# --- contacts --------------------------------------------------------------------------

def test_contacts_crud(world, api):
    c = world.customers["own"]
    rep = api("rep_a")
    r = rep.post("/contacts", {"customer_id": c.pk, "name": "王总", "title": "总经理", "role": "decision_maker",
                               "phone": "13912345678", "email": "Wang@Example.com"})
    assert r.status_code == 201, r.content
    boss = r.json()
    assert boss["customer_id"] == c.pk and boss["phone"] == "+8613912345678" and boss["email"] == "wang@example.com"
    assert {"id", "name", "title", "role", "department", "reports_to_id", "notes", "external_id", "created_at",
            "updated_at"} <= set(boss)
    r = rep.post("/contacts", {"customer_id": c.pk, "name": "李工", "reports_to_id": boss["id"]})
    assert r.status_code == 201 and r.json()["reports_to_id"] == boss["id"]
    engineer = r.json()

    listing = rep.get("/contacts", customer_id=c.pk)
    assert listing.status_code == 200 and listing.json()["count"] == 2
    assert [i["name"] for i in rep.get("/contacts", q="wz").json()["items"]] == ["王总"]
    assert rep.get("/contacts", customer_id=c.pk, page=2, page_size=1).json()["items"][0]["name"] == "王总"
    assert rep.get(f"/contacts/{engineer['id']}").json()["name"] == "李工"

    r = rep.patch(f"/contacts/{engineer['id']}", {"department": "技术部"})
    assert r.status_code == 200 and r.json()["department"] == "技术部" and r.json()["reports_to_id"] == boss["id"]
    loop = rep.patch(f"/contacts/{boss['id']}", {"reports_to_id": engineer["id"]})
    assert loop.status_code == 422 and "reports_to_id" in loop.json()["errors"]
    assert rep.patch(f"/contacts/{engineer['id']}", {"reports_to_id": None}).json()["reports_to_id"] is None
    moved = rep.patch(f"/contacts/{engineer['id']}", {"customer_id": world.customers["team"].pk})
    assert moved.status_code == 422 and "customer_id" in moved.json()["errors"]
    assert Contact.objects.get(pk=engineer["id"]).customer_id == c.pk

    assert rep.delete(f"/contacts/{engineer['id']}").status_code == 204
    assert not Contact.objects.filter(pk=engineer["id"]).exists()
    assert AuditEntry.objects.filter(action="delete", object_type="customers.contact",
                                     object_id=str(engineer["id"])).exists()


def test_contacts_permissions(world, api):
    own = world.customers["own"]
    contact = services.contact_create(actor=world.rep_a, customer=own, data={"name": "王总"})
    clients = {user: api(user) for user in ("rep_c", "manager_s2", "admin_b", "rep_b")}
    before = (row(own), AuditEntry.objects.count(), Contact.objects.count())
    # Invisible customer named in the body: 422 on that field; invisible contact: 404.
    r = clients["rep_c"].post("/contacts", {"customer_id": own.pk, "name": "x"})
    assert r.status_code == 422 and "customer_id" in r.json()["errors"]
    for user in ("rep_c", "manager_s2", "admin_b"):
        client = clients[user]
        assert client.get(f"/contacts/{contact.pk}").status_code == 404
        assert client.patch(f"/contacts/{contact.pk}", {"name": "改"}).status_code == 404
        assert client.delete(f"/contacts/{contact.pk}").status_code == 404
        assert client.get("/contacts", customer_id=own.pk).json() == {"items": [], "count": 0}
    # A teammate sees it but may not change it.
    rep_b = clients["rep_b"]
    assert rep_b.get(f"/contacts/{contact.pk}").status_code == 200
    assert rep_b.patch(f"/contacts/{contact.pk}", {"name": "改"}).status_code == 403
    assert rep_b.delete(f"/contacts/{contact.pk}").status_code == 403
    assert rep_b.post("/contacts", {"customer_id": own.pk, "name": "x"}).status_code == 403
    assert (row(own), AuditEntry.objects.count(), Contact.objects.count()) == before
    assert Contact.objects.get(pk=contact.pk).name == "王总"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "x"}, "customer_id"),
        ({"customer_id": "1", "name": "x"}, "customer_id"),
        ({"customer_id": 2**64, "name": "x"}, "customer_id"),
        ({"customer_id": None, "name": "x"}, "customer_id"),
        ({"name": "x" * 101}, "name"),
        ({"name": "x", "role": "boss"}, "role"),
        ({"name": "x", "organization": 1}, "organization"),
        ({"name": "x\x00"}, "name"),
        ({"name": "x", "reports_to_id": 999999}, "reports_to_id"),
        ({"name": "x", "phone": "1"}, "phone"),
    ],
)
def test_contact_create_refuses_bad_input(world, api, body, field):
    if field != "customer_id":
        body = {"customer_id": world.customers["own"].pk, **body}
    count = Contact.objects.count()
    r = api("rep_a").post("/contacts", body)
    assert r.status_code == 422 and field in r.json()["errors"], r.content
    assert Contact.objects.count() == count


def test_long_chinese_names_fit(world, api):
    """Pinyin is longer than the hanzi it spells: the derived columns must not turn a valid name into an error."""
    rep = api("rep_a")
    r = rep.post("/customers", {"name": "庄" * 200, "allow_duplicate": True})
    assert r.status_code == 201, r.content
    r = rep.post("/contacts", {"customer_id": r.json()["id"], "name": "庄" * 100})
    assert r.status_code == 201, r.content
    assert Contact.objects.get(pk=r.json()["id"]).name == "庄" * 100
