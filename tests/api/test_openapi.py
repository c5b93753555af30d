"""The OpenAPI document and the browsable docs: every route documented, docs usable under the CSP."""

import re

import pytest
from django.test import Client

ERRORS = {"401", "403", "404", "422"}
ROUTES = {
    ("get", "/api/v1/me"),
    ("get", "/api/v1/customers"),
    ("post", "/api/v1/customers"),
    ("get", "/api/v1/customers/export"),
    ("get", "/api/v1/customers/{customer_id}"),
    ("patch", "/api/v1/customers/{customer_id}"),
    ("delete", "/api/v1/customers/{customer_id}"),
    ("post", "/api/v1/customers/{customer_id}/merge"),
    ("get", "/api/v1/customers/{customer_id}/timeline"),
    ("post", "/api/v1/customers/{customer_id}/notes"),
    ("get", "/api/v1/contacts"),
    ("post", "/api/v1/contacts"),
    ("get", "/api/v1/contacts/{contact_id}"),
    ("patch", "/api/v1/contacts/{contact_id}"),
    ("delete", "/api/v1/contacts/{contact_id}"),
    ("get", "/api/v1/leads"),
    ("post", "/api/v1/leads"),
    ("get", "/api/v1/leads/export"),
    ("get", "/api/v1/leads/{lead_id}"),
    ("patch", "/api/v1/leads/{lead_id}"),
    ("delete", "/api/v1/leads/{lead_id}"),
    ("post", "/api/v1/leads/{lead_id}/assign"),
    ("post", "/api/v1/leads/{lead_id}/convert"),
    # sales: contracts and orders
    ("get", "/api/v1/contracts"),
    ("post", "/api/v1/contracts"),
    ("post", "/api/v1/contracts/from-quote"),
    ("get", "/api/v1/contracts/{contract_id}"),
    ("patch", "/api/v1/contracts/{contract_id}"),
    ("post", "/api/v1/contracts/{contract_id}/activate"),
    ("post", "/api/v1/contracts/{contract_id}/terminate"),
    ("get", "/api/v1/contracts/{contract_id}/files"),
    ("get", "/api/v1/orders"),
    ("post", "/api/v1/orders"),
    ("post", "/api/v1/orders/from-quote"),
    ("get", "/api/v1/orders/{order_id}"),
    ("post", "/api/v1/orders/{order_id}/confirm"),
    ("post", "/api/v1/orders/{order_id}/deliver"),
    ("post", "/api/v1/orders/{order_id}/cancel"),
    ("get", "/api/v1/orders/{order_id}/payments"),
    ("post", "/api/v1/orders/{order_id}/payments"),
    # commission, expenses and sales reports (SAL-9, SAL-10)
    ("get", "/api/v1/commission/rules"),
    ("post", "/api/v1/commission/rules"),
    ("get", "/api/v1/commission/rules/{rule_id}"),
    ("patch", "/api/v1/commission/rules/{rule_id}"),
    ("delete", "/api/v1/commission/rules/{rule_id}"),
    ("get", "/api/v1/commission/statement"),
    ("get", "/api/v1/expenses"),
    ("post", "/api/v1/expenses"),
    ("get", "/api/v1/expenses/deals"),
    ("get", "/api/v1/expenses/{expense_id}"),
    ("patch", "/api/v1/expenses/{expense_id}"),
    ("delete", "/api/v1/expenses/{expense_id}"),
    ("post", "/api/v1/expenses/{expense_id}/submit"),
    ("post", "/api/v1/expenses/{expense_id}/approve"),
    ("post", "/api/v1/expenses/{expense_id}/reject"),
    ("get", "/api/v1/reports/{name}"),
    ("get", "/api/v1/opportunities"),
    ("post", "/api/v1/opportunities"),
    ("get", "/api/v1/opportunities/{opportunity_id}"),
    ("patch", "/api/v1/opportunities/{opportunity_id}"),
    ("delete", "/api/v1/opportunities/{opportunity_id}"),
    ("post", "/api/v1/opportunities/{opportunity_id}/move"),
    ("get", "/api/v1/opportunities/{opportunity_id}/history"),
    ("get", "/api/v1/pipelines"),
    ("get", "/api/v1/territories"),
    ("get", "/api/v1/territories/tree"),
    ("get", "/api/v1/forecast"),
}


@pytest.fixture
def document():
    r = Client().get("/api/v1/openapi.json")
    assert r.status_code == 200
    return r.json()


def test_every_route_is_documented_with_its_error_responses(document):
    operations = {(m, p): op for p, ops in document["paths"].items() for m, op in ops.items()}
    assert ROUTES <= set(operations)  # other modules list their own routes (e.g. test_openapi_sales.py)
    for (method, path), op in operations.items():
        assert op["summary"] and op["operationId"], path
        assert op["security"] == [{"BearerToken": []}], path
        codes = set(op["responses"])
        assert "401" in codes, (method, path)
        if path != "/api/v1/me":
            assert ERRORS <= codes, (method, path, codes)
        if method in ("post", "patch"):
            assert {"400", "409"} <= codes, (method, path, codes)
        for code in codes - {"200", "201", "204"}:
            schema = op["responses"][code]["content"]["application/json"]["schema"]
            assert schema["$ref"].rsplit("/", 1)[-1] in ("ErrorOut", "DuplicateOut"), (path, code)
    create = operations[("post", "/api/v1/customers")]
    assert create["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/DuplicateOut")
    export = operations[("get", "/api/v1/customers/export")]["responses"]["200"]["content"]
    assert set(export) == {"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    assert document["components"]["securitySchemes"]["BearerToken"] == {
        "type": "http", "scheme": "bearer", "description": document["components"]["securitySchemes"]["BearerToken"][
            "description"]}


def test_input_schemas_refuse_unknown_fields_and_the_sort_is_allow_listed(document):
    schemas = document["components"]["schemas"]
    for name in ("CustomerIn", "CustomerPatch", "ContactIn", "ContactPatch", "MergeIn", "NoteIn"):
        assert schemas[name]["additionalProperties"] is False, name
    assert schemas["CustomerIn"]["properties"]["name"]["maxLength"] == 200
    params = {p["name"]: p for p in document["paths"]["/api/v1/customers"]["get"]["parameters"]}
    from guanxi.customers.selectors import CUSTOMER_SORTS

    assert set(params["sort"]["schema"]["enum"]) == set(CUSTOMER_SORTS)
    assert params["page_size"]["schema"]["maximum"] == 200 and params["page"]["schema"]["minimum"] == 1


def test_docs_page_has_no_inline_script_and_its_assets_load():
    client = Client()
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    html = r.content.decode()
    csp = r["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts), scripts
    assert "<style" not in html and not re.search(r"\s(style|on[a-z]+)\s*=", html)
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert client.get(asset).status_code == 200, asset
    assert '"url": "/api/v1/openapi.json"' in html.replace("&quot;", '"')


def test_schema_names_are_unique_across_modules():
    """Two ninja schemas with one class name share one entry in the document, so one of them is
    described wrongly (schemathesis found commission rules validated against product rules)."""
    import collections

    from ninja import Schema

    import guanxi.api  # noqa: F401 - imports every router and schema

    modules = collections.defaultdict(set)

    def walk(cls):
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("guanxi."):
                modules[sub.__name__].add(sub.__module__)
            walk(sub)

    walk(Schema)
    assert {name: mods for name, mods in modules.items() if len(mods) > 1} == {}
