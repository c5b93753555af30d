"""Per-organisation sales settings and document number sequences."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.tenancy import TenantModel


class SalesSettings(TenantModel):
    """One row per organisation (created on first use by the selector)."""

    quote_discount_threshold = models.DecimalField(
        _("discount needing approval (%)"), max_digits=5, decimal_places=2, default=Decimal("15.00"),
        help_text=_("A quote with any line discount above this percentage needs a manager's approval."),
    )
    quote_validity_days = models.PositiveSmallIntegerField(_("quote valid for (days)"), default=30)
    contract_reminder_days = models.PositiveSmallIntegerField(_("renewal reminder (days before)"), default=30)
    default_tax_rate = models.DecimalField(_("default tax rate"), max_digits=5, decimal_places=4,
                                           default=Decimal("0.1300"))
    lead_rotting_days = models.PositiveSmallIntegerField(_("stale lead after (days)"), default=14)

    class Meta:
        verbose_name = _("sales settings")
        verbose_name_plural = _("sales settings")
        constraints = [models.UniqueConstraint(fields=["organization"], name="sales_settings_one_per_org")]


class NumberSequence(TenantModel):
    """Gap-free document numbers (Q-2026-00001) taken under a row lock in the writing transaction."""

    kind = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "kind", "year"], name="number_sequence_unique"),
        ]
