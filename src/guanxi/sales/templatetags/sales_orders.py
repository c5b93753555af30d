"""The customer 360 page's "Orders" card: `{% load sales_orders %}{% customer_orders_card customer %}`.
A tag, so the customer page needs no sales code in its view; the orders come from the selector."""

from django import template

from guanxi.core.permissions import has_perm
from guanxi.sales.permissions import OrderPerm
from guanxi.sales.selectors.orders import customer_orders

register = template.Library()
SHOWN = 10


@register.inclusion_tag("sales/orders/_customer_orders.html", takes_context=True)
def customer_orders_card(context, customer):
    user = context["request"].user
    if not has_perm(user, OrderPerm.VIEW):
        return {"hidden": True}
    orders = customer_orders(actor=user, customer=customer, limit=SHOWN + 1)
    return {"customer": customer, "orders": orders[:SHOWN], "more": len(orders) > SHOWN,
            "can_create": has_perm(user, OrderPerm.CREATE)}
