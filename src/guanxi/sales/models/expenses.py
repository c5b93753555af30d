"""Sales expense claims with receipts and approval (SAL-10)."""

from __future__ import annotations

import os
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.sales.models.base import OwnedRecord, currency_field, money_field


def receipt_path(instance, filename: str) -> str:
    ext = os.path.splitext(filename)[1].lower()[:10]
    ext = ext if ext[1:].isalnum() else ""
    return f"receipts/{instance.organization_id}/{uuid.uuid4().hex}{ext}"


class ExpenseClaim(OwnedRecord):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class Category(models.TextChoices):
        TRAVEL = "travel", _("Travel")
        MEALS = "meals", _("Meals and entertainment")
        GIFTS = "gifts", _("Gifts")
        SAMPLES = "samples", _("Samples")
        OTHER = "other", _("Other")

    opportunity = models.ForeignKey("sales.Opportunity", verbose_name=_("opportunity"), on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="expenses")
    category = models.CharField(_("category"), max_length=10, choices=Category.choices, default=Category.OTHER)
    amount = money_field(_("amount"))
    currency = currency_field()
    spent_on = models.DateField(_("date"))
    description = models.CharField(_("description"), max_length=300)
    receipt = models.FileField(_("receipt"), upload_to=receipt_path, max_length=200, blank=True)
    receipt_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("expense claim")
        verbose_name_plural = _("expense claims")
        ordering = ["-spent_on", "-id"]
        indexes = [models.Index(fields=["organization", "owner", "spent_on"]),
                   models.Index(fields=["organization", "opportunity"])]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="expense_amount_positive")]
