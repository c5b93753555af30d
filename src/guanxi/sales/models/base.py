"""Shared pieces of the sales models: money columns and the owned-record base."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.tenancy import TenantModel

MONEY = {"max_digits": 14, "decimal_places": 2, "default": Decimal("0.00")}
ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def money_field(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(verbose_name, **{**MONEY, **kwargs})


def currency_field() -> models.CharField:
    return models.CharField(_("currency"), max_length=3, default="CNY")


class OwnedRecord(TenantModel):
    """A sales record with the three things row rules look at: owner, store and territory."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    store = models.ForeignKey(
        "core.Store", verbose_name=_("store"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    territory = models.ForeignKey(
        "sales.Territory", verbose_name=_("territory"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True
