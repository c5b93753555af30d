"""Reads of the playbook and the tips board (SAL-11); everyone with PlaybookPerm.VIEW reads them all."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from guanxi.core.permissions import require
from guanxi.sales.models import PlaybookEntry, Stage, TipComment, TipPost
from guanxi.sales.permissions import PlaybookPerm
from guanxi.sales.selectors.opportunities import _pk


def playbook_entries(*, actor, stage: Stage | None = None) -> QuerySet:
    require(actor, PlaybookPerm.VIEW)
    qs = PlaybookEntry.objects.filter(organization_id=actor.organization_id)
    if stage is not None:
        qs = qs.filter(stage=stage)
    return qs.select_related("stage", "stage__pipeline").order_by("stage__pipeline__position", "stage__pipeline_id",
                                                                  "stage__position", "position", "id")


def playbook_entry_get(*, actor, pk) -> PlaybookEntry:
    entry = playbook_entries(actor=actor).filter(pk=_pk(pk)).first()
    if entry is None:
        raise Http404
    return entry


def tip_list(*, actor, q: str = "", stage_id: int | None = None) -> QuerySet:
    """Newest first; `q` searches title and body; `stage_id` narrows to tips about that stage."""
    require(actor, PlaybookPerm.VIEW)
    qs = TipPost.objects.filter(organization_id=actor.organization_id)
    q = (q or "").replace("\x00", "").strip()
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(body__icontains=q))
    if stage_id:
        qs = qs.filter(stage_id=stage_id)
    return qs.select_related("author", "stage").annotate(comment_count=Count("comments")).order_by("-created_at", "-id")


def tip_get(*, actor, pk) -> TipPost:
    post = tip_list(actor=actor).filter(pk=_pk(pk)).first()
    if post is None:
        raise Http404
    return post


def tip_comments(*, post: TipPost) -> list[TipComment]:
    return list(TipComment.objects.filter(post=post).select_related("author").order_by("created_at", "id"))


def beside_deal(*, actor, stage: Stage, tips: int = 5) -> dict:
    """What a rep sees next to a deal: the playbook of its stage and the latest tips about that stage."""
    return {"playbook": list(playbook_entries(actor=actor, stage=stage)),
            "tips": list(tip_list(actor=actor, stage_id=stage.pk)[:tips])}
