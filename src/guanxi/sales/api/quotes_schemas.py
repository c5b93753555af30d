"""API schemas for quotes and their lines. Amounts are strings with two decimals."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from guanxi.customers.schemas import Id, Text, Unset, _choices
from guanxi.sales.api.catalog_schemas import IsoDate, Money, Percent, Quantity, TaxRate
from guanxi.sales.models import Quote
from guanxi.sales.selectors.quotes import DEFAULT_QUOTE_SORT, QUOTE_SORTS

QuoteStatus = _choices(Quote.Status.choices)
QuoteSort = Literal[tuple(QUOTE_SORTS)]


class QuoteLineOut(Schema):
    id: int
    position: int
    product_id: int | None
    sku: str | None
    description: str
    quantity: str
    unit_price: str
    discount_percent: str
    tax_rate: str
    net_amount: str = Field(description="quantity × unit price × (1 − discount), rounded half-up to the cent.")
    tax_amount: str = Field(description="net amount × tax rate, rounded half-up to the cent.")


class QuoteOut(Schema):
    id: int
    number: str
    version: int
    status: str
    customer_id: int
    customer_name: str
    contact_id: int | None
    opportunity_id: int | None
    owner_id: int | None
    store_id: int | None
    territory_id: int | None
    currency: str
    valid_until: str | None
    subtotal: str = Field(description="Σ line gross (quantity × unit price, rounded per line).")
    discount_total: str = Field(description="Σ (line gross − line net).")
    tax_total: str = Field(description="Σ line tax.")
    total: str = Field(description="Σ line net + Σ line tax.")
    max_discount_percent: str
    approval_needed: bool = Field(description="A line discount passes the organisation's threshold.")
    can_send: bool
    terms: str
    notes: str
    approved_by_id: int | None
    approved_at: datetime | None
    sent_at: datetime | None
    sent_to: str
    decided_at: datetime | None
    lines: list[QuoteLineOut]
    created_at: datetime
    updated_at: datetime


class QuoteSummaryOut(Schema):
    id: int
    number: str
    version: int
    status: str
    customer_id: int
    customer_name: str
    opportunity_id: int | None
    owner_id: int | None
    currency: str
    total: str
    valid_until: str | None
    created_at: datetime


class QuotePage(Schema):
    items: list[QuoteSummaryOut]
    count: int


class QuoteDecisionOut(QuoteOut):
    opportunity_moved: bool = Field(description="The quote's open opportunity was moved to the won stage.")


class QuoteLineIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    product_id: Id | None = Field(None, description="A catalogue product: its name, price (from the price lists) "
                                                    "and tax rate fill what is not sent.")
    description: Text(300) = Unset(description="Required without a product.")
    quantity: Quantity = "1"
    unit_price: Money = Unset(description="Not sent: the price list's price (required without a product).")
    discount_percent: Percent = Unset(description="Not sent: the price list's discount, else 0.")
    tax_rate: TaxRate = Unset(description="Not sent: the product's, else the organisation's default.")


class QuoteLinePatch(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    product_id: Id | None = Unset()
    description: Text(300) = Unset()
    quantity: Quantity = Unset()
    unit_price: Money = Unset()
    discount_percent: Percent = Unset()
    tax_rate: TaxRate = Unset()


class QuoteIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    opportunity_id: Id | None = Field(None, description="Quote this deal: customer, contact, owner, store and "
                                                        "territory come from it.")
    customer_id: Id | None = Field(None, description="Without an opportunity: the customer (the caller owns "
                                                     "the quote).")
    contact_id: Id | None = None
    valid_until: IsoDate | None = Field(None, description="Not sent: today + the organisation's validity days.")
    terms: Text(10000) = ""
    notes: Text(5000) = ""
    lines: Annotated[list[QuoteLineIn], Field(max_length=200)] = Field(default_factory=list)


class QuotePatch(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    contact_id: Id | None = Unset()
    valid_until: IsoDate | None = Unset()
    terms: Text(10000) = Unset()
    notes: Text(5000) = Unset()


class QuoteListIn(Schema):
    q: Text(100) = Field("", description="Number or customer name (or its pinyin / initials).")
    status: QuoteStatus = Unset()
    owner_id: Id = Unset()
    store_id: Id = Unset()
    customer_id: Id = Unset()
    opportunity_id: Id = Unset()
    all_versions: bool = Field(False, description="Include superseded versions.")
    sort: QuoteSort = DEFAULT_QUOTE_SORT
    page: int = Field(1, ge=1, description="Pages past the end are empty.")
    page_size: int = Field(25, ge=1, le=200)


class ReasonIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    reason: Text(1000) = ""


class SendIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    to: Text(254) = Unset(description="Not sent: the contact's e-mail, else the customer's.")
    subject: Text(200) = Field("", description="Empty: “Quote <number> (version <n>) from <organisation>”.")
    message: Text(5000) = ""
