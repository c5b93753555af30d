"""Products, price lists and the configurator's rules (SAL-6)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.tenancy import TenantModel
from guanxi.sales.models.base import currency_field, money_field


class Product(TenantModel):
    class Kind(models.TextChoices):
        PRODUCT = "product", _("Product")
        SERVICE = "service", _("Service")
        OPTION = "option", _("Option")
        BUNDLE = "bundle", _("Bundle")

    sku = models.CharField(_("SKU"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PRODUCT)
    category = models.CharField(_("category"), max_length=100, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True, default="")
    list_price = money_field(_("list price"))
    cost = money_field(_("cost"))
    currency = currency_field()
    tax_rate = models.DecimalField(_("tax rate"), max_digits=5, decimal_places=4, default=Decimal("0.1300"))
    description = models.TextField(_("description"), blank=True, max_length=5000)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sku"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "sku"], name="product_sku_unique"),
            models.CheckConstraint(condition=models.Q(list_price__gte=0) & models.Q(cost__gte=0),
                                   name="product_prices_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class BundleItem(TenantModel):
    bundle = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="bundle_items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=Decimal("1"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "bundle", "product"], name="bundle_item_unique")]


class ProductRule(TenantModel):
    """Configurator rules: `product` requires / excludes `other` on the same quote."""

    class Kind(models.TextChoices):
        REQUIRES = "requires", _("requires")
        EXCLUDES = "excludes", _("excludes")

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(_("rule"), max_length=10, choices=Kind.choices)
    other = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("product rule")
        verbose_name_plural = _("product rules")
        constraints = [
            models.UniqueConstraint(fields=["organization", "product", "kind", "other"], name="product_rule_unique"),
        ]


class PriceList(TenantModel):
    """A price list; the default one applies to everybody, others to customers with a tag (group)."""

    name = models.CharField(_("name"), max_length=100)
    currency = currency_field()
    customer_tag = models.ForeignKey("customers.Tag", verbose_name=_("customer group (tag)"),
                                     on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    is_default = models.BooleanField(_("default"), default=False)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="price_list_name_unique"),
            models.UniqueConstraint(fields=["organization"], condition=models.Q(is_default=True),
                                    name="one_default_price_list_per_org"),
        ]

    def __str__(self) -> str:
        return self.name


class PriceListItem(TenantModel):
    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="price_items")
    price = money_field(_("price"))
    min_quantity = models.DecimalField(_("from quantity"), max_digits=12, decimal_places=3, default=Decimal("1"))
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2, default=Decimal("0"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "price_list", "product", "min_quantity"],
                                    name="price_list_item_unique"),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="price_not_negative"),
        ]
