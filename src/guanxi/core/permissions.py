"""Permissions: per-domain enums, a role → (permission → row scope) policy, and row rules.

A grant is a permission plus the rows it reaches:
  OWN    records the user owns
  TEAM   records owned by anyone in the user's team (falls back to OWN without a team)
  STORE  records of the user's store (headquarters staff and staff without a store: all stores)
  ALL    every record of the organisation
For CREATE-like permissions the same scope says whom the user may name as owner.
Other rules may widen a permission's reach (`register_reach`): the sales territory rule lets
territory members see what their territories hold. The same table drives list filters (`row_filter`) and single-record checks (`require`),
so pages, API, search and exports cannot disagree.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Expression, ExpressionWrapper, Q, QuerySet, Value

from guanxi.core.roles import Role


class Scope(enum.IntEnum):
    NONE = 0
    OWN = 1
    TEAM = 2
    STORE = 3
    ALL = 4


class Perm(enum.StrEnum):
    """Base for each domain's permission enum; values are "<domain>.<action>"."""


class CorePerm(Perm):
    VIEW_AUDIT = "core.view_audit"
    MANAGE_USERS = "core.manage_users"
    USE_API = "core.use_api"


_POLICY: dict[str, dict[Role, Scope]] = {}
# Extra reach beyond the role scope, e.g. the territory rule: perm -> fn(user, prefix) -> Q | None.
_REACH: dict[str, list] = {}


def register_policy(policy: Mapping[Role, Mapping[Perm, Scope]]) -> None:
    for role, grants in policy.items():
        for perm, scope in grants.items():
            _POLICY.setdefault(str(perm), {})[Role(role)] = Scope(scope)


register_policy(
    {
        Role.OWNER: {CorePerm.VIEW_AUDIT: Scope.ALL, CorePerm.MANAGE_USERS: Scope.ALL},
        Role.ADMIN: {CorePerm.VIEW_AUDIT: Scope.ALL, CorePerm.MANAGE_USERS: Scope.ALL},
    }
)
for _role in Role:
    register_policy({_role: {CorePerm.USE_API: Scope.OWN}})


def register_reach(perms, reach) -> None:
    """Let another rule widen what a permission reaches (OR-ed with the role scope), for users
    who hold the permission at all. `reach(user, prefix)` returns a Q, or None for nothing."""
    for perm in perms:
        _REACH.setdefault(str(perm), []).append(reach)


def policy_table() -> dict[str, dict[Role, Scope]]:
    """The whole matrix, for docs and the authorisation tests."""
    return {perm: dict(grants) for perm, grants in sorted(_POLICY.items())}


def scope_for(user, perm: Perm) -> Scope:
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope.NONE
    return _POLICY.get(str(perm), {}).get(Role(user.role), Scope.NONE)


def has_perm(user, perm: Perm) -> bool:
    return scope_for(user, perm) > Scope.NONE


def _store_is_everything(user) -> bool:
    return user.store_id is None or user.store.is_headquarters


def row_filter(user, perm: Perm, *, prefix: str = "", owner: str = "owner", store: str = "store") -> Q:
    """A Q selecting the rows `user` may reach with `perm`; prefix reaches through a relation.

    The organisation is always part of it, so a selector is right even where no tenant is in scope.
    """
    org = Q(organization_id=user.organization_id) if user is not None and user.is_authenticated else Q(pk__in=[])
    rows = _scope_filter(user, perm, prefix, owner, store)
    if rows != Q() and str(perm) in _REACH and scope_for(user, perm) > Scope.NONE:
        for reach in _REACH[str(perm)]:
            extra = reach(user, prefix)
            if extra is not None:
                rows |= extra
    return org & rows


def _scope_filter(user, perm: Perm, prefix: str, owner: str, store: str) -> Q:
    scope = scope_for(user, perm)
    if scope == Scope.ALL:
        return Q()
    if scope == Scope.STORE:
        return Q() if _store_is_everything(user) else Q(**{f"{prefix}{store}_id": user.store_id})
    if scope == Scope.TEAM and user.team_id:
        return Q(**{f"{prefix}{owner}_id__in": _team_and_self(user)})
    if scope in (Scope.TEAM, Scope.OWN):
        return Q(**{f"{prefix}{owner}_id": user.pk})
    return Q(pk__in=[])


TEAM_LIST_MAX = 500


def _team_and_self(user) -> list[int] | QuerySet:
    """Ids of the users in `user`'s team, and `user`: the team rule "owner in my team, or me" as
    one `owner_id IN (…)`. The same rows as joining the owner and testing its team, but read from
    the (organization, owner, …) index, with a literal list the planner can estimate. Looked up
    anew each time (a team change applies at once); an outsized team stays a subquery."""
    team = get_user_model()._base_manager.filter(Q(team_id=user.team_id) | Q(pk=user.pk)).values("pk")
    ids = list(team.values_list("pk", flat=True)[:TEAM_LIST_MAX + 1])
    return team if len(ids) > TEAM_LIST_MAX else sorted(ids)


def scoped(qs: QuerySet, user, perm: Perm, **kwargs) -> QuerySet:
    return qs.filter(row_filter(user, perm, **kwargs))


def require(user, perm: Perm, obj=None, **kwargs) -> None:
    """Raise PermissionDenied unless `user` holds `perm` (on `obj`, by the same row rule as lists)."""
    if not has_perm(user, perm):
        raise PermissionDenied(perm)
    if obj is not None and not scoped(type(obj)._default_manager.filter(pk=obj.pk), user, perm, **kwargs).exists():
        raise PermissionDenied(perm)


def row_allowed(user, perm: Perm, **kwargs) -> Expression:
    """`perm`'s row rule as a boolean column, to annotate onto a record being read anyway: checking it
    then costs no second query. False for a user without `perm`; read it with `require_annotated`."""
    if not has_perm(user, perm):
        return Value(False, output_field=BooleanField())
    return ExpressionWrapper(row_filter(user, perm, **kwargs), output_field=BooleanField())


def require_annotated(user, perm: Perm, allowed) -> None:
    """`require(user, perm, obj)` for an obj read with `allowed=row_allowed(user, perm)` (same user,
    same perm, same row): the row rule was evaluated by the query that loaded it."""
    if not has_perm(user, perm) or not allowed:
        raise PermissionDenied(perm)


def access_row(visible: QuerySet, user, pk: int, perm: Perm, *, view: Perm, related: tuple[str, ...] = ()):
    """The row `pk` of `visible` (the rows `user` may see) in one query: Http404 when it is not there,
    PermissionDenied when `perm` (other than the `view` that `visible` already applies) does not reach
    it — its row rule is read with the row (`row_allowed`). `related` is select_related's names (none
    by default: select_related() without names would follow every relation)."""
    from django.http import Http404

    qs = visible.select_related(*related) if related else visible
    if perm != view:
        qs = qs.annotate(perm_allowed=row_allowed(user, perm))
    found = list(qs.filter(pk=pk).order_by()[:1])
    if not found:
        raise Http404
    if perm != view:
        require_annotated(user, perm, found[0].perm_allowed)
    return found[0]


def require_locked(user, perm: Perm, obj, queryset: QuerySet | None = None, **kwargs):
    """`require(user, perm, obj)` and `select_for_update` in one query: the row is read under the lock
    through the row rule itself, so the check is on the very row the caller goes on to change.
    Returns that locked row (from `queryset`, e.g. with select_related, when given); PermissionDenied
    when the rule does not reach it or it is gone. Only the row itself is locked (`of=self`)."""
    if not has_perm(user, perm):
        raise PermissionDenied(perm)
    qs = queryset if queryset is not None else type(obj)._default_manager.all()
    rows = list(qs.select_for_update(of=("self",)).filter(row_filter(user, perm, **kwargs), pk=obj.pk).order_by())
    if not rows:
        raise PermissionDenied(perm)
    return rows[0]


def assignable_owner_filter(user, perm: Perm) -> Q:
    """Which users `user` may name as owner when holding `perm` (create/assign)."""
    scope = scope_for(user, perm)
    if scope == Scope.ALL:
        return Q(organization_id=user.organization_id)
    if scope == Scope.STORE:
        base = Q(organization_id=user.organization_id)
        return base if _store_is_everything(user) else base & Q(store_id=user.store_id)
    if scope == Scope.TEAM and user.team_id:
        return Q(organization_id=user.organization_id, team_id=user.team_id)
    if scope in (Scope.TEAM, Scope.OWN):
        return Q(pk=user.pk)
    return Q(pk__in=[])
