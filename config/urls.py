from django.urls import include, path

from guanxi.api import api

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("api/v1/", api.urls),
    path("", include("guanxi.core.urls")),
    path("", include("guanxi.customers.urls")),
    path("", include("guanxi.sales.urls")),
]
