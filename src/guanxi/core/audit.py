"""Writing and reading the operation log (CORE-5). Services call `record` inside their transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Model

from guanxi.core import context
from guanxi.core.models import AuditEntry

Action = AuditEntry.Action


def _plain(value):
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, (dt.date, dt.datetime, Decimal)):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return sorted(str(v) for v in value) if isinstance(value, set) else [_plain(v) for v in value]
    return value


def snapshot(obj: Model, fields: list[str]) -> dict:
    """Field values of `obj` for diffing; FKs by id."""
    out = {}
    for name in fields:
        field = obj._meta.get_field(name)
        out[name] = _plain(getattr(obj, field.attname))
    return out


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for every field whose value changed."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def object_type(obj_or_label) -> str:
    if isinstance(obj_or_label, str):
        return obj_or_label
    return obj_or_label._meta.label_lower


def record(
    *,
    actor,
    action: str,
    obj: Model | None = None,
    object_type_label: str | None = None,
    object_id: str | int = "",
    object_repr: str = "",
    changes: dict | None = None,
    organization_id: int | None = None,
) -> AuditEntry:
    info = context.current()
    org_id = organization_id or (obj.organization_id if obj is not None else actor.organization_id)
    return AuditEntry.objects.create(
        organization_id=org_id,
        actor=actor if actor is not None and actor.pk else None,
        actor_name=(actor.get_username() if actor is not None else "system")[:150],
        action=action,
        object_type=object_type(obj) if obj is not None else (object_type_label or ""),
        object_id=str(obj.pk if obj is not None else object_id),
        object_repr=(str(obj) if obj is not None else object_repr)[:200],
        changes=changes or {},
        ip=info.ip,
        request_id=info.request_id,
    )
