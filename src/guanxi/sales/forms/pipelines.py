"""Pipeline and stage forms (the settings page)."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from guanxi.customers.forms import BootstrapMixin

_LINE = re.compile(r"^(?P<name>.+?)[\s,，]+(?P<probability>\d{1,3})\s*%?$")


class PipelineCreateForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    stages = forms.CharField(
        label=_("Open stages"), max_length=3000, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One per line in board order: name and probability, e.g. “Needs confirmed, 30”."))
    won_name = forms.CharField(label=_("Won stage"), max_length=100, initial=_("Won"))
    lost_name = forms.CharField(label=_("Lost stage"), max_length=100, initial=_("Lost"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()

    def clean_stages(self):
        specs = []
        for line in self.cleaned_data["stages"].splitlines():
            line = line.strip()
            if not line:
                continue
            match = _LINE.match(line)
            if match is None:
                specs.append({"name": line, "probability": 10})
                continue
            probability = int(match["probability"])
            if probability > 100:
                raise ValidationError(_("Probabilities are between 0 and 100."))
            specs.append({"name": match["name"].strip(" ,，"), "probability": probability})
        if not specs:
            raise ValidationError(_("Enter at least one open stage."))
        if len(specs) > 30:
            raise ValidationError(_("At most 30 stages."))
        return specs

    def service_stages(self) -> list[dict]:
        return [*self.cleaned_data["stages"],
                {"name": self.cleaned_data["won_name"], "probability": 100, "is_won": True},
                {"name": self.cleaned_data["lost_name"], "probability": 0, "is_lost": True}]


class PipelineForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    is_active = forms.BooleanField(label=_("Active"), required=False)
    is_default = forms.BooleanField(label=_("Default pipeline"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class StageForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    probability = forms.IntegerField(label=_("Probability (%)"), min_value=0, max_value=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("open", _("Open")), ("won", _("Won")), ("lost", _("Lost"))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()

    def service_data(self) -> dict:
        kind = self.cleaned_data["kind"]
        return {"name": self.cleaned_data["name"], "probability": self.cleaned_data["probability"],
                "is_won": kind == "won", "is_lost": kind == "lost"}
