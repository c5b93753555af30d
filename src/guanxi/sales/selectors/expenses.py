"""Reads of expense claims (SAL-10): lists, the approval queue, single-claim access and the cost
of each deal. Everything goes through the ExpensePerm.VIEW row rule: reps see their own claims,
managers their store's, owners, admins and read-only staff all."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, Q, QuerySet, Sum
from django.http import Http404

from guanxi.core.money import to_cents
from guanxi.core.permissions import has_perm, require, row_filter
from guanxi.sales.models import ExpenseClaim, Opportunity
from guanxi.sales.permissions import ExpensePerm, OpportunityPerm

ZERO = Decimal("0.00")
SUM_MONEY = DecimalField(max_digits=24, decimal_places=2)
STATUSES = tuple(ExpenseClaim.Status.values)


def _pk(value) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < pk < 2**63:
        raise Http404
    return pk


def expense_visible(actor) -> QuerySet:
    return ExpenseClaim.objects.filter(row_filter(actor, ExpensePerm.VIEW))


def expense_list(*, actor, status: str = "", opportunity_id: int | None = None, mine: bool = False) -> QuerySet:
    require(actor, ExpensePerm.VIEW)
    qs = expense_visible(actor)
    if status in STATUSES:
        qs = qs.filter(status=status)
    if opportunity_id:
        qs = qs.filter(opportunity_id=opportunity_id)
    if mine:
        qs = qs.filter(owner_id=actor.pk)
    return qs.select_related("owner", "store", "opportunity", "decided_by").order_by("-spent_on", "-id")


def approval_queue(*, actor) -> QuerySet:
    """Submitted claims the actor may decide: within their approval reach, never their own."""
    require(actor, ExpensePerm.APPROVE)
    return (expense_visible(actor).filter(row_filter(actor, ExpensePerm.APPROVE), status=ExpenseClaim.Status.SUBMITTED)
            .exclude(owner_id=actor.pk)
            .select_related("owner", "store", "opportunity").order_by("spent_on", "id"))


def access_expense(actor, pk, perm: ExpensePerm = ExpensePerm.VIEW) -> ExpenseClaim:
    """404 when the claim is missing or not visible; 403 when visible but `perm` is not held on it."""
    claim = (expense_visible(actor).select_related("owner", "store", "opportunity", "decided_by")
             .filter(pk=_pk(pk)).first())
    if claim is None:
        raise Http404
    if perm != ExpensePerm.VIEW:
        require(actor, perm, claim)
    return claim


def claimable_opportunities(*, actor) -> QuerySet:
    """Opportunities a claim may name: those the claimant can see."""
    return (Opportunity.objects.filter(row_filter(actor, OpportunityPerm.VIEW))
            .select_related("customer").order_by("-created_at", "-id"))


@dataclass
class OpportunityExpenses:
    """The claims on one opportunity that the actor may see, and what they add up to."""

    claims: list[ExpenseClaim] = field(default_factory=list)
    approved_total: Decimal = ZERO
    pending_total: Decimal = ZERO
    approved_count: int = 0


def expenses_for_opportunity(actor, opportunity: Opportunity) -> OpportunityExpenses:
    """For the opportunity page: the visible claims on it (newest first), the approved cost of the
    deal and what is still waiting for approval. Empty for users who may not see expenses."""
    result = OpportunityExpenses()
    if not has_perm(actor, ExpensePerm.VIEW):
        return result
    claims = list(expense_visible(actor).filter(opportunity_id=opportunity.pk)
                  .select_related("owner", "decided_by").order_by("-spent_on", "-id"))
    result.claims = claims
    for claim in claims:
        if claim.status == ExpenseClaim.Status.APPROVED:
            result.approved_total += claim.amount
            result.approved_count += 1
        elif claim.status == ExpenseClaim.Status.SUBMITTED:
            result.pending_total += claim.amount
    return result


def cost_per_deal(*, actor) -> QuerySet:
    """Approved claims added up per opportunity (only claims the actor may see), largest cost first;
    rows: opportunity id, name, customer name, amount, claim count, approved cost."""
    require(actor, ExpensePerm.VIEW)
    approved = Q(expenses__status=ExpenseClaim.Status.APPROVED)
    visible = Q(expenses__in=expense_visible(actor).filter(status=ExpenseClaim.Status.APPROVED).values("pk"))
    return (Opportunity.objects.filter(organization_id=actor.organization_id)
            .filter(pk__in=expense_visible(actor).filter(status=ExpenseClaim.Status.APPROVED,
                                                          opportunity__isnull=False).values("opportunity_id"))
            .values("pk", "name", "amount", "currency", "customer__name")
            .annotate(claims=Count("expenses", filter=approved & visible),
                      cost=Sum("expenses__amount", filter=approved & visible, output_field=SUM_MONEY))
            .order_by("-cost", "pk"))


def deal_cost_rows(qs) -> list[dict]:
    """cost_per_deal rows with the sums rounded to the cent and the cost as a share of the deal."""
    rows = []
    for r in qs:
        cost = to_cents(r["cost"] or 0)
        amount = to_cents(r["amount"] or 0)
        share = (cost * 100 / amount).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if amount else None
        rows.append({**r, "cost": cost, "amount": amount, "share": share})
    return rows
