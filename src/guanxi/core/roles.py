"""Roles are defined in code; what each role may do lives next to each domain's permissions."""

from django.db import models
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    OWNER = "owner", pgettext_lazy("role", "Owner")
    ADMIN = "admin", pgettext_lazy("role", "Administrator")
    MANAGER = "manager", pgettext_lazy("role", "Store manager")
    SALES = "sales", pgettext_lazy("role", "Sales rep")
    SERVICE = "service", pgettext_lazy("role", "Service agent")
    CASHIER = "cashier", pgettext_lazy("role", "Cashier")
    MARKETING = "marketing", pgettext_lazy("role", "Marketing")
    READ_ONLY = "read_only", pgettext_lazy("role", "Read-only")
