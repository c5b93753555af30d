"""Import and export pages (owned by the import/export work); included into the customers namespace."""

urlpatterns: list = []
