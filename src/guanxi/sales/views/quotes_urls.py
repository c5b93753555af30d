from django.urls import path

from guanxi.sales.views import quotes as views

urlpatterns = [
    path("quotes/", views.quote_list, name="quote_list"),
    path("quotes/new/", views.quote_create, name="quote_create"),
    path("quotes/settings/", views.quote_settings, name="quote_settings"),
    path("quotes/<int:pk>/", views.quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/edit/", views.quote_update, name="quote_update"),
    path("quotes/<int:pk>/delete/", views.quote_delete, name="quote_delete"),
    path("quotes/<int:pk>/lines/", views.line_add, name="quote_line_add"),
    path("quote-lines/<int:pk>/", views.line_update, name="quote_line_update"),
    path("quote-lines/<int:pk>/delete/", views.line_remove, name="quote_line_remove"),
    path("quotes/<int:pk>/submit/", views.quote_submit, name="quote_submit"),
    path("quotes/<int:pk>/approve/", views.quote_approve, name="quote_approve"),
    path("quotes/<int:pk>/reject/", views.quote_reject, name="quote_reject"),
    path("quotes/<int:pk>/new-version/", views.quote_new_version, name="quote_new_version"),
    path("quotes/<int:pk>/accept/", views.quote_accept, name="quote_accept"),
    path("quotes/<int:pk>/decline/", views.quote_decline, name="quote_decline"),
    path("quotes/<int:pk>/send/", views.quote_send, name="quote_send"),
    path("quotes/<int:pk>/pdf/", views.quote_pdf, name="quote_pdf"),
]
