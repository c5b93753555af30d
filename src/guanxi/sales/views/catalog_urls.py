from django.urls import path

from guanxi.sales.views import catalog as views

urlpatterns = [
    path("products/", views.product_list, name="product_list"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/<int:pk>/", views.product_detail, name="product_detail"),
    path("products/<int:pk>/edit/", views.product_update, name="product_update"),
    path("products/<int:pk>/delete/", views.product_delete, name="product_delete"),
    path("products/<int:pk>/bundle-items/", views.bundle_item_add, name="bundle_item_add"),
    path("products/<int:pk>/rules/", views.rule_add, name="rule_add"),
    path("bundle-items/<int:pk>/delete/", views.bundle_item_remove, name="bundle_item_remove"),
    path("product-rules/<int:pk>/delete/", views.rule_remove, name="rule_remove"),
    path("price-lists/", views.price_list_list, name="price_list_list"),
    path("price-lists/new/", views.price_list_create, name="price_list_create"),
    path("price-lists/<int:pk>/", views.price_list_detail, name="price_list_detail"),
    path("price-lists/<int:pk>/edit/", views.price_list_update, name="price_list_update"),
    path("price-lists/<int:pk>/delete/", views.price_list_delete, name="price_list_delete"),
    path("price-lists/<int:pk>/items/", views.price_item_set, name="price_item_set"),
    path("price-items/<int:pk>/delete/", views.price_item_remove, name="price_item_remove"),
]
