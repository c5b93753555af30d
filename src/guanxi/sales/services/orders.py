"""Orders (SAL-8): entry (direct or from an accepted quote), the status flow, payments.

The status flow:

    draft ─confirm→ confirmed ─deliver→ delivered ─(payments reach the total)→ paid
    draft | confirmed | delivered | paid ─cancel→ cancelled

`paid` is never set by hand: it follows from the payments. Payments are taken on confirmed and
delivered orders (prepayment before delivery is common), never above the balance due; the order
row is locked while a payment is checked and written, so two clerks cannot overpay it together.
A confirmed order paid in full becomes paid; its delivery can still be recorded afterwards (the
status stays paid, delivered_at is stamped).

Cancelling keeps the payments (append-only); a refund is a negative payment, written only when the
caller asks for one (`refund_amount`).

Line values are rounded half-up to the cent per line (`core.money.to_cents`); the order's totals are
the sums of the rounded line values, so the printed lines always add up to the printed total.

Two moments matter to other parts of sales (commission): `_order_became_paid` and
`_order_cancelled_after_paid` below are the only places they happen.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.models import Organization
from guanxi.core.money import ZERO, to_cents
from guanxi.core.permissions import require, require_locked, row_filter
from guanxi.core.validation import check_text, reject_unknown, resolve_owner
from guanxi.customers.models import Customer, TimelineEvent
from guanxi.customers.selectors import customer_visible
from guanxi.customers.services import timeline_add
from guanxi.sales.models import (
    Contract,
    Opportunity,
    Order,
    OrderLine,
    Payment,
    Product,
    Quote,
    SalesSettings,
)
from guanxi.sales.permissions import OpportunityPerm, OrderPerm, QuotePerm
from guanxi.sales.services.commission import (
    commission_earn_locked,
    commission_on_order_cancelled,
)
from guanxi.sales.services.numbering import next_number
from guanxi.sales.services.territories import customer_territory

S = Order.Status
ORDER_FIELDS = ("customer", "opportunity", "contract", "owner", "notes", "lines")
LINE_FIELDS = ("product", "description", "quantity", "unit_price", "discount_percent", "tax_rate")
AUDITED = ["number", "customer", "opportunity", "quote", "contract", "owner", "store", "territory", "status",
           "currency", "subtotal", "discount_total", "tax_total", "total", "cost_total", "paid_amount", "notes"]
MAX_LINES = 200
MAX_AMOUNT = Decimal("999999999999.99")
MAX_QUANTITY = Decimal("999999999.999")

# action → (statuses it leaves from, status it reaches, permission)
TRANSITIONS = {
    "confirm": ((S.DRAFT,), S.CONFIRMED, OrderPerm.CHANGE),
    "deliver": ((S.CONFIRMED,), S.DELIVERED, OrderPerm.CHANGE),
    "cancel": ((S.DRAFT, S.CONFIRMED, S.DELIVERED, S.PAID), S.CANCELLED, OrderPerm.CANCEL),
}
PAYABLE = (S.CONFIRMED, S.DELIVERED)


# --- the two moments other modules hook into -------------------------------------------------

def _order_became_paid(*, actor, order: Order) -> None:
    """The one place an order becomes paid (inside the payment's transaction, `order` is the row it
    locked and saved as paid). Commission for the order is written here."""
    commission_earn_locked(order=order, actor=actor)


def _order_cancelled_after_paid(*, actor, order: Order) -> None:
    """The one place a paid order is cancelled (inside the cancel's transaction, order row locked).
    Commission is reversed here."""
    commission_on_order_cancelled(order=order, actor=actor)


# --- parsing ---------------------------------------------------------------------------------

def parse_decimal(value, field: str, *, places: int, low: Decimal, high: Decimal, low_inclusive: bool = True,
                  message: str | None = None) -> Decimal:
    """A decimal from a form (Decimal), the API (a string) or code; floats are refused (not money)."""
    bad = ValidationError({field: [message or _("Enter a number between %(low)s and %(high)s.") % {
        "low": low, "high": high}]})
    if isinstance(value, (float, bool)) or value is None:
        raise bad
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise bad from None
    if not number.is_finite():
        raise bad
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise ValidationError({field: [_("Use at most %(n)s decimal places.") % {"n": places}]})
    if number > high or number < low or (not low_inclusive and number == low):
        raise bad
    return number.quantize(Decimal(1).scaleb(-places))


def parse_date(value, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise ValidationError({field: [_("Enter a valid date.")]}) from None


def default_tax_rate(organization_id: int) -> Decimal:
    row = SalesSettings.objects.filter(organization_id=organization_id).first()
    return row.default_tax_rate if row else SalesSettings._meta.get_field("default_tax_rate").default


def line_amounts(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal, tax_rate: Decimal,
                 unit_cost: Decimal = ZERO) -> dict[str, Decimal]:
    """One line's values, each rounded half-up to the cent: gross, net (after discount), tax, cost."""
    gross = to_cents(quantity * unit_price)
    net = to_cents(quantity * unit_price * (Decimal(100) - discount_percent) / Decimal(100))
    return {"gross": gross, "net": net, "tax": to_cents(net * tax_rate), "cost": to_cents(unit_cost * quantity)}


def _lines(organization_id: int, raw) -> tuple[list[OrderLine], list[Decimal]]:
    """Unsaved OrderLines (amounts computed) and their gross values; every bad field is reported."""
    if not isinstance(raw, (list, tuple)) or not raw:
        raise ValidationError({"lines": [_("Add at least one line.")]})
    if len(raw) > MAX_LINES:
        raise ValidationError({"lines": [_("An order has at most %(n)s lines.") % {"n": MAX_LINES}]})
    product_ids = set()
    for row in raw:
        value = row.get("product") if isinstance(row, dict) else None
        value = getattr(value, "pk", value)
        if isinstance(value, int) and not isinstance(value, bool) or (isinstance(value, str) and value.isdigit()):
            product_ids.add(int(value))
    products = {p.pk: p for p in Product.objects.filter(organization_id=organization_id, is_active=True,
                                                          pk__in=[i for i in product_ids if i < 2**63])}
    tax_default = default_tax_rate(organization_id)
    errors: dict[str, list[str]] = {}
    lines, grosses = [], []
    for i, row in enumerate(raw):
        prefix = f"lines.{i}."
        if not isinstance(row, dict):
            errors[f"lines.{i}"] = [_("Each line is an object.")]
            continue
        unknown = sorted(set(row) - set(LINE_FIELDS))
        for name in unknown:
            errors[prefix + str(name)[:50]] = [_("This field cannot be set.")]
        try:
            product = None
            value = getattr(row.get("product"), "pk", row.get("product"))
            if value not in (None, ""):
                product = products.get(int(value)) if str(value).isdigit() else None
                if product is None:
                    raise ValidationError({prefix + "product": [_("Choose an active product of the catalogue.")]})
            description = row.get("description")
            description = " ".join(str(description).split()) if description not in (None, "") else ""
            if not description and product is not None:
                description = product.name
            if not description:
                raise ValidationError({prefix + "description": [_("Describe the line or choose a product.")]})
            if len(description) > 300 or "\x00" in description:
                raise ValidationError({prefix + "description": [_("At most 300 characters, no null characters.")]})
            quantity = parse_decimal(row.get("quantity", 1), prefix + "quantity", places=3, low=ZERO,
                                     high=MAX_QUANTITY, low_inclusive=False,
                                     message=_("Enter a quantity greater than 0."))
            price = row.get("unit_price")
            if price in (None, ""):
                if product is None:
                    raise ValidationError({prefix + "unit_price": [_("Enter a unit price.")]})
                price = product.list_price
            unit_price = parse_decimal(price, prefix + "unit_price", places=2, low=ZERO, high=MAX_AMOUNT)
            discount = parse_decimal(row.get("discount_percent") if row.get("discount_percent") not in (None, "")
                                     else 0, prefix + "discount_percent", places=2, low=ZERO, high=Decimal(100))
            tax = row.get("tax_rate")
            if tax in (None, ""):
                tax = product.tax_rate if product is not None else tax_default
            tax_rate = parse_decimal(tax, prefix + "tax_rate", places=4, low=ZERO, high=Decimal(1),
                                     message=_("Enter a tax rate between 0 and 1 (0.13 is 13%)."))
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
            continue
        amounts = line_amounts(quantity, unit_price, discount, tax_rate, product.cost if product else ZERO)
        if amounts["gross"] + amounts["tax"] > MAX_AMOUNT:
            errors[prefix + "quantity"] = [_("This line is too large.")]
            continue
        lines.append(OrderLine(organization_id=organization_id, position=i, product=product,
                               description=description, quantity=quantity, unit_price=unit_price,
                               discount_percent=discount, tax_rate=tax_rate, net_amount=amounts["net"],
                               tax_amount=amounts["tax"], cost=amounts["cost"]))
        grosses.append(amounts["gross"])
    if errors:
        raise ValidationError(errors)
    return lines, grosses


def _totals(order: Order, lines: list[OrderLine], grosses: list[Decimal]) -> None:
    order.subtotal = sum(grosses, ZERO)
    net = sum((line.net_amount for line in lines), ZERO)
    order.discount_total = order.subtotal - net
    order.tax_total = sum((line.tax_amount for line in lines), ZERO)
    order.total = net + order.tax_total
    order.cost_total = sum((line.cost for line in lines), ZERO)
    if order.subtotal + order.tax_total > MAX_AMOUNT:
        raise ValidationError({"lines": [_("The order total is too large.")]})


def _pk(value, field: str) -> int:
    value = getattr(value, "pk", value)
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: [_("Choose a valid record.")]}) from None
    if not 0 < pk < 2**63:
        raise ValidationError({field: [_("Choose a valid record.")]})
    return pk


def _customer(actor, value) -> Customer:
    if value in (None, ""):
        raise ValidationError({"customer": [_("Choose a customer.")]})
    customer = customer_visible(actor).filter(pk=_pk(value, "customer")).first()
    if customer is None:
        raise ValidationError({"customer": [_("Choose a customer you can see.")]})
    return customer


def related_opportunity(actor, customer: Customer, value) -> Opportunity | None:
    if value in (None, ""):
        return None
    opp = Opportunity.objects.filter(row_filter(actor, OpportunityPerm.VIEW), pk=_pk(value, "opportunity")).first()
    if opp is None or opp.customer_id != customer.pk:
        raise ValidationError({"opportunity": [_("Choose an opportunity of this customer.")]})
    return opp


def _contract(actor, customer: Customer, value) -> Contract | None:
    if value in (None, ""):
        return None
    contract = Contract.objects.filter(row_filter(actor, QuotePerm.VIEW), pk=_pk(value, "contract")).first()
    if contract is None or contract.customer_id != customer.pk:
        raise ValidationError({"contract": [_("Choose a contract of this customer.")]})
    if contract.status == Contract.Status.TERMINATED:
        raise ValidationError({"contract": [_("This contract is terminated.")]})
    return contract


def _money_text(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def _timeline(actor, order: Order, name: str, kind=TimelineEvent.Kind.ORDER) -> None:
    timeline_add(order.customer, kind, actor, (_("Order: %(name)s") if kind == TimelineEvent.Kind.ORDER
                                               else _("Payment received: %(name)s")) % {"name": name},
                 data={"name": name, "order": order.pk})


# --- creating ----------------------------------------------------------------------------------

def _save_new(actor, order: Order, lines: list[OrderLine]) -> Order:
    order.number = next_number(order.organization_id, "order")
    order.save()
    for line in lines:
        line.order = order
    OrderLine.objects.bulk_create(lines)
    audit.record(actor=actor, action=audit.Action.CREATE, obj=order,
                 changes={k: [None, v] for k, v in audit.snapshot(order, AUDITED).items() if v not in ("", None)})
    _timeline(actor, order, f"{order.number} · {_money_text(order.total, order.currency)}")
    return order


@transaction.atomic
def order_create(*, actor, data: dict) -> Order:
    """A draft order with its lines. `lines`: [{product?, description?, quantity, unit_price?,
    discount_percent?, tax_rate?}]; a product fills in the description, price and tax rate left empty."""
    require(actor, OrderPerm.CREATE)
    data = dict(data)
    reject_unknown(data, ORDER_FIELDS)
    check_text(data)
    customer = _customer(actor, data.get("customer"))
    opportunity = related_opportunity(actor, customer, data.get("opportunity"))
    contract = _contract(actor, customer, data.get("contract"))
    owner = resolve_owner(actor, data["owner"] if data.get("owner") not in (None, "") else actor.pk,
                          OrderPerm.CREATE, pool_allowed=False)
    notes = str(data.get("notes") or "").strip()
    if len(notes) > 5000:
        raise ValidationError({"notes": [_("At most 5,000 characters.")]})
    lines, grosses = _lines(actor.organization_id, data.get("lines"))
    currency = Organization.objects.values_list("currency", flat=True).get(pk=actor.organization_id)
    order = Order(organization_id=actor.organization_id, customer=customer, opportunity=opportunity,
                  contract=contract, owner=owner, store_id=owner.store_id or actor.store_id,
                  territory=customer_territory(customer), currency=currency, notes=notes, created_by=actor)
    _totals(order, lines, grosses)
    return _save_new(actor, order, lines)


def order_create_from_quote(actor, quote: Quote, contract: Contract | None = None) -> Order:
    """An accepted quote becomes a draft order: its lines and totals exactly as quoted; customer,
    opportunity, owner, store and territory copied. One live order per quote (a cancelled one does
    not count)."""
    return _order_from_quote(actor=actor, quote=quote, contract=contract)


@transaction.atomic
def _order_from_quote(*, actor, quote: Quote, contract) -> Order:
    require(actor, OrderPerm.CREATE)
    require(actor, QuotePerm.VIEW, quote)
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status != Quote.Status.ACCEPTED:
        raise ValidationError({"quote": [_("Only an accepted quote can become an order.")]})
    existing = Order.objects.filter(quote=quote).exclude(status=S.CANCELLED).first()
    if existing is not None:
        raise ValidationError({"quote": [_("Order %(number)s was already created from this quote.") % {
            "number": existing.number}]})
    customer = quote.customer
    contract = _contract(actor, customer, contract)
    owner = resolve_owner(actor, quote.owner_id or actor.pk, OrderPerm.CREATE, pool_allowed=False)
    lines = []
    for position, q in enumerate(quote.lines.select_related("product").order_by("position", "id")):
        cost = q.cost
        if not cost and q.product is not None:
            cost = to_cents(q.product.cost * q.quantity)
        lines.append(OrderLine(organization_id=quote.organization_id, position=position, product=q.product,
                               description=q.description, quantity=q.quantity, unit_price=q.unit_price,
                               discount_percent=q.discount_percent, tax_rate=q.tax_rate, net_amount=q.net_amount,
                               tax_amount=q.tax_amount, cost=cost))
    if not lines:
        raise ValidationError({"quote": [_("This quote has no lines.")]})
    order = Order(organization_id=quote.organization_id, customer=customer, opportunity=quote.opportunity,
                  quote=quote, contract=contract, owner=owner, store_id=quote.store_id or owner.store_id,
                  territory_id=quote.territory_id, currency=quote.currency, subtotal=quote.subtotal,
                  discount_total=quote.discount_total, tax_total=quote.tax_total, total=quote.total,
                  cost_total=sum((line.cost for line in lines), ZERO), created_by=actor)
    return _save_new(actor, order, lines)


# --- the status flow ---------------------------------------------------------------------------

def allowed_actions(order: Order) -> list[str]:
    """The transitions the order's status allows (the caller still needs the permission)."""
    actions = [name for name, (sources, _target, _perm) in TRANSITIONS.items() if order.status in sources]
    if order.status == S.PAID and order.delivered_at is None:
        actions.insert(0, "deliver")
    return actions


def _refuse(action: str, order: Order) -> ValidationError:
    status = order.get_status_display()
    messages = {
        "confirm": _("Only a draft order can be confirmed; this order is %(status)s."),
        "deliver": _("Only a confirmed order (or a paid one not yet delivered) can be delivered; this order is "
                     "%(status)s."),
        "cancel": _("This order is already cancelled."),
    }
    return ValidationError({"status": [messages[action] % {"status": status}]})


def _locked(order: Order) -> Order:
    return Order.objects.select_for_update().select_related("customer").get(pk=order.pk)


def _sync(target: Order, source: Order) -> None:
    """Let the caller's instance see what was written."""
    for field in Order._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


@transaction.atomic
def order_transition(*, actor, order: Order, action: str) -> Order:
    """confirm or deliver (cancel has its own function: it may refund)."""
    if action == "cancel":
        return order_cancel(actor=actor, order=order)
    if action not in TRANSITIONS:
        raise ValidationError({"action": [_("Unknown action.")]})
    _sources, target, perm = TRANSITIONS[action]
    require(actor, perm, order)
    locked = _locked(order)
    if action not in allowed_actions(locked):
        raise _refuse(action, locked)
    before = audit.snapshot(locked, ["status"])
    now = timezone.now()
    if action == "confirm":
        locked.status, locked.confirmed_at = target, now
    elif locked.status == S.PAID:  # delivering a prepaid order: it stays paid
        locked.delivered_at = now
    else:
        locked.status, locked.delivered_at = target, now
    locked.save(update_fields=["status", "confirmed_at", "delivered_at", "updated_at"])
    changes = audit.diff(before, audit.snapshot(locked, ["status"])) or {"delivered_at": [None, str(now)]}
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=locked, changes=changes)
    label = _("confirmed") if action == "confirm" else _("delivered")
    _timeline(actor, locked, f"{locked.number} {label}")
    _sync(order, locked)
    return order


def order_confirm(*, actor, order: Order) -> Order:
    return order_transition(actor=actor, order=order, action="confirm")


def order_deliver(*, actor, order: Order) -> Order:
    return order_transition(actor=actor, order=order, action="deliver")


@transaction.atomic
def order_cancel(*, actor, order: Order, reason: str = "", refund_amount=None, refund_method: str = "",
                 refund_reference: str = "") -> Order:
    """Cancel from any status but cancelled. Payments stay; with `refund_amount` a refund of that much
    (at most what was paid) is recorded as a negative payment."""
    require(actor, OrderPerm.CANCEL, order)
    reason = str(reason or "").strip()
    check_text({"reason": reason, "refund_reference": str(refund_reference or "")})
    if len(reason) > 500:
        raise ValidationError({"reason": [_("At most 500 characters.")]})
    refund = None
    if refund_amount not in (None, ""):
        require(actor, OrderPerm.RECORD_PAYMENT, order)
        refund = parse_decimal(refund_amount, "refund_amount", places=2, low=ZERO, high=MAX_AMOUNT,
                               low_inclusive=False, message=_("Enter an amount greater than 0."))
        method = _method(refund_method or Payment.Method.BANK, "refund_method")
        reference = _reference(refund_reference, "refund_reference")
    locked = _locked(order)
    if "cancel" not in allowed_actions(locked):
        raise _refuse("cancel", locked)
    if refund is not None and refund > locked.paid_amount:
        raise ValidationError({"refund_amount": [_("At most %(paid)s was paid; the refund cannot be larger.") % {
            "paid": locked.paid_amount}]})
    was_paid = locked.status == S.PAID
    before = audit.snapshot(locked, ["status", "paid_amount"])
    locked.status, locked.cancelled_at = S.CANCELLED, timezone.now()
    if reason:
        locked.notes = (f"{locked.notes}\n" if locked.notes else "") + _("Cancelled: %(reason)s") % {"reason": reason}
        locked.notes = locked.notes[-5000:]
    if refund is not None:
        payment = Payment.objects.create(organization_id=locked.organization_id, order=locked, amount=-refund,
                                         method=method, paid_on=timezone.localdate(), reference=reference,
                                         recorded_by=actor)
        audit.record(actor=actor, action=audit.Action.CREATE, obj=payment,
                     changes={"amount": [None, str(-refund)], "order": [None, locked.number]})
        locked.paid_amount -= refund
    locked.save(update_fields=["status", "cancelled_at", "notes", "paid_amount", "updated_at"])
    changes = audit.diff(before, audit.snapshot(locked, ["status", "paid_amount"]))
    if reason:
        changes["reason"] = [None, reason]
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=locked, changes=changes)
    name = _("%(number)s cancelled") % {"number": locked.number}
    if refund is not None:
        name += " · " + _("refunded %(amount)s") % {"amount": _money_text(refund, locked.currency)}
    _timeline(actor, locked, name)
    if was_paid:
        _order_cancelled_after_paid(actor=actor, order=locked)
    _sync(order, locked)
    return order


# --- payments ----------------------------------------------------------------------------------

def _method(value, field: str = "method") -> str:
    if value not in Payment.Method.values:
        raise ValidationError({field: [_("Choose a payment method.")]})
    return value


def _reference(value, field: str = "reference") -> str:
    value = " ".join(str(value or "").split())
    if len(value) > 100 or "\x00" in value:
        raise ValidationError({field: [_("At most 100 characters, no null characters.")]})
    return value


def payment_record(actor, order: Order, amount, method=Payment.Method.BANK, paid_on=None, reference: str = "",
                   idempotency_key: str = "") -> Payment:
    """Record money received for `order`. More than the balance due is refused; reaching it makes the
    order paid. A retry with the same `idempotency_key` returns the first payment (`.replayed` is True)."""
    return _payment_record(actor=actor, order=order, amount=amount, method=method, paid_on=paid_on,
                           reference=reference, idempotency_key=idempotency_key)


@transaction.atomic
def _payment_record(*, actor, order, amount, method, paid_on, reference, idempotency_key) -> Payment:
    # The permission is checked on the order row as read under the lock (one query for both), with
    # the customer (timeline) and organisation (time zone of the commission month) it needs.
    locked = require_locked(actor, OrderPerm.RECORD_PAYMENT, order,
                            Order.objects.select_related("customer", "organization"))
    amount = parse_decimal(amount, "amount", places=2, low=ZERO, high=MAX_AMOUNT, low_inclusive=False,
                           message=_("Enter an amount greater than 0."))
    method = _method(method)
    paid_on = timezone.localdate() if paid_on in (None, "") else parse_date(paid_on, "paid_on")
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": [_("A payment cannot be dated in the future.")]})
    if paid_on.year < 2000:
        raise ValidationError({"paid_on": [_("Enter a valid date.")]})
    reference = _reference(reference)
    key = str(idempotency_key or "")
    if len(key) > 64 or not key.isprintable() or not key.isascii():
        raise ValidationError({"idempotency_key": [_("At most 64 printable ASCII characters.")]})
    if key:  # its own statement after the lock: a concurrent retry's payment is visible here (PostgreSQL)
        earlier = Payment.objects.filter(order=locked, idempotency_key=key).first()
        if earlier is not None:
            if earlier.amount != amount:
                raise ValidationError({"idempotency_key": [_("This key was used for a different payment.")]})
            earlier.replayed = True
            _sync(order, locked)
            return earlier
    if locked.status not in PAYABLE:
        raise ValidationError({"status": [_("Payments are taken on confirmed or delivered orders; this order is "
                                            "%(status)s.") % {"status": locked.get_status_display()}]})
    due = locked.balance_due
    if amount > due:
        raise ValidationError({"amount": [_("The balance due is %(due)s; a payment cannot be larger.") % {
            "due": _money_text(due, locked.currency)}]})
    payment = Payment.objects.create(organization_id=locked.organization_id, order=locked, amount=amount,
                                     method=method, paid_on=paid_on, reference=reference, recorded_by=actor,
                                     idempotency_key=key)
    before = audit.snapshot(locked, ["status", "paid_amount"])
    locked.paid_amount += amount
    became_paid = locked.paid_amount == locked.total
    if became_paid:
        locked.status, locked.paid_at = S.PAID, timezone.now()
    locked.save(update_fields=["paid_amount", "status", "paid_at", "updated_at"])
    audit.record(actor=actor, action=audit.Action.CREATE, obj=payment,
                 changes={"order": [None, locked.number], "amount": [None, str(amount)], "method": [None, method],
                          "paid_on": [None, str(paid_on)], "reference": [None, reference]})
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=locked,
                 changes=audit.diff(before, audit.snapshot(locked, ["status", "paid_amount"])))
    _timeline(actor, locked, f"{locked.number} · {_money_text(amount, locked.currency)}", TimelineEvent.Kind.PAYMENT)
    if became_paid:
        _timeline(actor, locked, _("%(number)s paid in full") % {"number": locked.number})
        _order_became_paid(actor=actor, order=locked)
    payment.replayed = False
    _sync(order, locked)
    return payment


def payments_total(order: Order) -> Decimal:
    """What the payment rows add up to (equals order.paid_amount; used by tests and checks)."""
    return order.payments.aggregate(s=Sum("amount"))["s"] or ZERO
