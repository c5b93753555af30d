"""Lead pages: list, detail, create/edit, qualify, assign, convert, export; scoring rules and web forms.

Thin: parse → access → one service/selector → render. The public form lives in web_forms.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.pagination import paginate
from guanxi.core.permissions import CorePerm, has_perm, require
from guanxi.core.selectors import audit_for_object, team_list, user_list
from guanxi.customers.filters import PAGE_SIZES
from guanxi.customers.forms import apply_service_errors
from guanxi.sales.forms.leads import AssignForm, ConvertForm, LeadForm, QualifyForm, ScoreRuleForm, WebFormForm
from guanxi.sales.models import Lead, Territory
from guanxi.sales.permissions import LeadPerm
from guanxi.sales.selectors import leads as selectors
from guanxi.sales.services import lead_assignment, lead_conversion, web_forms
from guanxi.sales.services import leads as services


def _without(params, *names) -> str:
    params = params.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


@login_required
def lead_list(request):
    require(request.user, LeadPerm.VIEW)
    user = request.user
    filters, sort = selectors.filters_from_params(request.GET)
    page = paginate(request, selectors.lead_list(actor=user, filters=filters, sort=sort))
    context = {
        "page": page, "filters": filters, "sort": sort, "statuses": Lead.Status.choices,
        "ratings": Lead.Rating.choices, "sources": Lead.Source.choices, "owners": user_list(actor=user),
        "territories": Territory.objects.filter(organization_id=user.organization_id, is_active=True),
        "can_create": selectors.may(user, LeadPerm.CREATE), "can_export": selectors.may(user, LeadPerm.EXPORT),
        "can_import": selectors.may(user, LeadPerm.IMPORT),
        "can_manage": selectors.may(user, LeadPerm.MANAGE_FORMS),
        "query": _without(request.GET, "format", "page"), "page_sizes": PAGE_SIZES,
    }
    template = "sales/leads/_table.html" if request.htmx and not request.htmx.boosted else "sales/leads/list.html"
    return render(request, template, context)


@login_required
def lead_create(request):
    require(request.user, LeadPerm.CREATE)
    form = LeadForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            lead = services.lead_create(actor=request.user, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Lead %(name)s created.") % {"name": lead.name})
            return redirect("sales:lead_detail", lead.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/leads/form.html", {"form": form}, status=status)


def _detail_context(request, lead: Lead, **extra) -> dict:
    user = request.user
    can_assign = selectors.may(user, LeadPerm.ASSIGN, lead)
    return {
        "lead": lead,
        "can_change": selectors.may(user, LeadPerm.CHANGE, lead) and lead.status != Lead.Status.CONVERTED,
        "can_delete": selectors.may(user, LeadPerm.DELETE, lead),
        "can_assign": can_assign and lead.status != Lead.Status.CONVERTED,
        "can_convert": selectors.may(user, LeadPerm.CONVERT, lead) and lead.status != Lead.Status.CONVERTED,
        "assign_form": AssignForm(actor=user) if can_assign else None,
        "statuses": [c for c in Lead.Status.choices if c[0] != Lead.Status.CONVERTED],
        "ratings": Lead.Rating.choices,
        "history": list(audit_for_object(actor=user, obj=lead)[:20]) if has_perm(user, CorePerm.VIEW_AUDIT) else None,
        **extra,
    }


@login_required
def lead_detail(request, pk):
    lead = selectors.access_lead(request.user, pk)
    return render(request, "sales/leads/detail.html", _detail_context(request, lead))


@login_required
def lead_update(request, pk):
    lead = selectors.access_lead(request.user, pk, LeadPerm.CHANGE)
    form = LeadForm(request.POST or None, actor=request.user, instance=lead)
    if request.method == "POST" and form.is_valid():
        try:
            services.lead_update(actor=request.user, lead=lead, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("sales:lead_detail", lead.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/leads/form.html", {"form": form, "lead": lead}, status=status)


@login_required
@require_POST
def lead_delete(request, pk):
    lead = selectors.access_lead(request.user, pk, LeadPerm.DELETE)
    name = lead.name
    services.lead_delete(actor=request.user, lead=lead)
    messages.success(request, _("Lead %(name)s deleted.") % {"name": name})
    return redirect("sales:leads")


@login_required
@require_POST
def lead_qualify(request, pk):
    lead = selectors.access_lead(request.user, pk, LeadPerm.CHANGE)
    form = QualifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid status and rating."))
        return redirect("sales:lead_detail", lead.pk)
    try:
        services.lead_qualify(actor=request.user, lead=lead, status=form.cleaned_data["status"],
                              rating=form.cleaned_data["rating"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Changes saved."))
    return redirect("sales:lead_detail", lead.pk)


@login_required
@require_POST
def lead_assign(request, pk):
    lead = selectors.access_lead(request.user, pk, LeadPerm.ASSIGN)
    form = AssignForm(request.POST, actor=request.user)
    try:
        if not form.is_valid():
            raise ValidationError({k: list(v) for k, v in form.errors.items()})
        mode = form.cleaned_data["mode"]
        if mode == "team":
            if form.cleaned_data["team"] is None:
                raise ValidationError({"team": [_("Choose a team.")]})
            lead = lead_assignment.lead_assign_round_robin(actor=request.user, lead=lead,
                                                           team=form.cleaned_data["team"])
        elif mode == "territory":
            lead = lead_assignment.lead_assign_by_territory(actor=request.user, lead=lead)
        else:
            lead = lead_assignment.lead_assign(actor=request.user, lead=lead, owner=form.cleaned_data["owner"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Lead assigned to %(name)s.") % {"name": lead.owner.display_name})
    return redirect("sales:lead_detail", lead.pk)


@login_required
def lead_convert(request, pk):
    """One step to customer + contact + opportunity; similar customers are offered to reuse."""
    lead = selectors.access_lead(request.user, pk, LeadPerm.CONVERT)
    form = ConvertForm(request.POST or None, lead=lead)
    duplicates = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = lead_conversion.lead_convert(
                actor=request.user, lead=lead, customer=data["customer"], allow_duplicate=data["allow_duplicate"],
                create_opportunity=data["create_opportunity"], opportunity_name=data["opportunity_name"],
                amount=data["amount"], expected_close=data["expected_close"])
        except lead_conversion.DuplicateCustomer as exc:
            duplicates = exc.duplicates
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Lead converted to customer %(name)s.") % {"name": result.customer.name})
            return redirect("customers:detail", result.customer.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/leads/convert.html", {"lead": lead, "form": form, "duplicates": duplicates},
                  status=status)


@login_required
def lead_export(request):
    """The list the user is looking at (same filters and sort), as CSV or XLSX."""
    from guanxi.sales.lead_export import export_leads

    filters, sort = selectors.filters_from_params(request.GET)
    try:
        content, content_type, filename = export_leads(actor=request.user, filters=filters, sort=sort,
                                                       fmt=request.GET.get("format", "csv"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("sales:leads")
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- scoring rules ------------------------------------------------------------------------

@login_required
def score_rules(request):
    require(request.user, LeadPerm.MANAGE_FORMS)
    form = ScoreRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.score_rule_create(actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Rule added; scores recalculated."))
            return redirect("sales:lead_score_rules")
    rules = list(selectors.score_rule_list(actor=request.user))
    edit_forms = [(rule, ScoreRuleForm(instance=rule, prefix=f"r{rule.pk}")) for rule in rules]
    for rule, edit in edit_forms:  # each row's inputs belong to that row's form element
        for field in edit.fields.values():
            field.widget.attrs["form"] = f"rule-{rule.pk}"
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/leads/score_rules.html", {"form": form, "rules": edit_forms}, status=status)


@login_required
@require_POST
def score_rule_update(request, pk):
    rule = selectors.access_score_rule(request.user, pk)
    form = ScoreRuleForm(request.POST, instance=rule, prefix=f"r{rule.pk}")
    try:
        if not form.is_valid():
            raise ValidationError({k: list(v) for k, v in form.errors.items()})
        services.score_rule_update(actor=request.user, rule=rule, data=form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Rule saved; scores recalculated."))
    return redirect("sales:lead_score_rules")


@login_required
@require_POST
def score_rule_delete(request, pk):
    rule = selectors.access_score_rule(request.user, pk)
    services.score_rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("Rule deleted; scores recalculated."))
    return redirect("sales:lead_score_rules")


# --- web forms ----------------------------------------------------------------------------

@login_required
def web_form_list(request):
    require(request.user, LeadPerm.MANAGE_FORMS)
    form = WebFormForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            created = web_forms.web_form_create(actor=request.user, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Web form %(name)s created.") % {"name": created.name})
            return redirect("sales:lead_web_form_update", created.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/leads/web_forms.html", {
        "form": form, "web_forms": selectors.web_form_list(actor=request.user), "teams": team_list(actor=request.user),
    }, status=status)


@login_required
def web_form_update(request, pk):
    web_form = selectors.access_web_form(request.user, pk)
    form = WebFormForm(request.POST or None, actor=request.user, instance=web_form)
    if request.method == "POST" and form.is_valid():
        try:
            web_forms.web_form_update(actor=request.user, form=web_form, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("sales:lead_web_form_update", web_form.pk)
    public_url = request.build_absolute_uri(f"/f/{web_form.key}/")
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/leads/web_form.html", {
        "form": form, "web_form": web_form, "public_url": public_url,
        "lead_count": web_form.leads.count(),
    }, status=status)


@login_required
@require_POST
def web_form_delete(request, pk):
    web_form = selectors.access_web_form(request.user, pk)
    web_forms.web_form_delete(actor=request.user, form=web_form)
    messages.success(request, _("Web form deleted."))
    return redirect("sales:lead_web_forms")
