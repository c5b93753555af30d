"""schemathesis over the products, price-lists and quotes operations on a world that has them:
products with a bundle and rules, a default and a group price list with tiers, and quotes in
every status with lines, so the success paths (PDF, send, approve, accept, new version, ...) run
too, not only 404s. Same machinery as test_schemathesis.py: real tokens, one savepoint per case,
positive cases get ids of real rows three times out of four."""

from __future__ import annotations

from unittest import mock

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import settings
from schemathesis.config import SchemathesisConfig

from config.wsgi import application
from tests.api.conftest import BY_OPERATION, STATS
from tests.api.test_schemathesis import HYPOTHESIS, SECRETS

pytestmark = pytest.mark.django_db

PATHS = r"^/api/v1/(quotes|products|price-lists)"
# test_schemathesis.py already fuzzes these operations (30 examples, mostly unknown ids); here the
# ids are real, so fewer examples reach the success paths.
MAX_EXAMPLES = 15
ID_FIELDS = {
    "quote_id": "quotes", "line_id": "lines", "product_id": "products", "item_product_id": "products",
    "other_id": "products", "rule_id": "rules", "price_list_id": "price_lists", "item_id": "price_items",
    "customer_id": "customers", "opportunity_id": "opportunities", "contact_id": "contacts",
    "customer_tag_id": "tags", "owner_id": "users", "store_id": "stores",
}


def _schema(role: str):
    config = SchemathesisConfig.from_dict({
        "seed": 20260102,
        "headers": {"Authorization": f"Bearer {SECRETS[role]}"},
        "checks": {"positive_data_acceptance": {"enabled": False}},
        "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
    })
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=config).include(
        path_regex=PATHS)


as_admin = _schema("admin")
as_rep = _schema("rep_a")


@pytest.fixture(scope="module")
def seeded_sales(django_db_setup, django_db_blocker):
    from guanxi.core import services as core
    from guanxi.core.models import ApiToken
    from guanxi.core.tenancy import unscoped
    from guanxi.customers.models import Tag
    from guanxi.customers.services import contact_create, customer_update
    from guanxi.sales.models import PriceListItem, ProductRule, QuoteLine
    from guanxi.sales.services import catalog, quotes
    from guanxi.testing import build_sales, build_world

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with django_db_blocker.unblock(), unscoped(), transaction.atomic():
            w = build_sales(build_world())
            admin, rep = w.users["admin"], w.users["rep_a"]
            own = w.customers["own"]
            contact = contact_create(actor=rep, customer=own, data={"name": "李秘书", "email": "li@example.com"})
            customer_update(actor=rep, customer=own, data={"tags": ["VIP"]})
            products = [catalog.product_create(actor=admin, data={"sku": sku, "name": name, "kind": kind,
                                                                  "list_price": price})
                        for sku, name, kind, price in (("ERP", "企业资源计划系统", "product", "1000.00"),
                                                       ("LIC", "许可", "product", "200.00"),
                                                       ("CLD", "云托管", "service", "300.00"),
                                                       ("KIT", "套装", "bundle", "1500.00"))]
            erp, lic, cld, kit = products
            catalog.bundle_item_set(actor=admin, bundle=kit, product=lic.pk, quantity="2")
            catalog.product_rule_add(actor=admin, product=erp, kind="requires", other=lic.pk)
            catalog.product_rule_add(actor=admin, product=erp, kind="excludes", other=cld.pk)
            default = catalog.price_list_create(actor=admin, data={"name": "标准价", "is_default": True})
            vip = catalog.price_list_create(actor=admin, data={"name": "VIP",
                                                               "customer_tag": Tag.objects.get(name="VIP").pk})
            for pl, price in ((default, "950.00"), (vip, "900.00")):
                catalog.price_list_item_set(actor=admin, price_list=pl, data={"product": erp.pk, "price": price,
                                                                              "min_quantity": "5"})
            made = []
            for status in ("draft", "pending", "approved", "sent", "plain"):
                q = quotes.quote_create(actor=rep, data={"opportunity": w.opportunities["own"].pk,
                                                         "contact": contact.pk})
                quotes.line_add(actor=rep, quote=q, data={"product": erp.pk, "quantity": "3",
                                                          "discount_percent": "20" if status != "plain" else "5"})
                quotes.line_add(actor=rep, quote=q, data={"product": lic.pk, "quantity": "3"})
                if status in ("pending", "approved", "sent"):
                    quotes.quote_submit(actor=rep, quote=q)
                if status in ("approved", "sent"):
                    quotes.quote_approve(actor=w.users["manager"], quote=q)
                if status == "sent":
                    from guanxi.sales.services.quote_documents import quote_send

                    quote_send(actor=rep, quote=q, to="li@example.com")
                made.append(q.pk)
            for role, secret in SECRETS.items():
                with mock.patch.object(ApiToken, "new_secret", return_value=secret):
                    core.token_create(actor=None, user=w.users[role], name="schemathesis")
            yield {
                "quotes": made, "lines": sorted(QuoteLine.objects.values_list("pk", flat=True)),
                "products": [p.pk for p in products], "rules": sorted(ProductRule.objects.values_list("pk", flat=True)),
                "price_lists": [default.pk, vip.pk],
                "price_items": sorted(PriceListItem.objects.values_list("pk", flat=True)),
                "customers": sorted(c.pk for c in w.customers.values()),
                "opportunities": sorted(o.pk for o in w.opportunities.values()),
                "contacts": [contact.pk], "tags": [Tag.objects.get(name="VIP").pk],
                "users": sorted(u.pk for u in w.users.values()),
                "stores": sorted(s.pk for s in w.stores.values()),
            }
            transaction.set_rollback(True)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


HYPOTHESIS_HERE = settings(parent=HYPOTHESIS, max_examples=MAX_EXAMPLES)


def _real_ids(case, ids) -> None:
    if case.meta is None or not case.meta.generation.mode.is_positive:
        STATS["ids kept (negative case)"] += 1
        return

    def swap(container: dict) -> None:
        for name, pool in ID_FIELDS.items():
            value = container.get(name)
            if isinstance(value, str) and value.isascii() and value.isdigit():
                value = int(value)
            if isinstance(value, int) and not isinstance(value, bool) and value % 4 != 3:
                real = ids[pool][value % len(ids[pool])]
                container[name] = str(real) if isinstance(container[name], str) else real

    for part in (case.path_parameters, case.query, case.body):
        if isinstance(part, dict):
            swap(part)
            for item in part.get("items", []) if isinstance(part.get("items"), list) else []:
                if isinstance(item, dict):
                    swap(item)
            for item in part.get("lines", []) if isinstance(part.get("lines"), list) else []:
                if isinstance(item, dict):
                    swap(item)


def _run(case, ids) -> None:
    STATS["cases"] += 1
    _real_ids(case, ids)
    with transaction.atomic():
        try:
            response = case.call()
            STATS["requests"] += 1
            BY_OPERATION[case.operation.label][response.status_code] += 1
            if response.status_code >= 500:
                STATS["server_errors"] += 1
            case.validate_response(response)
        except BaseException:
            STATS["failures"] += 1
            raise
        finally:
            transaction.set_rollback(True)


@as_admin.parametrize()
@HYPOTHESIS_HERE
def test_sales_api_as_admin(case, seeded_sales):
    _run(case, seeded_sales)


@as_rep.parametrize()
@HYPOTHESIS_HERE
def test_sales_api_as_sales_rep(case, seeded_sales):
    _run(case, seeded_sales)
