"""Products and price lists over JSON (SAL-6): thin handlers over sales.selectors.catalog and
sales.services.catalog. Everyone with CatalogPerm.VIEW reads; CatalogPerm.MANAGE writes (403
otherwise). Amounts are strings with two decimals."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from guanxi.customers.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    _known_query,
    _page,
    api_field_names,
)
from guanxi.customers.selectors import customer_visible
from guanxi.sales.api.catalog_schemas import (
    BundleItemIn,
    ConfigureIn,
    ConfigureOut,
    PriceIn,
    PriceItemIn,
    PriceItemOut,
    PriceListIn,
    PriceListListIn,
    PriceListOut,
    PriceListPage,
    PriceListPatch,
    PriceOut,
    ProductIn,
    ProductListIn,
    ProductOut,
    ProductPage,
    ProductPatch,
    ProductRuleIn,
    ProductRuleOut,
)
from guanxi.sales.models import BundleItem, PriceList, Product, ProductRule
from guanxi.sales.permissions import CatalogPerm
from guanxi.sales.selectors import catalog as selectors
from guanxi.sales.services import catalog as services

products_router = Router(tags=["products"])
price_lists_router = Router(tags=["price lists"])

API_NAMES = {"customer_tag": "customer_tag_id", "product": "product_id", "other": "other_id",
             "bundle": "product_id"}


def product_out(p: Product) -> dict:
    return {
        "id": p.pk, "sku": p.sku, "name": p.name, "kind": p.kind, "category": p.category, "unit": p.unit,
        "list_price": str(p.list_price), "cost": str(p.cost), "currency": p.currency, "tax_rate": str(p.tax_rate),
        "description": p.description, "is_active": p.is_active,
        "bundle_items": [{"product_id": i.product_id, "sku": i.product.sku, "name": i.product.name,
                          "quantity": str(i.quantity)} for i in selectors.bundle_items(product=p)],
        "rules": [rule_out(r) for r in selectors.product_rules(product=p)],
        "created_at": p.created_at, "updated_at": p.updated_at,
    }


def rule_out(r: ProductRule) -> dict:
    return {"id": r.pk, "kind": r.kind, "other_id": r.other_id, "other_sku": r.other.sku, "other_name": r.other.name}


def item_out(i) -> dict:
    return {"id": i.pk, "product_id": i.product_id, "sku": i.product.sku, "name": i.product.name,
            "price": str(i.price), "min_quantity": str(i.min_quantity), "discount_percent": str(i.discount_percent)}


def price_list_out(pl: PriceList) -> dict:
    return {
        "id": pl.pk, "name": pl.name, "currency": pl.currency, "customer_tag_id": pl.customer_tag_id,
        "customer_tag": pl.customer_tag.name if pl.customer_tag_id else None, "is_default": pl.is_default,
        "valid_from": pl.valid_from.isoformat() if pl.valid_from else None,
        "valid_until": pl.valid_until.isoformat() if pl.valid_until else None, "is_active": pl.is_active,
        "items": [item_out(i) for i in selectors.price_list_items(price_list=pl)],
    }


def _data(payload: dict) -> dict:
    data = dict(payload)
    if "customer_tag_id" in data:
        data["customer_tag"] = data.pop("customer_tag_id")
    if "product_id" in data:
        data["product"] = data.pop("product_id")
    return data


# --- products --------------------------------------------------------------------------

@products_router.get("", response={200: ProductPage, **READ_ERRORS}, summary="List products",
                     operation_id="products_list")
def products_list(request, params: Query[ProductListIn]):
    _known_query(request, ProductListIn)
    filters = selectors.ProductFilters(q=params.q.strip(), kind=params.kind or "", category=params.category.strip(),
                                       active=params.active)
    qs = selectors.product_list(actor=request.auth, filters=filters, sort=params.sort)
    return _page(qs, params.page, params.page_size, product_out)


@products_router.post("", response={201: ProductOut, **WRITE_ERRORS}, summary="Create a product",
                      operation_id="products_create")
def products_create(request, payload: ProductIn):
    """Needs catalogue management (admins). The SKU is unique in the organisation (422 on `sku`)."""
    data = payload.model_dump(exclude_unset=True)
    for name in ("kind", "category", "unit", "list_price", "cost", "description", "is_active"):
        data.setdefault(name, getattr(payload, name))
    with api_field_names(API_NAMES):
        product = services.product_create(actor=request.auth, data=data)
    return Status(201, product_out(product))


@products_router.post("/configure", response={200: ConfigureOut, **WRITE_ERRORS},
                      summary="Check a configuration against the configurator's rules",
                      operation_id="products_configure")
def products_configure(request, payload: ConfigureIn):
    """The broken "requires"/"excludes" rules of a set of products (bundles count with their
    items), with messages in the caller's language. Nothing is written."""
    actor = request.auth
    products = []
    for index, item in enumerate(payload.items):
        product = selectors.product_visible(actor).filter(pk=item.product_id).first()
        if product is None:
            raise ValidationError({f"items.{index}.product_id": [_("Not found.")]})
        products.append(product)
    violations = services.configure(products, organization_id=actor.organization_id)
    return {"ok": not violations, "violations": [
        {"kind": v.kind, "product_id": v.product.pk, "other_id": v.other.pk, "message": v.message}
        for v in violations]}


@products_router.get("/{product_id}", response={200: ProductOut, **READ_ERRORS}, summary="Get a product",
                     operation_id="products_get")
def products_get(request, product_id: int):
    return product_out(selectors.access_product(request.auth, product_id))


@products_router.patch("/{product_id}", response={200: ProductOut, **WRITE_ERRORS}, summary="Change a product",
                       operation_id="products_update")
def products_update(request, product_id: int, payload: ProductPatch):
    product = selectors.access_product(request.auth, product_id, CatalogPerm.MANAGE)
    with api_field_names(API_NAMES):
        product = services.product_update(actor=request.auth, product=product,
                                          data=payload.model_dump(exclude_unset=True))
    return product_out(product)


@products_router.delete("/{product_id}", response={204: None, **WRITE_ERRORS}, summary="Delete a product",
                        operation_id="products_delete")
def products_delete(request, product_id: int):
    """A product on a quote, an order or in a bundle is kept (422): make it inactive instead."""
    product = selectors.access_product(request.auth, product_id, CatalogPerm.MANAGE)
    services.product_delete(actor=request.auth, product=product)
    return Status(204, None)


@products_router.get("/{product_id}/price", response={200: PriceOut, **READ_ERRORS},
                     summary="The price that applies to a customer and quantity", operation_id="products_price")
def products_price(request, product_id: int, params: Query[PriceIn]):
    """The customer's group list beats the default list; the highest tier not above the
    quantity applies; without a list, the product's list price."""
    _known_query(request, PriceIn)
    actor = request.auth
    product = selectors.access_product(actor, product_id)
    customer = None
    if params.customer_id is not None:
        customer = customer_visible(actor).filter(pk=params.customer_id).first()
        if customer is None:
            raise ValidationError({"customer_id": [_("Not found.")]})
    quantity = services.parse_quantity(params.quantity)
    on_date = services.parse_date(params.on_date, "on_date") if params.on_date else None
    price = services.price_for(customer, product, quantity, on_date)
    return {"product_id": product.pk, "quantity": str(quantity), "unit_price": str(price.unit_price),
            "discount_percent": str(price.discount_percent), "net_unit_price": str(price.net_unit_price),
            "price_list_id": price.price_list.pk if price.price_list else None,
            "price_list_name": price.price_list.name if price.price_list else None}


@products_router.put("/{product_id}/bundle-items/{item_product_id}", response={200: ProductOut, **WRITE_ERRORS},
                     summary="Put a product into a bundle (or change its quantity)",
                     operation_id="products_bundle_item_set")
def products_bundle_item_set(request, product_id: int, item_product_id: int, payload: BundleItemIn):
    actor = request.auth
    bundle = selectors.access_product(actor, product_id, CatalogPerm.MANAGE)
    with api_field_names(API_NAMES):
        services.bundle_item_set(actor=actor, bundle=bundle, product=item_product_id, quantity=payload.quantity)
    return product_out(bundle)


@products_router.delete("/{product_id}/bundle-items/{item_product_id}", response={200: ProductOut, **WRITE_ERRORS},
                        summary="Take a product out of a bundle", operation_id="products_bundle_item_remove")
def products_bundle_item_remove(request, product_id: int, item_product_id: int):
    actor = request.auth
    bundle = selectors.access_product(actor, product_id, CatalogPerm.MANAGE)
    item = (BundleItem.objects.filter(bundle=bundle, product_id=selectors.pk_of(item_product_id))
            .select_related("product").first())
    if item is None:
        raise Http404
    services.bundle_item_remove(actor=actor, item=item)
    return product_out(bundle)


@products_router.post("/{product_id}/rules", response={201: ProductRuleOut, **WRITE_ERRORS},
                      summary="Add a configurator rule (requires / excludes)", operation_id="products_rule_add")
def products_rule_add(request, product_id: int, payload: ProductRuleIn):
    actor = request.auth
    product = selectors.access_product(actor, product_id, CatalogPerm.MANAGE)
    with api_field_names(API_NAMES):
        rule = services.product_rule_add(actor=actor, product=product, kind=payload.kind, other=payload.other_id)
    return Status(201, rule_out(rule))


@products_router.delete("/{product_id}/rules/{rule_id}", response={204: None, **WRITE_ERRORS},
                        summary="Remove a configurator rule", operation_id="products_rule_remove")
def products_rule_remove(request, product_id: int, rule_id: int):
    rule = selectors.access_rule(request.auth, rule_id)
    if rule.product_id != product_id:
        raise Http404
    services.product_rule_remove(actor=request.auth, rule=rule)
    return Status(204, None)


# --- price lists -----------------------------------------------------------------------

@price_lists_router.get("", response={200: PriceListPage, **READ_ERRORS}, summary="List price lists",
                        operation_id="price_lists_list")
def price_lists_list(request, params: Query[PriceListListIn]):
    _known_query(request, PriceListListIn)
    return _page(selectors.price_list_list(actor=request.auth), params.page, params.page_size, price_list_out)


@price_lists_router.post("", response={201: PriceListOut, **WRITE_ERRORS}, summary="Create a price list",
                         operation_id="price_lists_create")
def price_lists_create(request, payload: PriceListIn):
    """One list may be the default (for everybody); the others apply to customers tagged with
    their customer group. Validity dates are inclusive."""
    data = payload.model_dump(exclude_unset=True)
    for name in ("is_default", "is_active"):
        data.setdefault(name, getattr(payload, name))
    with api_field_names(API_NAMES):
        price_list = services.price_list_create(actor=request.auth, data=_data(data))
    return Status(201, price_list_out(price_list))


@price_lists_router.get("/{price_list_id}", response={200: PriceListOut, **READ_ERRORS},
                        summary="Get a price list with its prices", operation_id="price_lists_get")
def price_lists_get(request, price_list_id: int):
    return price_list_out(selectors.access_price_list(request.auth, price_list_id))


@price_lists_router.patch("/{price_list_id}", response={200: PriceListOut, **WRITE_ERRORS},
                          summary="Change a price list", operation_id="price_lists_update")
def price_lists_update(request, price_list_id: int, payload: PriceListPatch):
    price_list = selectors.access_price_list(request.auth, price_list_id, CatalogPerm.MANAGE)
    with api_field_names(API_NAMES):
        price_list = services.price_list_update(actor=request.auth, price_list=price_list,
                                                data=_data(payload.model_dump(exclude_unset=True)))
    return price_list_out(price_list)


@price_lists_router.delete("/{price_list_id}", response={204: None, **WRITE_ERRORS},
                           summary="Delete a price list", operation_id="price_lists_delete")
def price_lists_delete(request, price_list_id: int):
    price_list = selectors.access_price_list(request.auth, price_list_id, CatalogPerm.MANAGE)
    services.price_list_delete(actor=request.auth, price_list=price_list)
    return Status(204, None)


@price_lists_router.post("/{price_list_id}/items", response={200: PriceItemOut, **WRITE_ERRORS},
                         summary="Set a price (product and from-quantity tier)", operation_id="price_lists_item_set")
def price_lists_item_set(request, price_list_id: int, payload: PriceItemIn):
    """Adds the tier, or changes it when the list already has one for this product and quantity."""
    price_list = selectors.access_price_list(request.auth, price_list_id, CatalogPerm.MANAGE)
    with api_field_names(API_NAMES):
        item = services.price_list_item_set(actor=request.auth, price_list=price_list,
                                            data=_data(payload.model_dump()))
    return item_out(item)


@price_lists_router.delete("/{price_list_id}/items/{item_id}", response={204: None, **WRITE_ERRORS},
                           summary="Remove a price", operation_id="price_lists_item_remove")
def price_lists_item_remove(request, price_list_id: int, item_id: int):
    item = selectors.access_price_item(request.auth, item_id)
    if item.price_list_id != price_list_id:
        raise Http404
    services.price_list_item_remove(actor=request.auth, item=item)
    return Status(204, None)
