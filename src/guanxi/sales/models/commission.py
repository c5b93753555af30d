"""Quotas, commission rules and the commission ledger (SAL-4, SAL-9)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.tenancy import TenantModel
from guanxi.sales.models.base import currency_field, money_field


class Quota(TenantModel):
    """A rep's target for one calendar month (period = the month's first day)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("rep"), on_delete=models.CASCADE,
                             related_name="+")
    period = models.DateField(_("month"))
    amount = money_field(_("quota"))
    currency = currency_field()

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        ordering = ["period", "user_id"]
        constraints = [models.UniqueConstraint(fields=["organization", "user", "period"], name="quota_unique")]


class CommissionRule(TenantModel):
    """The most specific active rule wins per order line: rep+product, then product, then rep,
    then the catch-all; ties go to the lower `priority`."""

    class Basis(models.TextChoices):
        REVENUE = "revenue", _("Revenue (net of tax)")
        MARGIN = "margin", _("Margin (revenue − cost)")

    name = models.CharField(_("name"), max_length=100)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("rep"), on_delete=models.CASCADE, null=True,
                             blank=True, related_name="+")
    product = models.ForeignKey("sales.Product", verbose_name=_("product"), on_delete=models.CASCADE, null=True,
                                blank=True, related_name="+")
    basis = models.CharField(_("basis"), max_length=10, choices=Basis.choices, default=Basis.REVENUE)
    rate = models.DecimalField(_("rate"), max_digits=6, decimal_places=4, help_text=_("0.0500 = 5%"))
    min_margin_percent = models.DecimalField(_("minimum margin (%)"), max_digits=5, decimal_places=2, null=True,
                                             blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("commission rule")
        verbose_name_plural = _("commission rules")
        ordering = ["priority", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(rate__gte=0, rate__lte=1), name="commission_rate_range"),
        ]

    def __str__(self) -> str:
        return self.name


class CommissionEntry(TenantModel):
    """The commission ledger, append-only. A paid order earns entries (one per line); cancelling
    it after payment adds the same amounts negated in the month of cancellation."""

    class Kind(models.TextChoices):
        EARNED = "earned", _("Earned")
        REVERSAL = "reversal", _("Reversal")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey("sales.Order", on_delete=models.PROTECT, related_name="commission_entries")
    order_line = models.ForeignKey("sales.OrderLine", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    rule = models.ForeignKey(CommissionRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    period = models.DateField(_("month"))
    basis_amount = money_field(_("basis"))
    rate = models.DecimalField(_("rate"), max_digits=6, decimal_places=4, default=Decimal("0"))
    amount = money_field(_("commission"))
    currency = currency_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("commission entry")
        verbose_name_plural = _("commission ledger")
        ordering = ["period", "id"]
        indexes = [models.Index(fields=["organization", "user", "period"])]
        constraints = [
            # One earning and at most one reversal per order line: paying twice cannot earn twice.
            models.UniqueConstraint(fields=["organization", "order_line", "kind"], name="commission_once_per_line"),
        ]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("the commission ledger is append-only")
        super().save(*args, **kwargs)
