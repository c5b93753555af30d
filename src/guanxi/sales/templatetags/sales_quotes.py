"""Template helpers for quotes and the catalogue: money with thousands separators, percentages."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from guanxi.core.money import to_cents

register = template.Library()


@register.filter
def money(value, currency: str = "") -> str:
    """1234.5 → "1,234.50" (with the currency code in front when given). Decimal only."""
    if value in (None, ""):
        return ""
    try:
        amount = to_cents(value if isinstance(value, Decimal) else Decimal(str(value)))
    except (InvalidOperation, TypeError, ValueError):
        return ""
    text = f"{amount:,.2f}"
    return f"{currency} {text}" if currency else text


@register.filter
def quantity(value) -> str:
    """3.000 → "3", 2.500 → "2.5"."""
    if value in (None, ""):
        return ""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def percent(value) -> str:
    """A discount in percent (12.50 → "12.5%")."""
    if value in (None, ""):
        return ""
    return f"{quantity(value)}%"


@register.filter
def rate_percent(value) -> str:
    """A tax rate stored as a fraction (0.1300 → "13%")."""
    if value in (None, ""):
        return ""
    try:
        return percent(Decimal(str(value)) * 100)
    except (InvalidOperation, ValueError):
        return str(value)


STATUS_COLOURS = {"draft": "secondary", "pending_approval": "warning", "approved": "info", "sent": "primary",
                  "accepted": "success", "rejected": "danger", "superseded": "light"}


@register.filter
def status_colour(status: str) -> str:
    return STATUS_COLOURS.get(status, "secondary")
