"""Forecast filters and the quota form."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.customers.forms import BootstrapMixin
from guanxi.sales.forms.opportunities import _int, _text
from guanxi.sales.selectors.forecast import GROUPS, ForecastFilters, default_months, months_between


def forecast_params(params: Mapping) -> tuple[str, str, str, ForecastFilters]:
    """group_by, first month, last month and filters; bad values fall back to the defaults."""
    group_by = params.get("group_by") if params.get("group_by") in GROUPS else "rep"
    first, last = _text(params.get("from"), 7), _text(params.get("to"), 7)
    if months_between(first, last) is None:
        first, last = default_months()
    filters = ForecastFilters(pipeline_id=_int(params.get("pipeline")), owner_id=_int(params.get("owner")),
                              team_id=_int(params.get("team")), territory_id=_int(params.get("territory")))
    return group_by, first, last, filters


class QuotaForm(BootstrapMixin, forms.Form):
    user = forms.ModelChoiceField(label=_("Rep"), queryset=None)
    period = forms.CharField(label=_("Month"), max_length=7, widget=forms.TextInput(attrs={"type": "month"}),
                             help_text=_("YYYY-MM"))
    amount = forms.CharField(label=_("Quota"), max_length=20)

    def __init__(self, *args, reps, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = reps
        self._style()
