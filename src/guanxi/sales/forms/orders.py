"""Order pages' forms. They only shape input; the rules live in sales.services.orders."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.permissions import row_filter
from guanxi.core.selectors import assignable_users
from guanxi.customers.forms import BootstrapMixin
from guanxi.sales.models import Contract, Opportunity, Order, Payment, Product
from guanxi.sales.permissions import OpportunityPerm, OrderPerm, QuotePerm

LINE_ROWS = 6


class OrderForm(BootstrapMixin, forms.Form):
    opportunity = forms.ModelChoiceField(label=_("Opportunity"), queryset=None, required=False)
    contract = forms.ModelChoiceField(label=_("Contract"), queryset=None, required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False)
    notes = forms.CharField(label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, actor, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["opportunity"].queryset = Opportunity.objects.filter(
            row_filter(actor, OpportunityPerm.VIEW), customer=customer).order_by("-created_at")
        self.fields["contract"].queryset = Contract.objects.filter(
            row_filter(actor, QuotePerm.VIEW), customer=customer).exclude(status=Contract.Status.TERMINATED) \
            .order_by("-created_at")
        self.fields["owner"].queryset = assignable_users(actor=actor, perm=OrderPerm.CREATE)
        self.fields["owner"].initial = actor.pk
        self._style()

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        for name in ("opportunity", "contract", "owner"):
            data[name] = data[name].pk if data.get(name) else None
        if data["owner"] is None:
            data.pop("owner")
        return data


class OrderLineForm(BootstrapMixin, forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=None, required=False)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=12, decimal_places=3, required=False,
                                  min_value=Decimal("0.001"))
    unit_price = forms.DecimalField(label=_("Unit price"), max_digits=14, decimal_places=2, required=False,
                                    min_value=Decimal(0))
    discount_percent = forms.DecimalField(label=_("Discount (%)"), max_digits=5, decimal_places=2, required=False,
                                          min_value=Decimal(0), max_value=Decimal(100))
    tax_rate = forms.DecimalField(label=_("Tax rate"), max_digits=5, decimal_places=4, required=False,
                                  min_value=Decimal(0), max_value=Decimal(1),
                                  help_text=_("0.13 is 13%; empty: the product's rate or the default."))

    def __init__(self, *args, products=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products if products is not None else Product.objects.none()
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = field.label
        self._style()

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not any(data.get(k) not in (None, "") for k in ("product", "description", "quantity", "unit_price"))

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        if "product" in data:
            data["product"] = data["product"].pk
        data.setdefault("quantity", Decimal(1))
        return data


class BaseLineFormSet(forms.BaseFormSet):
    def __init__(self, *args, products=None, **kwargs):
        self.products = products
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "products": self.products}

    def lines(self) -> list[dict]:
        return [form.service_data() for form in self.forms if not form.is_blank()]

    def line_forms(self) -> list:
        """The non-blank forms in the order their data went to the service (for mapping errors back)."""
        return [form for form in self.forms if not form.is_blank()]


LineFormSet = forms.formset_factory(OrderLineForm, formset=BaseLineFormSet, extra=LINE_ROWS, max_num=50,
                                    absolute_max=50, validate_max=True)


def line_formset(data=None, *, organization_id: int):
    products = Product.objects.filter(organization_id=organization_id, is_active=True).order_by("sku")
    return LineFormSet(data, prefix="lines", products=products)


class PaymentForm(BootstrapMixin, forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    method = forms.ChoiceField(label=_("Method"), choices=Payment.Method.choices, initial=Payment.Method.BANK)
    paid_on = forms.DateField(label=_("Paid on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)

    def __init__(self, *args, order: Order | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["paid_on"].initial = timezone.localdate()
        if order is not None:
            self.fields["amount"].initial = order.balance_due
        self._style()


class CancelForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)
    refund_amount = forms.DecimalField(label=_("Refund (recorded as a negative payment)"), max_digits=14,
                                       decimal_places=2, required=False, min_value=Decimal("0.01"))
    refund_method = forms.ChoiceField(label=_("Refund method"), choices=Payment.Method.choices,
                                      initial=Payment.Method.BANK, required=False)
    refund_reference = forms.CharField(label=_("Refund reference"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()
