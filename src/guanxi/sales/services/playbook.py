"""The sales playbook and the tips board (SAL-11).

Playbook entries are per-stage guidance, edited by PlaybookPerm.MANAGE. Tips are posts with
comments that anyone with PlaybookPerm.POST writes; a post is changed or removed by its author
or by a playbook manager.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.permissions import has_perm, require
from guanxi.core.validation import check_text, reject_unknown
from guanxi.sales.models import PlaybookEntry, Stage, TipComment, TipPost
from guanxi.sales.permissions import PlaybookPerm


def _text(data: dict, name: str, limit: int, *, required: bool = True, one_line: bool = True) -> str:
    value = str(data.get(name) or "")
    value = " ".join(value.split()) if one_line else value.strip()
    if required and not value:
        raise ValidationError({name: [_("This field is required.")]})
    if len(value) > limit:
        raise ValidationError({name: [_("At most %(n)d characters.") % {"n": limit}]})
    return value


def _stage(actor, value, *, required: bool) -> Stage | None:
    if value in (None, ""):
        if required:
            raise ValidationError({"stage": [_("Choose a stage.")]})
        return None
    stage_id = value.pk if isinstance(value, Stage) else value
    try:
        stage = Stage.objects.filter(organization_id=actor.organization_id, pk=int(stage_id)).first()
    except (TypeError, ValueError):
        stage = None
    if stage is None:
        raise ValidationError({"stage": [_("Choose a valid stage.")]})
    return stage


# --- playbook ------------------------------------------------------------------------------

@transaction.atomic
def playbook_entry_create(*, actor, data: dict) -> PlaybookEntry:
    require(actor, PlaybookPerm.MANAGE)
    reject_unknown(data, ("stage", "title", "body"))
    check_text(data)
    stage = _stage(actor, data.get("stage"), required=True)
    title = _text(data, "title", 200)
    body = _text(data, "body", 10000, one_line=False)
    top = PlaybookEntry.objects.filter(organization_id=actor.organization_id, stage=stage).aggregate(m=Max("position"))
    entry = PlaybookEntry.objects.create(organization_id=actor.organization_id, stage=stage, title=title, body=body,
                                         position=(top["m"] or 0) + 1)
    audit.record(actor=actor, action=audit.Action.CREATE, obj=entry,
                 changes={"stage": stage.pk, "title": title})
    return entry


@transaction.atomic
def playbook_entry_update(*, actor, entry: PlaybookEntry, data: dict) -> PlaybookEntry:
    require(actor, PlaybookPerm.MANAGE)
    reject_unknown(data, ("stage", "title", "body"))
    check_text(data)
    before = audit.snapshot(entry, ["stage", "title", "body"])
    if "stage" in data:
        entry.stage = _stage(actor, data["stage"], required=True)
    if "title" in data:
        entry.title = _text(data, "title", 200)
    if "body" in data:
        entry.body = _text(data, "body", 10000, one_line=False)
    entry.save()
    changes = audit.diff(before, audit.snapshot(entry, ["stage", "title", "body"]))
    if changes:
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=entry, changes=changes)
    return entry


@transaction.atomic
def playbook_entry_delete(*, actor, entry: PlaybookEntry) -> None:
    require(actor, PlaybookPerm.MANAGE)
    audit.record(actor=actor, action=audit.Action.DELETE, obj=entry, changes={"title": entry.title})
    entry.delete()


# --- tips board ----------------------------------------------------------------------------

def may_edit_tip(actor, post: TipPost) -> bool:
    return has_perm(actor, PlaybookPerm.MANAGE) or (post.author_id == actor.pk and has_perm(actor, PlaybookPerm.POST))


@transaction.atomic
def tip_create(*, actor, data: dict) -> TipPost:
    require(actor, PlaybookPerm.POST)
    reject_unknown(data, ("title", "body", "stage"))
    check_text(data)
    post = TipPost.objects.create(organization_id=actor.organization_id, author=actor, title=_text(data, "title", 200),
                                  body=_text(data, "body", 20000, one_line=False),
                                  stage=_stage(actor, data.get("stage"), required=False))
    audit.record(actor=actor, action=audit.Action.CREATE, obj=post, changes={"title": post.title})
    return post


@transaction.atomic
def tip_update(*, actor, post: TipPost, data: dict) -> TipPost:
    if not may_edit_tip(actor, post):
        raise PermissionDenied(PlaybookPerm.POST)
    reject_unknown(data, ("title", "body", "stage"))
    check_text(data)
    before = audit.snapshot(post, ["title", "body", "stage"])
    if "title" in data:
        post.title = _text(data, "title", 200)
    if "body" in data:
        post.body = _text(data, "body", 20000, one_line=False)
    if "stage" in data:
        post.stage = _stage(actor, data["stage"], required=False)
    post.save()
    changes = audit.diff(before, audit.snapshot(post, ["title", "body", "stage"]))
    if changes:
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=post, changes=changes)
    return post


@transaction.atomic
def tip_delete(*, actor, post: TipPost) -> None:
    if not may_edit_tip(actor, post):
        raise PermissionDenied(PlaybookPerm.POST)
    audit.record(actor=actor, action=audit.Action.DELETE, obj=post, changes={"title": post.title})
    post.delete()


@transaction.atomic
def tip_comment_add(*, actor, post: TipPost, body: str) -> TipComment:
    require(actor, PlaybookPerm.POST)
    check_text({"body": body})
    comment = TipComment.objects.create(organization_id=actor.organization_id, post=post, author=actor,
                                        body=_text({"body": body}, "body", 5000, one_line=False))
    audit.record(actor=actor, action=audit.Action.CREATE, obj=comment, changes={"post": post.pk})
    return comment
