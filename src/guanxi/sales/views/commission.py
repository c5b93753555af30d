"""Commission pages: the rules (managed by CommissionPerm.MANAGE) and monthly statements."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.permissions import has_perm, require
from guanxi.customers.forms import apply_service_errors
from guanxi.sales.forms.commission import CommissionRuleForm
from guanxi.sales.periods import month_label, month_of, org_tz, parse_month
from guanxi.sales.permissions import CommissionPerm
from guanxi.sales.selectors import commission as selectors
from guanxi.sales.services import commission as services
from guanxi.sales.services.money_exports import export_statement

RULE_ERRORS = {"rate": "rate_percent"}


@login_required
def rule_list(request):
    require(request.user, CommissionPerm.MANAGE)
    rules = list(selectors.commission_rule_list(actor=request.user))
    for rule in rules:
        rule.rate_percent = (rule.rate * 100).quantize(Decimal("0.01"))
    return render(request, "sales/commission/rules.html", {"rules": rules})


@login_required
def rule_create(request):
    require(request.user, CommissionPerm.MANAGE)
    form = CommissionRuleForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.commission_rule_create(actor=request.user, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc, RULE_ERRORS)
        else:
            messages.success(request, _("Rule %(name)s saved.") % {"name": rule.name})
            return redirect("sales:commission_rules")
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/commission/rule_form.html", {"form": form}, status=status)


@login_required
def rule_update(request, pk):
    rule = selectors.access_commission_rule(request.user, pk)
    form = CommissionRuleForm(request.POST or None, actor=request.user, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            services.commission_rule_update(actor=request.user, rule=rule, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc, RULE_ERRORS)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("sales:commission_rules")
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/commission/rule_form.html", {"form": form, "rule": rule}, status=status)


@login_required
@require_POST
def rule_delete(request, pk):
    rule = selectors.access_commission_rule(request.user, pk)
    services.commission_rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("Rule deleted."))
    return redirect("sales:commission_rules")


def _statement_choice(request):
    """(rep id, month) from ?user=&month=; the user themself and this month by default."""
    user = request.user
    current = month_of(None, org_tz(user.organization_id))
    try:
        period = parse_month(request.GET.get("month", ""), default=current)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        period = current
    rep_id = request.GET.get("user") or user.pk
    return rep_id, period


@login_required
def statement(request):
    require(request.user, CommissionPerm.VIEW)
    rep_id, period = _statement_choice(request)
    reps = selectors.statement_reps(actor=request.user)
    if not request.GET.get("user") and not reps.filter(pk=request.user.pk).exists():
        first = reps.first()
        rep_id = first.pk if first else None
    result = selectors.commission_statement(actor=request.user, user_id=rep_id, period=period) if rep_id else None
    context = {"statement": result, "reps": reps, "month": month_label(period),
               "can_manage": has_perm(request.user, CommissionPerm.MANAGE)}
    return render(request, "sales/commission/statement.html", context)


@login_required
def statement_export(request):
    require(request.user, CommissionPerm.VIEW)
    rep_id, period = _statement_choice(request)
    try:
        content, content_type, filename = export_statement(actor=request.user, user_id=rep_id, period=period,
                                                           fmt=request.GET.get("format", "xlsx"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("sales:commission_statement")
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response
