"""Template helpers of the deals pages: money and durations."""

from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def money(value) -> str:
    """1234567.5 → "1,234,567.50" (Decimal in, never float)."""
    if value in (None, ""):
        return "—"
    try:
        return f"{Decimal(value):,.2f}"
    except (ArithmeticError, ValueError, TypeError):
        return str(value)


@register.filter
def duration(seconds) -> str:
    """Seconds → "3 d 4 h" / "5 h 20 min" / "12 min"."""
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        return "—"
    days, rest = divmod(max(seconds, 0), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    return _("%(m)d min") % {"m": minutes}
