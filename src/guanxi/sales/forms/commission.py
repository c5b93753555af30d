"""Forms of the commission pages. They only shape input; the rules live in sales.services.commission."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import User
from guanxi.customers.forms import BootstrapMixin
from guanxi.sales.models import CommissionRule, Product


class CommissionRuleForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    user = forms.ModelChoiceField(label=_("Rep"), queryset=None, required=False, empty_label=_("Every rep"))
    product = forms.ModelChoiceField(label=_("Product"), queryset=None, required=False,
                                     empty_label=_("Every product"))
    basis = forms.ChoiceField(label=_("Basis"), choices=CommissionRule.Basis.choices)
    rate_percent = forms.DecimalField(label=_("Rate (%)"), min_value=Decimal(0), max_value=Decimal(100),
                                      max_digits=5, decimal_places=2, help_text=_("5 means five per cent of the basis."))
    min_margin_percent = forms.DecimalField(
        label=_("Minimum margin (%)"), min_value=Decimal(0), max_value=Decimal(100), max_digits=5, decimal_places=2,
        required=False, help_text=_("Lines with a lower margin earn nothing under this rule. Empty: no minimum."))
    priority = forms.IntegerField(label=_("Priority"), min_value=0, max_value=32767, initial=100,
                                  help_text=_("Between equally specific rules the lower number wins."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, actor, instance: CommissionRule | None = None, **kwargs):
        if instance is not None and not kwargs.get("data") and not (args and args[0]):  # views pass POST or None
            kwargs["initial"] = {
                "name": instance.name, "user": instance.user_id, "product": instance.product_id,
                "basis": instance.basis, "rate_percent": (instance.rate * 100).quantize(Decimal("0.01")),
                "min_margin_percent": instance.min_margin_percent, "priority": instance.priority,
                "is_active": instance.is_active,
            }
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(organization_id=actor.organization_id,
                                                           is_active=True).order_by("username")
        self.fields["product"].queryset = Product.objects.filter(organization_id=actor.organization_id,
                                                                 is_active=True).order_by("sku")
        self._style()

    def service_data(self) -> dict:
        d = self.cleaned_data
        return {
            "name": d["name"], "user": d["user"].pk if d.get("user") else None,
            "product": d["product"].pk if d.get("product") else None, "basis": d["basis"],
            "rate": d["rate_percent"] / 100, "min_margin_percent": d.get("min_margin_percent"),
            "priority": d["priority"], "is_active": d.get("is_active", False),
        }
