from django.urls import path

from guanxi.sales.views import contracts as views

urlpatterns = [
    path("contracts/", views.contract_list, name="contract_list"),
    path("contracts/new/", views.contract_create, name="contract_create"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/edit/", views.contract_update, name="contract_update"),
    path("contracts/<int:pk>/activate/", views.contract_activate, name="contract_activate"),
    path("contracts/<int:pk>/terminate/", views.contract_terminate, name="contract_terminate"),
    path("contracts/<int:pk>/files/", views.contract_file_add, name="contract_file_add"),
    path("contract-files/<int:pk>/download/", views.contract_file_download, name="contract_file_download"),
    path("quotes/<int:quote_id>/contract/", views.contract_from_quote, name="contract_from_quote"),
]
