"""Pipelines settings (SAL-3): pipelines and their stages. OpportunityPerm.MANAGE_PIPELINES."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.permissions import require
from guanxi.customers.forms import apply_service_errors
from guanxi.sales.forms.pipelines import PipelineCreateForm, PipelineForm, StageForm
from guanxi.sales.models import Opportunity, Stage
from guanxi.sales.permissions import OpportunityPerm
from guanxi.sales.selectors.opportunities import _pk, pipeline_get, pipeline_list
from guanxi.sales.services import pipelines as services

PERM = OpportunityPerm.MANAGE_PIPELINES


def _stage(request, pk) -> Stage:
    require(request.user, PERM)
    stage = Stage.objects.filter(organization_id=request.user.organization_id, pk=_pk(pk)).first()
    if stage is None:
        raise Http404
    return stage


def _errors(request, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


@login_required
def pipelines(request):
    require(request.user, PERM)
    form = PipelineCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pipeline = services.pipeline_create(actor=request.user, name=form.cleaned_data["name"],
                                                stages=form.service_stages())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Pipeline %(name)s created.") % {"name": pipeline.name})
            return redirect("sales:pipeline_edit", pipeline.pk)
    rows = pipeline_list(actor=request.user, include_inactive=True).annotate(n_stages=Count("stages"))
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/pipelines/list.html", {"form": form, "pipelines": rows}, status=status)


def _edit_context(request, pipeline, form=None, stage_errors=None) -> dict:
    stages = list(Stage.objects.filter(organization_id=pipeline.organization_id, pipeline=pipeline)
                  .annotate(n_deals=Count("opportunities")).order_by("position", "id"))
    kind = lambda s: "won" if s.is_won else "lost" if s.is_lost else "open"  # noqa: E731
    return {
        "pipeline": pipeline,
        "form": form or PipelineForm(initial={"name": pipeline.name, "is_active": pipeline.is_active,
                                              "is_default": pipeline.is_default}),
        "stages": [(s, StageForm(initial={"name": s.name, "probability": s.probability, "kind": kind(s)},
                                 prefix=f"s{s.pk}")) for s in stages],
        "new_stage": StageForm(prefix="new", initial={"probability": 50, "kind": "open"}),
        "deals": Opportunity.objects.filter(organization_id=pipeline.organization_id, pipeline=pipeline).count(),
    }


@login_required
def pipeline_edit(request, pk):
    require(request.user, PERM)
    pipeline = pipeline_get(actor=request.user, pk=pk)
    form = PipelineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.pipeline_update(actor=request.user, pipeline=pipeline, data=dict(form.cleaned_data))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("sales:pipeline_edit", pipeline.pk)
        pipeline.refresh_from_db()
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/pipelines/edit.html",
                  _edit_context(request, pipeline, form if request.method == "POST" else None), status=status)


@login_required
@require_POST
def stage_add(request, pk):
    require(request.user, PERM)
    pipeline = pipeline_get(actor=request.user, pk=pk)
    form = StageForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            services.stage_add(actor=request.user, pipeline=pipeline, data=form.service_data())
            messages.success(request, _("Stage added."))
        except ValidationError as exc:
            _errors(request, exc)
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("sales:pipeline_edit", pipeline.pk)


@login_required
@require_POST
def stage_update(request, pk):
    stage = _stage(request, pk)
    form = StageForm(request.POST, prefix=f"s{stage.pk}")
    if form.is_valid():
        try:
            services.stage_update(actor=request.user, stage=stage, data=form.service_data())
            messages.success(request, _("Stage saved."))
        except ValidationError as exc:
            _errors(request, exc)
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("sales:pipeline_edit", stage.pipeline_id)


@login_required
@require_POST
def stage_move(request, pk):
    """Up or down one place (the reorder service with the whole new order)."""
    stage = _stage(request, pk)
    ids = list(Stage.objects.filter(organization_id=stage.organization_id, pipeline_id=stage.pipeline_id)
               .order_by("position", "id").values_list("pk", flat=True))
    i = ids.index(stage.pk)
    j = i - 1 if request.POST.get("direction") == "up" else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
        services.stage_reorder(actor=request.user, pipeline=stage.pipeline, stage_ids=ids)
    return redirect("sales:pipeline_edit", stage.pipeline_id)


@login_required
@require_POST
def stage_delete(request, pk):
    stage = _stage(request, pk)
    pipeline_id = stage.pipeline_id
    try:
        services.stage_delete(actor=request.user, stage=stage)
        messages.success(request, _("Stage deleted."))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("sales:pipeline_edit", pipeline_id)
