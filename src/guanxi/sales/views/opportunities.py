"""Opportunity pages (SAL-2, SAL-3): the board (kanban), the list, detail, create/edit, the move
endpoint the board's drag-and-drop posts to. Thin: parse → access → one service/selector → render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.pagination import paginate
from guanxi.core.permissions import CorePerm, has_perm, require, row_filter
from guanxi.core.selectors import audit_for_object, team_list, user_list
from guanxi.customers.forms import apply_service_errors
from guanxi.customers.filters import PAGE_SIZES
from guanxi.customers.selectors import CustomerFilters, contact_list, customer_list
from guanxi.sales.forms.opportunities import CUSTOMER_CHOICES, MoveForm, OpportunityForm, filters_from_params
from guanxi.sales.models import Opportunity, Order, Quote
from guanxi.sales.permissions import OpportunityPerm, OrderPerm, PlaybookPerm, QuotePerm, TerritoryPerm
from guanxi.sales.selectors import opportunities as selectors
from guanxi.sales.selectors.playbook import beside_deal
from guanxi.sales.selectors.territories import territory_list
from guanxi.sales.services import opportunities as services


def can(user, perm, obj=None) -> bool:
    try:
        require(user, perm, obj)
    except PermissionDenied:
        return False
    return True


def without(params, *names) -> str:
    params = params.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def _filter_context(request) -> dict:
    return {
        "owners": user_list(actor=request.user).filter(is_active=True),
        "teams": team_list(actor=request.user),
        "territories": territory_list(actor=request.user) if has_perm(request.user, TerritoryPerm.VIEW) else [],
    }


def changeable_ids(user, cards: list[Opportunity]) -> set[int]:
    """Which of these cards the user may move: one query, by the same rule `require` applies."""
    if not cards or not has_perm(user, OpportunityPerm.CHANGE):
        return set()
    return set(Opportunity.objects.filter(row_filter(user, OpportunityPerm.CHANGE), pk__in=[c.pk for c in cards])
               .values_list("pk", flat=True))


# --- board ------------------------------------------------------------------------------------

def _board_context(request, pipeline, filters) -> dict:
    columns = selectors.board_data(actor=request.user, pipeline=pipeline, filters=filters)
    movable = changeable_ids(request.user, [card for column in columns for card in column.cards])
    return {"pipeline": pipeline, "columns": columns, "movable": movable, "filters": filters,
            "filter_query": without(request.GET, "page")}


@login_required
def board(request, pk=None):
    require(request.user, OpportunityPerm.VIEW)
    pipelines = list(selectors.pipeline_list(actor=request.user))
    if pk is None:
        if not pipelines:
            from guanxi.sales.services.pipelines import pipeline_ensure_default

            pipelines = [pipeline_ensure_default(request.user.organization_id)]
        pipeline = pipelines[0]
    else:
        pipeline = selectors.pipeline_get(actor=request.user, pk=pk)
    filters, _sort = filters_from_params(request.GET)
    context = {
        **_board_context(request, pipeline, filters), **_filter_context(request), "pipelines": pipelines,
        "conversion": selectors.conversion_rates(actor=request.user, pipeline=pipeline, filters=filters),
        "can_create": can(request.user, OpportunityPerm.CREATE),
    }
    return render(request, "sales/opportunities/board.html", context)


@login_required
@require_POST
def opportunity_move(request, pk):
    """The board's drop: the same service as the API. htmx gets the column headers back (out of
    band) and a toast; 422 with the reason when the move is refused (the card goes back)."""
    opp = selectors.access_opportunity(request.user, pk, OpportunityPerm.CHANGE, related=())
    form = MoveForm(request.POST)
    error = None
    if form.is_valid():
        try:  # the service returns the row as it wrote it (stage and pipeline loaded); a refusal changed nothing
            opp = services.opportunity_move(actor=request.user, opportunity=opp, stage=form.cleaned_data["stage"],
                                            before_id=form.cleaned_data.get("before"),
                                            lost_reason=form.cleaned_data.get("lost_reason") or None)
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = " ".join(e for errs in form.errors.values() for e in errs)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("%(name)s moved to %(stage)s.") % {"name": opp.name, "stage": opp.stage.name})
    if not request.htmx:
        return redirect(request.POST.get("next") if _safe_next(request) else reverse("sales:opportunity_detail",
                                                                                        args=[opp.pk]))
    filters, _sort = filters_from_params(request.POST)
    totals = selectors.board_totals(actor=request.user, pipeline=opp.pipeline, filters=filters)
    stages = selectors.stages_of(opp.pipeline)
    context = {"heads": [(s, totals.get(s.pk, selectors.Totals())) for s in stages], "moved": opp}
    return render(request, "sales/opportunities/_board_heads.html", context, status=422 if error else 200)


def _safe_next(request) -> bool:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or ""
    return bool(target) and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                            require_https=request.is_secure())


# --- list -------------------------------------------------------------------------------------

@login_required
def opportunity_list(request):
    require(request.user, OpportunityPerm.VIEW)
    filters, sort = filters_from_params(request.GET)
    page = paginate(request, selectors.opportunity_list(actor=request.user, filters=filters, sort=sort))
    context = {
        "page": page, "filters": filters, "sort": sort, **_filter_context(request),
        "pipelines": selectors.pipeline_list(actor=request.user), "page_sizes": PAGE_SIZES,
        "can_create": can(request.user, OpportunityPerm.CREATE), "query": without(request.GET, "page"),
    }
    template = ("sales/opportunities/_table.html" if request.htmx and not request.htmx.boosted
                else "sales/opportunities/list.html")
    return render(request, template, context)


# --- detail -------------------------------------------------------------------------------------

def _related(user, model, perm, opp) -> list:
    if not has_perm(user, perm):
        return []
    qs: QuerySet = model.objects.filter(row_filter(user, perm), opportunity=opp)
    return list(qs.order_by("-created_at", "-id")[:20])


@login_required
def opportunity_detail(request, pk):
    user = request.user
    opp = selectors.access_opportunity(user, pk)
    context = {
        "opp": opp,
        "history": selectors.stage_history(opportunity=opp),
        "stages": selectors.stages_of(opp.pipeline),
        "quotes": _related(user, Quote, QuotePerm.VIEW, opp),
        "orders": _related(user, Order, OrderPerm.VIEW, opp),
        "can_change": can(user, OpportunityPerm.CHANGE, opp),
        "can_delete": can(user, OpportunityPerm.DELETE, opp),
        # The quote form offers the open deals the user may change (sales.forms.quotes).
        "can_quote": has_perm(user, QuotePerm.CREATE) and not opp.stage.is_closed and can(user, OpportunityPerm.CHANGE, opp),
        "beside": beside_deal(actor=user, stage=opp.stage) if has_perm(user, PlaybookPerm.VIEW) else None,
        "history_log": list(audit_for_object(actor=user, obj=opp)[:20]) if has_perm(user, CorePerm.VIEW_AUDIT) else None,
    }
    return render(request, "sales/opportunities/detail.html", context)


# --- create / edit / delete ---------------------------------------------------------------------

@login_required
def opportunity_create(request):
    require(request.user, OpportunityPerm.CREATE)
    form = OpportunityForm(request.POST or None, actor=request.user, customer_id=request.GET.get("customer"))
    if request.method == "POST" and form.is_valid():
        try:
            opp = services.opportunity_create(actor=request.user, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Opportunity %(name)s created.") % {"name": opp.name})
            return redirect("sales:opportunity_detail", opp.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/opportunities/form.html", {"form": form}, status=status)


@login_required
def opportunity_update(request, pk):
    opp = selectors.access_opportunity(request.user, pk, OpportunityPerm.CHANGE)
    form = OpportunityForm(request.POST or None, actor=request.user, instance=opp)
    if request.method == "POST" and form.is_valid():
        try:
            services.opportunity_update(actor=request.user, opportunity=opp, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("sales:opportunity_detail", opp.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/opportunities/form.html", {"form": form, "opp": opp}, status=status)


@login_required
@require_POST
def opportunity_delete(request, pk):
    opp = selectors.access_opportunity(request.user, pk, OpportunityPerm.DELETE)
    name = opp.name
    try:
        services.opportunity_delete(actor=request.user, opportunity=opp)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("sales:opportunity_detail", opp.pk)
    messages.success(request, _("Opportunity %(name)s deleted.") % {"name": name})
    return redirect("sales:opportunity_list")


# --- pickers (htmx) ------------------------------------------------------------------------------

@login_required
def customer_options(request):
    """<option>s of the visible customers matching ?customer_q= (the form's customer picker)."""
    require(request.user, OpportunityPerm.VIEW)
    q = str(request.GET.get("customer_q", ""))[:100].replace("\x00", "").strip()
    qs = customer_list(actor=request.user, filters=CustomerFilters(q=q)) if q else \
        customer_list(actor=request.user, sort="-updated")
    return render(request, "sales/opportunities/_options.html",
                  {"options": [(c.pk, c.name) for c in qs[:CUSTOMER_CHOICES]], "blank": True})


@login_required
def contact_options(request):
    """<option>s of the contacts of ?customer= (a customer the user can see; none otherwise)."""
    require(request.user, OpportunityPerm.VIEW)
    try:
        customer_id = int(request.GET.get("customer", ""))
    except ValueError:
        customer_id = None
    options = []
    if customer_id and 0 < customer_id < 2**63:
        options = [(c.pk, c.name) for c in contact_list(actor=request.user).filter(customer_id=customer_id)[:200]]
    return render(request, "sales/opportunities/_options.html", {"options": options, "blank": True})
