"""Quotes with versions and line items, and contracts (SAL-7)."""

from __future__ import annotations

import os
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.tenancy import TenantModel
from guanxi.sales.models.base import OwnedRecord, currency_field, money_field


class Quote(OwnedRecord):
    """One version of a quote. Versions of the same quote share `number`; a new version
    supersedes the previous one. Totals are stored, computed by the service from the lines."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING_APPROVAL = "pending_approval", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        SUPERSEDED = "superseded", _("Superseded")

    number = models.CharField(_("number"), max_length=30)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    opportunity = models.ForeignKey("sales.Opportunity", verbose_name=_("opportunity"), on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="quotes")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="quotes")
    contact = models.ForeignKey("customers.Contact", verbose_name=_("contact"), on_delete=models.SET_NULL,
                                null=True, blank=True, related_name="+")
    price_list = models.ForeignKey("sales.PriceList", verbose_name=_("price list"), on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    currency = currency_field()
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    subtotal = money_field(_("subtotal"))
    discount_total = money_field(_("discount"))
    tax_total = money_field(_("tax"))
    total = money_field(_("total"))
    max_discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"), editable=False)
    terms = models.TextField(_("terms"), blank=True, max_length=10000)
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", editable=False)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, editable=False)
    sent_to = models.EmailField(_("sent to"), blank=True, editable=False)
    decided_at = models.DateTimeField(_("accepted/rejected"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number", "version"], name="quote_number_version_unique"),
        ]
        indexes = [
            models.Index(fields=["organization", "owner", "created_at"]),
            models.Index(fields=["organization", "store", "created_at"]),
            models.Index(fields=["organization", "opportunity"]),
            models.Index(fields=["organization", "customer"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} v{self.version}"


class QuoteLine(TenantModel):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    product = models.ForeignKey("sales.Product", verbose_name=_("product"), on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+")
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=Decimal("1"))
    unit_price = money_field(_("unit price"))
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2, default=Decimal("0"))
    tax_rate = models.DecimalField(_("tax rate"), max_digits=5, decimal_places=4, default=Decimal("0"))
    net_amount = money_field(_("net"), editable=False)
    tax_amount = money_field(_("tax"), editable=False)
    cost = money_field(_("cost"), editable=False)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="quote_line_quantity_positive"),
            models.CheckConstraint(condition=models.Q(discount_percent__gte=0, discount_percent__lte=100),
                                   name="quote_line_discount_range"),
        ]


class Contract(OwnedRecord):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        TERMINATED = "terminated", _("Terminated")

    number = models.CharField(_("number"), max_length=30)
    title = models.CharField(_("title"), max_length=200)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="contracts")
    opportunity = models.ForeignKey("sales.Opportunity", verbose_name=_("opportunity"), on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="contracts")
    quote = models.ForeignKey(Quote, verbose_name=_("quote"), on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="contracts")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    value = money_field(_("value"))
    currency = currency_field()
    start_date = models.DateField(_("start"), null=True, blank=True)
    end_date = models.DateField(_("end"), null=True, blank=True)
    renewal_date = models.DateField(_("renewal date"), null=True, blank=True)
    reminder_days = models.PositiveSmallIntegerField(_("remind days before renewal"), default=30)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    terms = models.TextField(_("terms"), blank=True, max_length=20000)
    signed_at = models.DateField(_("signed"), null=True, blank=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["organization", "number"], name="contract_number_unique")]
        indexes = [
            models.Index(fields=["organization", "owner", "created_at"]),
            models.Index(fields=["organization", "renewal_date"]),
            models.Index(fields=["organization", "customer"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


def contract_file_path(instance, filename: str) -> str:
    ext = os.path.splitext(filename)[1].lower()[:10]
    ext = ext if ext[1:].isalnum() else ""
    return f"contracts/{instance.organization_id}/{uuid.uuid4().hex}{ext}"


class ContractFile(TenantModel):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=contract_file_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(max_length=100, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
