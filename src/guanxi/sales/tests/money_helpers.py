"""Rows for the commission, expense and report tests, written straight through the ORM (orders,
products, quotas): those services belong to other parts of the module."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from guanxi.sales.models import Lead, Opportunity, Order, OrderLine, Product, Quota

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(year, month, day, hour=12, minute=0, tz=SHANGHAI) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=tz)


def product(w, sku: str, name: str = "", org=None) -> Product:
    org = org or w.org
    return Product.objects.create(organization=org, sku=sku, name=name or sku, list_price=Decimal("100.00"))


def order(w, owner, number: str, lines, *, customer=None, status=Order.Status.PAID, paid_at=None,
          cancelled_at=None) -> Order:
    """lines: [(product or None, net, cost)]; amounts as strings."""
    customer = customer or w.customers["own"]
    o = Order.objects.create(
        organization_id=owner.organization_id, number=number, customer=customer, owner=owner, store=owner.store,
        status=status, paid_at=paid_at, cancelled_at=cancelled_at, currency="CNY",
    )
    total = Decimal("0.00")
    for i, (prod, net, cost) in enumerate(lines):
        OrderLine.objects.create(
            organization_id=owner.organization_id, order=o, position=i, product=prod,
            description=prod.name if prod else f"line {i}", quantity=Decimal(1), unit_price=Decimal(net),
            net_amount=Decimal(net), cost=Decimal(cost),
        )
        total += Decimal(net)
    Order.objects.filter(pk=o.pk).update(subtotal=total, total=total)
    o.refresh_from_db()
    return o


def cancel(o: Order, when: dt.datetime) -> Order:
    Order.objects.filter(pk=o.pk).update(status=Order.Status.CANCELLED, cancelled_at=when)
    o.refresh_from_db()
    return o


def opportunity(w, owner, name: str, amount: str, stage, *, customer=None, probability=None, expected_close=None,
                closed_at=None, pipeline=None) -> Opportunity:
    customer = customer or w.customers["own"]
    return Opportunity.objects.create(
        organization_id=owner.organization_id, name=name, customer=customer, owner=owner, store=owner.store,
        pipeline=pipeline or w.pipeline, stage=stage, amount=Decimal(amount),
        probability=stage.probability if probability is None else probability, expected_close=expected_close,
        closed_at=closed_at,
    )


def quota(w, user, period: dt.date, amount: str) -> Quota:
    return Quota.objects.create(organization_id=user.organization_id, user=user, period=period, amount=Decimal(amount))


def lead(w, owner, name: str, source: str, created: dt.datetime, *, converted_opportunity=None) -> Lead:
    obj = Lead.objects.create(organization_id=owner.organization_id, name=name, owner=owner, store=owner.store,
                              source=source)
    Lead.objects.filter(pk=obj.pk).update(
        created_at=created, converted_opportunity=converted_opportunity,
        converted_at=created if converted_opportunity else None,
        status=Lead.Status.CONVERTED if converted_opportunity else Lead.Status.NEW,
    )
    obj.refresh_from_db()
    return obj


def api_clients(world):
    """make("rep_a") → a JSON client with a real bearer token of that user."""
    from guanxi.core import services as core
    from guanxi.customers.tests.test_api import Api

    def make(name: str):
        _token, secret = core.token_create(actor=None, user=world.users[name])
        return Api(secret)

    return make


def page_world(sales_world, settings, tmp_path):
    """The sales world with two won deals (rep_a, rep_c) and `w.client(name)`, a logged-in page client."""
    from django.test import Client

    settings.MEDIA_ROOT = tmp_path
    w = sales_world
    opportunity(w, w.rep_a, "赢单A", "5000.00", w.stages[4], closed_at=at(2026, 3, 10))
    opportunity(w, w.rep_c, "赢单C", "700.00", w.stages[4], customer=w.customers["other_team"],
                closed_at=at(2026, 3, 12))

    def client(name):
        c = Client()
        c.force_login(w.users[name])
        return c

    w.client = client
    return w
