"""Reads of quotes (SAL-7) and single-record access: 404 when missing or not visible (row rules
of QuotePerm.VIEW, including the territory rule), 403 when visible but the action is not allowed."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from guanxi.core.permissions import require, row_filter
from guanxi.sales.models import Quote, QuoteLine, SalesSettings
from guanxi.sales.permissions import QuotePerm
from guanxi.sales.selectors.catalog import pk_of

QUOTE_SORTS: dict[str, tuple[str, ...]] = {
    "created": ("created_at", "id"), "-created": ("-created_at", "-id"),
    "number": ("number", "version", "id"), "-number": ("-number", "-version", "-id"),
    "total": ("total", "id"), "-total": ("-total", "-id"),
    "valid_until": ("valid_until", "id"), "-valid_until": ("-valid_until", "-id"),
    "status": ("status", "-created_at", "-id"),
}
DEFAULT_QUOTE_SORT = "-created"


def sales_settings(organization_id: int) -> SalesSettings:
    """The organisation's sales settings, created with the defaults on first use."""
    found = SalesSettings.objects.filter(organization_id=organization_id).first()
    if found is not None:
        return found
    found, _created = SalesSettings.objects.get_or_create(organization_id=organization_id)
    return found


@dataclass
class QuoteFilters:
    q: str = ""
    status: str = ""
    owner_id: int | None = None
    store_id: int | None = None
    customer_id: int | None = None
    opportunity_id: int | None = None
    all_versions: bool = False


def quote_visible(actor) -> QuerySet:
    return Quote.objects.filter(row_filter(actor, QuotePerm.VIEW))


def quote_list(*, actor, filters: QuoteFilters | None = None, sort: str = DEFAULT_QUOTE_SORT) -> QuerySet:
    """Quotes the actor may see. Superseded versions are left out unless asked for (by status
    or `all_versions`)."""
    f = filters or QuoteFilters()
    qs = quote_visible(actor)
    if f.q:
        qs = qs.filter(Q(number__icontains=f.q) | Q(customer__name__icontains=f.q)
                       | Q(customer__name_pinyin__startswith=f.q.lower())
                       | Q(customer__name_initials__startswith=f.q.lower()))
    if f.status:
        qs = qs.filter(status=f.status)
    elif not f.all_versions:
        qs = qs.exclude(status=Quote.Status.SUPERSEDED)
    if f.owner_id:
        qs = qs.filter(owner_id=f.owner_id)
    if f.store_id:
        qs = qs.filter(store_id=f.store_id)
    if f.customer_id:
        qs = qs.filter(customer_id=f.customer_id)
    if f.opportunity_id:
        qs = qs.filter(opportunity_id=f.opportunity_id)
    order = QUOTE_SORTS.get(sort) or QUOTE_SORTS[DEFAULT_QUOTE_SORT]
    return qs.select_related("customer", "owner", "store", "opportunity").order_by(*order)


def access_quote(actor, pk, perm: QuotePerm = QuotePerm.VIEW) -> Quote:
    quote = (quote_visible(actor).select_related("customer", "contact", "owner", "store", "opportunity",
                                                 "opportunity__stage", "approved_by", "created_by")
             .filter(pk=pk_of(pk)).first())
    if quote is None:
        raise Http404
    if perm != QuotePerm.VIEW:
        require(actor, perm, quote)
    return quote


def access_line(actor, pk, perm: QuotePerm = QuotePerm.CHANGE) -> QuoteLine:
    line = QuoteLine.objects.filter(organization_id=actor.organization_id, pk=pk_of(pk)).first()
    if line is None:
        raise Http404
    line.quote = access_quote(actor, line.quote_id, perm)
    return line


def quote_lines(*, quote: Quote) -> list[QuoteLine]:
    return list(QuoteLine.objects.filter(quote=quote).select_related("product").order_by("position", "id"))


def quote_versions(*, actor, quote: Quote) -> list[Quote]:
    return list(quote_visible(actor).filter(number=quote.number).order_by("version"))
