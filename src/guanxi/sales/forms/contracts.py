"""Contract pages' forms. They only shape input; the rules live in sales.services.contracts."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.permissions import row_filter
from guanxi.core.selectors import assignable_users
from guanxi.customers.forms import BootstrapMixin
from guanxi.sales.models import Contract, Opportunity
from guanxi.sales.permissions import OpportunityPerm, QuotePerm

DATE = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), "required": False}
FIELDS = ("title", "opportunity", "owner", "value", "start_date", "end_date", "signed_at", "renewal_date",
          "reminder_days", "terms")


class ContractForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    opportunity = forms.ModelChoiceField(label=_("Opportunity"), queryset=None, required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False)
    value = forms.DecimalField(label=_("Value"), max_digits=14, decimal_places=2, min_value=Decimal(0),
                               required=False)
    start_date = forms.DateField(label=_("Start"), **DATE)
    end_date = forms.DateField(label=_("End"), **DATE)
    signed_at = forms.DateField(label=_("Signed"), **DATE)
    renewal_date = forms.DateField(label=_("Renewal date"), **DATE)
    reminder_days = forms.IntegerField(label=_("Remind days before renewal"), min_value=0, max_value=365)
    terms = forms.CharField(label=_("Terms"), max_length=20000, required=False,
                            widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, actor, customer, instance: Contract | None = None, reminder_days: int = 30, **kwargs):
        if instance is not None and not kwargs.get("data") and not (args and args[0]):  # views pass POST or None
            kwargs["initial"] = {name: getattr(instance, name) for name in FIELDS if name not in ("opportunity",
                                                                                                 "owner")}
            kwargs["initial"].update(opportunity=instance.opportunity_id, owner=instance.owner_id)
        super().__init__(*args, **kwargs)
        perm = QuotePerm.CHANGE if instance is not None else QuotePerm.CREATE
        self.fields["opportunity"].queryset = Opportunity.objects.filter(
            row_filter(actor, OpportunityPerm.VIEW), customer=customer).order_by("-created_at")
        owners = assignable_users(actor=actor, perm=perm)
        if instance is not None and instance.owner_id:
            owners = (owners | owners.model.objects.filter(pk=instance.owner_id)).distinct()
        self.fields["owner"].queryset = owners
        if instance is None:
            self.fields["owner"].initial = actor.pk
            self.fields["reminder_days"].initial = reminder_days
        self._style()

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["opportunity"] = data["opportunity"].pk if data.get("opportunity") else None
        if data.get("owner"):
            data["owner"] = data["owner"].pk
        else:
            data.pop("owner", None)
        if data.get("value") is None:
            data["value"] = Decimal(0)
        return data


class ContractFileForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class TerminateForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()
