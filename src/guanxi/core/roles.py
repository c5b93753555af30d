"""Roles are defined in code; what each role may do lives next to each domain's permissions."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Administrator")
    MANAGER = "manager", _("Store manager")
    SALES = "sales", _("Sales rep")
    SERVICE = "service", _("Service agent")
    CASHIER = "cashier", _("Cashier")
    MARKETING = "marketing", _("Marketing")
    READ_ONLY = "read_only", _("Read-only")
