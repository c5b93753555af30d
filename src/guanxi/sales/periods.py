"""Calendar months for commission, quotas and reports: a period is the first day of a month in the
organisation's time zone, written "YYYY-MM" by people and clients."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.models import Organization

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def org_tz(organization_id: int) -> dt.tzinfo:
    return zone(Organization.objects.filter(pk=organization_id).values_list("timezone", flat=True).first())


def zone(name: str | None) -> dt.tzinfo:
    """An organisation's time zone from its `timezone` name (Asia/Shanghai when blank or unknown)."""
    try:
        return zoneinfo.ZoneInfo(name or "Asia/Shanghai")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Asia/Shanghai")


def month_of(moment: dt.datetime | None, tz: dt.tzinfo) -> dt.date:
    """The first day of the month `moment` falls in, seen from `tz` (now when None)."""
    local = timezone.localtime(moment or timezone.now(), tz)
    return dt.date(local.year, local.month, 1)


def parse_month(value, *, field: str = "month", default: dt.date | None = None) -> dt.date:
    """"2026-03" (or a date) → 2026-03-01; a blank value gives `default`."""
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, 1)
    text = str(value or "").strip()
    if not text and default is not None:
        return default
    match = MONTH_RE.match(text)
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return dt.date(year, month, 1)
    raise ValidationError({field: [_("Enter a month as YYYY-MM.")]})


def next_month(period: dt.date) -> dt.date:
    return dt.date(period.year + period.month // 12, period.month % 12 + 1, 1)


def month_bounds(period: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the month as aware datetimes in `tz`."""
    start = dt.datetime(period.year, period.month, 1, tzinfo=tz)
    end_day = next_month(period)
    return start, dt.datetime(end_day.year, end_day.month, 1, tzinfo=tz)


def year_bounds(year: int, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime(year, 1, 1, tzinfo=tz), dt.datetime(year + 1, 1, 1, tzinfo=tz)


def month_label(period: dt.date) -> str:
    return f"{period.year:04d}-{period.month:02d}"
