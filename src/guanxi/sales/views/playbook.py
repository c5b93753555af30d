"""The sales playbook per stage and the tips board (SAL-11)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.pagination import paginate
from guanxi.core.permissions import has_perm, require
from guanxi.customers.forms import apply_service_errors
from guanxi.sales.forms.opportunities import _int, _text
from guanxi.sales.forms.playbook import CommentForm, PlaybookEntryForm, TipForm
from guanxi.sales.models import Stage
from guanxi.sales.permissions import PlaybookPerm
from guanxi.sales.selectors import playbook as selectors
from guanxi.sales.selectors.opportunities import pipeline_list
from guanxi.sales.services import playbook as services


@login_required
def playbook(request):
    require(request.user, PlaybookPerm.VIEW)
    entries = list(selectors.playbook_entries(actor=request.user))
    by_stage: dict[int, list] = {}
    for entry in entries:
        by_stage.setdefault(entry.stage_id, []).append(entry)
    pipelines = []
    stages = Stage.objects.filter(organization_id=request.user.organization_id).order_by("position", "id")
    for pipeline in pipeline_list(actor=request.user):
        pipelines.append((pipeline, [(s, by_stage.get(s.pk, [])) for s in stages if s.pipeline_id == pipeline.pk]))
    return render(request, "sales/playbook/playbook.html",
                  {"pipelines": pipelines, "can_manage": has_perm(request.user, PlaybookPerm.MANAGE)})


def _entry_form_view(request, entry=None):
    require(request.user, PlaybookPerm.MANAGE)
    initial = {"stage": _int(request.GET.get("stage"))}
    if entry is not None:
        initial = {"stage": entry.stage_id, "title": entry.title, "body": entry.body}
    form = PlaybookEntryForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if entry is None:
                services.playbook_entry_create(actor=request.user, data=dict(form.cleaned_data))
            else:
                services.playbook_entry_update(actor=request.user, entry=entry, data=dict(form.cleaned_data))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Playbook saved."))
            return redirect("sales:playbook")
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/playbook/entry_form.html", {"form": form, "entry": entry}, status=status)


@login_required
def playbook_entry_create(request):
    return _entry_form_view(request)


@login_required
def playbook_entry_update(request, pk):
    require(request.user, PlaybookPerm.MANAGE)
    return _entry_form_view(request, selectors.playbook_entry_get(actor=request.user, pk=pk))


@login_required
@require_POST
def playbook_entry_delete(request, pk):
    require(request.user, PlaybookPerm.MANAGE)
    entry = selectors.playbook_entry_get(actor=request.user, pk=pk)
    services.playbook_entry_delete(actor=request.user, entry=entry)
    messages.success(request, _("Playbook entry removed."))
    return redirect("sales:playbook")


# --- tips board ------------------------------------------------------------------------------------

@login_required
def tips(request):
    require(request.user, PlaybookPerm.VIEW)
    q = _text(request.GET.get("q"))
    stage_id = _int(request.GET.get("stage"))
    page = paginate(request, selectors.tip_list(actor=request.user, q=q, stage_id=stage_id))
    stages = Stage.objects.filter(organization_id=request.user.organization_id, pipeline__is_active=True) \
        .select_related("pipeline").order_by("pipeline__position", "pipeline_id", "position")
    return render(request, "sales/playbook/tips.html", {
        "page": page, "q": q, "stage_id": stage_id, "stages": stages,
        "can_post": has_perm(request.user, PlaybookPerm.POST)})


@login_required
def tip_create(request):
    require(request.user, PlaybookPerm.POST)
    form = TipForm(request.POST or None, actor=request.user, initial={"stage": _int(request.GET.get("stage"))})
    if request.method == "POST" and form.is_valid():
        try:
            post = services.tip_create(actor=request.user, data=dict(form.cleaned_data))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Tip posted."))
            return redirect("sales:tip_detail", post.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/playbook/tip_form.html", {"form": form}, status=status)


@login_required
def tip_detail(request, pk):
    post = selectors.tip_get(actor=request.user, pk=pk)
    return render(request, "sales/playbook/tip_detail.html", {
        "post": post, "comments": selectors.tip_comments(post=post),
        "comment_form": CommentForm() if has_perm(request.user, PlaybookPerm.POST) else None,
        "can_edit": services.may_edit_tip(request.user, post)})


@login_required
def tip_update(request, pk):
    post = selectors.tip_get(actor=request.user, pk=pk)
    if not services.may_edit_tip(request.user, post):
        raise PermissionDenied
    initial = {"title": post.title, "body": post.body, "stage": post.stage_id}
    form = TipForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.tip_update(actor=request.user, post=post, data=dict(form.cleaned_data))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("sales:tip_detail", post.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "sales/playbook/tip_form.html", {"form": form, "post": post}, status=status)


@login_required
@require_POST
def tip_delete(request, pk):
    post = selectors.tip_get(actor=request.user, pk=pk)
    services.tip_delete(actor=request.user, post=post)
    messages.success(request, _("Tip removed."))
    return redirect("sales:tips")


@login_required
@require_POST
def tip_comment_add(request, pk):
    require(request.user, PlaybookPerm.POST)
    post = selectors.tip_get(actor=request.user, pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.tip_comment_add(actor=request.user, post=post, body=form.cleaned_data["body"])
            messages.success(request, _("Comment added."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("sales:tip_detail", post.pk)
