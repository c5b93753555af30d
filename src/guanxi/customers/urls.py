from django.urls import include, path

app_name = "customers"
urlpatterns = [
    path("", include("guanxi.customers.io_urls")),
]
