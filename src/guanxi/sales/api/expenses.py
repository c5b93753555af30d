"""Expense claims over JSON: the claimant's CRUD on drafts, submit, and approve/reject by a user
holding ExpensePerm.APPROVE over the claim (never the claimant). Reads go through
sales.selectors.expenses (404 for claims the caller may not see), writes through
sales.services.expenses; `opportunity_id` here is `opportunity` there."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from guanxi.customers.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    _known_query,
    _page,
    api_field_names,
)
from guanxi.customers.schemas import Id, Text, Unset
from guanxi.sales.api.money_schemas import IsoDate, Money
from guanxi.sales.models import ExpenseClaim
from guanxi.sales.permissions import ExpensePerm
from guanxi.sales.selectors import expenses as selectors
from guanxi.sales.services import expenses as services

router = Router(tags=["expenses"])
NAMES = {"opportunity": "opportunity_id"}
Category = Literal[tuple(ExpenseClaim.Category.values)]
Status_ = Literal[tuple(ExpenseClaim.Status.values)]


class ExpenseOut(Schema):
    id: int
    owner_id: int | None
    owner_name: str | None
    store_id: int | None
    opportunity_id: int | None
    opportunity_name: str | None
    category: str
    amount: str
    currency: str
    spent_on: dt.date
    description: str
    status: str
    has_receipt: bool
    receipt_name: str
    decided_by_id: int | None
    decided_at: dt.datetime | None
    decision_note: str
    created_at: dt.datetime
    updated_at: dt.datetime


class ExpensePage(Schema):
    items: list[ExpenseOut]
    count: int


class ExpenseListIn(Schema):
    status: Status_ = Unset()
    opportunity_id: Id = Unset()
    mine: bool = Field(False, description="Only the caller's own claims.")
    page: int = Field(1, ge=1, description="Pages past the end are empty.")
    page_size: int = Field(25, ge=1, le=200)


class ExpenseIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    opportunity_id: Id | None = Field(None, description="An opportunity the caller can see.")
    category: Category = "other"
    amount: Money
    spent_on: IsoDate = Field(description="Not in the future.")
    description: Text(300, 1)


class ExpensePatch(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    opportunity_id: Id | None = Unset()
    category: Category = Unset()
    amount: Money = Unset()
    spent_on: IsoDate = Unset()
    description: Text(300, 1) = Unset()


class DecisionIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    note: Text(300) = Field("", description="Required to reject.")


class DealCostOut(Schema):
    opportunity_id: int
    name: str
    customer: str
    claims: int
    cost: str
    amount: str
    share_percent: str | None


class DealCostPage(Schema):
    items: list[DealCostOut]
    count: int


class PageIn(Schema):
    page: int = Field(1, ge=1)
    page_size: int = Field(25, ge=1, le=200)


def expense_out(c: ExpenseClaim) -> dict:
    return {
        "id": c.pk, "owner_id": c.owner_id, "owner_name": c.owner.display_name if c.owner_id else None,
        "store_id": c.store_id, "opportunity_id": c.opportunity_id,
        "opportunity_name": c.opportunity.name if c.opportunity_id else None, "category": c.category,
        "amount": str(c.amount), "currency": c.currency, "spent_on": c.spent_on, "description": c.description,
        "status": c.status, "has_receipt": bool(c.receipt), "receipt_name": c.receipt_name,
        "decided_by_id": c.decided_by_id, "decided_at": c.decided_at, "decision_note": c.decision_note,
        "created_at": c.created_at, "updated_at": c.updated_at,
    }


def _data(payload: dict) -> dict:
    data = dict(payload)
    if "opportunity_id" in data:
        data["opportunity"] = data.pop("opportunity_id")
    return data


def _reload(actor, pk: int) -> dict:
    return expense_out(selectors.access_expense(actor, pk))


@router.get("", response={200: ExpensePage, **READ_ERRORS}, summary="List expense claims",
            operation_id="expenses_list")
def expenses_list(request, params: Query[ExpenseListIn]):
    """Claims the caller may see (reps: their own; managers: their store's), newest first."""
    _known_query(request, ExpenseListIn)
    qs = selectors.expense_list(actor=request.auth, status=params.status or "", mine=params.mine,
                                opportunity_id=params.opportunity_id)
    return _page(qs, params.page, params.page_size, expense_out)


@router.post("", response={201: ExpenseOut, **WRITE_ERRORS}, summary="Create an expense claim (draft)",
             operation_id="expenses_create")
def expenses_create(request, payload: ExpenseIn):
    with api_field_names(NAMES):
        claim = services.expense_create(actor=request.auth, data=_data(payload.model_dump()))
    return Status(201, _reload(request.auth, claim.pk))


# Declared before /{expense_id}.
@router.get("/deals", response={200: DealCostPage, **READ_ERRORS}, summary="Cost per deal",
            operation_id="expenses_cost_per_deal")
def expenses_deals(request, params: Query[PageIn]):
    """Approved claims the caller may see, added up per opportunity, largest cost first."""
    _known_query(request, PageIn)
    qs = selectors.cost_per_deal(actor=request.auth)
    count = qs.count()
    offset = (params.page - 1) * params.page_size
    rows = [] if offset >= count else selectors.deal_cost_rows(qs[offset:offset + params.page_size])
    return {"count": count, "items": [
        {"opportunity_id": r["pk"], "name": r["name"], "customer": r["customer__name"], "claims": r["claims"],
         "cost": str(r["cost"]), "amount": str(r["amount"]),
         "share_percent": None if r["share"] is None else str(r["share"])} for r in rows]}


@router.get("/{expense_id}", response={200: ExpenseOut, **READ_ERRORS}, summary="Get an expense claim",
            operation_id="expenses_get")
def expenses_get(request, expense_id: int):
    return _reload(request.auth, expense_id)


@router.patch("/{expense_id}", response={200: ExpenseOut, **WRITE_ERRORS}, summary="Change a draft claim",
              operation_id="expenses_update")
def expenses_update(request, expense_id: int, payload: ExpensePatch):
    """The claimant only, while the claim is a draft or was rejected (it becomes a draft again)."""
    claim = selectors.access_expense(request.auth, expense_id, ExpensePerm.CHANGE)
    with api_field_names(NAMES):
        services.expense_update(actor=request.auth, claim=claim, data=_data(payload.model_dump(exclude_unset=True)))
    return _reload(request.auth, expense_id)


@router.delete("/{expense_id}", response={204: None, **WRITE_ERRORS}, summary="Delete a draft claim",
               operation_id="expenses_delete")
def expenses_delete(request, expense_id: int):
    claim = selectors.access_expense(request.auth, expense_id, ExpensePerm.CHANGE)
    services.expense_delete(actor=request.auth, claim=claim)
    return Status(204, None)


@router.post("/{expense_id}/submit", response={200: ExpenseOut, **WRITE_ERRORS}, summary="Submit for approval",
             operation_id="expenses_submit")
def expenses_submit(request, expense_id: int):
    claim = selectors.access_expense(request.auth, expense_id, ExpensePerm.CHANGE)
    services.expense_submit(actor=request.auth, claim=claim)
    return _reload(request.auth, expense_id)


@router.post("/{expense_id}/approve", response={200: ExpenseOut, **WRITE_ERRORS}, summary="Approve a claim",
             operation_id="expenses_approve")
def expenses_approve(request, expense_id: int, payload: DecisionIn):
    """403 for the claimant themself and for users without approval rights over the claim."""
    claim = selectors.access_expense(request.auth, expense_id, ExpensePerm.APPROVE)
    services.expense_approve(actor=request.auth, claim=claim, note=payload.note)
    return _reload(request.auth, expense_id)


@router.post("/{expense_id}/reject", response={200: ExpenseOut, **WRITE_ERRORS}, summary="Reject a claim",
             operation_id="expenses_reject")
def expenses_reject(request, expense_id: int, payload: DecisionIn):
    claim = selectors.access_expense(request.auth, expense_id, ExpensePerm.APPROVE)
    services.expense_reject(actor=request.auth, claim=claim, note=payload.note)
    return _reload(request.auth, expense_id)
