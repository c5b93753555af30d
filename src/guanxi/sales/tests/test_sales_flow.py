"""The whole road through the real services, as the merged module runs it: a lead is converted,
its deal quoted with a product, the quote accepted (deal won), turned into a contract and an
order, paid in two instalments — which earns the rep's commission — and then cancelled, which
reverses it. Figures are exact Decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from guanxi.customers.models import TimelineEvent
from guanxi.sales.models import CommissionEntry, Opportunity, Order
from guanxi.sales.services.catalog import product_create
from guanxi.sales.services.commission import commission_rule_create
from guanxi.sales.services.contracts import contract_create_from_quote
from guanxi.sales.services.lead_conversion import lead_convert
from guanxi.sales.services.leads import lead_create
from guanxi.sales.services.orders import order_cancel, order_confirm, order_create_from_quote, payment_record
from guanxi.sales.services.quotes import line_add, quote_accept, quote_create

pytestmark = pytest.mark.django_db


def test_lead_to_commission_and_its_reversal(sales_world):
    w = sales_world
    product = product_create(actor=w.admin, data={"sku": "KIT-1", "name": "收银系统", "list_price": "3333.33",
                                                  "cost": "1000.00", "tax_rate": "0.13"})
    commission_rule_create(actor=w.admin, data={"name": "全员 5%", "basis": "revenue", "rate": "0.05"})

    lead = lead_create(actor=w.rep_a, data={"name": "诸葛亮", "company": "卧龙科技", "phone": "13977770000"})
    conversion = lead_convert(actor=w.rep_a, lead=lead, amount="10000.00")
    opp = conversion.opportunity
    assert conversion.customer.name == "卧龙科技" and opp.owner == w.rep_a

    quote = quote_create(actor=w.rep_a, data={"opportunity": opp.pk})
    line_add(actor=w.rep_a, quote=quote, data={"product": product.pk, "quantity": "3", "discount_percent": "10"})
    quote.refresh_from_db()
    # 3 × 3333.33 × 0.9 = 8999.991 → 8999.99; tax 13% = 1169.9987 → 1170.00
    assert (quote.subtotal - quote.discount_total, quote.tax_total, quote.total) == (
        Decimal("8999.99"), Decimal("1170.00"), Decimal("10169.99"))

    decision = quote_accept(actor=w.rep_a, quote=quote)
    assert decision.opportunity_moved and Opportunity.objects.get(pk=opp.pk).stage.is_won

    contract = contract_create_from_quote(w.rep_a, decision.quote)
    assert contract.value == Decimal("10169.99")
    order = order_create_from_quote(w.rep_a, decision.quote, contract)
    assert order.total == Decimal("10169.99")
    order_confirm(actor=w.rep_a, order=order)
    payment_record(w.rep_a, order, "5000.00")
    assert not CommissionEntry.objects.filter(order=order).exists()  # not paid yet
    payment_record(w.rep_a, order, "5169.99")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID

    earned = CommissionEntry.objects.get(order=order)
    assert (earned.user, earned.kind, earned.amount) == (w.rep_a, CommissionEntry.Kind.EARNED, Decimal("450.00"))

    order_cancel(actor=w.manager, order=order, reason="客户撤单")
    kinds = sorted(CommissionEntry.objects.filter(order=order).values_list("kind", "amount"))
    assert kinds == [(CommissionEntry.Kind.EARNED, Decimal("450.00")), (CommissionEntry.Kind.REVERSAL, Decimal("-450.00"))]

    timeline = set(TimelineEvent.objects.filter(customer=conversion.customer).values_list("kind", flat=True))
    assert {TimelineEvent.Kind.LEAD_CONVERTED, TimelineEvent.Kind.OPPORTUNITY, TimelineEvent.Kind.QUOTE,
            TimelineEvent.Kind.CONTRACT, TimelineEvent.Kind.ORDER, TimelineEvent.Kind.PAYMENT} <= timeline
