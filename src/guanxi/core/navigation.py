"""The module navigation. A module appears only when it exists and the user may use it.

Entries are grouped: a group with one visible entry shows as a plain link, a group with more
as a dropdown, so the bar stays short as modules land.
"""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from guanxi.core.permissions import CorePerm, has_perm
from guanxi.customers.permissions import CustomerPerm
from guanxi.sales.permissions import (
    CatalogPerm,
    CommissionPerm,
    ExpensePerm,
    LeadPerm,
    OpportunityPerm,
    OrderPerm,
    PlaybookPerm,
    QuotePerm,
    SalesReportPerm,
    TerritoryPerm,
)

NAV = [
    # (group label or None, url name, label, icon, permission, active-path prefix)
    (None, "core:home", _("Today"), "house", None, "/today"),
    (_("Customers"), "customers:list", _("Customers"), "building", CustomerPerm.VIEW, "/customers"),
    (_("Customers"), "customers:contacts", _("Contacts"), "person-lines", CustomerPerm.VIEW, "/contacts"),
    (_("Customers"), "customers:import", _("Import"), "upload", CustomerPerm.IMPORT, "/imports"),
    (_("Sales"), "sales:leads", _("Leads"), "funnel", LeadPerm.VIEW, "/leads"),
    (_("Sales"), "sales:board", _("Opportunities"), "kanban", OpportunityPerm.VIEW, "/opportunities"),
    (_("Sales"), "sales:quote_list", _("Quotes"), "file-earmark-text", QuotePerm.VIEW, "/quotes"),
    (_("Sales"), "sales:contract_list", _("Contracts"), "file-earmark-check", QuotePerm.VIEW, "/contracts"),
    (_("Sales"), "sales:order_list", _("Orders"), "receipt", OrderPerm.VIEW, "/orders"),
    (_("Sales"), "sales:forecast", _("Forecast"), "graph-up-arrow", OpportunityPerm.VIEW_FORECAST, "/forecast"),
    (_("Sales"), "sales:commission_statement", _("Commission"), "cash-coin", CommissionPerm.VIEW, "/commission"),
    (_("Sales"), "sales:expenses", _("Expenses"), "wallet2", ExpensePerm.VIEW, "/expenses"),
    (_("Sales"), "sales:reports", _("Sales reports"), "bar-chart", SalesReportPerm.VIEW, "/sales/reports"),
    (_("Sales setup"), "sales:product_list", _("Products"), "box-seam", CatalogPerm.VIEW, "/products"),
    (_("Sales setup"), "sales:territories", _("Territories"), "map", TerritoryPerm.VIEW, "/territories"),
    (_("Sales setup"), "sales:playbook", _("Playbook"), "book", PlaybookPerm.VIEW, "/playbook"),
    (None, "core:audit", _("Audit log"), "journal-text", CorePerm.VIEW_AUDIT, "/audit"),
]


def navigation_for(request):
    """[{"url", "label", "icon", "active"} | {"group", "children": [...], "active"}] in NAV order."""
    user = request.user
    entries: list[dict] = []
    groups: dict[str, dict] = {}
    for group, name, label, icon, perm, prefix in NAV:
        if perm is not None and not has_perm(user, perm):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:  # a module whose pages are not installed in this build
            continue
        item = {"url": url, "label": label, "icon": icon, "active": request.path.startswith(prefix)}
        if group is None:
            entries.append(item)
            continue
        key = str(group)
        if key not in groups:
            groups[key] = {"group": group, "children": [], "active": False}
            entries.append(groups[key])
        groups[key]["children"].append(item)
        groups[key]["active"] = groups[key]["active"] or item["active"]
    return [e["children"][0] if "group" in e and len(e["children"]) == 1 else e for e in entries]
