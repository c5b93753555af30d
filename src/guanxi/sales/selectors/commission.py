"""Reads of commission rules and statements (SAL-9).

A statement is one rep's ledger lines for one month. Who may read whose: the CommissionPerm.VIEW
row rule with the rep as the "owner" of their entries and the rep's store as the entries' store,
so reps see their own, managers their store's reps, owners and admins everyone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.http import Http404

from guanxi.core.models import User
from guanxi.core.permissions import assignable_owner_filter, require, row_filter
from guanxi.sales.models import CommissionEntry, CommissionRule
from guanxi.sales.periods import month_label
from guanxi.sales.permissions import CommissionPerm

ZERO = Decimal("0.00")


def _pk(value) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < pk < 2**63:
        raise Http404
    return pk


def commission_rule_list(*, actor) -> QuerySet:
    """The rules that apply to everyone, plus the rep-specific ones of the reps whose commission
    `actor` may see (a rep does not learn a colleague's personal rate)."""
    require(actor, CommissionPerm.VIEW)
    reach = Q(user__isnull=True) | row_filter(actor, CommissionPerm.VIEW, owner="user", store="user__store")
    return (CommissionRule.objects.filter(reach, organization_id=actor.organization_id)
            .select_related("user", "product").order_by("priority", "id"))


def access_commission_rule(actor, pk) -> CommissionRule:
    rule = CommissionRule.objects.filter(organization_id=actor.organization_id, pk=_pk(pk)).first()
    if rule is None:
        raise Http404
    require(actor, CommissionPerm.MANAGE)
    return rule


def statement_reps(*, actor) -> QuerySet:
    """The users whose statements `actor` may open (inactive ones too: their history stays readable)."""
    require(actor, CommissionPerm.VIEW)
    return User.objects.filter(assignable_owner_filter(actor, CommissionPerm.VIEW)).order_by("username")


def access_statement_rep(actor, pk) -> User:
    user = statement_reps(actor=actor).filter(pk=_pk(pk)).first()
    if user is None:
        raise Http404
    return user


def entries_visible(actor) -> QuerySet:
    return CommissionEntry.objects.filter(row_filter(actor, CommissionPerm.VIEW, owner="user", store="user__store"))


@dataclass
class StatementLine:
    entry_id: int
    order_id: int
    order_number: str
    customer: str
    product: str
    description: str
    basis: Decimal
    rate: Decimal
    amount: Decimal
    kind: str
    kind_label: str


@dataclass
class Statement:
    user: User
    period: dt.date
    currency: str
    lines: list[StatementLine] = field(default_factory=list)
    earned_total: Decimal = ZERO
    reversal_total: Decimal = ZERO
    sql: str = ""

    @property
    def total(self) -> Decimal:
        return self.earned_total + self.reversal_total

    @property
    def month(self) -> str:
        return month_label(self.period)


def commission_statement(*, actor, user_id, period: dt.date) -> Statement:
    """One rep's commission for one month: every ledger line with its order and customer, and totals.
    404 when the rep is not one whose statement the actor may open."""
    rep = access_statement_rep(actor, user_id)
    qs = (entries_visible(actor).filter(user_id=rep.pk, period=period)
          .select_related("order", "order__customer", "order_line", "order_line__product")
          .order_by("order__number", "order_line__position", "order_line_id", "kind", "id"))
    currency = actor.organization.currency
    statement = Statement(user=rep, period=period, currency=currency, sql=str(qs.query))
    kinds = dict(CommissionEntry.Kind.choices)
    for e in qs:
        line = e.order_line
        statement.lines.append(StatementLine(
            entry_id=e.pk, order_id=e.order_id, order_number=e.order.number, customer=e.order.customer.name,
            product=(line.product.name if line is not None and line.product_id else ""),
            description=(line.description if line is not None else ""), basis=e.basis_amount, rate=e.rate,
            amount=e.amount, kind=e.kind, kind_label=str(kinds.get(e.kind, e.kind)),
        ))
        statement.currency = e.currency
        if e.kind == CommissionEntry.Kind.EARNED:
            statement.earned_total += e.amount
        else:
            statement.reversal_total += e.amount
    return statement
