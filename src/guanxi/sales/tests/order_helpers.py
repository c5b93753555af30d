"""Test helpers for orders and contracts: quotes written straight to the database (the quotes
service is another module's), with stored totals as the quote service keeps them."""

from __future__ import annotations

from decimal import Decimal

from guanxi.sales.models import Product, Quote, QuoteLine
from guanxi.sales.services.orders import line_amounts, order_create

D = Decimal


def make_product(org, sku="P-1", name="打印机", price="1000.00", cost="600.00", tax="0.1300") -> Product:
    return Product.objects.create(organization=org, sku=sku, name=name, list_price=D(price), cost=D(cost),
                                  tax_rate=D(tax))


def make_quote(w, case="own", status=Quote.Status.ACCEPTED, lines=None, number="Q-2026-00001") -> Quote:
    """An accepted quote on the customer of `case`, owned like its opportunity."""
    opp = w.opportunities[case]
    customer = w.customers[case]
    quote = Quote.objects.create(
        organization_id=customer.organization_id, number=number, customer=customer, opportunity=opp,
        owner=opp.owner, store_id=opp.store_id, territory_id=opp.territory_id, status=status,
        currency="CNY", terms="货到付款", created_by=opp.owner,
    )
    rows = lines or [(None, "咨询服务", "3", "333.33", "10", "0.06", "0"), (None, "安装", "1", "99.99", "0", "0.13", "50")]
    subtotal = discount = tax = ZERO = D("0.00")
    for i, (product, desc, qty, price, disc, rate, cost) in enumerate(rows):
        a = line_amounts(D(qty), D(price), D(disc), D(rate))
        QuoteLine.objects.create(organization_id=quote.organization_id, quote=quote, position=i, product=product,
                                 description=desc, quantity=D(qty), unit_price=D(price), discount_percent=D(disc),
                                 tax_rate=D(rate), net_amount=a["net"], tax_amount=a["tax"], cost=D(cost))
        subtotal += a["gross"]
        discount += a["gross"] - a["net"]
        tax += a["tax"]
    quote.subtotal, quote.discount_total, quote.tax_total = subtotal, discount, tax
    quote.total = subtotal - discount + tax + ZERO
    quote.save()
    return quote


def make_order(w, actor="rep_a", case="own", lines=None, **data):
    """A draft order for the customer of `case`: by default one line of 2 × 500.00 at 13% tax (1130.00)."""
    return order_create(actor=w.users[actor], data={
        "customer": w.customers[case].pk,
        "lines": lines or [{"description": "年度服务", "quantity": "2", "unit_price": "500.00", "tax_rate": "0.13"}],
        **data,
    })
