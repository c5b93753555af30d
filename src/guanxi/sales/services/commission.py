"""Commission (SAL-9): the rules managers keep, and the ledger that paid and cancelled orders write.

The order service calls the two ledger entry points inside its own transaction, after it has
saved the new status:
  commission_on_order_paid(order=..., actor=...)       status PAID, paid_at set
  commission_on_order_cancelled(order=..., actor=...)  status CANCELLED, cancelled_at set
They check no permission of their own (paying or cancelling the order was the permitted act;
the rep who earns is the order's owner, not the actor) and are idempotent: the order row is
locked, lines that already earned are skipped, and the ledger's unique (org, order_line, kind)
stops a second earning or reversal even if that check were bypassed.

Rule choice per order line: the most specific active rule that fits the line (rep+product, then
product, then rep, then the catch-all), then the lower priority number, then the lower id. When
the chosen rule's minimum margin is not met, the line earns nothing: the threshold is there to
stop commission on discounted deals, so it does not fall through to a looser rule.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.models import User
from guanxi.core.money import to_cents
from guanxi.core.permissions import require
from guanxi.core.validation import check_text, reject_unknown
from guanxi.sales.models import (
    CommissionEntry,
    CommissionRule,
    Order,
    OrderLine,
    Product,
)
from guanxi.sales.periods import month_of, zone
from guanxi.sales.permissions import CommissionPerm

RULE_FIELDS = ("name", "user", "product", "basis", "rate", "min_margin_percent", "priority", "is_active")
HUNDRED = Decimal(100)
RATE_STEP = Decimal("0.0001")


# --- rule choice -----------------------------------------------------------------------------

def specificity(rule: CommissionRule) -> int:
    """0 = rep and product, 1 = product, 2 = rep, 3 = catch-all."""
    if rule.user_id and rule.product_id:
        return 0
    if rule.product_id:
        return 1
    if rule.user_id:
        return 2
    return 3


def pick_rule(rules: list[CommissionRule], *, user_id: int | None, product_id: int | None) -> CommissionRule | None:
    fitting = [
        r for r in rules
        if r.is_active and (r.user_id is None or r.user_id == user_id)
        and (r.product_id is None or r.product_id == product_id)
    ]
    if not fitting:
        return None
    return min(fitting, key=lambda r: (specificity(r), r.priority, r.pk))


def margin_percent(net: Decimal, cost: Decimal) -> Decimal | None:
    """Margin as a percentage of net revenue; None when there is no revenue to measure it on."""
    if net <= 0:
        return None
    return (net - cost) * HUNDRED / net


def line_commission(rule: CommissionRule, line: OrderLine) -> tuple[Decimal, Decimal] | None:
    """(basis, amount) the line earns under `rule`, or None when it earns nothing."""
    net, cost = line.net_amount, line.cost
    if rule.min_margin_percent is not None:
        percent = margin_percent(net, cost)
        if percent is None or percent < rule.min_margin_percent:
            return None
    basis = net if rule.basis == CommissionRule.Basis.REVENUE else net - cost
    amount = to_cents(basis * rule.rate)
    if amount <= 0:
        return None
    return to_cents(basis), amount


# --- the ledger ------------------------------------------------------------------------------

def _locked(order: Order) -> Order:
    return (Order.objects.select_for_update(of=("self",)).select_related("organization")
            .get(pk=order.pk, organization_id=order.organization_id))


@transaction.atomic
def commission_on_order_paid(*, order: Order, actor) -> list[CommissionEntry]:
    """Earn commission for each line of a paid order, in the month it was paid (the organisation's
    time zone). Returns the entries written by this call (none when they exist already)."""
    return commission_earn_locked(order=_locked(order), actor=actor)


def commission_earn_locked(*, order: Order, actor) -> list[CommissionEntry]:
    """`commission_on_order_paid` for a caller that holds the order row: `order` must be its own
    instance read with select_for_update in the current transaction and saved as paid (the payment
    service, at the moment the order becomes paid). One query for the rules, one for the lines with
    whether each earned already, one INSERT for the entries, one for their audit row."""
    if order.status != Order.Status.PAID:
        raise ValueError(f"order {order.pk} is {order.status}, not paid")
    if order.owner_id is None:
        return []  # nobody to pay: an order of the shared pool earns no commission
    rules = list(CommissionRule.objects.filter(organization_id=order.organization_id, is_active=True))
    period = month_of(order.paid_at, zone(order.organization.timezone))
    earned_already = CommissionEntry.objects.filter(organization_id=order.organization_id, order_line=OuterRef("pk"),
                                                    kind=CommissionEntry.Kind.EARNED)
    created = []
    for line in (OrderLine.objects.filter(organization_id=order.organization_id, order=order)
                 .annotate(earned_already=Exists(earned_already)).order_by("position", "id")):
        if line.earned_already:
            continue
        rule = pick_rule(rules, user_id=order.owner_id, product_id=line.product_id)
        earned = line_commission(rule, line) if rule is not None else None
        if earned is None:
            continue
        basis, amount = earned
        created.append(CommissionEntry(
            organization_id=order.organization_id, user_id=order.owner_id, order=order, order_line=line, rule=rule,
            kind=CommissionEntry.Kind.EARNED, period=period, basis_amount=basis, rate=rule.rate, amount=amount,
            currency=order.currency,
        ))
    if created:
        created = CommissionEntry.objects.bulk_create(created)
        _audit_entries(actor, order, created)
    return created


@transaction.atomic
def commission_on_order_cancelled(*, order: Order, actor) -> list[CommissionEntry]:
    """Reverse every earning of the order that has no reversal yet, in the month of cancellation.
    An order cancelled before it was paid earned nothing and reverses nothing."""
    order = _locked(order)
    if order.status != Order.Status.CANCELLED:
        raise ValueError(f"order {order.pk} is {order.status}, not cancelled")
    entries = list(CommissionEntry.objects.filter(organization_id=order.organization_id, order=order))
    reversed_lines = {e.order_line_id for e in entries if e.kind == CommissionEntry.Kind.REVERSAL}
    period = month_of(order.cancelled_at, zone(order.organization.timezone))
    created = []
    for earned in entries:
        if earned.kind != CommissionEntry.Kind.EARNED or earned.order_line_id in reversed_lines:
            continue
        created.append(CommissionEntry.objects.create(
            organization_id=order.organization_id, user_id=earned.user_id, order=order,
            order_line_id=earned.order_line_id, rule_id=earned.rule_id, kind=CommissionEntry.Kind.REVERSAL,
            period=period, basis_amount=-earned.basis_amount, rate=earned.rate, amount=-earned.amount,
            currency=earned.currency,
        ))
        reversed_lines.add(earned.order_line_id)
    if created:
        _audit_entries(actor, order, created)
    return created


def _audit_entries(actor, order: Order, entries: list[CommissionEntry]) -> None:
    kind = entries[0].kind
    total = sum((e.amount for e in entries), Decimal("0.00"))
    audit.record(
        actor=actor, action=audit.Action.CREATE, object_type_label="sales.commissionentry", object_id=order.pk,
        object_repr=f"{order.number} ({kind})", organization_id=order.organization_id,
        changes={"order": [None, order.number], "kind": [None, kind], "period": [None, str(entries[0].period)],
                 "entries": [None, [[e.order_line_id, e.user_id, str(e.amount)] for e in entries]],
                 "total": [None, str(total)]},
    )


# --- rules -----------------------------------------------------------------------------------

def _decimal(value, field: str) -> Decimal:
    if isinstance(value, float):
        value = str(value)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: [_("Enter a number.")]}) from None
    if not number.is_finite():
        raise ValidationError({field: [_("Enter a number.")]})
    return number


def parse_rate(value) -> Decimal:
    rate = _decimal(value, "rate")
    if not Decimal(0) <= rate <= Decimal(1):
        raise ValidationError({"rate": [_("Enter a rate between 0 and 1 (0.05 = 5%).")]})
    if rate != rate.quantize(RATE_STEP):
        raise ValidationError({"rate": [_("Use at most four decimal places (0.0525 = 5.25%).")]})
    return rate.quantize(RATE_STEP)


def _apply_rule(actor, rule: CommissionRule, data: dict) -> None:
    reject_unknown(data, RULE_FIELDS)
    check_text(data)
    org_id = actor.organization_id
    if "name" in data:
        rule.name = " ".join(str(data["name"] or "").split())
    if "user" in data:
        value = data["user"]
        rule.user = None
        if value not in (None, ""):
            try:
                rule.user = User.objects.filter(organization_id=org_id, pk=int(getattr(value, "pk", value))).first()
            except (TypeError, ValueError):
                rule.user = None
            if rule.user is None:
                raise ValidationError({"user": [_("Choose a user of your organisation.")]})
    if "product" in data:
        value = data["product"]
        rule.product = None
        if value not in (None, ""):
            try:
                rule.product = Product.objects.filter(organization_id=org_id,
                                                      pk=int(getattr(value, "pk", value))).first()
            except (TypeError, ValueError):
                rule.product = None
            if rule.product is None:
                raise ValidationError({"product": [_("Choose a product of the catalogue.")]})
    if "basis" in data:
        if data["basis"] not in CommissionRule.Basis.values:
            raise ValidationError({"basis": [_("Choose revenue or margin.")]})
        rule.basis = data["basis"]
    if "rate" in data:
        rule.rate = parse_rate(data["rate"])
    if "min_margin_percent" in data:
        value = data["min_margin_percent"]
        if value in (None, ""):
            rule.min_margin_percent = None
        else:
            percent = _decimal(value, "min_margin_percent")
            if not Decimal(0) <= percent <= HUNDRED or percent != percent.quantize(Decimal("0.01")):
                raise ValidationError({"min_margin_percent": [_("Enter a percentage from 0 to 100, two decimals at most.")]})
            rule.min_margin_percent = percent
    if "priority" in data:
        try:
            priority = int(data["priority"])
        except (TypeError, ValueError):
            raise ValidationError({"priority": [_("Enter a whole number from 0 to 32767.")]}) from None
        if not 0 <= priority <= 32767:
            raise ValidationError({"priority": [_("Enter a whole number from 0 to 32767.")]})
        rule.priority = priority
    if "is_active" in data:
        rule.is_active = bool(data["is_active"])
    if not rule.name:
        raise ValidationError({"name": [_("This field is required.")]})
    if len(rule.name) > 100:
        raise ValidationError({"name": [_("At most 100 characters.")]})
    if rule.rate is None:
        raise ValidationError({"rate": [_("This field is required.")]})


AUDITED_RULE = list(RULE_FIELDS)


@transaction.atomic
def commission_rule_create(*, actor, data: dict) -> CommissionRule:
    require(actor, CommissionPerm.MANAGE)
    rule = CommissionRule(organization_id=actor.organization_id, rate=None)
    _apply_rule(actor, rule, dict(data))
    rule.save()
    audit.record(actor=actor, action=audit.Action.CREATE, obj=rule,
                 changes={k: [None, v] for k, v in audit.snapshot(rule, AUDITED_RULE).items() if v not in ("", None)})
    return rule


@transaction.atomic
def commission_rule_update(*, actor, rule: CommissionRule, data: dict) -> CommissionRule:
    """Changing a rule changes future earnings only: the ledger keeps the rate it was paid at."""
    require(actor, CommissionPerm.MANAGE)
    rule = CommissionRule.objects.select_for_update().get(pk=rule.pk, organization_id=actor.organization_id)
    before = audit.snapshot(rule, AUDITED_RULE)
    _apply_rule(actor, rule, dict(data))
    rule.save()
    changes = audit.diff(before, audit.snapshot(rule, AUDITED_RULE))
    if changes:
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=rule, changes=changes)
    return rule


@transaction.atomic
def commission_rule_delete(*, actor, rule: CommissionRule) -> None:
    """Entries earned under the rule keep their basis, rate and amount (their rule link is cleared)."""
    require(actor, CommissionPerm.MANAGE)
    audit.record(actor=actor, action=audit.Action.DELETE, obj=rule,
                 changes={k: [v, None] for k, v in audit.snapshot(rule, AUDITED_RULE).items() if v not in ("", None)})
    rule.delete()
