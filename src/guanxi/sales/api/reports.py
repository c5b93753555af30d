"""Sales reports over JSON: the same figures, row rules and SQL as the report pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from ninja import Query, Router, Schema
from pydantic import Field

from guanxi.customers.api import READ_ERRORS, _known_query
from guanxi.customers.schemas import Id, Unset
from guanxi.sales.api.money_schemas import Month
from guanxi.sales.selectors import reports as selectors

router = Router(tags=["reports"])
ReportName = Literal[selectors.REPORTS]
Cell = str | int | None


class ReportIn(Schema):
    pipeline: Id = Unset(description="pipeline: which pipeline (default: the organisation's default).")
    year: int = Unset(ge=2000, le=2100, description="won-lost, lead-sources: the year (default: this year).")
    month: Month = Unset(description="forecast: the month (default: this month).")


class ColumnOut(Schema):
    key: str
    label: str
    kind: Literal["text", "int", "money", "percent"]


class ReportOut(Schema):
    name: str
    title: str
    params: dict[str, Cell]
    columns: list[ColumnOut]
    rows: list[dict[str, Cell]] = Field(description="Money and percentages as decimal strings.")
    totals: dict[str, Cell] | None
    sql: list[str] = Field(description="The SQL the report ran.")


def _cell(value) -> Cell:
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, int | str):
        return value
    return str(value)


@router.get("/{name}", response={200: ReportOut, **READ_ERRORS}, summary="Run a sales report",
            operation_id="reports_run")
def run(request, name: ReportName, params: Query[ReportIn]):
    """pipeline (by stage), won-lost (by month), forecast (vs quota, per rep) or lead-sources
    (conversion). Only records the caller may see are counted: a rep gets their own figures."""
    _known_query(request, ReportIn)
    query = {k: v for k, v in params.model_dump(exclude_unset=True).items() if v is not None}
    report = selectors.run_report(name, actor=request.auth, params=selectors.parse_report_params(query))
    keys = [c.key for c in report.columns]
    return {
        "name": report.name, "title": report.title,
        "params": {k: _cell(v) for k, v in report.params.items()},
        "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in report.columns],
        "rows": [{k: _cell(row.get(k)) for k in keys} for row in report.rows],
        "totals": {k: _cell(report.totals.get(k)) for k in keys} if report.totals else None,
        "sql": report.sql,
    }
