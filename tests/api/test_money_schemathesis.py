"""Schemathesis over the commission, expenses and reports operations on a world that has sales data
(rules, a paid order with its commission, claims in every state, leads, quotas), so the generated
requests reach real rows and the success paths, not only 404s. Same rules as test_schemathesis:
admin and rep tokens, every case in a rolled-back savepoint, 0 server errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction

from tests.api.conftest import BY_OPERATION, STATS
from tests.api.test_schemathesis import HYPOTHESIS, SECRETS, _schema

pytestmark = pytest.mark.django_db

MONEY_PATHS = r"^/api/v1/(commission|expenses|reports)"
ID_FIELDS = {"rule_id": "rules", "expense_id": "expenses", "opportunity_id": "opportunities", "user": "users",
             "pipeline": "pipelines"}

as_admin = _schema("admin").include(path_regex=MONEY_PATHS)
as_rep = _schema("rep_a").include(path_regex=MONEY_PATHS)


@pytest.fixture(scope="module")
def money_seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.conf import settings

    from guanxi.core import services as core
    from guanxi.core.models import ApiToken
    from guanxi.core.tenancy import unscoped
    from guanxi.sales.models import CommissionRule
    from guanxi.sales.services import expenses
    from guanxi.sales.services.commission import commission_on_order_paid
    from guanxi.sales.tests import money_helpers as h
    from guanxi.testing import build_sales, build_world

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    media, settings.MEDIA_ROOT = settings.MEDIA_ROOT, tmp_path_factory.mktemp("receipts")
    try:
        with django_db_blocker.unblock(), unscoped(), transaction.atomic():
            w = build_sales(build_world())
            rules = [CommissionRule.objects.create(organization=w.org, name="全员", rate=Decimal("0.05")),
                     CommissionRule.objects.create(organization=w.org, name="rep_a", rate=Decimal("0.08"),
                                                   user=w.rep_a, min_margin_percent=Decimal(10))]
            paid = h.order(w, w.rep_a, "SO-S1", [(None, "1000.00", "100.00")], paid_at=h.at(2026, 3, 2))
            commission_on_order_paid(order=paid, actor=w.rep_a)
            h.quota(w, w.rep_a, dt.date(2026, 3, 1), "5000.00")
            h.lead(w, w.rep_a, "线索", "web", h.at(2026, 1, 5), converted_opportunity=w.opportunities["own"])
            claims = []
            for user, opp in (("rep_a", "own"), ("rep_a", None), ("rep_b", "team"), ("manager", None)):
                c = expenses.expense_create(actor=w.users[user], data={
                    "category": "travel", "amount": "66.00", "spent_on": dt.date(2026, 3, 2), "description": "差旅",
                    "opportunity": w.opportunities[opp].pk if opp else None})
                claims.append(c)
            expenses.expense_attach_receipt(actor=w.rep_a, claim=claims[0],
                                            upload=SimpleUploadedFile("r.pdf", b"%PDF-1.4\n%%EOF\n"))
            for c in claims[1:]:
                expenses.expense_submit(actor=c.owner, claim=c)
            expenses.expense_approve(actor=w.manager, claim=claims[2])
            for role, secret in SECRETS.items():
                with mock.patch.object(ApiToken, "new_secret", return_value=secret):
                    core.token_create(actor=None, user=w.users[role], name="schemathesis")
            yield {
                "rules": [r.pk for r in rules], "expenses": [c.pk for c in claims],
                "opportunities": sorted(o.pk for o in w.opportunities.values()),
                "users": sorted(u.pk for u in w.users.values()), "pipelines": [w.pipeline.pk, w.pipeline_b.pk],
            }
            transaction.set_rollback(True)
    finally:
        settings.MEDIA_ROOT = media
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


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
@HYPOTHESIS
def test_money_api_as_admin(case, money_seeded):
    _run(case, money_seeded)


@as_rep.parametrize()
@HYPOTHESIS
def test_money_api_as_sales_rep(case, money_seeded):
    _run(case, money_seeded)
