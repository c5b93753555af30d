"""Lead forms. They only shape input; the rules live in sales.services.leads and friends."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.selectors import assignable_users, team_list
from guanxi.customers.forms import BootstrapMixin
from guanxi.sales.models import Lead, LeadScoreRule, WebForm
from guanxi.sales.permissions import LeadPerm
from guanxi.sales.services.web_forms import PUBLIC_FIELDS

EDITABLE = ("name", "company", "title", "phone", "email", "province", "city", "postcode", "industry", "source",
            "campaign", "status", "rating", "estimated_amount", "notes", "external_id")
_STATUS_CHOICES = [c for c in Lead.Status.choices if c[0] != Lead.Status.CONVERTED]


class LeadForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    title = forms.CharField(label=_("Job title"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("Email"), max_length=254, required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False)
    source = forms.ChoiceField(label=_("Source"), choices=Lead.Source.choices, initial=Lead.Source.OTHER)
    campaign = forms.CharField(label=_("Campaign"), max_length=100, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=_STATUS_CHOICES, initial=Lead.Status.NEW)
    rating = forms.ChoiceField(label=_("Rating"), choices=[("", "—"), *Lead.Rating.choices], required=False)
    estimated_amount = forms.DecimalField(label=_("Estimated amount"), max_digits=14, decimal_places=2, min_value=0,
                                          required=False)
    industry = forms.CharField(label=_("Industry"), max_length=100, required=False)
    province = forms.CharField(label=_("Province"), max_length=50, required=False)
    city = forms.CharField(label=_("City"), max_length=50, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=12, required=False)
    external_id = forms.CharField(label=_("External id"), max_length=64, required=False)
    notes = forms.CharField(label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, actor, instance: Lead | None = None, **kwargs):
        if instance is not None and not kwargs.get("data") and not (args and args[0]):  # views pass POST or None
            kwargs["initial"] = {f: getattr(instance, f) for f in EDITABLE}
        super().__init__(*args, **kwargs)
        self.instance = instance
        if instance is not None:
            del self.fields["owner"]  # the owner changes through assignment
        else:
            self.fields["owner"].queryset = assignable_users(actor=actor, perm=LeadPerm.CREATE)
            self.fields["owner"].initial = actor.pk
        self._style()

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        if "owner" in data:
            if data["owner"] is None:
                data.pop("owner")  # left empty: the creator owns it
            else:
                data["owner"] = data["owner"].pk
        return data


class QualifyForm(forms.Form):
    status = forms.ChoiceField(choices=_STATUS_CHOICES)
    rating = forms.ChoiceField(choices=[("", "—"), *Lead.Rating.choices], required=False)


class AssignForm(BootstrapMixin, forms.Form):
    MODES = [("user", _("To a person")), ("team", _("Round-robin within a team")),
             ("territory", _("By territory"))]
    mode = forms.ChoiceField(label=_("How"), choices=MODES, initial="user")
    owner = forms.ModelChoiceField(label=_("Person"), queryset=None, required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_users(actor=actor, perm=LeadPerm.ASSIGN)
        self.fields["team"].queryset = team_list(actor=actor)
        self._style()


class ConvertForm(BootstrapMixin, forms.Form):
    customer = forms.IntegerField(label=_("Use this existing customer"), required=False, min_value=1,
                                  max_value=2**63 - 1, widget=forms.HiddenInput)
    allow_duplicate = forms.BooleanField(label=_("Create a new customer anyway, I checked the similar ones"),
                                         required=False)
    create_opportunity = forms.BooleanField(label=_("Also open an opportunity"), required=False, initial=True)
    opportunity_name = forms.CharField(label=_("Opportunity name"), max_length=200, required=False)
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=0, required=False)
    expected_close = forms.DateField(label=_("Expected close date"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, lead: Lead, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].initial = lead.estimated_amount
        self.fields["opportunity_name"].initial = str(lead)
        self._style()


class ScoreRuleForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    field = forms.ChoiceField(label=_("Field"), choices=[(f, Lead._meta.get_field(f).verbose_name)
                                                         for f in LeadScoreRule.FIELDS])
    operator = forms.ChoiceField(label=_("Operator"), choices=LeadScoreRule.Operator.choices)
    value = forms.CharField(label=_("Value"), max_length=100, required=False)
    points = forms.IntegerField(label=_("Points"), min_value=-1000, max_value=1000, initial=10)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, instance: LeadScoreRule | None = None, **kwargs):
        if instance is not None and not kwargs.get("data") and not (args and args[0]):
            kwargs["initial"] = {f: getattr(instance, f) for f in ("name", "field", "operator", "value", "points",
                                                                   "is_active")}
        super().__init__(*args, **kwargs)
        self._style()


class WebFormForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    campaign = forms.CharField(label=_("Campaign"), max_length=100, required=False)
    source = forms.ChoiceField(label=_("Source"), choices=Lead.Source.choices, initial=Lead.Source.WEB)
    owner = forms.ModelChoiceField(label=_("Owner (gets the leads when no team is set or it has no rep)"),
                                   queryset=None)
    team = forms.ModelChoiceField(label=_("Round-robin within team"), queryset=None, required=False)
    thank_you = forms.CharField(label=_("Thank-you message"), max_length=300, required=False)
    allowed_origins = forms.CharField(label=_("Websites that may embed it"), max_length=2000, required=False,
                                      widget=forms.Textarea(attrs={"rows": 2}),
                                      help_text=_("One origin per line, e.g. https://www.example.com; empty: any."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, actor, instance: WebForm | None = None, **kwargs):
        if instance is not None and not kwargs.get("data") and not (args and args[0]):
            kwargs["initial"] = {f: getattr(instance, f) for f in ("name", "campaign", "source", "thank_you",
                                                                   "allowed_origins", "is_active")}
            kwargs["initial"].update(owner=instance.owner_id, team=instance.team_id)
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_users(actor=actor, perm=LeadPerm.MANAGE_FORMS)
        self.fields["team"].queryset = team_list(actor=actor)
        self._style()

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["owner"] = data["owner"].pk if data.get("owner") else None
        data["team"] = data["team"].pk if data.get("team") else None
        return data


class PublicLeadForm(forms.Form):
    """What a visitor fills in. `website` is the honeypot (hidden by CSS; people leave it empty)
    and `token` the signed time the form was handed out."""

    name = forms.CharField(label=_("Your name"), max_length=PUBLIC_FIELDS["name"])
    company = forms.CharField(label=_("Company"), max_length=PUBLIC_FIELDS["company"], required=False)
    phone = forms.CharField(label=_("Phone"), max_length=PUBLIC_FIELDS["phone"], required=False)
    email = forms.EmailField(label=_("Email"), max_length=PUBLIC_FIELDS["email"], required=False)
    city = forms.CharField(label=_("City"), max_length=PUBLIC_FIELDS["city"], required=False)
    notes = forms.CharField(label=_("Message"), max_length=PUBLIC_FIELDS["notes"], required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))
    website = forms.CharField(label=_("Website"), required=False, max_length=200,
                              widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))
    token = forms.CharField(widget=forms.HiddenInput, max_length=500)

    LEAD_FIELDS = ("name", "company", "phone", "email", "city", "notes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("class", "form-control")
            if self.errors.get(name):
                field.widget.attrs["class"] += " is-invalid"
