"""Input checks every domain's services share: unknown fields, NUL bytes, owner and store choices.

They raise ValidationError({field: [message]}) before anything is written.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from guanxi.core.models import Store, User
from guanxi.core.permissions import Perm, Scope, assignable_owner_filter, scope_for


def reject_unknown(data: dict, allowed: tuple[str, ...], *, also: tuple[str, ...] = ()) -> None:
    unknown = sorted(set(data) - set(allowed) - set(also))
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in unknown})


def check_text(data: dict) -> None:
    bad = {k: [_("Null characters are not allowed.")] for k, v in data.items() if isinstance(v, str) and "\x00" in v}
    if bad:
        raise ValidationError(bad)


def resolve_owner(actor, value, perm: Perm, *, field: str = "owner", pool_allowed: bool = True) -> User | None:
    """The user `actor` names as owner under `perm`. No owner (the shared pool) is only for
    store-wide roles, and only where the record type has a pool."""
    if value in (None, ""):
        if not pool_allowed or scope_for(actor, perm) < Scope.STORE:
            raise ValidationError({field: [_("Choose an owner.")]})
        return None
    owner_id = value.pk if isinstance(value, User) else value
    try:
        owner_id = int(owner_id)
    except (TypeError, ValueError):
        raise ValidationError({field: [_("Choose a valid owner.")]}) from None
    owner = User.objects.filter(assignable_owner_filter(actor, perm), pk=owner_id, is_active=True).first()
    if owner is None:
        raise ValidationError({field: [_("You cannot assign records to this user.")]})
    return owner


def resolve_store(actor, value, perm: Perm, *, field: str = "store") -> Store | None:
    """Store-scoped staff may only file records under their own store."""
    if value in (None, ""):
        return None
    store_id = value.pk if isinstance(value, Store) else value
    try:
        store = Store.objects.filter(organization_id=actor.organization_id, pk=int(store_id)).first()
    except (TypeError, ValueError):
        store = None
    if store is None:
        raise ValidationError({field: [_("Choose a valid store.")]})
    reaches_all = scope_for(actor, perm) == Scope.ALL or actor.store_id is None or actor.store.is_headquarters
    if not reaches_all and store.pk != actor.store_id:
        raise ValidationError({field: [_("You can only choose your own store.")]})
    return store
