"""Lead pages (included from sales/urls.py under the "sales" namespace) and the public form."""

from django.urls import path

from guanxi.sales.views import leads, web_forms

urlpatterns = [
    path("leads/", leads.lead_list, name="leads"),
    path("leads/new/", leads.lead_create, name="lead_create"),
    path("leads/export/", leads.lead_export, name="lead_export"),
    path("leads/scoring/", leads.score_rules, name="lead_score_rules"),
    path("leads/scoring/<int:pk>/", leads.score_rule_update, name="lead_score_rule_update"),
    path("leads/scoring/<int:pk>/delete/", leads.score_rule_delete, name="lead_score_rule_delete"),
    path("leads/forms/", leads.web_form_list, name="lead_web_forms"),
    path("leads/forms/<int:pk>/", leads.web_form_update, name="lead_web_form_update"),
    path("leads/forms/<int:pk>/delete/", leads.web_form_delete, name="lead_web_form_delete"),
    path("leads/<int:pk>/", leads.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/edit/", leads.lead_update, name="lead_update"),
    path("leads/<int:pk>/delete/", leads.lead_delete, name="lead_delete"),
    path("leads/<int:pk>/qualify/", leads.lead_qualify, name="lead_qualify"),
    path("leads/<int:pk>/assign/", leads.lead_assign, name="lead_assign"),
    path("leads/<int:pk>/convert/", leads.lead_convert, name="lead_convert"),
    path("f/<str:key>/", web_forms.web_form_public, name="web_form_public"),
]
