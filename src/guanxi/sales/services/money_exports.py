"""Spreadsheet exports of commission statements and sales reports (SAL-9, BI-5), through
guanxi.core.exports: text that a spreadsheet would read as a formula is neutralised, money stays
a number, nothing is written as a formula. Every export is audited."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.exports import CONTENT_TYPES, to_csv, to_xlsx
from guanxi.core.permissions import Perm
from guanxi.sales.permissions import SalesReportPerm
from guanxi.sales.selectors.commission import commission_statement
from guanxi.sales.selectors.reports import ReportParams, run_report

FORMATS = ("csv", "xlsx")


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValidationError({"format": [_("Choose csv or xlsx.")]})


def _render(fmt: str, header: list[str], rows: list[list], sheet: str) -> bytes:
    # Sheet names may not hold []:*?/\ nor start or end with an apostrophe.
    sheet = "".join(ch for ch in str(sheet) if ch not in "[]:*?/\\").strip("' ")[:31] or "Sheet1"
    return to_csv(header, rows) if fmt == "csv" else to_xlsx(header, rows, sheet=sheet)


def export_statement(*, actor, user_id, period: dt.date, fmt: str = "xlsx") -> tuple[bytes, str, str]:
    """(content, content type, file name) of one rep's monthly statement, lines then totals."""
    _check_format(fmt)
    statement = commission_statement(actor=actor, user_id=user_id, period=period)
    header = [_("Order"), _("Customer"), _("Product"), _("Description"), _("Kind"), _("Basis"), _("Rate"),
              _("Commission")]
    rows = [[ln.order_number, ln.customer, ln.product, ln.description, ln.kind_label, ln.basis, ln.rate, ln.amount]
            for ln in statement.lines]
    rows.append([])
    rows.append([_("Earned"), "", "", "", "", "", "", statement.earned_total])
    rows.append([_("Reversed"), "", "", "", "", "", "", statement.reversal_total])
    rows.append([_("Total"), "", "", "", "", "", "", statement.total])
    content = _render(fmt, header, rows, sheet=f"{statement.user.username} {statement.month}")
    audit.record(actor=actor, action=audit.Action.EXPORT, object_type_label="sales.commissionentry",
                 object_id=statement.user.pk, object_repr=f"{statement.user.username} {statement.month} ({fmt})",
                 changes={"user": [None, statement.user.pk], "month": [None, statement.month],
                          "format": [None, fmt], "rows": [None, len(statement.lines)]})
    name = f"commission-{statement.user.username}-{statement.month}.{fmt}"
    return content, CONTENT_TYPES[fmt], name


def export_report(*, actor, name: str, params: ReportParams, fmt: str = "xlsx") -> tuple[bytes, str, str]:
    """(content, content type, file name) of a report's table and totals, within the rows the actor
    may both view and export."""
    _check_format(fmt)
    extra: tuple[Perm, ...] = (SalesReportPerm.EXPORT,)
    report = run_report(name, actor=actor, params=params, extra=extra)
    header = [c.label for c in report.columns]
    rows = report.table()
    if report.totals:
        rows.append(report.totals_list())
    content = _render(fmt, header, rows, sheet=report.title)
    audit.record(actor=actor, action=audit.Action.EXPORT, object_type_label="sales.report", object_id=name,
                 object_repr=f"{report.title} ({fmt})",
                 changes={"report": [None, name], "params": [None, {k: v for k, v in report.params.items()
                                                                     if v not in (None, "")}],
                          "format": [None, fmt], "rows": [None, len(report.rows)]})
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return content, CONTENT_TYPES[fmt], f"sales-{name}-{stamp}.{fmt}"

