"""Reads of users, stores, teams and the audit log, scoped to the acting user's organisation."""

from __future__ import annotations

from django.db.models import QuerySet

from guanxi.core.models import AuditEntry, Store, Team, User
from guanxi.core.permissions import CorePerm, Perm, assignable_owner_filter, require


def user_list(*, actor) -> QuerySet:
    return User.objects.filter(organization_id=actor.organization_id).select_related("store", "team").order_by("username")


def assignable_users(*, actor, perm: Perm) -> QuerySet:
    return User.objects.filter(assignable_owner_filter(actor, perm), is_active=True).order_by("username")


def store_list(*, actor) -> QuerySet:
    return Store.objects.filter(organization_id=actor.organization_id).order_by("-is_headquarters", "code")


def team_list(*, actor) -> QuerySet:
    return Team.objects.filter(organization_id=actor.organization_id).select_related("store").order_by("name")


AUDIT_FILTERS = ("action", "object_type", "object_id", "actor_id")


def audit_list(*, actor, filters: dict | None = None) -> QuerySet:
    require(actor, CorePerm.VIEW_AUDIT)
    qs = AuditEntry.objects.filter(organization_id=actor.organization_id).select_related("actor")
    for name, value in (filters or {}).items():
        if name in AUDIT_FILTERS and value not in (None, ""):
            qs = qs.filter(**{name: value})
    return qs


def audit_for_object(*, actor, obj) -> QuerySet:
    return audit_list(actor=actor, filters={"object_type": obj._meta.label_lower, "object_id": str(obj.pk)})


def token_list(*, actor) -> QuerySet:
    from guanxi.core.models import ApiToken

    return ApiToken.objects.filter(organization_id=actor.organization_id, user=actor).order_by("-created_at")
