"""Expense claim pages; included into the "sales" namespace."""

from django.urls import path

from guanxi.sales.views import expenses as views

urlpatterns = [
    path("expenses/", views.expense_list, name="expenses"),
    path("expenses/new/", views.expense_create, name="expense_create"),
    path("expenses/approvals/", views.expense_approvals, name="expense_approvals"),
    path("expenses/deals/", views.expense_deals, name="expense_deals"),
    path("expenses/<int:pk>/", views.expense_detail, name="expense_detail"),
    path("expenses/<int:pk>/edit/", views.expense_update, name="expense_update"),
    path("expenses/<int:pk>/delete/", views.expense_delete, name="expense_delete"),
    path("expenses/<int:pk>/submit/", views.expense_submit, name="expense_submit"),
    path("expenses/<int:pk>/approve/", views.expense_approve, name="expense_approve"),
    path("expenses/<int:pk>/reject/", views.expense_reject, name="expense_reject"),
    path("expenses/<int:pk>/receipt/", views.expense_receipt_upload, name="expense_receipt_upload"),
    path("expenses/<int:pk>/receipt/download/", views.expense_receipt, name="expense_receipt"),
]
