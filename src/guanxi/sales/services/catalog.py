"""Products, bundles, configurator rules and price lists (SAL-6).

Prices are Decimal, at most two places, never negative. The configurator knows two rules:
"A requires B" (a quote with A must also hold B) and "A excludes B" (never both). A bundle
counts as its items too, so a rule on an item applies when the bundle is on the quote.

Which price applies (`price_for`): among the lists valid on the date, a list for one of the
customer's groups (a group is a customer tag) wins over the default list; within a list the
tier with the highest `min_quantity` not above the quantity applies. When several group lists
apply, the lowest net unit price wins (ties: the list's name). No list → the product's list price.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.models import Organization
from guanxi.core.money import to_cents
from guanxi.core.permissions import require
from guanxi.core.validation import check_text, reject_unknown
from guanxi.customers.models import Tag
from guanxi.sales.models import (
    BundleItem,
    PriceList,
    PriceListItem,
    Product,
    ProductRule,
)
from guanxi.sales.permissions import CatalogPerm

PRODUCT_FIELDS = ("sku", "name", "kind", "category", "unit", "list_price", "cost", "currency", "tax_rate",
                  "description", "is_active")
PRICE_LIST_FIELDS = ("name", "currency", "customer_tag", "is_default", "valid_from", "valid_until", "is_active")
PRICE_ITEM_FIELDS = ("product", "price", "min_quantity", "discount_percent")
MAX_PRICE = Decimal("999999999999.99")
MAX_QUANTITY = Decimal("999999999.999")
HUNDRED = Decimal(100)


# --- parsing helpers (the quote service uses them too) ---------------------------------

def parse_decimal(value, field_name: str, *, places: int, minimum: Decimal, maximum: Decimal,
                  minimum_inclusive: bool = True) -> Decimal:
    """A number from a form, JSON or a Decimal, with at most `places` decimals, inside the bounds;
    otherwise a field error. Floats are refused: they are not exact."""
    if isinstance(value, (float, bool)) or value is None or value == "":
        raise ValidationError({field_name: [_("Enter a number.")]})
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field_name: [_("Enter a number.")]}) from None
    if not number.is_finite():
        raise ValidationError({field_name: [_("Enter a number.")]})
    too_low = number < minimum if minimum_inclusive else number <= minimum
    if too_low or number > maximum:
        if minimum_inclusive:
            message = _("Enter a number from %(min)s to %(max)s.") % {"min": minimum, "max": maximum}
        else:
            message = _("Enter a number above %(min)s and at most %(max)s.") % {"min": minimum, "max": maximum}
        raise ValidationError({field_name: [message]})
    step = Decimal(1).scaleb(-places)
    if number != number.quantize(step):  # bounded above, so quantize cannot overflow
        raise ValidationError({field_name: [_("Use at most %(n)d decimal places.") % {"n": places}]})
    return number.quantize(step)


def parse_price(value, field_name: str) -> Decimal:
    return parse_decimal(value, field_name, places=2, minimum=Decimal(0), maximum=MAX_PRICE)


def parse_quantity(value, field_name: str = "quantity") -> Decimal:
    return parse_decimal(value, field_name, places=3, minimum=Decimal(0), maximum=MAX_QUANTITY,
                         minimum_inclusive=False)


def parse_percent(value, field_name: str = "discount_percent") -> Decimal:
    return parse_decimal(value, field_name, places=2, minimum=Decimal(0), maximum=HUNDRED)


def parse_tax_rate(value, field_name: str = "tax_rate") -> Decimal:
    """A tax rate as a fraction: 0.13 is 13 %."""
    return parse_decimal(value, field_name, places=4, minimum=Decimal(0), maximum=Decimal(1))


def parse_currency(value, field_name: str = "currency") -> str:
    currency = str(value or "").strip().upper()
    if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
        raise ValidationError({field_name: [_("Use a three-letter currency code such as CNY.")]})
    return currency


def parse_date(value, field_name: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({field_name: [_("Enter a valid date (YYYY-MM-DD).")]}) from None


def _product(actor, value, field_name: str = "product") -> Product:
    product_id = value.pk if isinstance(value, Product) else value
    try:
        product = Product.objects.filter(organization_id=actor.organization_id, pk=int(product_id)).first()
    except (TypeError, ValueError, OverflowError):
        product = None
    if product is None:
        raise ValidationError({field_name: [_("Choose a product of this organisation.")]})
    return product


def _text(data: dict, name: str, limit: int, *, required: bool = False, one_line: bool = True) -> str:
    value = str(data.get(name) or "")
    value = " ".join(value.split()) if one_line else value.strip()
    if required and not value:
        raise ValidationError({name: [_("This field is required.")]})
    if len(value) > limit:
        raise ValidationError({name: [_("At most %(n)d characters.") % {"n": limit}]})
    return value


# --- products --------------------------------------------------------------------------

def _apply_product(actor, product: Product, data: dict) -> None:
    reject_unknown(data, PRODUCT_FIELDS)
    check_text(data)
    errors: dict[str, list[str]] = {}

    def take(name, fn):
        if name in data:
            try:
                setattr(product, name, fn())
            except ValidationError as exc:
                for key, messages in exc.message_dict.items():
                    errors.setdefault(key, []).extend(messages)

    take("sku", lambda: _text(data, "sku", 40, required=True))
    take("name", lambda: _text(data, "name", 200, required=True))
    take("category", lambda: _text(data, "category", 100))
    take("unit", lambda: _text(data, "unit", 20))
    take("description", lambda: _text(data, "description", 5000, one_line=False))
    take("list_price", lambda: parse_price(data["list_price"], "list_price"))
    take("cost", lambda: parse_price(data["cost"], "cost"))
    take("tax_rate", lambda: parse_tax_rate(data["tax_rate"]))
    take("currency", lambda: parse_currency(data["currency"]))
    if "kind" in data:
        if data["kind"] not in Product.Kind.values:
            errors["kind"] = [_("Choose a valid kind.")]
        else:
            if product.pk and product.kind == Product.Kind.BUNDLE and data["kind"] != Product.Kind.BUNDLE \
                    and product.bundle_items.exists():
                errors["kind"] = [_("Remove the bundle's items before changing its kind.")]
            product.kind = data["kind"]
    if "is_active" in data:
        product.is_active = bool(data["is_active"])
    if not product.sku and "sku" not in errors:
        errors["sku"] = [_("This field is required.")]
    if not product.name and "name" not in errors:
        errors["name"] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)
    if Product.objects.filter(organization_id=product.organization_id, sku__iexact=product.sku) \
            .exclude(pk=product.pk).exists():
        raise ValidationError({"sku": [_("Another product already uses this SKU.")]})


@transaction.atomic
def product_create(*, actor, data: dict) -> Product:
    require(actor, CatalogPerm.MANAGE)
    org = Organization.objects.get(pk=actor.organization_id)
    product = Product(organization_id=actor.organization_id, currency=org.currency)
    data = dict(data)
    data.setdefault("tax_rate", _default_tax_rate(actor.organization_id))
    _apply_product(actor, product, data)
    product.save()
    audit.record(actor=actor, action=audit.Action.CREATE, obj=product,
                 changes={k: [None, v] for k, v in audit.snapshot(product, list(PRODUCT_FIELDS)).items()})
    return product


def _default_tax_rate(organization_id: int) -> Decimal:
    from guanxi.sales.selectors.quotes import sales_settings

    return sales_settings(organization_id).default_tax_rate


@transaction.atomic
def product_update(*, actor, product: Product, data: dict) -> Product:
    require(actor, CatalogPerm.MANAGE)
    product = Product.objects.select_for_update().get(pk=product.pk)
    before = audit.snapshot(product, list(PRODUCT_FIELDS))
    _apply_product(actor, product, dict(data))
    product.save()
    changes = audit.diff(before, audit.snapshot(product, list(PRODUCT_FIELDS)))
    if changes:
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=product, changes=changes)
    return product


@transaction.atomic
def product_delete(*, actor, product: Product) -> None:
    """Products on quotes or in bundles stay (documents must keep them): deactivate those instead."""
    require(actor, CatalogPerm.MANAGE)
    from guanxi.sales.models import OrderLine, QuoteLine

    in_use = (QuoteLine.objects.filter(product=product).exists() or OrderLine.objects.filter(product=product).exists()
              or BundleItem.objects.filter(product=product).exists())
    if in_use:
        raise ValidationError({"__all__": [_("This product is used on quotes, orders or bundles; "
                                             "make it inactive instead.")]})
    audit.record(actor=actor, action=audit.Action.DELETE, obj=product,
                 changes={k: [v, None] for k, v in audit.snapshot(product, list(PRODUCT_FIELDS)).items()})
    product.delete()


# --- bundles ---------------------------------------------------------------------------

@transaction.atomic
def bundle_item_set(*, actor, bundle: Product, product, quantity) -> BundleItem:
    """Put `quantity` of `product` in `bundle` (or change the quantity already there)."""
    require(actor, CatalogPerm.MANAGE)
    if bundle.kind != Product.Kind.BUNDLE:
        raise ValidationError({"bundle": [_("Only a product of kind “bundle” holds items.")]})
    item_product = _product(actor, product)
    if item_product.pk == bundle.pk or item_product.kind == Product.Kind.BUNDLE:
        raise ValidationError({"product": [_("A bundle cannot contain itself or another bundle.")]})
    qty = parse_quantity(quantity)
    item, created = BundleItem.objects.get_or_create(
        organization_id=bundle.organization_id, bundle=bundle, product=item_product, defaults={"quantity": qty})
    if not created and item.quantity != qty:
        before = item.quantity
        item.quantity = qty
        item.save(update_fields=["quantity"])
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=bundle,
                     changes={f"bundle:{item_product.sku}": [str(before), str(qty)]})
    elif created:
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=bundle,
                     changes={f"bundle:{item_product.sku}": [None, str(qty)]})
    return item


@transaction.atomic
def bundle_item_remove(*, actor, item: BundleItem) -> None:
    require(actor, CatalogPerm.MANAGE)
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=item.bundle,
                 changes={f"bundle:{item.product.sku}": [str(item.quantity), None]})
    item.delete()


# --- configurator ----------------------------------------------------------------------

@transaction.atomic
def product_rule_add(*, actor, product: Product, kind: str, other) -> ProductRule:
    require(actor, CatalogPerm.MANAGE)
    if kind not in ProductRule.Kind.values:
        raise ValidationError({"kind": [_("Choose “requires” or “excludes”.")]})
    other_product = _product(actor, other, "other")
    if other_product.pk == product.pk:
        raise ValidationError({"other": [_("A product cannot require or exclude itself.")]})
    opposite = ProductRule.Kind.EXCLUDES if kind == ProductRule.Kind.REQUIRES else ProductRule.Kind.REQUIRES
    if ProductRule.objects.filter(
        Q(product=product, other=other_product) | Q(product=other_product, other=product), kind=opposite,
    ).exists():
        raise ValidationError({"other": [_("These two products already have the opposite rule.")]})
    rule, created = ProductRule.objects.get_or_create(
        organization_id=product.organization_id, product=product, kind=kind, other=other_product)
    if created:
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=product,
                     changes={f"rule:{kind}": [None, other_product.sku]})
    return rule


@transaction.atomic
def product_rule_remove(*, actor, rule: ProductRule) -> None:
    require(actor, CatalogPerm.MANAGE)
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=rule.product,
                 changes={f"rule:{rule.kind}": [rule.other.sku, None]})
    rule.delete()


@dataclass(frozen=True)
class Violation:
    kind: str
    product: Product
    other: Product
    message: str


def _expanded(products: list[Product]) -> dict[int, Product]:
    """The products on a configuration, with each bundle's items added."""
    present = {p.pk: p for p in products}
    bundle_ids = [p.pk for p in products if p.kind == Product.Kind.BUNDLE]
    if bundle_ids:
        for item in BundleItem.objects.filter(bundle_id__in=bundle_ids).select_related("product"):
            present.setdefault(item.product_id, item.product)
    return present


def configure(products: list[Product], *, organization_id: int | None = None) -> list[Violation]:
    """Check a configuration (the products chosen, quantities do not matter to the rules) and
    return the broken rules, each with a message in the active language (the user's)."""
    present = _expanded([p for p in products if p is not None])
    if not present:
        return []
    org_id = organization_id or next(iter(present.values())).organization_id
    rules = (ProductRule.objects.filter(organization_id=org_id, product_id__in=list(present))
             .select_related("product", "other").order_by("product__sku", "kind", "other__sku"))
    violations = []
    for rule in rules:
        if rule.kind == ProductRule.Kind.REQUIRES and rule.other_id not in present:
            violations.append(Violation(rule.kind, rule.product, rule.other, _(
                "%(product)s requires %(other)s; add it too.") % {
                "product": _label(rule.product), "other": _label(rule.other)}))
        elif rule.kind == ProductRule.Kind.EXCLUDES and rule.other_id in present:
            violations.append(Violation(rule.kind, rule.product, rule.other, _(
                "%(product)s cannot be combined with %(other)s.") % {
                "product": _label(rule.product), "other": _label(rule.other)}))
    return violations


def _label(product: Product) -> str:
    return f"{product.name} ({product.sku})"


# --- price lists -----------------------------------------------------------------------

def _apply_price_list(actor, price_list: PriceList, data: dict) -> None:
    reject_unknown(data, PRICE_LIST_FIELDS)
    check_text(data)
    errors: dict[str, list[str]] = {}
    if "name" in data:
        try:
            price_list.name = _text(data, "name", 100, required=True)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if "currency" in data:
        try:
            price_list.currency = parse_currency(data["currency"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    for name in ("valid_from", "valid_until"):
        if name in data:
            try:
                setattr(price_list, name, parse_date(data[name], name))
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if "customer_tag" in data:
        value = data["customer_tag"]
        if value in (None, ""):
            price_list.customer_tag = None
        else:
            tag_id = value.pk if isinstance(value, Tag) else value
            try:
                tag = Tag.objects.filter(organization_id=actor.organization_id, pk=int(tag_id)).first()
            except (TypeError, ValueError, OverflowError):
                tag = None
            if tag is None:
                errors["customer_tag"] = [_("Choose a customer tag of this organisation.")]
            price_list.customer_tag = tag
    for name in ("is_default", "is_active"):
        if name in data:
            setattr(price_list, name, bool(data[name]))
    if not price_list.name and "name" not in errors:
        errors["name"] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)
    if price_list.valid_from and price_list.valid_until and price_list.valid_until < price_list.valid_from:
        raise ValidationError({"valid_until": [_("The end date is before the start date.")]})
    if price_list.is_default and price_list.customer_tag_id:
        raise ValidationError({"customer_tag": [_("The default list applies to every customer; leave the group "
                                                  "empty or make it not the default.")]})
    siblings = PriceList.objects.filter(organization_id=price_list.organization_id).exclude(pk=price_list.pk)
    if siblings.filter(name=price_list.name).exists():
        raise ValidationError({"name": [_("Another price list already has this name.")]})
    if price_list.is_default and siblings.filter(is_default=True).exists():
        raise ValidationError({"is_default": [_("Another price list is already the default.")]})


@transaction.atomic
def price_list_create(*, actor, data: dict) -> PriceList:
    require(actor, CatalogPerm.MANAGE)
    org = Organization.objects.get(pk=actor.organization_id)
    price_list = PriceList(organization_id=actor.organization_id, currency=org.currency)
    _apply_price_list(actor, price_list, dict(data))
    price_list.save()
    audit.record(actor=actor, action=audit.Action.CREATE, obj=price_list,
                 changes={k: [None, v] for k, v in audit.snapshot(price_list, list(PRICE_LIST_FIELDS)).items()})
    return price_list


@transaction.atomic
def price_list_update(*, actor, price_list: PriceList, data: dict) -> PriceList:
    require(actor, CatalogPerm.MANAGE)
    price_list = PriceList.objects.select_for_update().get(pk=price_list.pk)
    before = audit.snapshot(price_list, list(PRICE_LIST_FIELDS))
    _apply_price_list(actor, price_list, dict(data))
    price_list.save()
    changes = audit.diff(before, audit.snapshot(price_list, list(PRICE_LIST_FIELDS)))
    if changes:
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=price_list, changes=changes)
    return price_list


@transaction.atomic
def price_list_delete(*, actor, price_list: PriceList) -> None:
    require(actor, CatalogPerm.MANAGE)
    audit.record(actor=actor, action=audit.Action.DELETE, obj=price_list,
                 changes={k: [v, None] for k, v in audit.snapshot(price_list, list(PRICE_LIST_FIELDS)).items()})
    price_list.delete()


@transaction.atomic
def price_list_item_set(*, actor, price_list: PriceList, data: dict) -> PriceListItem:
    """Add a price tier (product, from quantity) or change the one already there."""
    require(actor, CatalogPerm.MANAGE)
    reject_unknown(data, PRICE_ITEM_FIELDS)
    errors: dict[str, list[str]] = {}
    values = {}
    for name, parse in (("product", lambda v: _product(actor, v)), ("price", lambda v: parse_price(v, "price")),
                        ("min_quantity", lambda v: parse_quantity(v, "min_quantity")),
                        ("discount_percent", parse_percent)):
        if name not in data or data[name] in (None, ""):
            if name in ("product", "price"):
                errors[name] = [_("This field is required.")]
            continue
        try:
            values[name] = parse(data[name])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    product = values.pop("product")
    min_quantity = values.pop("min_quantity", Decimal("1.000"))
    item = PriceListItem.objects.filter(price_list=price_list, product=product, min_quantity=min_quantity).first()
    if item is None:
        item = PriceListItem(organization_id=price_list.organization_id, price_list=price_list, product=product,
                             min_quantity=min_quantity)
        before = None
    else:
        before = [str(item.price), str(item.discount_percent)]
    item.price = values["price"]
    item.discount_percent = values.get("discount_percent", Decimal("0.00"))
    item.save()
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=price_list,
                 changes={f"item:{product.sku}@{min_quantity}": [before, [str(item.price), str(item.discount_percent)]]})
    return item


@transaction.atomic
def price_list_item_remove(*, actor, item: PriceListItem) -> None:
    require(actor, CatalogPerm.MANAGE)
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=item.price_list,
                 changes={f"item:{item.product.sku}@{item.min_quantity}": [[str(item.price),
                                                                            str(item.discount_percent)], None]})
    item.delete()


# --- which price applies ---------------------------------------------------------------

@dataclass(frozen=True)
class Price:
    unit_price: Decimal
    discount_percent: Decimal = Decimal("0.00")
    price_list: PriceList | None = None
    min_quantity: Decimal | None = None
    candidates: list = field(default_factory=list, compare=False, repr=False)

    @property
    def net_unit_price(self) -> Decimal:
        return to_cents(self.unit_price * (HUNDRED - self.discount_percent) / HUNDRED)


def _valid_on(on_date: dt.date) -> Q:
    return (Q(price_list__valid_from__isnull=True) | Q(price_list__valid_from__lte=on_date)) & (
        Q(price_list__valid_until__isnull=True) | Q(price_list__valid_until__gte=on_date))


def price_for(customer, product: Product, quantity, on_date: dt.date | None = None) -> Price:
    """The price of `quantity` of `product` for `customer` on `on_date` (today by default)."""
    quantity = Decimal(str(quantity))
    on_date = on_date or timezone.localdate()
    tiers = (PriceListItem.objects.filter(organization_id=product.organization_id, product=product,
                                          min_quantity__lte=quantity, price_list__is_active=True)
             .filter(_valid_on(on_date)).select_related("price_list"))
    tag_ids = set(customer.tags.values_list("pk", flat=True)) if customer is not None else set()
    best_per_list: dict[int, PriceListItem] = {}
    for item in tiers:
        current = best_per_list.get(item.price_list_id)
        if current is None or item.min_quantity > current.min_quantity:
            best_per_list[item.price_list_id] = item
    group = [i for i in best_per_list.values() if i.price_list.customer_tag_id in tag_ids]
    default = [i for i in best_per_list.values() if i.price_list.is_default and i.price_list.customer_tag_id is None]
    chosen_from = group or default
    if not chosen_from:
        return Price(unit_price=product.list_price)

    def net(item):
        return (to_cents(item.price * (HUNDRED - item.discount_percent) / HUNDRED), item.price_list.name)

    item = min(chosen_from, key=net)
    return Price(unit_price=item.price, discount_percent=item.discount_percent, price_list=item.price_list,
                 min_quantity=item.min_quantity)
