"""Import and export pages; included into the customers namespace."""

from django.urls import path

from guanxi.customers import views
from guanxi.imports import views as imports

urlpatterns: list = [
    path("customers/export/", views.customer_export, name="export"),
    path("imports/", imports.import_list, name="import"),
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/check/", imports.import_check, name="import_check"),
    path("imports/<int:pk>/start/", imports.import_start, name="import_start"),
    path("imports/<int:pk>/progress/", imports.import_progress, name="import_progress"),
    path("imports/<int:pk>/errors.csv", imports.import_errors, name="import_errors"),
]
