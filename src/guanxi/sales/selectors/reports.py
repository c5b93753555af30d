"""The sales reports of issue 3: pipeline by stage, won/lost by month, forecast vs quota and lead
source conversion. Each returns a `Report`: columns, rows, totals, the data its chart draws and
the SQL it ran (reports show their SQL).

Rows are what the actor may see twice over: the report's own row rule (SalesReportPerm.VIEW, and
EXPORT too for an export) and the rule of the records it adds up (OpportunityPerm.VIEW,
LeadPerm.VIEW). A rep therefore sees only their own figures, a manager their store's.

Money is added up by the database (NUMERIC on PostgreSQL) and rounded half-up to the cent here.
A weighted amount is Σ(amount × probability) / 100 over the group, rounded once at the end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db.models import Case, Count, DecimalField, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.models import User
from guanxi.core.money import to_cents
from guanxi.core.permissions import Perm, require, row_filter
from guanxi.sales.models import Lead, Opportunity, Pipeline, Quota
from guanxi.sales.periods import (
    month_bounds,
    month_label,
    month_of,
    next_month,
    org_tz,
    parse_month,
    year_bounds,
)
from guanxi.sales.permissions import LeadPerm, OpportunityPerm, SalesReportPerm

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
SUM_MONEY = DecimalField(max_digits=24, decimal_places=2)
REPORTS = ("pipeline", "won-lost", "forecast", "lead-sources")


def report_titles() -> dict[str, str]:
    return {
        "pipeline": _("Pipeline by stage"),
        "won-lost": _("Won and lost by month"),
        "forecast": _("Forecast vs quota"),
        "lead-sources": _("Lead source conversion"),
    }


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"  # text | int | money | percent


@dataclass
class Report:
    name: str
    title: str
    columns: list[Column]
    rows: list[dict]
    totals: dict | None
    chart: dict
    sql: list[str]
    params: dict = field(default_factory=dict)

    def table(self) -> list[list]:
        """Rows as lists in column order (templates and exports)."""
        return [[row.get(c.key) for c in self.columns] for row in self.rows]

    def totals_list(self) -> list | None:
        return [self.totals.get(c.key) for c in self.columns] if self.totals else None


@dataclass
class ReportParams:
    pipeline_id: int | None = None
    year: int | None = None
    month: dt.date | None = None


def parse_report_params(query) -> ReportParams:
    """?pipeline=&year=&month= (a page's GET or the API's query) → ReportParams; a
    ValidationError({field: [...]}) for a bad value."""
    params = ReportParams()
    pipeline, year, month = (str(query.get(k) or "").strip() for k in ("pipeline", "year", "month"))
    if pipeline:
        if not pipeline.isdigit() or len(pipeline) > 18:
            raise ValidationError({"pipeline": [_("Choose a valid pipeline.")]})
        params.pipeline_id = int(pipeline)
    if year:
        if not (year.isdigit() and len(year) == 4 and 2000 <= int(year) <= 2100):
            raise ValidationError({"year": [_("Enter a year from 2000 to 2100.")]})
        params.year = int(year)
    if month:
        params.month = parse_month(month)
    return params


def percent(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _cents(value) -> Decimal:
    return to_cents(value) if value is not None else ZERO


def _weighted(value) -> Decimal:
    """Σ(amount × probability) → money: divided by 100 and rounded once."""
    return to_cents(Decimal(value) / HUNDRED) if value is not None else ZERO


def _scope(actor, model_perm: Perm, extra: tuple[Perm, ...]) -> Q:
    q = row_filter(actor, model_perm)
    for perm in (SalesReportPerm.VIEW, *extra):
        q &= row_filter(actor, perm)
    return q


def opportunities_in_reach(actor, extra: tuple[Perm, ...] = ()) -> QuerySet:
    return Opportunity.objects.filter(_scope(actor, OpportunityPerm.VIEW, extra))


def leads_in_reach(actor, extra: tuple[Perm, ...] = ()) -> QuerySet:
    return Lead.objects.filter(_scope(actor, LeadPerm.VIEW, extra))


def _start(actor, extra: tuple[Perm, ...]) -> None:
    require(actor, SalesReportPerm.VIEW)
    for perm in extra:
        require(actor, perm)


# --- pipeline by stage -----------------------------------------------------------------------

def pipeline_choices(actor) -> QuerySet:
    return Pipeline.objects.filter(organization_id=actor.organization_id, is_active=True).order_by("position", "id")


def _pipeline(actor, pipeline_id: int | None) -> Pipeline | None:
    pipelines = pipeline_choices(actor)
    if pipeline_id is None:
        return pipelines.filter(is_default=True).first() or pipelines.first()
    pipeline = pipelines.filter(pk=pipeline_id).first()
    if pipeline is None:
        raise ValidationError({"pipeline": [_("Choose a valid pipeline.")]})
    return pipeline


def pipeline_by_stage(*, actor, pipeline_id: int | None = None, extra: tuple[Perm, ...] = ()) -> Report:
    """Every stage of one pipeline: how many opportunities sit in it, their amount and weighted amount."""
    _start(actor, extra)
    pipeline = _pipeline(actor, pipeline_id)
    stages = list(pipeline.stages.order_by("position", "id")) if pipeline else []
    qs = (opportunities_in_reach(actor, extra).filter(pipeline=pipeline)
          .values("stage_id").order_by("stage_id")
          .annotate(n=Count("id"), total=Sum("amount", output_field=SUM_MONEY),
                    weighted=Sum(F("amount") * F("probability"), output_field=SUM_MONEY)))
    sql = [str(qs.query)] if pipeline else []
    found = {r["stage_id"]: r for r in qs} if pipeline else {}
    rows = []
    for stage in stages:
        r = found.get(stage.pk, {})
        state = _("Won") if stage.is_won else _("Lost") if stage.is_lost else _("Open")
        rows.append({"stage": stage.name, "state": state, "probability": stage.probability, "count": r.get("n", 0),
                     "amount": _cents(r.get("total")), "weighted": _weighted(r.get("weighted"))})
    totals = {"stage": _("Total"), "count": sum(r["count"] for r in rows),
              "amount": sum((r["amount"] for r in rows), ZERO), "weighted": sum((r["weighted"] for r in rows), ZERO)}
    chart = {"type": "funnel", "series": [
        {"name": s.name, "value": str(r["amount"]), "count": r["count"]}
        for s, r in zip(stages, rows, strict=True) if not s.is_lost
    ]}
    columns = [Column("stage", _("Stage")), Column("state", _("State")), Column("probability", _("Probability (%)"), "int"),
               Column("count", _("Opportunities"), "int"), Column("amount", _("Amount"), "money"),
               Column("weighted", _("Weighted amount"), "money")]
    return Report("pipeline", report_titles()["pipeline"], columns, rows, totals, chart, sql,
                  {"pipeline": pipeline.pk if pipeline else None, "pipeline_name": pipeline.name if pipeline else ""})


# --- won / lost by month ---------------------------------------------------------------------

def won_lost_by_month(*, actor, year: int | None = None, extra: tuple[Perm, ...] = ()) -> Report:
    """Opportunities closed won or lost in each month of a year (by their close time, in the
    organisation's time zone): count and amount of each, and the win rate by count."""
    _start(actor, extra)
    tz = org_tz(actor.organization_id)
    year = year or timezone.localtime(timezone.now(), tz).year
    start, end = year_bounds(year, tz)
    # The month in the organisation's time zone, as comparisons with the 11 month starts inside the
    # year (aware datetimes, so any zone and its DST are right): plain SQL on both databases, where
    # TruncMonth(tzinfo) runs a Python function per row on SQLite.
    month = Case(*[When(closed_at__lt=month_bounds(dt.date(year, m + 1, 1), tz)[0], then=Value(m))
                   for m in range(1, 12)], default=Value(12), output_field=IntegerField())
    qs = (opportunities_in_reach(actor, extra)
          .filter(closed_at__gte=start, closed_at__lt=end)
          .filter(Q(stage__is_won=True) | Q(stage__is_lost=True))
          .annotate(month=month)
          .values("month", "stage__is_won").order_by("month", "stage__is_won")
          .annotate(n=Count("id"), amount=Sum("amount", output_field=SUM_MONEY)))
    sql = [str(qs.query)]
    months = {dt.date(year, m, 1): {"won_count": 0, "won_amount": ZERO, "lost_count": 0, "lost_amount": ZERO}
              for m in range(1, 13)}
    for r in qs:
        key = dt.date(year, r["month"], 1)
        side = "won" if r["stage__is_won"] else "lost"
        months[key][f"{side}_count"] += r["n"]
        months[key][f"{side}_amount"] += _cents(r["amount"])
    rows = []
    for period, v in months.items():
        rows.append({"month": month_label(period), **v,
                     "win_rate": percent(v["won_count"], v["won_count"] + v["lost_count"])})
    totals = {"month": _("Total")}
    for key in ("won_count", "lost_count"):
        totals[key] = sum(r[key] for r in rows)
    for key in ("won_amount", "lost_amount"):
        totals[key] = sum((r[key] for r in rows), ZERO)
    totals["win_rate"] = percent(totals["won_count"], totals["won_count"] + totals["lost_count"])
    chart = {"type": "bar", "categories": [r["month"] for r in rows], "series": [
        {"name": _("Won amount"), "kind": "won", "data": [str(r["won_amount"]) for r in rows]},
        {"name": _("Lost amount"), "kind": "lost", "data": [str(r["lost_amount"]) for r in rows]},
    ]}
    columns = [Column("month", _("Month")), Column("won_count", _("Won"), "int"),
               Column("won_amount", _("Won amount"), "money"), Column("lost_count", _("Lost"), "int"),
               Column("lost_amount", _("Lost amount"), "money"), Column("win_rate", _("Win rate (%)"), "percent")]
    return Report("won-lost", report_titles()["won-lost"], columns, rows, totals, chart, sql, {"year": year})


# --- forecast vs quota -----------------------------------------------------------------------

def forecast_vs_quota(*, actor, month: dt.date | None = None, extra: tuple[Perm, ...] = ()) -> Report:
    """Per rep, for one month: quota, amount won (closed won in the month), and the open pipeline
    expected to close in the month (amount and weighted amount); attainment = won / quota."""
    _start(actor, extra)
    tz = org_tz(actor.organization_id)
    period = month or month_of(None, tz)
    start, end = month_bounds(period, tz)
    opps = opportunities_in_reach(actor, extra)
    open_qs = (opps.filter(stage__is_won=False, stage__is_lost=False, expected_close__gte=period,
                           expected_close__lt=next_month(period))
               .values("owner_id").order_by("owner_id")
               .annotate(n=Count("id"), total=Sum("amount", output_field=SUM_MONEY),
                         weighted=Sum(F("amount") * F("probability"), output_field=SUM_MONEY)))
    won_qs = (opps.filter(stage__is_won=True, closed_at__gte=start, closed_at__lt=end)
              .values("owner_id").order_by("owner_id")
              .annotate(n=Count("id"), amount=Sum("amount", output_field=SUM_MONEY)))
    quota_scope = row_filter(actor, SalesReportPerm.VIEW, owner="user", store="user__store")
    for perm in extra:
        quota_scope &= row_filter(actor, perm, owner="user", store="user__store")
    quota_qs = Quota.objects.filter(quota_scope, period=period).values("user_id", "amount").order_by("user_id")
    sql = [str(open_qs.query), str(won_qs.query), str(quota_qs.query)]
    by_rep: dict[int | None, dict] = {}

    def rep(user_id):
        return by_rep.setdefault(user_id, {"quota": None, "won_count": 0, "won_amount": ZERO, "open_count": 0,
                                           "open_amount": ZERO, "weighted": ZERO})

    for r in quota_qs:
        rep(r["user_id"])["quota"] = _cents(r["amount"])
    for r in won_qs:
        rep(r["owner_id"]).update(won_count=r["n"], won_amount=_cents(r["amount"]))
    for r in open_qs:
        rep(r["owner_id"]).update(open_count=r["n"], open_amount=_cents(r["total"]),
                                  weighted=_weighted(r["weighted"]))
    names = {u.pk: u for u in User.objects.filter(organization_id=actor.organization_id,
                                                  pk__in=[k for k in by_rep if k])}
    rows = []
    for user_id, v in by_rep.items():
        user = names.get(user_id)
        rows.append({"rep": user.display_name if user else _("(no owner)"), "username": user.username if user else "",
                     **v, "attainment": percent(v["won_amount"], v["quota"]),
                     "projected": v["won_amount"] + v["weighted"]})
    rows.sort(key=lambda r: (r["username"] == "", r["username"]))
    totals = {"rep": _("Total"), "quota": sum((r["quota"] or ZERO for r in rows), ZERO)}
    for key in ("won_count", "open_count"):
        totals[key] = sum(r[key] for r in rows)
    for key in ("won_amount", "open_amount", "weighted", "projected"):
        totals[key] = sum((r[key] for r in rows), ZERO)
    totals["attainment"] = percent(totals["won_amount"], totals["quota"])
    chart = {"type": "bar", "categories": [r["rep"] for r in rows], "series": [
        {"name": _("Quota"), "kind": "quota", "data": [str(r["quota"] or ZERO) for r in rows]},
        {"name": _("Won amount"), "kind": "won", "data": [str(r["won_amount"]) for r in rows]},
        {"name": _("Weighted open amount"), "kind": "weighted", "data": [str(r["weighted"]) for r in rows]},
    ]}
    columns = [Column("rep", _("Rep")), Column("quota", _("Quota"), "money"),
               Column("won_count", _("Won"), "int"), Column("won_amount", _("Won amount"), "money"),
               Column("attainment", _("Attainment (%)"), "percent"), Column("open_count", _("Open"), "int"),
               Column("open_amount", _("Open amount"), "money"),
               Column("weighted", _("Weighted open amount"), "money"),
               Column("projected", _("Won + weighted"), "money")]
    return Report("forecast", report_titles()["forecast"], columns, rows, totals, chart, sql,
                  {"month": month_label(period)})


# --- lead source conversion ------------------------------------------------------------------

def lead_source_conversion(*, actor, year: int | None = None, extra: tuple[Perm, ...] = ()) -> Report:
    """Leads created in a year by source: how many, how many were converted, the conversion rate,
    and the amount of the opportunities they became that were won."""
    _start(actor, extra)
    tz = org_tz(actor.organization_id)
    year = year or timezone.localtime(timezone.now(), tz).year
    start, end = year_bounds(year, tz)
    qs = (leads_in_reach(actor, extra).filter(created_at__gte=start, created_at__lt=end)
          .values("source").order_by("source")
          .annotate(n=Count("id"), converted=Count("id", filter=Q(converted_at__isnull=False)),
                    won=Count("id", filter=Q(converted_opportunity__stage__is_won=True)),
                    won_amount=Sum("converted_opportunity__amount", filter=Q(converted_opportunity__stage__is_won=True),
                                   output_field=SUM_MONEY)))
    sql = [str(qs.query)]
    labels = dict(Lead.Source.choices)
    rows = [{"source": str(labels.get(r["source"], r["source"])), "code": r["source"], "leads": r["n"],
             "converted": r["converted"], "rate": percent(r["converted"], r["n"]), "won": r["won"],
             "won_amount": _cents(r["won_amount"])} for r in qs]
    rows.sort(key=lambda r: (-r["leads"], r["code"]))
    totals = {"source": _("Total"), "leads": sum(r["leads"] for r in rows),
              "converted": sum(r["converted"] for r in rows), "won": sum(r["won"] for r in rows),
              "won_amount": sum((r["won_amount"] for r in rows), ZERO)}
    totals["rate"] = percent(totals["converted"], totals["leads"])
    chart = {"type": "bar", "categories": [r["source"] for r in rows], "series": [
        {"name": _("Leads"), "kind": "leads", "data": [r["leads"] for r in rows]},
        {"name": _("Converted"), "kind": "converted", "data": [r["converted"] for r in rows]},
    ]}
    columns = [Column("source", _("Source")), Column("leads", _("Leads"), "int"),
               Column("converted", _("Converted"), "int"), Column("rate", _("Conversion rate (%)"), "percent"),
               Column("won", _("Won opportunities"), "int"), Column("won_amount", _("Won amount"), "money")]
    return Report("lead-sources", report_titles()["lead-sources"], columns, rows, totals, chart, sql, {"year": year})


def run_report(name: str, *, actor, params: ReportParams, extra: tuple[Perm, ...] = ()) -> Report:
    if name == "pipeline":
        return pipeline_by_stage(actor=actor, pipeline_id=params.pipeline_id, extra=extra)
    if name == "won-lost":
        return won_lost_by_month(actor=actor, year=params.year, extra=extra)
    if name == "forecast":
        return forecast_vs_quota(actor=actor, month=params.month, extra=extra)
    if name == "lead-sources":
        return lead_source_conversion(actor=actor, year=params.year, extra=extra)
    raise ValidationError({"name": [_("No such report.")]})
