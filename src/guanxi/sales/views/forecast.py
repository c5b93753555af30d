"""The forecast page and quota management (SAL-4)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.pagination import paginate
from guanxi.core.permissions import has_perm, require
from guanxi.core.selectors import team_list, user_list
from guanxi.customers.forms import apply_service_errors
from guanxi.sales.forms.forecast import QuotaForm, forecast_params
from guanxi.sales.permissions import OpportunityPerm, TerritoryPerm
from guanxi.sales.selectors import forecast as selectors
from guanxi.sales.selectors.opportunities import _pk, pipeline_list
from guanxi.sales.selectors.territories import territory_list
from guanxi.sales.services import forecast as services


@login_required
def forecast(request):
    require(request.user, OpportunityPerm.VIEW_FORECAST)
    group_by, first, last, filters = forecast_params(request.GET)
    start, end = selectors.months_between(first, last)
    result = selectors.forecast(actor=request.user, group_by=group_by, start=start, end=end, filters=filters)
    context = {
        "result": result, "group_by": group_by, "first": first, "last": last, "filters": filters,
        "groups": [("rep", _("Rep")), ("team", _("Team")), ("territory", _("Territory")), ("month", _("Month"))],
        "pipelines": pipeline_list(actor=request.user), "owners": user_list(actor=request.user).filter(is_active=True),
        "teams": team_list(actor=request.user),
        "territories": territory_list(actor=request.user) if has_perm(request.user, TerritoryPerm.VIEW) else [],
        "can_manage_quotas": has_perm(request.user, OpportunityPerm.MANAGE_QUOTAS),
    }
    return render(request, "sales/forecast/forecast.html", context)


@login_required
def quotas(request):
    require(request.user, OpportunityPerm.MANAGE_QUOTAS)
    reps = selectors.quota_reps(actor=request.user)
    form = QuotaForm(request.POST or None, reps=reps)
    if request.method == "POST" and form.is_valid():
        try:
            services.quota_set(actor=request.user, user=form.cleaned_data["user"], period=form.cleaned_data["period"],
                               amount=form.cleaned_data["amount"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Quota saved."))
            return redirect("sales:quotas")
    page = paginate(request, selectors.quota_list(actor=request.user))
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/forecast/quotas.html", {"form": form, "page": page}, status=status)


@login_required
@require_POST
def quota_delete(request, pk):
    require(request.user, OpportunityPerm.MANAGE_QUOTAS)
    quota = selectors.quota_list(actor=request.user).filter(pk=_pk(pk)).first()
    if quota is None:
        raise Http404
    services.quota_delete(actor=request.user, quota=quota)
    messages.success(request, _("Quota removed."))
    return redirect("sales:quotas")
