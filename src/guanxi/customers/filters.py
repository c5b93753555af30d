"""Turning request parameters into CustomerFilters and a sort key, allow-listed (used by pages and exports)."""

from __future__ import annotations

from collections.abc import Mapping

from guanxi.customers.models import Customer
from guanxi.customers.selectors import CUSTOMER_SORTS, DEFAULT_SORT, CustomerFilters

PAGE_SIZES = (25, 50, 100)


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _choice(value, choices) -> str:
    return value if value in {c for c, _label in choices} else ""


def _text(value, limit: int = 100) -> str:
    return str(value or "").replace("\x00", "").strip()[:limit]


def filters_from_params(params: Mapping) -> tuple[CustomerFilters, str]:
    """Unknown or malformed values are dropped, never passed to the database."""
    filters = CustomerFilters(
        q=_text(params.get("q")),
        kind=_choice(params.get("kind"), Customer.Kind.choices),
        stage=_choice(params.get("stage"), Customer.Stage.choices),
        source=_choice(params.get("source"), Customer.Source.choices),
        owner_id=_int(params.get("owner")),
        store_id=_int(params.get("store")),
        tag=_text(params.get("tag"), 50),
        province=_text(params.get("province"), 50),
        city=_text(params.get("city"), 50),
        industry=_text(params.get("industry")),
        unowned=params.get("unowned") in ("1", "true", "on"),
    )
    sort = params.get("sort") if params.get("sort") in CUSTOMER_SORTS else DEFAULT_SORT
    return filters, sort


def page_size_from_params(params: Mapping) -> int:
    size = _int(params.get("page_size"))
    return size if size in PAGE_SIZES else PAGE_SIZES[0]
