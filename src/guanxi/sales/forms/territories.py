"""Territory forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.customers.forms import BootstrapMixin
from guanxi.sales.models import Territory, TerritoryMember

RULE_WIDGET = {"rows": 3}


class TerritoryForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.CharField(label=_("Code"), max_length=30, required=False)
    parent = forms.ModelChoiceField(label=_("Parent"), queryset=None, required=False)
    priority = forms.IntegerField(label=_("Priority"), min_value=0, max_value=32767, initial=100,
                                  help_text=_("Lower numbers win when two territories match."))
    provinces = forms.CharField(label=_("Provinces"), required=False, max_length=2000,
                                widget=forms.Textarea(attrs=RULE_WIDGET), help_text=_("One per line, e.g. 上海"))
    cities = forms.CharField(label=_("Cities"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs=RULE_WIDGET), help_text=_("One per line, e.g. 浦东"))
    postcode_prefixes = forms.CharField(label=_("Postcode prefixes"), required=False, max_length=2000,
                                        widget=forms.Textarea(attrs=RULE_WIDGET), help_text=_("One per line, e.g. 2000"))
    industries = forms.CharField(label=_("Industries"), required=False, max_length=2000,
                                 widget=forms.Textarea(attrs=RULE_WIDGET), help_text=_("One per line"))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    FIELDS = ("name", "code", "priority", "provinces", "cities", "postcode_prefixes", "industries", "is_active")

    def __init__(self, *args, actor, instance: Territory | None = None, **kwargs):
        if instance is not None and not kwargs.get("data") and not (args and args[0]):
            kwargs["initial"] = {**{f: getattr(instance, f) for f in self.FIELDS}, "parent": instance.parent_id}
        super().__init__(*args, **kwargs)
        parents = Territory.objects.filter(organization_id=actor.organization_id).order_by("path")
        if instance is not None:
            parents = parents.exclude(path__startswith=instance.path)
        self.fields["parent"].queryset = parents
        self._style()

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["parent"] = data["parent"].pk if data.get("parent") else None
        return data


class MemberForm(BootstrapMixin, forms.Form):
    user = forms.ModelChoiceField(label=_("User"), queryset=None)
    role = forms.ChoiceField(label=_("Role"), choices=TerritoryMember.Role.choices)

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
        self._style()
