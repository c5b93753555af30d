"""API schemas for contracts, orders and payments.

Amounts, quantities and rates travel as decimal strings ("1234.50"), never as JSON numbers, so no
client ever rounds money through a float. Dates are "YYYY-MM-DD" strings. Input schemas refuse
unknown keys and are strict, like the customers API.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from guanxi.customers.schemas import Id, Text, Unset, _choices
from guanxi.sales.models import Contract, Order, Payment
from guanxi.sales.selectors.contracts import CONTRACT_SORTS, DEFAULT_CONTRACT_SORT
from guanxi.sales.selectors.orders import DEFAULT_ORDER_SORT, ORDER_SORTS

Money = Annotated[str, Field(pattern=r"^[0-9]{1,12}(\.[0-9]{1,2})?$", examples=["1234.50"],
                             description="A decimal amount as a string, at most two decimal places.")]
Quantity = Annotated[str, Field(pattern=r"^[0-9]{1,9}(\.[0-9]{1,3})?$", examples=["2"],
                                description="A decimal quantity as a string, greater than 0, at most three places.")]
Percent = Annotated[str, Field(pattern=r"^[0-9]{1,3}(\.[0-9]{1,2})?$", examples=["10"],
                               description="A percentage from 0 to 100 as a string.")]
TaxRate = Annotated[str, Field(pattern=r"^[01](\.[0-9]{1,4})?$", examples=["0.13"],
                               description="A rate from 0 to 1 as a string (0.13 is 13%).")]
DateText = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", examples=["2026-03-01"],
                                json_schema_extra={"format": "date"}, description="YYYY-MM-DD.")]
Month = Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", examples=["2026-03"], description="YYYY-MM.")]
OrderStatus = _choices(Order.Status.choices)
ContractStatus = _choices(Contract.Status.choices)
Method = _choices(Payment.Method.choices)
OrderAction = Literal["confirm", "deliver", "cancel"]


# --- orders --------------------------------------------------------------------------------------

class OrderLineIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    product_id: Id | None = Field(None, description="A catalogue product; it fills in what is left empty.")
    description: Text(300) = Field("", description="Empty: the product's name.")
    quantity: Quantity = "1"
    unit_price: Money | None = Field(None, description="null: the product's list price.")
    discount_percent: Percent = "0"
    tax_rate: TaxRate | None = Field(None, description="null: the product's rate, else the organisation's default.")


class OrderIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    customer_id: Id
    opportunity_id: Id | None = None
    contract_id: Id | None = None
    owner_id: Id = Unset(description="Not sent: the caller.")
    notes: Text(5000) = ""
    lines: list[OrderLineIn] = Field(min_length=1, max_length=200)


class OrderFromQuoteIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    quote_id: Id = Field(description="An accepted quote the caller can see.")
    contract_id: Id | None = Field(None, description="A contract of the same customer to file the order under.")


class CancelIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    reason: Text(500) = ""
    refund_amount: Money | None = Field(None, description="Record a refund of this much (at most what was paid) "
                                                          "as a negative payment. null: payments stay as they are.")
    refund_method: Method = "bank"
    refund_reference: Text(100) = ""


class OrderLineOut(Schema):
    id: int
    position: int
    product_id: int | None
    description: str
    quantity: str
    unit_price: str
    discount_percent: str
    tax_rate: str
    net_amount: str
    tax_amount: str
    cost: str


class OrderOut(Schema):
    id: int
    number: str
    status: str
    customer_id: int
    customer_name: str
    opportunity_id: int | None
    quote_id: int | None
    contract_id: int | None
    owner_id: int | None
    owner_name: str | None
    store_id: int | None
    territory_id: int | None
    currency: str
    subtotal: str
    discount_total: str
    tax_total: str
    total: str
    cost_total: str
    paid_amount: str
    balance_due: str
    notes: str
    allowed_actions: list[OrderAction] = Field(description="Transitions the status allows and the caller may make.")
    lines: list[OrderLineOut]
    created_at: datetime
    confirmed_at: datetime | None
    delivered_at: datetime | None
    paid_at: datetime | None
    cancelled_at: datetime | None


class OrderPage(Schema):
    items: list[OrderOut]
    count: int


class OrderListIn(Schema):
    status: OrderStatus = Unset()
    customer_id: Id = Unset()
    owner_id: Id = Unset()
    month: Month = Unset(description="Orders created in this month (the caller's time zone).")
    q: Text(30) = Field("", description="Part of the order number.")
    sort: Literal[tuple(ORDER_SORTS)] = DEFAULT_ORDER_SORT
    page: int = Field(1, ge=1, le=10**6, description="Pages past the end are empty.")
    page_size: int = Field(25, ge=1, le=200)


# --- payments ------------------------------------------------------------------------------------

class PaymentIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    amount: Money = Field(description="Greater than 0 and at most the balance due.")
    method: Method = "bank"
    paid_on: DateText | None = Field(None, description="Not in the future. null: today.")
    reference: Text(100) = ""
    idempotency_key: Text(64) = Field("", description="Send the same key when retrying: the first payment is "
                                                      "returned (200) instead of a second one being recorded.")


class PaymentOut(Schema):
    id: int
    order_id: int
    amount: str = Field(description="Negative for a refund.")
    method: str
    paid_on: date
    reference: str
    recorded_by_id: int | None
    created_at: datetime
    order_status: str
    order_paid_amount: str
    order_balance_due: str


class PaymentList(Schema):
    items: list[PaymentOut]


# --- contracts -----------------------------------------------------------------------------------

class ContractIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    customer_id: Id
    title: Text(200, 1)
    opportunity_id: Id | None = None
    owner_id: Id = Unset(description="Not sent: the caller.")
    value: Money = "0"
    start_date: DateText | None = None
    end_date: DateText | None = None
    signed_at: DateText | None = None
    renewal_date: DateText | None = None
    reminder_days: int = Unset(ge=0, le=365, description="Not sent: the organisation's default (30).")
    terms: Text(20000) = ""


class ContractPatch(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    title: Text(200, 1) = Unset()
    opportunity_id: Id | None = Unset()
    owner_id: Id = Unset()
    value: Money = Unset()
    start_date: DateText | None = Unset()
    end_date: DateText | None = Unset()
    signed_at: DateText | None = Unset()
    renewal_date: DateText | None = Unset(description="A new date (or period) arms the reminder again.")
    reminder_days: int = Unset(ge=0, le=365)
    terms: Text(20000) = Unset()


class ContractFromQuoteIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    quote_id: Id = Field(description="An accepted quote the caller can see.")


class TerminateIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    reason: Text(500) = ""


class ContractOut(Schema):
    id: int
    number: str
    title: str
    status: str
    customer_id: int
    customer_name: str
    opportunity_id: int | None
    quote_id: int | None
    owner_id: int | None
    owner_name: str | None
    store_id: int | None
    territory_id: int | None
    value: str
    currency: str
    start_date: date | None
    end_date: date | None
    signed_at: date | None
    renewal_date: date | None
    reminder_days: int
    reminded_at: datetime | None
    terms: str
    created_at: datetime
    updated_at: datetime


class ContractPage(Schema):
    items: list[ContractOut]
    count: int


class ContractListIn(Schema):
    status: ContractStatus = Unset()
    customer_id: Id = Unset()
    owner_id: Id = Unset()
    renewal_due_days: int = Unset(ge=0, le=3650, description="Active contracts renewing within this many days "
                                                             "(or overdue).")
    q: Text(100) = Field("", description="Part of the number or title.")
    sort: Literal[tuple(CONTRACT_SORTS)] = DEFAULT_CONTRACT_SORT
    page: int = Field(1, ge=1, le=10**6, description="Pages past the end are empty.")
    page_size: int = Field(25, ge=1, le=200)


class ContractFileOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    uploaded_by_id: int | None
    created_at: datetime
    download_url: str = Field(description="The signed-in page that serves the file as an attachment.")


class ContractFileList(Schema):
    items: list[ContractFileOut]
