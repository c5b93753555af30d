"""Sales permissions, the role policy, and the territory rule (SAL-5).

Row scopes work as for customers: reps see their team's records and change their own, managers
their store's, owners/admins everything. On top, the territory rule: a user who is a member of a
territory (as rep or manager) also *sees* every lead, opportunity, quote, order and customer that
sits in that territory or below it — whoever owns it.
"""

from __future__ import annotations

from django.db.models import Q

from guanxi.core.permissions import Perm, Scope, register_policy, register_reach
from guanxi.core.roles import Role
from guanxi.customers.permissions import CustomerPerm


class LeadPerm(Perm):
    VIEW = "leads.view"
    CREATE = "leads.create"
    CHANGE = "leads.change"
    DELETE = "leads.delete"
    ASSIGN = "leads.assign"
    CONVERT = "leads.convert"
    IMPORT = "leads.import"
    EXPORT = "leads.export"
    MANAGE_FORMS = "leads.manage_forms"


class OpportunityPerm(Perm):
    VIEW = "opportunities.view"
    CREATE = "opportunities.create"
    CHANGE = "opportunities.change"
    DELETE = "opportunities.delete"
    EXPORT = "opportunities.export"
    VIEW_FORECAST = "opportunities.view_forecast"
    MANAGE_QUOTAS = "opportunities.manage_quotas"
    MANAGE_PIPELINES = "opportunities.manage_pipelines"


class QuotePerm(Perm):
    """Quotes and contracts."""

    VIEW = "quotes.view"
    CREATE = "quotes.create"
    CHANGE = "quotes.change"
    DELETE = "quotes.delete"
    APPROVE = "quotes.approve"


class OrderPerm(Perm):
    VIEW = "orders.view"
    CREATE = "orders.create"
    CHANGE = "orders.change"
    CANCEL = "orders.cancel"
    RECORD_PAYMENT = "orders.record_payment"


class CatalogPerm(Perm):
    VIEW = "catalog.view"
    MANAGE = "catalog.manage"


class TerritoryPerm(Perm):
    VIEW = "territories.view"
    MANAGE = "territories.manage"


class CommissionPerm(Perm):
    VIEW = "commission.view"
    MANAGE = "commission.manage"


class ExpensePerm(Perm):
    VIEW = "expenses.view"
    CREATE = "expenses.create"
    CHANGE = "expenses.change"
    APPROVE = "expenses.approve"


class PlaybookPerm(Perm):
    VIEW = "playbook.view"
    POST = "playbook.post"
    MANAGE = "playbook.manage"


class SalesReportPerm(Perm):
    VIEW = "sales_reports.view"
    EXPORT = "sales_reports.export"


ALL_SALES_PERMS = (LeadPerm, OpportunityPerm, QuotePerm, OrderPerm, CatalogPerm, TerritoryPerm, CommissionPerm,
                   ExpensePerm, PlaybookPerm, SalesReportPerm)


def _every(scope: Scope) -> dict:
    return {perm: scope for enum in ALL_SALES_PERMS for perm in enum}


_MANAGER = {
    **_every(Scope.STORE),
    CatalogPerm.VIEW: Scope.ALL, CatalogPerm.MANAGE: Scope.NONE,
    TerritoryPerm.VIEW: Scope.ALL, TerritoryPerm.MANAGE: Scope.NONE,
    CommissionPerm.MANAGE: Scope.NONE,
    OpportunityPerm.MANAGE_PIPELINES: Scope.NONE,
    PlaybookPerm.VIEW: Scope.ALL, PlaybookPerm.POST: Scope.ALL,
}
_SALES = {
    LeadPerm.VIEW: Scope.TEAM, LeadPerm.CREATE: Scope.OWN, LeadPerm.CHANGE: Scope.OWN, LeadPerm.CONVERT: Scope.OWN,
    LeadPerm.IMPORT: Scope.OWN,
    OpportunityPerm.VIEW: Scope.TEAM, OpportunityPerm.CREATE: Scope.OWN, OpportunityPerm.CHANGE: Scope.OWN,
    OpportunityPerm.VIEW_FORECAST: Scope.OWN,
    QuotePerm.VIEW: Scope.TEAM, QuotePerm.CREATE: Scope.OWN, QuotePerm.CHANGE: Scope.OWN,
    OrderPerm.VIEW: Scope.TEAM, OrderPerm.CREATE: Scope.OWN, OrderPerm.CHANGE: Scope.OWN,
    OrderPerm.RECORD_PAYMENT: Scope.OWN,
    CatalogPerm.VIEW: Scope.ALL, TerritoryPerm.VIEW: Scope.ALL,
    CommissionPerm.VIEW: Scope.OWN,
    ExpensePerm.VIEW: Scope.OWN, ExpensePerm.CREATE: Scope.OWN, ExpensePerm.CHANGE: Scope.OWN,
    PlaybookPerm.VIEW: Scope.ALL, PlaybookPerm.POST: Scope.ALL,
    SalesReportPerm.VIEW: Scope.OWN,
}
_COUNTER = {  # service and cashier staff: the store's orders and the catalogue
    OrderPerm.VIEW: Scope.STORE, CatalogPerm.VIEW: Scope.ALL,
}
_MARKETING = {
    **{perm: Scope.ALL for perm in LeadPerm if perm not in (LeadPerm.DELETE, LeadPerm.CONVERT)},
    OpportunityPerm.VIEW: Scope.ALL, CatalogPerm.VIEW: Scope.ALL, TerritoryPerm.VIEW: Scope.ALL,
    PlaybookPerm.VIEW: Scope.ALL, SalesReportPerm.VIEW: Scope.ALL, SalesReportPerm.EXPORT: Scope.ALL,
}
_READ_ONLY = {perm: Scope.ALL for enum in ALL_SALES_PERMS for perm in enum if perm.value.endswith(".view")}
_READ_ONLY[OpportunityPerm.VIEW_FORECAST] = Scope.ALL

POLICY = {
    Role.OWNER: _every(Scope.ALL),
    Role.ADMIN: _every(Scope.ALL),
    Role.MANAGER: _MANAGER,
    Role.SALES: _SALES,
    Role.SERVICE: _COUNTER,
    Role.CASHIER: _COUNTER,
    Role.MARKETING: _MARKETING,
    Role.READ_ONLY: _READ_ONLY,
}
register_policy(POLICY)


# --- the territory rule --------------------------------------------------------------------

def territory_ids_for(user) -> list[int]:
    """The territories `user` belongs to, with every territory below them. Cached on the user
    object for the request (a membership change takes effect on the next request)."""
    cached = getattr(user, "_sales_territory_ids", None)
    if cached is not None:
        return cached
    from guanxi.sales.models import Territory, TerritoryMember

    paths = list(
        TerritoryMember.objects.filter(organization_id=user.organization_id, user_id=user.pk,
                                       territory__is_active=True)
        .values_list("territory__path", flat=True)
    )
    ids: list[int] = []
    if paths:
        subtree = Q()
        for path in paths:
            subtree |= Q(path__startswith=path)
        ids = list(Territory.objects.filter(subtree, organization_id=user.organization_id, is_active=True)
                   .values_list("pk", flat=True))
    user._sales_territory_ids = ids
    return ids


def _territory_reach(user, prefix: str):
    ids = territory_ids_for(user)
    return Q(**{f"{prefix}territory_id__in": ids}) if ids else None


def _customer_territory_reach(user, prefix: str):
    ids = territory_ids_for(user)
    if not ids:
        return None
    from guanxi.sales.models import CustomerTerritory

    linked = CustomerTerritory.objects.filter(organization_id=user.organization_id, territory_id__in=ids)
    return Q(**{f"{prefix}pk__in": linked.values("customer_id")})


register_reach([LeadPerm.VIEW, OpportunityPerm.VIEW, QuotePerm.VIEW, OrderPerm.VIEW], _territory_reach)
register_reach([CustomerPerm.VIEW], _customer_territory_reach)
