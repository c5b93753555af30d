"""Orders and payments over JSON: thin handlers over sales.selectors.orders and sales.services.orders.

The services speak model names (`customer`, `lines.0.product`); the API speaks `customer_id`,
`lines.0.product_id`, so service errors are renamed on the way out. Illegal status changes and
payments the balance does not allow are 422 with the reason under `status` or `amount`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from guanxi.core.permissions import require
from guanxi.customers.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    _known_query,
    _page,
    _referenced,
)
from guanxi.sales.api.schemas_orders import (
    CancelIn,
    OrderFromQuoteIn,
    OrderIn,
    OrderListIn,
    OrderOut,
    OrderPage,
    PaymentIn,
    PaymentList,
    PaymentOut,
)
from guanxi.sales.models import Order, Payment
from guanxi.sales.permissions import OrderPerm
from guanxi.sales.selectors import orders as selectors
from guanxi.sales.services import orders as services

router = Router(tags=["orders"])

API_NAMES = {"customer": "customer_id", "opportunity": "opportunity_id", "contract": "contract_id",
             "owner": "owner_id", "quote": "quote_id"}


@contextmanager
def api_names() -> Iterator[None]:
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        errors: dict[str, list[str]] = {}
        for key, messages in exc.message_dict.items():
            if key.startswith("lines.") and key.endswith(".product"):
                key += "_id"
            errors.setdefault(API_NAMES.get(key, key), []).extend(messages)
        raise ValidationError(errors) from None


def _can(user, perm, obj) -> bool:
    try:
        require(user, perm, obj)
    except PermissionDenied:
        return False
    return True


def order_out(o: Order, actor) -> dict:
    money = lambda v: f"{v:.2f}"
    actions = [a for a in services.allowed_actions(o) if _can(actor, services.TRANSITIONS[a][2], o)]
    return {
        "id": o.pk, "number": o.number, "status": o.status, "customer_id": o.customer_id,
        "customer_name": o.customer.name, "opportunity_id": o.opportunity_id, "quote_id": o.quote_id,
        "contract_id": o.contract_id, "owner_id": o.owner_id,
        "owner_name": o.owner.display_name if o.owner_id else None, "store_id": o.store_id,
        "territory_id": o.territory_id, "currency": o.currency, "subtotal": money(o.subtotal),
        "discount_total": money(o.discount_total), "tax_total": money(o.tax_total), "total": money(o.total),
        "cost_total": money(o.cost_total), "paid_amount": money(o.paid_amount), "balance_due": money(o.balance_due),
        "notes": o.notes, "allowed_actions": actions,
        "lines": [{
            "id": ln.pk, "position": ln.position, "product_id": ln.product_id, "description": ln.description,
            "quantity": str(ln.quantity), "unit_price": money(ln.unit_price),
            "discount_percent": str(ln.discount_percent), "tax_rate": str(ln.tax_rate),
            "net_amount": money(ln.net_amount), "tax_amount": money(ln.tax_amount), "cost": money(ln.cost),
        } for ln in o.lines.all()],
        "created_at": o.created_at, "confirmed_at": o.confirmed_at, "delivered_at": o.delivered_at,
        "paid_at": o.paid_at, "cancelled_at": o.cancelled_at,
    }


def payment_out(p: Payment, order: Order) -> dict:
    return {
        "id": p.pk, "order_id": p.order_id, "amount": f"{p.amount:.2f}", "method": p.method, "paid_on": p.paid_on,
        "reference": p.reference, "recorded_by_id": p.recorded_by_id, "created_at": p.created_at,
        "order_status": order.status, "order_paid_amount": f"{order.paid_amount:.2f}",
        "order_balance_due": f"{order.balance_due:.2f}",
    }


def _reload(actor, pk: int) -> dict:
    return order_out(selectors.access_order(actor, pk), actor)


@router.get("", response={200: OrderPage, **READ_ERRORS}, summary="List orders", operation_id="orders_list")
def orders_list(request, params: Query[OrderListIn]):
    """The orders the caller may see, filtered, sorted and paginated: {"items": [...], "count": N}."""
    _known_query(request, OrderListIn)
    require(request.auth, OrderPerm.VIEW)
    if params.month is not None and selectors.parse_month(params.month) is None:
        raise ValidationError({"month": [_("Enter a month from 2000-01 to 9998-12.")]})
    filters = selectors.OrderFilters(status=params.status or "", customer_id=params.customer_id,
                                     owner_id=params.owner_id, month=params.month or "", q=params.q.strip())
    qs = selectors.order_list(actor=request.auth, filters=filters, sort=params.sort).prefetch_related("lines")
    return _page(qs, params.page, params.page_size, lambda o: order_out(o, request.auth))


@router.post("", response={201: OrderOut, **WRITE_ERRORS}, summary="Create a draft order",
             operation_id="orders_create")
def orders_create(request, payload: OrderIn):
    """Lines are priced here: each line's net and tax rounded half-up to the cent, the order's totals
    the sums of the rounded lines. The caller owns the order unless `owner_id` names someone they
    may assign to."""
    data = payload.model_dump(exclude_unset=True)
    service_data = {"customer": data["customer_id"], "opportunity": data.get("opportunity_id"),
                    "contract": data.get("contract_id"), "notes": data.get("notes", ""),
                    "lines": [{("product" if k == "product_id" else k): v for k, v in line.items()}
                              for line in data["lines"]]}
    if "owner_id" in data:
        service_data["owner"] = data["owner_id"]
    with api_names():
        order = services.order_create(actor=request.auth, data=service_data)
    return Status(201, _reload(request.auth, order.pk))


@router.post("/from-quote", response={201: OrderOut, **WRITE_ERRORS}, summary="Create an order from an accepted quote",
             operation_id="orders_from_quote")
def orders_from_quote(request, payload: OrderFromQuoteIn):
    """The quote's lines and totals exactly as quoted; one live order per quote."""
    actor = request.auth
    require(actor, OrderPerm.CREATE)
    quote = _referenced("quote_id", lambda: selectors.access_quote(actor, payload.quote_id))
    with api_names():
        order = services.order_create_from_quote(actor, quote, contract=payload.contract_id)
    return Status(201, _reload(actor, order.pk))


@router.get("/{order_id}", response={200: OrderOut, **READ_ERRORS}, summary="Get an order",
            operation_id="orders_get")
def orders_get(request, order_id: int):
    return order_out(selectors.access_order(request.auth, order_id), request.auth)


def _transition(request, order_id: int, action: str) -> dict:
    order = selectors.access_order(request.auth, order_id, services.TRANSITIONS[action][2])
    services.order_transition(actor=request.auth, order=order, action=action)
    return _reload(request.auth, order.pk)


@router.post("/{order_id}/confirm", response={200: OrderOut, **WRITE_ERRORS}, summary="Confirm a draft order",
             operation_id="orders_confirm")
def orders_confirm(request, order_id: int):
    """draft → confirmed; any other status is a 422 naming it."""
    return _transition(request, order_id, "confirm")


@router.post("/{order_id}/deliver", response={200: OrderOut, **WRITE_ERRORS}, summary="Record delivery",
             operation_id="orders_deliver")
def orders_deliver(request, order_id: int):
    """confirmed → delivered; a prepaid (paid, undelivered) order stays paid and gets its delivery time."""
    return _transition(request, order_id, "deliver")


@router.post("/{order_id}/cancel", response={200: OrderOut, **WRITE_ERRORS}, summary="Cancel an order",
             operation_id="orders_cancel")
def orders_cancel(request, order_id: int, payload: CancelIn):
    """From draft, confirmed, delivered or paid. Payments stay; `refund_amount` records a refund as a
    negative payment (needs the right to record payments too)."""
    order = selectors.access_order(request.auth, order_id, OrderPerm.CANCEL)
    services.order_cancel(actor=request.auth, order=order, reason=payload.reason,
                          refund_amount=payload.refund_amount, refund_method=payload.refund_method,
                          refund_reference=payload.refund_reference)
    return _reload(request.auth, order.pk)


@router.get("/{order_id}/payments", response={200: PaymentList, **READ_ERRORS}, summary="An order's payments",
            operation_id="orders_payments_list")
def orders_payments_list(request, order_id: int):
    order = selectors.access_order(request.auth, order_id)
    return {"items": [payment_out(p, order) for p in selectors.order_payments(order=order)]}


@router.post("/{order_id}/payments", response={201: PaymentOut, 200: PaymentOut, **WRITE_ERRORS},
             summary="Record a payment", operation_id="orders_payments_create")
def orders_payments_create(request, order_id: int, payload: PaymentIn):
    """On a confirmed or delivered order, at most the balance due (422 on `amount` otherwise). The
    payment that reaches the total makes the order paid. A retry with the same `idempotency_key`
    answers 200 with the first payment."""
    order = selectors.access_order(request.auth, order_id, OrderPerm.RECORD_PAYMENT, related=())
    payment = services.payment_record(request.auth, order, payload.amount, payload.method, payload.paid_on,
                                      payload.reference, idempotency_key=payload.idempotency_key)
    return Status(200 if payment.replayed else 201, payment_out(payment, order))
