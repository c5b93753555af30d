"""Commission over JSON: the rules (CommissionPerm.MANAGE to change them) and monthly statements.

Reads go through sales.selectors.commission (404 for rules and reps the caller may not reach),
writes through sales.services.commission. The API speaks `user_id`/`product_id` where the
services speak `user`/`product`; errors are renamed on the way out.
"""

from __future__ import annotations

from typing import Literal

from django.http import Http404
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from guanxi.core.permissions import require
from guanxi.customers.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    _known_query,
    api_field_names,
)
from guanxi.customers.schemas import Id, Text, Unset
from guanxi.sales.api.money_schemas import Month, Percent, Rate
from guanxi.sales.models import CommissionRule
from guanxi.sales.periods import month_label, month_of, org_tz, parse_month
from guanxi.sales.permissions import CommissionPerm
from guanxi.sales.selectors import commission as selectors
from guanxi.sales.services import commission as services

router = Router(tags=["commission"])
NAMES = {"user": "user_id", "product": "product_id"}
Basis = Literal["revenue", "margin"]


class CommissionRuleOut(Schema):
    id: int
    name: str
    user_id: int | None
    user_name: str | None
    product_id: int | None
    product_name: str | None
    basis: str
    rate: str = Field(description="0.0500 = 5%")
    min_margin_percent: str | None
    priority: int
    is_active: bool


class RuleList(Schema):
    items: list[CommissionRuleOut]
    count: int


class CommissionRuleIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Text(100, 1)
    user_id: Id | None = Field(None, description="Only this rep's order lines; null: every rep.")
    product_id: Id | None = Field(None, description="Only lines of this product; null: every product.")
    basis: Basis = "revenue"
    rate: Rate
    min_margin_percent: Percent | None = Field(None, description="Lines under this margin earn nothing.")
    priority: int = Field(100, ge=0, le=32767, description="Between equally specific rules the lower wins.")
    is_active: bool = True


class CommissionRulePatch(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Text(100, 1) = Unset()
    user_id: Id | None = Unset()
    product_id: Id | None = Unset()
    basis: Basis = Unset()
    rate: Rate = Unset()
    min_margin_percent: Percent | None = Unset()
    priority: int = Unset(ge=0, le=32767)
    is_active: bool = Unset()


class StatementIn(Schema):
    user: Id = Unset(description="The rep; not sent: the caller.")
    month: Month = Unset(description="Not sent: this month (the organisation's time zone).")


class StatementLineOut(Schema):
    entry_id: int
    order_id: int
    order_number: str
    customer: str
    product: str
    description: str
    kind: Literal["earned", "reversal"]
    basis: str
    rate: str
    amount: str


class StatementOut(Schema):
    user_id: int
    user_name: str
    month: str
    currency: str
    lines: list[StatementLineOut]
    earned_total: str
    reversal_total: str
    total: str


def rule_out(r: CommissionRule) -> dict:
    return {
        "id": r.pk, "name": r.name, "user_id": r.user_id, "user_name": r.user.display_name if r.user_id else None,
        "product_id": r.product_id, "product_name": r.product.name if r.product_id else None, "basis": r.basis,
        "rate": str(r.rate), "min_margin_percent": None if r.min_margin_percent is None else str(r.min_margin_percent),
        "priority": r.priority, "is_active": r.is_active,
    }


def _data(payload: dict) -> dict:
    data = dict(payload)
    for api_name, name in (("user_id", "user"), ("product_id", "product")):
        if api_name in data:
            data[name] = data.pop(api_name)
    return data


def _visible_rule(actor, rule_id: int) -> CommissionRule:
    rule = selectors.commission_rule_list(actor=actor).filter(pk=rule_id).first()
    if rule is None:
        raise Http404
    return rule


@router.get("/rules", response={200: RuleList, **READ_ERRORS}, summary="List commission rules",
            operation_id="commission_rules_list")
def rules_list(request):
    """Rules for everyone plus the rep-specific rules of reps whose commission the caller may see."""
    _known_query(request, Schema)
    items = [rule_out(r) for r in selectors.commission_rule_list(actor=request.auth)]
    return {"items": items, "count": len(items)}


@router.post("/rules", response={201: CommissionRuleOut, **WRITE_ERRORS}, summary="Create a commission rule",
             operation_id="commission_rules_create")
def rules_create(request, payload: CommissionRuleIn):
    with api_field_names(NAMES):
        rule = services.commission_rule_create(actor=request.auth, data=_data(payload.model_dump()))
    return Status(201, rule_out(_visible_rule(request.auth, rule.pk)))


@router.get("/rules/{rule_id}", response={200: CommissionRuleOut, **READ_ERRORS}, summary="Get a commission rule",
            operation_id="commission_rules_get")
def rules_get(request, rule_id: int):
    return rule_out(_visible_rule(request.auth, rule_id))


@router.patch("/rules/{rule_id}", response={200: CommissionRuleOut, **WRITE_ERRORS}, summary="Change a commission rule",
              operation_id="commission_rules_update")
def rules_update(request, rule_id: int, payload: CommissionRulePatch):
    """Only the fields sent change. Earned commission keeps the rate it was earned at."""
    rule = _visible_rule(request.auth, rule_id)
    require(request.auth, CommissionPerm.MANAGE)
    with api_field_names(NAMES):
        services.commission_rule_update(actor=request.auth, rule=rule, data=_data(payload.model_dump(exclude_unset=True)))
    return rule_out(_visible_rule(request.auth, rule_id))


@router.delete("/rules/{rule_id}", response={204: None, **READ_ERRORS}, summary="Delete a commission rule",
               operation_id="commission_rules_delete")
def rules_delete(request, rule_id: int):
    rule = _visible_rule(request.auth, rule_id)
    services.commission_rule_delete(actor=request.auth, rule=rule)
    return Status(204, None)


@router.get("/statement", response={200: StatementOut, **READ_ERRORS}, summary="A rep's monthly statement",
            operation_id="commission_statement")
def statement(request, params: Query[StatementIn]):
    """Every ledger line of the rep in the month (earnings of orders paid in it, reversals of orders
    cancelled in it) with totals. Reps read their own, managers their store's, admins everyone's."""
    _known_query(request, StatementIn)
    actor = request.auth
    require(actor, CommissionPerm.VIEW)
    period = parse_month(params.month, default=month_of(None, org_tz(actor.organization_id)))
    s = selectors.commission_statement(actor=actor, user_id=params.user or actor.pk, period=period)
    return {
        "user_id": s.user.pk, "user_name": s.user.display_name, "month": month_label(s.period),
        "currency": s.currency, "earned_total": str(s.earned_total), "reversal_total": str(s.reversal_total),
        "total": str(s.total),
        "lines": [{"entry_id": ln.entry_id, "order_id": ln.order_id, "order_number": ln.order_number,
                   "customer": ln.customer, "product": ln.product, "description": ln.description, "kind": ln.kind,
                   "basis": str(ln.basis), "rate": str(ln.rate), "amount": str(ln.amount)} for ln in s.lines],
    }
