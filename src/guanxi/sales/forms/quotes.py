"""Quote forms: the header, a line, sending, a reason, the approval settings. Rules live in the services."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.permissions import row_filter
from guanxi.customers.forms import BootstrapMixin
from guanxi.customers.models import Contact
from guanxi.customers.selectors import customer_visible
from guanxi.sales.forms.catalog import percent_to_rate, rate_to_percent
from guanxi.sales.models import Opportunity, Quote
from guanxi.sales.permissions import OpportunityPerm
from guanxi.sales.selectors.catalog import product_choices

PICKER_LIMIT = 500


class QuoteCreateForm(BootstrapMixin, forms.Form):
    opportunity = forms.ModelChoiceField(label=_("Opportunity"), queryset=None, required=False,
                                         help_text=_("The quote takes its customer, contact and owner from it."))
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=None, required=False,
                                      help_text=_("Or quote a customer without an opportunity."))
    valid_until = forms.DateField(label=_("Valid until"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    terms = forms.CharField(label=_("Terms"), max_length=10000, required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))
    notes = forms.CharField(label=_("Internal notes"), max_length=5000, required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        opps = (Opportunity.objects.filter(row_filter(actor, OpportunityPerm.CHANGE))
                .filter(stage__is_won=False, stage__is_lost=False).select_related("customer").order_by("name"))
        self.fields["opportunity"].queryset = opps
        self.fields["opportunity"].label_from_instance = lambda o: f"{o.name} · {o.customer.name}"
        self.fields["customer"].queryset = customer_visible(actor).order_by("name_pinyin", "id")
        self._style()

    def limit_choices(self):
        """Pickers show the first PICKER_LIMIT; a preselected record is always among them."""
        for name in ("opportunity", "customer"):
            field = self.fields[name]
            chosen = self.initial.get(name) or (self.data.get(name) if self.is_bound else None)
            ids = list(field.queryset.values_list("pk", flat=True)[:PICKER_LIMIT])
            try:
                ids.append(int(chosen)) if chosen else None
            except (TypeError, ValueError):
                pass
            field.queryset = field.queryset.filter(pk__in=ids)
        return self

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k in ("valid_until", "terms", "notes")}
        if self.cleaned_data.get("opportunity"):
            data["opportunity"] = self.cleaned_data["opportunity"].pk
        if self.cleaned_data.get("customer"):
            data["customer"] = self.cleaned_data["customer"].pk
        return data


class QuoteHeaderForm(BootstrapMixin, forms.Form):
    contact = forms.ModelChoiceField(label=_("Contact"), queryset=None, required=False)
    valid_until = forms.DateField(label=_("Valid until"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    terms = forms.CharField(label=_("Terms"), max_length=10000, required=False,
                            widget=forms.Textarea(attrs={"rows": 4}))
    notes = forms.CharField(label=_("Internal notes"), max_length=5000, required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, quote: Quote, **kwargs):
        if not (args and args[0]) and not kwargs.get("data"):
            kwargs["initial"] = {"contact": quote.contact_id, "valid_until": quote.valid_until, "terms": quote.terms,
                                 "notes": quote.notes}
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = Contact.objects.filter(customer_id=quote.customer_id).order_by("name_pinyin")
        self._style()

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["contact"] = data["contact"].pk if data.get("contact") else None
        return data


class LineForm(forms.Form):
    """One line; empty numbers mean "take it from the product and the price lists"."""

    product = forms.ModelChoiceField(label=_("Product"), queryset=None, required=False)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    quantity = forms.CharField(label=_("Quantity"), max_length=20)
    unit_price = forms.CharField(label=_("Unit price"), max_length=20, required=False)
    discount_percent = forms.CharField(label=_("Discount (%)"), max_length=10, required=False)
    tax_percent = forms.CharField(label=_("Tax (%)"), max_length=10, required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = product_choices(actor=actor)

    def changed_data_for(self, line) -> dict:
        """For an existing line: only what the user changed, so an untouched list price still
        follows the quantity tiers while a typed one stays."""
        data = self.service_data(creating=False)
        current = {"product": line.product_id, "description": line.description, "quantity": line.quantity,
                   "unit_price": line.unit_price, "discount_percent": line.discount_percent,
                   "tax_rate": line.tax_rate}

        def same(name, value) -> bool:
            old = current[name]
            if old is None or value is None or name in ("product", "description"):
                return old == value
            try:
                return Decimal(str(value)) == old
            except (InvalidOperation, ValueError):
                return False

        return {name: value for name, value in data.items() if not same(name, value)}

    def service_data(self, *, creating: bool) -> dict:
        data = {}
        product = self.cleaned_data.get("product")
        if creating:
            if product:
                data["product"] = product.pk
        elif self.add_prefix("product") in self.data:
            data["product"] = product.pk if product else None
        for name in ("description", "quantity", "unit_price", "discount_percent"):
            value = (self.cleaned_data.get(name) or "").strip()
            if value or (name == "description" and not creating and self.add_prefix(name) in self.data):
                data[name] = value
        tax = (self.cleaned_data.get("tax_percent") or "").strip()
        if tax:
            data["tax_rate"] = percent_to_rate(tax)
        return data


LINE_ALIASES = {"tax_rate": "tax_percent"}


def line_initial(line) -> dict:
    return {"product": line.product_id, "description": line.description, "quantity": line.quantity,
            "unit_price": line.unit_price, "discount_percent": line.discount_percent,
            "tax_percent": rate_to_percent(line.tax_rate)}


class SendForm(BootstrapMixin, forms.Form):
    to = forms.EmailField(label=_("To"), max_length=254)
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    message = forms.CharField(label=_("Message"), max_length=5000, required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class ReasonForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False)


class QuoteSettingsForm(BootstrapMixin, forms.Form):
    quote_discount_threshold = forms.CharField(label=_("Discount needing approval (%)"), max_length=10,
                                               help_text=_("A quote with any line discount above this percentage "
                                                           "needs a manager's approval."))
    quote_validity_days = forms.IntegerField(label=_("Quote valid for (days)"), min_value=1, max_value=3650)
    default_tax_percent = forms.CharField(label=_("Default tax rate (%)"), max_length=10)

    def __init__(self, *args, settings, **kwargs):
        if not (args and args[0]) and not kwargs.get("data"):
            kwargs["initial"] = {"quote_discount_threshold": settings.quote_discount_threshold,
                                 "quote_validity_days": settings.quote_validity_days,
                                 "default_tax_percent": rate_to_percent(settings.default_tax_rate)}
        super().__init__(*args, **kwargs)
        self._style()

    def service_data(self) -> dict:
        return {"quote_discount_threshold": self.cleaned_data["quote_discount_threshold"],
                "quote_validity_days": self.cleaned_data["quote_validity_days"],
                "default_tax_rate": percent_to_rate(self.cleaned_data["default_tax_percent"])}


SETTINGS_ALIASES = {"default_tax_rate": "default_tax_percent"}
