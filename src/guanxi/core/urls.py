from django.urls import path

from guanxi.core import views

app_name = "core"
urlpatterns = [
    path("", views.root, name="root"),
]
