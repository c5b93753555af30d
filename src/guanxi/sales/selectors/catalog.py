"""Reads of products and price lists (SAL-6), and single-record access to them.

The catalogue belongs to the organisation, not to a person: whoever holds CatalogPerm.VIEW sees
all of it (every role does today). Missing rows and rows of another organisation are 404;
changing them without CatalogPerm.MANAGE is 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from guanxi.core.permissions import has_perm, require
from guanxi.sales.models import (
    BundleItem,
    PriceList,
    PriceListItem,
    Product,
    ProductRule,
)
from guanxi.sales.permissions import CatalogPerm

PRODUCT_SORTS: dict[str, tuple[str, ...]] = {
    "sku": ("sku", "id"), "-sku": ("-sku", "-id"),
    "name": ("name", "id"), "-name": ("-name", "-id"),
    "price": ("list_price", "id"), "-price": ("-list_price", "-id"),
    "updated": ("updated_at", "id"), "-updated": ("-updated_at", "-id"),
}


def pk_of(value) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError, OverflowError):
        raise Http404 from None
    if not 0 < pk < 2**63:
        raise Http404
    return pk


@dataclass
class ProductFilters:
    q: str = ""
    kind: str = ""
    category: str = ""
    active: bool | None = None


def product_visible(actor) -> QuerySet:
    if not has_perm(actor, CatalogPerm.VIEW):
        return Product.objects.none()
    return Product.objects.filter(organization_id=actor.organization_id)


def product_list(*, actor, filters: ProductFilters | None = None, sort: str = "sku") -> QuerySet:
    f = filters or ProductFilters()
    qs = product_visible(actor)
    if f.q:
        qs = qs.filter(Q(sku__icontains=f.q) | Q(name__icontains=f.q) | Q(category__icontains=f.q))
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.category:
        qs = qs.filter(category=f.category)
    if f.active is not None:
        qs = qs.filter(is_active=f.active)
    return qs.order_by(*(PRODUCT_SORTS.get(sort) or PRODUCT_SORTS["sku"]))


def product_choices(*, actor) -> QuerySet:
    """Active products for pickers (quote lines, bundles, rules, price tiers)."""
    return product_visible(actor).filter(is_active=True).order_by("sku")


def access_product(actor, pk, perm: CatalogPerm = CatalogPerm.VIEW) -> Product:
    product = product_visible(actor).filter(pk=pk_of(pk)).first()
    if product is None:
        raise Http404
    if perm != CatalogPerm.VIEW:
        require(actor, perm)
    return product


def bundle_items(*, product: Product) -> list[BundleItem]:
    return list(BundleItem.objects.filter(bundle=product).select_related("product").order_by("product__sku"))


def product_rules(*, product: Product) -> list[ProductRule]:
    return list(ProductRule.objects.filter(product=product).select_related("other").order_by("kind", "other__sku"))


def access_bundle_item(actor, pk) -> BundleItem:
    item = BundleItem.objects.filter(organization_id=actor.organization_id, pk=pk_of(pk)) \
        .select_related("bundle", "product").first()
    if item is None or not has_perm(actor, CatalogPerm.VIEW):
        raise Http404
    require(actor, CatalogPerm.MANAGE)
    return item


def access_rule(actor, pk) -> ProductRule:
    rule = ProductRule.objects.filter(organization_id=actor.organization_id, pk=pk_of(pk)) \
        .select_related("product", "other").first()
    if rule is None or not has_perm(actor, CatalogPerm.VIEW):
        raise Http404
    require(actor, CatalogPerm.MANAGE)
    return rule


def price_list_visible(actor) -> QuerySet:
    if not has_perm(actor, CatalogPerm.VIEW):
        return PriceList.objects.none()
    return PriceList.objects.filter(organization_id=actor.organization_id)


def price_list_list(*, actor) -> QuerySet:
    return (price_list_visible(actor).select_related("customer_tag").annotate(item_count=Count("items"))
            .order_by("-is_default", "name"))


def access_price_list(actor, pk, perm: CatalogPerm = CatalogPerm.VIEW) -> PriceList:
    price_list = price_list_visible(actor).select_related("customer_tag").filter(pk=pk_of(pk)).first()
    if price_list is None:
        raise Http404
    if perm != CatalogPerm.VIEW:
        require(actor, perm)
    return price_list


def price_list_items(*, price_list: PriceList) -> list[PriceListItem]:
    return list(PriceListItem.objects.filter(price_list=price_list).select_related("product")
                .order_by("product__sku", "min_quantity"))


def access_price_item(actor, pk) -> PriceListItem:
    item = PriceListItem.objects.filter(organization_id=actor.organization_id, pk=pk_of(pk)) \
        .select_related("price_list", "product").first()
    if item is None or not has_perm(actor, CatalogPerm.VIEW):
        raise Http404
    require(actor, CatalogPerm.MANAGE)
    return item
