"""Orders, their lines and payments (SAL-8)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.tenancy import TenantModel
from guanxi.sales.models.base import OwnedRecord, currency_field, money_field


class Order(OwnedRecord):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CONFIRMED = "confirmed", _("Confirmed")
        DELIVERED = "delivered", _("Delivered")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("number"), max_length=30)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="orders")
    opportunity = models.ForeignKey("sales.Opportunity", verbose_name=_("opportunity"), on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="orders")
    quote = models.ForeignKey("sales.Quote", verbose_name=_("quote"), on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="orders")
    contract = models.ForeignKey("sales.Contract", verbose_name=_("contract"), on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="orders")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    currency = currency_field()
    subtotal = money_field(_("subtotal"))
    discount_total = money_field(_("discount"))
    tax_total = money_field(_("tax"))
    total = money_field(_("total"))
    cost_total = money_field(_("cost"))
    paid_amount = money_field(_("paid"))
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True, editable=False)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True, editable=False)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="order_number_unique"),
            models.CheckConstraint(condition=models.Q(paid_amount__gte=0), name="order_paid_not_negative"),
        ]
        indexes = [
            models.Index(fields=["organization", "owner", "created_at"]),
            models.Index(fields=["organization", "store", "created_at"]),
            models.Index(fields=["organization", "customer"]),
            models.Index(fields=["organization", "status", "paid_at"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def balance_due(self) -> Decimal:
        return self.total - self.paid_amount


class OrderLine(TenantModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    product = models.ForeignKey("sales.Product", verbose_name=_("product"), on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+")
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=Decimal(1))
    unit_price = money_field(_("unit price"))
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2, default=Decimal(0))
    tax_rate = models.DecimalField(_("tax rate"), max_digits=5, decimal_places=4, default=Decimal(0))
    net_amount = money_field(_("net"), editable=False)
    tax_amount = money_field(_("tax"), editable=False)
    cost = money_field(_("cost"), editable=False)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="order_line_quantity_positive"),
        ]


class Payment(TenantModel):
    """Append-only: a refund is a negative payment, never an edit."""

    class Method(models.TextChoices):
        BANK = "bank", _("Bank transfer")
        CASH = "cash", _("Cash")
        CARD = "card", _("Card")
        WECHAT = "wechat", _("WeChat Pay")
        ALIPAY = "alipay", _("Alipay")
        OTHER = "other", _("Other")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    amount = money_field(_("amount"))
    method = models.CharField(_("method"), max_length=10, choices=Method.choices, default=Method.BANK)
    paid_on = models.DateField(_("paid on"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # A client that retries a payment sends the same key; the retry returns the first payment.
    idempotency_key = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["paid_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "order", "idempotency_key"],
                                    condition=~models.Q(idempotency_key=""), name="payment_idempotency_key_unique"),
        ]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("payments are append-only")
        super().save(*args, **kwargs)
