"""The forecast (SAL-4): weighted pipeline by rep, team, territory or month of expected close, with
quotas and attainment.

- Pipeline: open opportunities whose expected close falls in the months asked for; weighted =
  Σ(amount × probability) / 100, rounded half-up once per row (never per deal, so nothing is lost
  to rounding); amounts are exact Decimals (see selectors.opportunities).
- Won: opportunities in a won stage closed (closed_at, in the current time zone) in those months.
- Quota: the sum of the reps' monthly quotas over those months; attainment = won ÷ quota.
- Who sees what: OpportunityPerm.VIEW_FORECAST with its row scope (a rep: their own deals and
  quota; a manager: their store; owners/admins/read-only: everything).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.models import Team, User
from guanxi.core.money import ZERO, to_cents
from guanxi.core.roles import Role
from guanxi.core.permissions import assignable_owner_filter, require, row_filter
from guanxi.sales.models import Opportunity, Quota, Territory
from guanxi.sales.permissions import OpportunityPerm
from guanxi.sales.selectors.opportunities import SUM_FIELD, Totals, _territory_subtree, grouped_totals, month_range

GROUPS = ("rep", "team", "territory", "month")
MAX_MONTHS = 36


@dataclass
class ForecastFilters:
    pipeline_id: int | None = None
    owner_id: int | None = None
    team_id: int | None = None
    territory_id: int | None = None


@dataclass
class ForecastRow:
    key: object
    label: str
    open: Totals = field(default_factory=Totals)
    won: Decimal = ZERO
    quota: Decimal | None = None

    @property
    def attainment(self) -> Decimal | None:
        """Won ÷ quota as a percentage with one decimal; None without a quota."""
        if not self.quota:
            return None
        return (self.won * 100 / self.quota).quantize(Decimal("0.1"))


@dataclass
class Forecast:
    group_by: str
    start: dt.date
    end: dt.date  # first day after the last month
    rows: list[ForecastRow]
    total: ForecastRow

    @property
    def months(self) -> list[str]:
        return month_keys(self.start, self.end)


def month_keys(start: dt.date, end: dt.date) -> list[str]:
    keys, day = [], start
    while day < end:
        keys.append(day.strftime("%Y-%m"))
        day = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return keys


def default_months(today: dt.date | None = None) -> tuple[str, str]:
    """This month and the five after it."""
    today = today or timezone.localdate()
    end_month = today.month + 5
    end = dt.date(today.year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1)
    return today.strftime("%Y-%m"), end.strftime("%Y-%m")


def months_between(first: str, last: str) -> tuple[dt.date, dt.date] | None:
    """("2026-01", "2026-03") → (2026-01-01, 2026-04-01); None when invalid, reversed or too long."""
    a, b = month_range(first), month_range(last)
    if a is None or b is None or b[1] <= a[0]:
        return None
    if len(month_keys(a[0], b[1])) > MAX_MONTHS:
        return None
    return a[0], b[1]


def _base(actor, f: ForecastFilters):
    qs = Opportunity.objects.filter(row_filter(actor, OpportunityPerm.VIEW_FORECAST))
    if f.pipeline_id:
        qs = qs.filter(pipeline_id=f.pipeline_id)
    if f.owner_id:
        qs = qs.filter(owner_id=f.owner_id)
    if f.team_id:
        qs = qs.filter(owner__team_id=f.team_id)
    if f.territory_id:
        qs = qs.filter(territory_id__in=_territory_subtree(actor, f.territory_id))
    return qs


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day), timezone.get_current_timezone())


def _month_key(value) -> str:
    return value.strftime("%Y-%m") if value else ""


def forecast(*, actor, group_by: str = "rep", start: dt.date, end: dt.date,
             filters: ForecastFilters | None = None) -> Forecast:
    require(actor, OpportunityPerm.VIEW_FORECAST)
    if group_by not in GROUPS:
        group_by = "rep"
    f = filters or ForecastFilters()
    base = _base(actor, f)
    tz = timezone.get_current_timezone()
    open_qs = base.filter(stage__is_won=False, stage__is_lost=False, expected_close__gte=start,
                          expected_close__lt=end)
    won_qs = base.filter(stage__is_won=True, closed_at__gte=_aware(start), closed_at__lt=_aware(end))
    key = {"rep": "owner_id", "team": "owner__team_id", "territory": "territory_id", "month": "month"}[group_by]
    if group_by == "month":
        open_qs = open_qs.annotate(month=TruncMonth("expected_close"))
        won_qs = won_qs.annotate(month=TruncMonth("closed_at", tzinfo=tz))
    open_totals = grouped_totals(open_qs, key)
    won_rows = won_qs.order_by().values(key).annotate(won=Sum("amount", output_field=SUM_FIELD))
    won = {row[key]: to_cents(row["won"] or 0) for row in won_rows}
    if group_by == "month":
        open_totals = {_month_key(k): v for k, v in open_totals.items()}
        won = {_month_key(k): v for k, v in won.items()}

    # Quotas of the reps whose numbers the actor may see (and who match the filters).
    reps = User.objects.filter(assignable_owner_filter(actor, OpportunityPerm.VIEW_FORECAST))
    if f.owner_id:
        reps = reps.filter(pk=f.owner_id)
    if f.team_id:
        reps = reps.filter(team_id=f.team_id)
    quota_qs = Quota.objects.filter(organization_id=actor.organization_id, user__in=reps.values("pk"),
                                    period__gte=start, period__lt=end)
    quotas: dict = {}
    if group_by in ("rep", "team", "month"):
        quota_key = {"rep": "user_id", "team": "user__team_id", "month": "period"}[group_by]
        for row in quota_qs.order_by().values(quota_key).annotate(total=Sum("amount", output_field=SUM_FIELD)):
            k = _month_key(row[quota_key]) if group_by == "month" else row[quota_key]
            quotas[k] = to_cents(row["total"] or 0)

    keys = set(open_totals) | set(won) | set(quotas)
    if group_by == "month":
        keys |= set(month_keys(start, end))
    labels = _labels(actor, group_by, keys)
    rows = [ForecastRow(key=k, label=labels.get(k, _("(none)")), open=open_totals.get(k, Totals()),
                        won=won.get(k, ZERO), quota=quotas.get(k) if group_by != "territory" else None)
            for k in keys]
    rows.sort(key=lambda r: (r.key is None, r.key if group_by == "month" else r.label))

    whole = open_qs.order_by().aggregate(amount_sum=Sum("amount", output_field=SUM_FIELD),
                                         weighted_sum=Sum(F("amount") * F("probability"), output_field=SUM_FIELD))
    total = ForecastRow(
        key="total", label=_("Total"),
        open=Totals(sum(r.open.count for r in rows), to_cents(whole["amount_sum"] or 0),
                    to_cents((whole["weighted_sum"] or Decimal(0)) / Decimal(100))),
        won=sum((r.won for r in rows), ZERO),
        quota=sum((r.quota for r in rows if r.quota is not None), ZERO) if group_by != "territory" else None,
    )
    return Forecast(group_by=group_by, start=start, end=end, rows=rows, total=total)


def _labels(actor, group_by: str, keys) -> dict:
    ids = [k for k in keys if k is not None]
    org = actor.organization_id
    if group_by == "rep":
        return {u.pk: u.display_name for u in User.objects.filter(organization_id=org, pk__in=ids)}
    if group_by == "team":
        return dict(Team.objects.filter(organization_id=org, pk__in=ids).values_list("pk", "name"))
    if group_by == "territory":
        return dict(Territory.objects.filter(organization_id=org, pk__in=ids).values_list("pk", "name"))
    return {k: k for k in ids}


def quota_list(*, actor, start: dt.date | None = None, end: dt.date | None = None):
    """The quotas the actor may manage (MANAGE_QUOTAS scope), newest month first."""
    require(actor, OpportunityPerm.MANAGE_QUOTAS)
    reps = User.objects.filter(assignable_owner_filter(actor, OpportunityPerm.MANAGE_QUOTAS))
    qs = Quota.objects.filter(organization_id=actor.organization_id, user__in=reps.values("pk"))
    if start:
        qs = qs.filter(period__gte=start)
    if end:
        qs = qs.filter(period__lt=end)
    return qs.select_related("user").order_by("-period", "user__username")


def quota_reps(*, actor):
    """Reps the actor may set quotas for."""
    return User.objects.filter(assignable_owner_filter(actor, OpportunityPerm.MANAGE_QUOTAS), is_active=True,
                               role__in=(Role.SALES, Role.MANAGER)).order_by("username")
