"""Commission pages; included into the "sales" namespace."""

from django.urls import path

from guanxi.sales.views import commission as views

urlpatterns = [
    path("commission/", views.statement, name="commission_statement"),
    path("commission/export/", views.statement_export, name="commission_statement_export"),
    path("commission/rules/", views.rule_list, name="commission_rules"),
    path("commission/rules/new/", views.rule_create, name="commission_rule_create"),
    path("commission/rules/<int:pk>/edit/", views.rule_update, name="commission_rule_update"),
    path("commission/rules/<int:pk>/delete/", views.rule_delete, name="commission_rule_delete"),
]
