from django.urls import path

from guanxi.core import views

app_name = "core"
urlpatterns = [
    path("", views.root, name="root"),
    path("today/", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("account/language/", views.set_language, name="set_language"),
    path("account/tokens/", views.tokens, name="tokens"),
    path("account/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("audit/", views.audit_log, name="audit"),
    path("notifications/", views.notifications, name="notifications"),
]
