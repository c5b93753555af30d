"""Reads of orders and payments, and single-order access. Every read goes through `order_visible`
(the OrderPerm.VIEW row rule, territory rule included), so pages, API and the customer page agree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from guanxi.core.permissions import access_row, row_filter
from guanxi.customers.access import _pk
from guanxi.sales.models import Order, Payment, Quote
from guanxi.sales.permissions import OrderPerm, QuotePerm

ORDER_SORTS: dict[str, tuple[str, ...]] = {
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "-total": ("-total", "-id"),
    "total": ("total", "id"),
    "number": ("number",),
    "-number": ("-number",),
}
DEFAULT_ORDER_SORT = "-created"


@dataclass
class OrderFilters:
    status: str = ""
    customer_id: int | None = None
    owner_id: int | None = None
    month: str = ""  # "YYYY-MM", by the order's creation in the reader's time zone
    q: str = ""


def parse_month(value) -> tuple[int, int] | None:
    """"2026-03" → (2026, 3); anything else → None."""
    text = str(value or "").strip()
    if len(text) != 7 or text[4] != "-" or not (text[:4] + text[5:]).isdigit():
        return None
    year, month = int(text[:4]), int(text[5:])
    return (year, month) if 2000 <= year <= 9998 and 1 <= month <= 12 else None


def month_range(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime(year, month, 1, tzinfo=tz)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start, end


def order_visible(actor) -> QuerySet:
    return Order.objects.filter(row_filter(actor, OrderPerm.VIEW))


def order_list(*, actor, filters: OrderFilters | None = None, sort: str = DEFAULT_ORDER_SORT) -> QuerySet:
    f = filters or OrderFilters()
    qs = order_visible(actor)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.customer_id:
        qs = qs.filter(customer_id=f.customer_id)
    if f.owner_id:
        qs = qs.filter(owner_id=f.owner_id)
    month = parse_month(f.month)
    if month:
        start, end = month_range(*month)
        qs = qs.filter(created_at__gte=start, created_at__lt=end)
    if f.q:
        qs = qs.filter(number__icontains=f.q)
    order = ORDER_SORTS.get(sort) or ORDER_SORTS[DEFAULT_ORDER_SORT]
    return qs.select_related("customer", "owner", "store").order_by(*order)


def customer_orders(*, actor, customer, limit: int = 10) -> list[Order]:
    """The orders of one customer the actor may see, newest first (the customer page's card)."""
    return list(order_visible(actor).filter(customer=customer).select_related("owner")
                .order_by("-created_at", "-id")[:limit])


def order_payments(*, order: Order) -> list[Payment]:
    """Payments of an order the caller already accessed."""
    return list(Payment.objects.filter(order=order).select_related("recorded_by").order_by("paid_on", "id"))


# What the order pages show with the record; a caller that only acts on it passes related=().
ACCESS_RELATED = ("customer", "owner", "store", "opportunity", "quote", "contract", "created_by")


def access_order(actor, pk, perm: OrderPerm = OrderPerm.VIEW, *, related: tuple[str, ...] = ACCESS_RELATED) -> Order:
    """404 when missing or not visible; 403 when visible but `perm` is not allowed on it."""
    return access_row(order_visible(actor), actor, _pk(pk), perm, view=OrderPerm.VIEW, related=related)


def access_quote(actor, pk) -> Quote:
    """A quote the actor may see (for turning it into an order or contract)."""
    quote = Quote.objects.filter(row_filter(actor, QuotePerm.VIEW), pk=_pk(pk)).select_related("customer").first()
    if quote is None:
        raise Http404
    return quote
