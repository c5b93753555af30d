"""Product and price-list forms. They only shape input; the rules live in sales.services.catalog.

Numbers stay text here so the service's messages (decimal places, bounds) reach the field.
Tax rates are shown as percentages (13) and handed to the service as fractions (0.13).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.customers.forms import BootstrapMixin
from guanxi.customers.selectors import tag_list
from guanxi.sales.models import PriceList, Product, ProductRule
from guanxi.sales.selectors.catalog import product_choices


def percent_to_rate(value: str):
    """"13" → "0.13"; anything that is not a number is passed on for the service to refuse."""
    try:
        return str((Decimal(str(value).strip()) / 100).normalize()) if str(value).strip() else value
    except (InvalidOperation, ValueError):
        return value


def rate_to_percent(rate) -> str:
    return f"{(Decimal(rate) * 100).normalize():f}" if rate is not None else ""


class ProductForm(BootstrapMixin, forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Product.Kind.choices, initial=Product.Kind.PRODUCT)
    category = forms.CharField(label=_("Category"), max_length=100, required=False)
    unit = forms.CharField(label=_("Unit"), max_length=20, required=False)
    list_price = forms.CharField(label=_("List price"), max_length=20, initial="0.00")
    cost = forms.CharField(label=_("Cost"), max_length=20, initial="0.00", required=False)
    currency = forms.CharField(label=_("Currency"), max_length=3, required=False)
    tax_percent = forms.CharField(label=_("Tax rate (%)"), max_length=10, required=False)
    description = forms.CharField(label=_("Description"), max_length=5000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    FIELDS = ("sku", "name", "kind", "category", "unit", "list_price", "cost", "currency", "description", "is_active")

    def __init__(self, *args, instance: Product | None = None, **kwargs):
        if instance is not None and not (args and args[0]) and not kwargs.get("data"):
            kwargs["initial"] = {**{f: getattr(instance, f) for f in self.FIELDS},
                                 "tax_percent": rate_to_percent(instance.tax_rate)}
        super().__init__(*args, **kwargs)
        self.instance = instance
        self._style()

    def service_data(self) -> dict:
        data = {f: self.cleaned_data.get(f) for f in self.FIELDS}
        data["cost"] = data["cost"] or "0"
        if not data["currency"]:
            data.pop("currency")
        if self.cleaned_data.get("tax_percent", "") != "":
            data["tax_rate"] = percent_to_rate(self.cleaned_data["tax_percent"])
        return data


SERVICE_ALIASES = {"tax_rate": "tax_percent"}


class BundleItemForm(BootstrapMixin, forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=None)
    quantity = forms.CharField(label=_("Quantity"), max_length=20, initial="1")

    def __init__(self, *args, actor, bundle: Product, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = product_choices(actor=actor).exclude(pk=bundle.pk).exclude(
            kind=Product.Kind.BUNDLE)
        self._style()


class RuleForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Rule"), choices=ProductRule.Kind.choices)
    other = forms.ModelChoiceField(label=_("Product"), queryset=None)

    def __init__(self, *args, actor, product: Product, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["other"].queryset = product_choices(actor=actor).exclude(pk=product.pk)
        self._style()


class PriceListForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    currency = forms.CharField(label=_("Currency"), max_length=3, required=False)
    customer_tag = forms.ModelChoiceField(label=_("Customer group (tag)"), queryset=None, required=False,
                                          help_text=_("Empty: the default list, or a list not used yet."))
    is_default = forms.BooleanField(label=_("Default list (for every customer)"), required=False)
    valid_from = forms.DateField(label=_("Valid from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(label=_("Valid until"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    FIELDS = ("name", "currency", "is_default", "valid_from", "valid_until", "is_active")

    def __init__(self, *args, actor, instance: PriceList | None = None, **kwargs):
        if instance is not None and not (args and args[0]) and not kwargs.get("data"):
            kwargs["initial"] = {**{f: getattr(instance, f) for f in self.FIELDS},
                                 "customer_tag": instance.customer_tag_id}
        super().__init__(*args, **kwargs)
        self.fields["customer_tag"].queryset = tag_list(actor=actor)
        self._style()

    def service_data(self) -> dict:
        data = {f: self.cleaned_data.get(f) for f in self.FIELDS}
        if not data["currency"]:
            data.pop("currency")
        tag = self.cleaned_data.get("customer_tag")
        data["customer_tag"] = tag.pk if tag else None
        return data


class PriceItemForm(BootstrapMixin, forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=None)
    price = forms.CharField(label=_("Price"), max_length=20)
    min_quantity = forms.CharField(label=_("From quantity"), max_length=20, initial="1")
    discount_percent = forms.CharField(label=_("Discount (%)"), max_length=10, initial="0", required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = product_choices(actor=actor)
        self._style()

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["product"] = data["product"].pk
        data["discount_percent"] = data.get("discount_percent") or "0"
        return data
