"""Forms of the expense pages. They only shape input; the rules live in sales.services.expenses."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.customers.forms import BootstrapMixin
from guanxi.sales.models import ExpenseClaim
from guanxi.sales.selectors.expenses import claimable_opportunities


class OpportunityChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.customer.name}"


class ExpenseForm(BootstrapMixin, forms.Form):
    opportunity = OpportunityChoice(label=_("Opportunity"), queryset=None, required=False,
                                    empty_label=_("No opportunity"))
    category = forms.ChoiceField(label=_("Category"), choices=ExpenseClaim.Category.choices)
    amount = forms.DecimalField(label=_("Amount"), min_value=Decimal("0.01"), max_value=Decimal("9999999.99"),
                                max_digits=9, decimal_places=2)
    spent_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(label=_("Description"), max_length=300)
    receipt = forms.FileField(label=_("Receipt"), required=False,
                              help_text=_("An image (JPEG, PNG, GIF, WebP) or a PDF."),
                              widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}))

    def __init__(self, *args, actor, instance: ExpenseClaim | None = None, **kwargs):
        if instance is not None and not kwargs.get("data") and not (args and args[0]):  # views pass POST or None
            kwargs["initial"] = {
                "opportunity": instance.opportunity_id, "category": instance.category, "amount": instance.amount,
                "spent_on": instance.spent_on, "description": instance.description,
            }
        super().__init__(*args, **kwargs)
        opportunities = claimable_opportunities(actor=actor)
        if instance is not None and instance.opportunity_id:
            opportunities = opportunities | opportunities.model.objects.filter(pk=instance.opportunity_id)
        self.fields["opportunity"].queryset = opportunities.distinct()
        self._style()

    def service_data(self) -> dict:
        d = self.cleaned_data
        return {"opportunity": d["opportunity"].pk if d.get("opportunity") else None, "category": d["category"],
                "amount": d["amount"], "spent_on": d["spent_on"], "description": d["description"]}


class ReceiptForm(BootstrapMixin, forms.Form):
    receipt = forms.FileField(label=_("Receipt"),
                              widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class DecisionForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()
