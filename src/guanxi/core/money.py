"""Money: Decimal only, rounded half-up to the cent (四舍五入, as invoices and tax offices expect)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_cents(value) -> Decimal:
    """Round a Decimal (or an int/str) half-up to two places. Floats are refused: they are not money."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_money(value) -> Decimal | None:
    """A user's input as money, or None when it is not a finite number."""
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return to_cents(amount) if amount.is_finite() else None
