"""API schemas for products, bundles, configurator rules and price lists.

Money travels as a string with at most two decimals ("1999.90"), quantities with at most three,
tax rates as a fraction with at most four ("0.13" is 13 %). Input schemas are strict and refuse
unknown keys, like the customers API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from guanxi.customers.schemas import Id, Text, Unset, _choices
from guanxi.sales.models import Product, ProductRule
from guanxi.sales.selectors.catalog import PRODUCT_SORTS

Money = Annotated[str, Field(pattern=r"^[0-9]{1,12}(\.[0-9]{1,2})?$", examples=["1999.90"],
                             description="A non-negative amount, at most two decimals, as a string.")]
Quantity = Annotated[str, Field(pattern=r"^[0-9]{1,9}(\.[0-9]{1,3})?$", examples=["3"],
                                description="A quantity above 0, at most three decimals, as a string.")]
Percent = Annotated[str, Field(pattern=r"^[0-9]{1,3}(\.[0-9]{1,2})?$", examples=["10"],
                               description="0–100, at most two decimals, as a string.")]
TaxRate = Annotated[str, Field(pattern=r"^[01](\.[0-9]{1,4})?$", examples=["0.13"],
                               description="A fraction from 0 to 1 (0.13 = 13 %), as a string.")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["CNY"])]
IsoDate = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", examples=["2026-12-31"],
                               description="YYYY-MM-DD")]
ProductKind = _choices(Product.Kind.choices)
RuleKind = _choices(ProductRule.Kind.choices)
ProductSort = Literal[tuple(PRODUCT_SORTS)]


class BundleItemOut(Schema):
    product_id: int
    sku: str
    name: str
    quantity: str


class ProductRuleOut(Schema):
    id: int
    kind: str
    other_id: int
    other_sku: str
    other_name: str


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    kind: str
    category: str
    unit: str
    list_price: str
    cost: str
    currency: str
    tax_rate: str
    description: str
    is_active: bool
    bundle_items: list[BundleItemOut]
    rules: list[ProductRuleOut]
    created_at: datetime
    updated_at: datetime


class ProductPage(Schema):
    items: list[ProductOut]
    count: int


class ProductIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    sku: Text(40, 1)
    name: Text(200, 1)
    kind: ProductKind = "product"
    category: Text(100) = ""
    unit: Text(20) = ""
    list_price: Money = "0"
    cost: Money = "0"
    currency: Currency = Unset(description="Not sent: the organisation's currency.")
    tax_rate: TaxRate = Unset(description="Not sent: the organisation's default tax rate.")
    description: Text(5000) = ""
    is_active: bool = True


class ProductPatch(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    sku: Text(40, 1) = Unset()
    name: Text(200, 1) = Unset()
    kind: ProductKind = Unset()
    category: Text(100) = Unset()
    unit: Text(20) = Unset()
    list_price: Money = Unset()
    cost: Money = Unset()
    currency: Currency = Unset()
    tax_rate: TaxRate = Unset()
    description: Text(5000) = Unset()
    is_active: bool = Unset()


class ProductListIn(Schema):
    q: Text(100) = Field("", description="Part of the SKU, name or category.")
    kind: ProductKind = Unset()
    category: Text(100) = ""
    active: bool = Unset(description="Only active (true) or inactive (false) products.")
    sort: ProductSort = "sku"
    page: int = Field(1, ge=1, description="Pages past the end are empty.")
    page_size: int = Field(25, ge=1, le=200)


class BundleItemIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    quantity: Quantity = "1"


class ProductRuleIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    kind: RuleKind
    other_id: Id = Field(description="The product this one requires or excludes.")


class ConfigureItem(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    product_id: Id
    quantity: Quantity = "1"


class ConfigureIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    items: Annotated[list[ConfigureItem], Field(max_length=200)]


class ViolationOut(Schema):
    kind: str
    product_id: int
    other_id: int
    message: str


class ConfigureOut(Schema):
    ok: bool
    violations: list[ViolationOut]


class PriceIn(Schema):
    customer_id: Id = Unset(description="Not sent: the default list (no customer group).")
    quantity: Quantity = "1"
    on_date: IsoDate = Unset(description="Not sent: today.")


class PriceOut(Schema):
    product_id: int
    quantity: str
    unit_price: str
    discount_percent: str
    net_unit_price: str
    price_list_id: int | None
    price_list_name: str | None


# --- price lists -----------------------------------------------------------------------

class PriceItemOut(Schema):
    id: int
    product_id: int
    sku: str
    name: str
    price: str
    min_quantity: str
    discount_percent: str


class PriceListOut(Schema):
    id: int
    name: str
    currency: str
    customer_tag_id: int | None
    customer_tag: str | None
    is_default: bool
    valid_from: str | None
    valid_until: str | None
    is_active: bool
    items: list[PriceItemOut]


class PriceListPage(Schema):
    items: list[PriceListOut]
    count: int


class PriceListIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Text(100, 1)
    currency: Currency = Unset(description="Not sent: the organisation's currency.")
    customer_tag_id: Id | None = Field(None, description="The customer group (a customer tag); null for "
                                                         "the default or an unassigned list.")
    is_default: bool = False
    valid_from: IsoDate | None = None
    valid_until: IsoDate | None = None
    is_active: bool = True


class PriceListPatch(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Text(100, 1) = Unset()
    currency: Currency = Unset()
    customer_tag_id: Id | None = Unset()
    is_default: bool = Unset()
    valid_from: IsoDate | None = Unset()
    valid_until: IsoDate | None = Unset()
    is_active: bool = Unset()


class PriceListListIn(Schema):
    page: int = Field(1, ge=1, description="Pages past the end are empty.")
    page_size: int = Field(25, ge=1, le=200)


class PriceItemIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    product_id: Id
    price: Money
    min_quantity: Quantity = Field("1", description="The tier applies from this quantity on.")
    discount_percent: Percent = "0"
