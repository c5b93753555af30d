"""Territories (SAL-5): a tree of regions/industries with placement rules, and who works each one."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.tenancy import TenantModel


class Territory(TenantModel):
    """A node of the territory tree. `path` is the materialised chain of ids ("/3/7/12/") so a
    subtree is one prefix match. Rules are lists (one value per line); a record is placed in the
    deepest, then highest-priority, territory whose every non-empty rule matches it."""

    parent = models.ForeignKey("self", verbose_name=_("parent"), on_delete=models.PROTECT, null=True, blank=True,
                               related_name="children")
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=30, blank=True)
    path = models.CharField(max_length=255, blank=True, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    priority = models.PositiveSmallIntegerField(_("priority"), default=100,
                                                help_text=_("Lower numbers win when two territories match."))
    provinces = models.TextField(_("provinces"), blank=True, help_text=_("One per line, e.g. 上海"))
    cities = models.TextField(_("cities"), blank=True, help_text=_("One per line, e.g. 浦东"))
    postcode_prefixes = models.TextField(_("postcode prefixes"), blank=True, help_text=_("One per line, e.g. 2000"))
    industries = models.TextField(_("industries"), blank=True, help_text=_("One per line"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        ordering = ["path"]
        constraints = [models.UniqueConstraint(fields=["organization", "parent", "name"], name="territory_name_unique")]

    def __str__(self) -> str:
        return self.name


class TerritoryMember(TenantModel):
    class Role(models.TextChoices):
        REP = "rep", _("Sales rep")
        MANAGER = "manager", _("Territory manager")

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="territory_memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.REP)

    class Meta:
        verbose_name = _("territory member")
        verbose_name_plural = _("territory members")
        constraints = [
            models.UniqueConstraint(fields=["organization", "territory", "user"], name="territory_member_unique"),
        ]


class CustomerTerritory(TenantModel):
    """Which territory a customer sits in (kept here so the customers app does not depend on sales)."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="territory_links")
    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="customer_links")
    assigned_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "territory"])]
        constraints = [
            models.UniqueConstraint(fields=["organization", "customer"], name="customer_territory_one_per_customer"),
        ]
