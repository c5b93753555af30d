"""Sales report pages: an index and one page per report (chart, table, the SQL it ran, export)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header

from guanxi.core.permissions import has_perm, require
from guanxi.sales.periods import month_label, month_of, org_tz
from guanxi.sales.permissions import SalesReportPerm
from guanxi.sales.selectors import reports as selectors
from guanxi.sales.services.money_exports import export_report


def _name(name: str) -> str:
    if name not in selectors.REPORTS:
        raise Http404
    return name


def _cells(report, values) -> list[dict]:
    return [{"value": v, "number": c.kind != "text"} for c, v in zip(report.columns, values, strict=True)]


@login_required
def report_index(request):
    require(request.user, SalesReportPerm.VIEW)
    titles = selectors.report_titles()
    return render(request, "sales/reports/index.html",
                  {"reports": [(name, titles[name]) for name in selectors.REPORTS]})


@login_required
def report_detail(request, name):
    name = _name(name)
    require(request.user, SalesReportPerm.VIEW)
    try:
        params = selectors.parse_report_params(request.GET)
        report = selectors.run_report(name, actor=request.user, params=params)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        report = selectors.run_report(name, actor=request.user, params=selectors.ReportParams())
    tz = org_tz(request.user.organization_id)
    this_year = timezone.localtime(timezone.now(), tz).year
    context = {
        "report": report, "name": name, "table": [_cells(report, row) for row in report.table()],
        "totals": _cells(report, report.totals_list()) if report.totals else None,
        "can_export": has_perm(request.user, SalesReportPerm.EXPORT),
        "pipelines": selectors.pipeline_choices(request.user) if name == "pipeline" else [],
        "years": list(range(this_year, this_year - 6, -1)),
        "month": report.params.get("month") or month_label(month_of(None, tz)),
        "query": request.GET.urlencode(),
    }
    return render(request, "sales/reports/report.html", context)


@login_required
def report_export(request, name):
    name = _name(name)
    require(request.user, SalesReportPerm.EXPORT)
    try:
        params = selectors.parse_report_params(request.GET)
        content, content_type, filename = export_report(actor=request.user, name=name, params=params,
                                                        fmt=request.GET.get("format", "xlsx"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("sales:report", name)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response
