"""Import and export pages; included into the customers namespace."""

from django.urls import path

from guanxi.customers import views

urlpatterns: list = [
    path("customers/export/", views.customer_export, name="export"),
]
