from django.urls import include, path

from guanxi.customers import views

app_name = "customers"
urlpatterns = [
    path("customers/", views.customer_list, name="list"),
    path("customers/new/", views.customer_create, name="create"),
    path("customers/<int:pk>/", views.customer_detail, name="detail"),
    path("customers/<int:pk>/edit/", views.customer_update, name="update"),
    path("customers/<int:pk>/delete/", views.customer_delete, name="delete"),
    path("customers/<int:pk>/merge/", views.customer_merge, name="merge"),
    path("customers/<int:pk>/notes/", views.note_add, name="note_add"),
    path("customers/<int:pk>/attachments/", views.attachment_add, name="attachment_add"),
    path("customers/<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("attachments/<int:pk>/download/", views.attachment_download, name="attachment_download"),
    path("contacts/", views.contact_list, name="contacts"),
    path("contacts/<int:pk>/edit/", views.contact_update, name="contact_update"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact_delete"),
    path("", include("guanxi.customers.io_urls")),
]
