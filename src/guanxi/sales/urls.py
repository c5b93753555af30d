"""Sales pages: each sub-domain's url module is included here under the "sales" namespace."""

from django.urls import include, path

app_name = "sales"

urlpatterns = [
    # path("leads/", include("guanxi.sales.views.leads_urls")),  — one line per sub-domain
    path("", include("guanxi.sales.views.leads_urls")),
    path("", include("guanxi.sales.views.deals_urls")),
    path("", include("guanxi.sales.views.catalog_urls")),
    path("", include("guanxi.sales.views.quotes_urls")),
    path("", include("guanxi.sales.views.contracts_urls")),
    path("", include("guanxi.sales.views.orders_urls")),
    path("", include("guanxi.sales.views.commission_urls")),
    path("", include("guanxi.sales.views.expenses_urls")),
    path("", include("guanxi.sales.views.reports_urls")),
]
