"""Reads of opportunities (SAL-2, SAL-3): the list, the board, stage history, conversion rates.

Everything starts from `opportunity_visible(actor)` (the row rules incl. the territory rule), so
the list, the board, the API, the forecast and exports show the same records. Money sums are
done by the database on NUMERIC columns and quantised to the cent, so they are exact Decimals
on PostgreSQL and on SQLite (whose float sums are read back with 15 significant digits and
rounded to the column's two places).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone

from guanxi.core.money import ZERO, to_cents
from guanxi.core.permissions import access_row, row_filter
from guanxi.customers.selectors import matching_customer_ids
from guanxi.sales.models import Opportunity, Pipeline, Stage, StageChange, Territory
from guanxi.sales.permissions import OpportunityPerm

# Client-facing sort names → ORDER BY; nothing else reaches order_by.
OPPORTUNITY_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "amount": ("amount", "id"),
    "-amount": ("-amount", "-id"),
    "close": ("expected_close", "id"),
    "-close": ("-expected_close", "-id"),
    "stage": ("stage__position", "position", "id"),
    "-stage": ("-stage__position", "-position", "-id"),
    "probability": ("probability", "id"),
    "-probability": ("-probability", "-id"),
    "owner": ("owner__username", "id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
}
DEFAULT_SORT = "-created"
STATUSES = ("open", "won", "lost")
MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
CARD_LIMIT = 50  # cards drawn per board column; the header counts them all
# Sums of amount × probability keep two decimals (the probability is a whole number).
SUM_FIELD = DecimalField(max_digits=30, decimal_places=2)


def month_range(value: str) -> tuple[dt.date, dt.date] | None:
    """"2026-03" → (2026-03-01, 2026-04-01); None when it is not a month."""
    match = MONTH_RE.match(value or "")
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if year < 1900:
        return None
    start = dt.date(year, month, 1)
    end = dt.date(year + (month == 12), month % 12 + 1, 1)
    return start, end


@dataclass
class OpportunityFilters:
    q: str = ""
    pipeline_id: int | None = None
    stage_id: int | None = None
    owner_id: int | None = None
    team_id: int | None = None
    territory_id: int | None = None
    close_month: str = ""
    status: str = ""
    customer_id: int | None = None
    extra: dict = field(default_factory=dict)


def opportunity_visible(actor) -> QuerySet:
    return Opportunity.objects.filter(row_filter(actor, OpportunityPerm.VIEW))


def _territory_subtree(actor, territory_id: int) -> QuerySet:
    root = Territory.objects.filter(organization_id=actor.organization_id, pk=territory_id).values_list(
        "path", flat=True).first()
    if root is None:
        return Territory.objects.none().values("pk")
    return Territory.objects.filter(organization_id=actor.organization_id, path__startswith=root).values("pk")


def _filtered(actor, f: OpportunityFilters) -> QuerySet:
    qs = opportunity_visible(actor)
    if f.q:
        q = f.q.strip()
        qs = qs.filter(Q(name__icontains=q) | Q(customer__name__icontains=q) | Q(customer_id__in=matching_customer_ids(q)))
    for name in ("pipeline_id", "stage_id", "owner_id", "customer_id"):
        value = getattr(f, name)
        if value:
            qs = qs.filter(**{name: value})
    if f.team_id:
        qs = qs.filter(owner__team_id=f.team_id)
    if f.territory_id:
        qs = qs.filter(territory_id__in=_territory_subtree(actor, f.territory_id))
    months = month_range(f.close_month)
    if months:
        qs = qs.filter(expected_close__gte=months[0], expected_close__lt=months[1])
    if f.status == "open":
        qs = qs.filter(stage__is_won=False, stage__is_lost=False)
    elif f.status == "won":
        qs = qs.filter(stage__is_won=True)
    elif f.status == "lost":
        qs = qs.filter(stage__is_lost=True)
    return qs


def opportunity_list(*, actor, filters: OpportunityFilters | None = None, sort: str = DEFAULT_SORT) -> QuerySet:
    qs = _filtered(actor, filters or OpportunityFilters())
    order = OPPORTUNITY_SORTS.get(sort) or OPPORTUNITY_SORTS[DEFAULT_SORT]
    return qs.select_related("customer", "contact", "owner", "stage", "pipeline", "territory").order_by(*order)


def _pk(value) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < pk < 2**63:
        raise Http404
    return pk


# What the opportunity pages show with the record; a caller that only acts on it passes related=().
ACCESS_RELATED = ("customer", "contact", "owner", "stage", "pipeline", "territory", "created_by")


def access_opportunity(actor, pk, perm: OpportunityPerm = OpportunityPerm.VIEW, *,
                       related: tuple[str, ...] = ACCESS_RELATED) -> Opportunity:
    """404 when missing or invisible, 403 when visible but `perm` is not allowed on it."""
    return access_row(opportunity_visible(actor), actor, _pk(pk), perm, view=OpportunityPerm.VIEW, related=related)


def pipeline_list(*, actor, include_inactive: bool = False) -> QuerySet:
    qs = Pipeline.objects.filter(organization_id=actor.organization_id)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("-is_default", "position", "id")


def pipeline_get(*, actor, pk) -> Pipeline:
    pipeline = Pipeline.objects.filter(organization_id=actor.organization_id, pk=_pk(pk)).first()
    if pipeline is None:
        raise Http404
    return pipeline


def stages_of(pipeline: Pipeline) -> list[Stage]:
    return list(Stage.objects.filter(organization_id=pipeline.organization_id, pipeline=pipeline)
                .order_by("position", "id"))


# --- the board -----------------------------------------------------------------------------

@dataclass
class Totals:
    count: int = 0
    amount: Decimal = ZERO
    weighted: Decimal = ZERO


@dataclass
class BoardColumn:
    stage: Stage
    totals: Totals
    cards: list[Opportunity]

    @property
    def hidden(self) -> int:
        return self.totals.count - len(self.cards)


def _weighted(amount_times_probability) -> Decimal:
    """Σ(amount × probability %) → money, rounded half-up once for the whole group."""
    return to_cents((amount_times_probability or Decimal(0)) / Decimal(100))


def grouped_totals(qs: QuerySet, key: str) -> dict:
    """{key value: Totals} in one aggregate query."""
    rows = (qs.order_by().values(key)
            .annotate(n=Count("id"), amount_sum=Sum("amount", output_field=SUM_FIELD),
                      weighted_sum=Sum(F("amount") * F("probability"), output_field=SUM_FIELD)))
    return {row[key]: Totals(row["n"], to_cents(row["amount_sum"] or 0), _weighted(row["weighted_sum"]))
            for row in rows}


def board_totals(*, actor, pipeline: Pipeline, filters: OpportunityFilters | None = None) -> dict[int, Totals]:
    f = filters or OpportunityFilters()
    qs = _filtered(actor, OpportunityFilters(**{**f.__dict__, "pipeline_id": pipeline.pk, "stage_id": None}))
    return grouped_totals(qs, "stage_id")


# What a card shows (sales/opportunities/_card.html) and how the board places it; the cards load
# only these columns (another field read on a card would cost a query per card).
CARD_FIELDS = ("id", "organization_id", "name", "amount", "currency", "probability", "expected_close", "pipeline_id",
               "stage_id", "position", "customer_id", "owner_id", "customer__id", "customer__organization_id",
               "customer__name", "owner__id", "owner__username", "owner__first_name", "owner__last_name")


def board_data(*, actor, pipeline: Pipeline, filters: OpportunityFilters | None = None) -> list[BoardColumn]:
    """The kanban of one pipeline: a column per stage with its count, sum and weighted sum, and
    its first CARD_LIMIT cards in board order. Four queries whatever the number of cards: the
    stages, the totals over every visible card, the ids of the cards (the visible opportunities
    ranked per column by a window function over their board order alone, no join to carry), then
    those ≤ CARD_LIMIT per column with their customer and owner, by primary key."""
    f = filters or OpportunityFilters()
    qs = _filtered(actor, OpportunityFilters(**{**f.__dict__, "pipeline_id": pipeline.pk, "stage_id": None}))
    stages = stages_of(pipeline)
    first = list(qs.annotate(rank=Window(RowNumber(), partition_by=[F("stage_id")],
                                         order_by=[F("position").asc(), F("id").asc()]))
                 .filter(rank__lte=CARD_LIMIT).order_by().values_list("pk", flat=True))
    ranked = (Opportunity.objects.filter(organization_id=actor.organization_id, pk__in=first)
              .select_related("customer", "owner").only(*CARD_FIELDS).order_by("stage_id", "position", "id"))
    cards: dict[int, list[Opportunity]] = {}
    for opp in ranked:
        cards.setdefault(opp.stage_id, []).append(opp)
    totals = grouped_totals(qs, "stage_id")
    return [BoardColumn(stage=s, totals=totals.get(s.pk, Totals()), cards=cards.get(s.pk, [])) for s in stages]


# --- history, time in stage, conversion ------------------------------------------------------

@dataclass
class HistoryRow:
    change: StageChange
    entered_at: dt.datetime
    left_at: dt.datetime | None
    seconds: int
    current: bool

    @property
    def stage(self) -> Stage:
        return self.change.to_stage

    @property
    def days(self) -> Decimal:
        return (Decimal(self.seconds) / Decimal(86400)).quantize(Decimal("0.1"))


def stage_history(*, opportunity: Opportunity, now: dt.datetime | None = None) -> list[HistoryRow]:
    """Each stay in a stage, oldest first, with how long it lasted (the current one: until now).
    The caller accessed `opportunity` already."""
    now = now or timezone.now()
    changes = list(StageChange.objects.filter(opportunity=opportunity)
                   .select_related("from_stage", "to_stage", "actor").order_by("at", "id"))
    rows = []
    for i, change in enumerate(changes):
        nxt = changes[i + 1] if i + 1 < len(changes) else None
        left = nxt.at if nxt else None
        if nxt is not None and nxt.seconds_in_previous is not None:
            seconds = int(nxt.seconds_in_previous)
        else:
            seconds = max(int(((left or now) - change.at).total_seconds()), 0)
        rows.append(HistoryRow(change=change, entered_at=change.at, left_at=left, seconds=seconds, current=nxt is None))
    return rows


def time_in_stage(*, opportunity: Opportunity, now: dt.datetime | None = None) -> dict[int, int]:
    """Total seconds the opportunity spent in each stage (a stage visited twice adds up)."""
    totals: dict[int, int] = {}
    for row in stage_history(opportunity=opportunity, now=now):
        totals[row.stage.pk] = totals.get(row.stage.pk, 0) + row.seconds
    return totals


@dataclass
class ConversionStep:
    stage: Stage
    reached: int
    next_stage: Stage | None
    reached_next: int
    average_days: Decimal | None

    @property
    def rate(self) -> Decimal | None:
        """Share (0–1, four places) of the opportunities that reached this stage and went on to the next."""
        if self.next_stage is None or not self.reached:
            return None
        return (Decimal(self.reached_next) / Decimal(self.reached)).quantize(Decimal("0.0001"))

    @property
    def percent(self) -> Decimal | None:
        rate = self.rate
        return None if rate is None else (rate * 100).quantize(Decimal("0.1"))


def conversion_rates(*, actor, pipeline: Pipeline, filters: OpportunityFilters | None = None) -> list[ConversionStep]:
    """Stage-to-stage conversion read from the stage history (SAL-3).

    The funnel is the open stages in board order, then the won stage(s). An opportunity reached
    stage k when its history ever entered stage k or a later funnel stage (skipping a stage
    counts as passing it); moving to "lost" ends its way down. The rate of step k is
    reached(k+1) / reached(k). Average days is the mean stay in the stage over completed stays."""
    f = filters or OpportunityFilters()
    visible = _filtered(actor, OpportunityFilters(**{**f.__dict__, "pipeline_id": pipeline.pk, "stage_id": None}))
    stages = stages_of(pipeline)
    funnel = [s for s in stages if not s.is_closed] + [s for s in stages if s.is_won]
    index = {s.pk: i for i, s in enumerate(funnel)}
    history = StageChange.objects.filter(opportunity__in=visible.values("pk"), to_stage__pipeline=pipeline)
    top: dict[int, int] = {}
    for opp_id, stage_id in history.order_by().values_list("opportunity_id", "to_stage_id").distinct():
        if stage_id in index:
            top[opp_id] = max(top.get(opp_id, -1), index[stage_id])
    reached = [0] * len(funnel)
    for highest in top.values():
        for i in range(highest + 1):
            reached[i] += 1
    durations = {row["from_stage_id"]: row for row in history.filter(from_stage__isnull=False).order_by()
                 .values("from_stage_id").annotate(total=Sum("seconds_in_previous"), n=Count("id"))}
    steps = []
    for i, stage in enumerate(funnel):
        nxt = funnel[i + 1] if i + 1 < len(funnel) and not stage.is_won else None
        row = durations.get(stage.pk)
        average = (Decimal(row["total"] or 0) / Decimal(row["n"]) / Decimal(86400)).quantize(Decimal("0.1")) \
            if row and row["n"] else None
        steps.append(ConversionStep(stage=stage, reached=reached[i], next_stage=nxt,
                                    reached_next=reached[i + 1] if nxt is not None else 0, average_days=average))
    return steps
