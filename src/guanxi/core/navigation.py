"""The module navigation. A module appears only when it exists and the user may use it."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from guanxi.core.permissions import CorePerm, has_perm
from guanxi.customers.permissions import CustomerPerm
from guanxi.sales.permissions import LeadPerm
from guanxi.sales.permissions import OpportunityPerm, PlaybookPerm, TerritoryPerm
from guanxi.sales.permissions import OrderPerm, QuotePerm
from guanxi.sales.permissions import CommissionPerm, ExpensePerm, SalesReportPerm

NAV = [
    # (url name, label, icon, permission, active-path prefix)
    ("core:home", _("Today"), "house", None, "/today"),
    ("customers:list", _("Customers"), "building", CustomerPerm.VIEW, "/customers"),
    ("customers:contacts", _("Contacts"), "person-lines", CustomerPerm.VIEW, "/contacts"),
    ("sales:leads", _("Leads"), "funnel", LeadPerm.VIEW, "/leads"),
    ("sales:product_list", _("Products"), "box-seam", "catalog.view", "/products"),  # CatalogPerm.VIEW
    ("sales:quote_list", _("Quotes"), "file-earmark-text", "quotes.view", "/quotes"),  # QuotePerm.VIEW
    ("customers:import", _("Import"), "upload", CustomerPerm.IMPORT, "/imports"),
    ("sales:board", _("Opportunities"), "kanban", OpportunityPerm.VIEW, "/opportunities"),
    ("sales:forecast", _("Forecast"), "graph-up-arrow", OpportunityPerm.VIEW_FORECAST, "/forecast"),
    ("sales:territories", _("Territories"), "map", TerritoryPerm.VIEW, "/territories"),
    ("sales:playbook", _("Playbook"), "book", PlaybookPerm.VIEW, "/playbook"),
    ("sales:contract_list", _("Contracts"), "file-earmark-text", QuotePerm.VIEW, "/contracts"),
    ("sales:order_list", _("Orders"), "receipt", OrderPerm.VIEW, "/orders"),
    ("sales:commission_statement", _("Commission"), "cash-coin", CommissionPerm.VIEW, "/commission"),
    ("sales:expenses", _("Expenses"), "receipt", ExpensePerm.VIEW, "/expenses"),
    ("sales:reports", _("Sales reports"), "bar-chart", SalesReportPerm.VIEW, "/sales/reports"),
    ("core:audit", _("Audit log"), "journal-text", CorePerm.VIEW_AUDIT, "/audit"),
]


def navigation_for(request):
    user = request.user
    items = []
    for name, label, icon, perm, prefix in NAV:
        if perm is None or has_perm(user, perm):
            try:
                url = reverse(name)
            except NoReverseMatch:  # a module whose pages are not installed in this build
                continue
            items.append({"url": url, "label": label, "icon": icon, "active": request.path.startswith(prefix)})
    return items
