"""Sales report pages; included into the "sales" namespace."""

from django.urls import path

from guanxi.sales.views import reports as views

urlpatterns = [
    path("sales/reports/", views.report_index, name="reports"),
    path("sales/reports/<slug:name>/", views.report_detail, name="report"),
    path("sales/reports/<slug:name>/export/", views.report_export, name="report_export"),
]
