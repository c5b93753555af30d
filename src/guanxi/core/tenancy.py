"""Row-level tenancy: every tenant-owned row carries an organisation, and unscoped queries fail.

A request (page or API) activates the acting user's organisation for its duration; code
outside a request (CLI, jobs, migrations of data) states its scope explicitly with
`tenant_scope(org)` or, for genuinely cross-tenant work such as backups, `unscoped()`.
A query on a tenant model with neither raises `TenantScopeError` instead of silently
returning every organisation's rows.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from guanxi.core.models import Organization

_UNSCOPED = object()
_current: contextvars.ContextVar = contextvars.ContextVar("guanxi_tenant", default=None)


class TenantScopeError(RuntimeError):
    """A tenant model was queried with no organisation in scope."""


def current_org_id() -> int | None:
    value = _current.get()
    return None if value is None or value is _UNSCOPED else value


def scope_key() -> tuple:
    """The current scope as a hashable value (for caches of compiled queries: the tenant manager's filter differs per scope)."""
    value = _current.get()
    return ("unscoped",) if value is _UNSCOPED else ("org", value)


def activate(org: Organization | int | None) -> contextvars.Token:
    org_id = org if isinstance(org, int) or org is None else org.pk
    return _current.set(org_id)


def activate_unscoped() -> contextvars.Token:
    return _current.set(_UNSCOPED)


def reset(token: contextvars.Token) -> None:
    _current.reset(token)


@contextmanager
def tenant_scope(org: Organization | int):
    token = activate(org)
    try:
        yield
    finally:
        reset(token)


@contextmanager
def unscoped():
    """For cross-tenant work only (backup, demo loading, system checks). Grep for it in review."""
    token = activate_unscoped()
    try:
        yield
    finally:
        reset(token)


class TenantManager(models.Manager):
    def get_queryset(self):
        value = _current.get()
        qs = super().get_queryset()
        if value is _UNSCOPED:
            return qs
        if value is None:
            raise TenantScopeError(
                f"{self.model.__name__} queried outside a tenant scope; "
                "use a selector with the acting user, tenant_scope(org) or unscoped()."
            )
        return qs.filter(organization_id=value)


class TenantModel(models.Model):
    """Base for every table that belongs to one organisation."""

    organization = models.ForeignKey("core.Organization", on_delete=models.CASCADE, related_name="+", db_index=True)

    objects = TenantManager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        scoped_to = _current.get()
        if scoped_to is not _UNSCOPED and scoped_to is not None and self.organization_id != scoped_to:
            raise TenantScopeError(
                f"refusing to save {type(self).__name__} of organisation {self.organization_id} "
                f"inside the scope of organisation {scoped_to}"
            )
        super().save(*args, **kwargs)

    # Django's internals (forward relations, cascades) use the plain base manager, so
    # deleting an organisation still cascades; reverse managers and queries are scoped.
