"""Playbook and tips-board forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.customers.forms import BootstrapMixin
from guanxi.sales.forms.opportunities import stage_choices


class _StageChoice(forms.TypedChoiceField):
    def __init__(self, *, required: bool, **kwargs):
        super().__init__(label=_("Stage"), coerce=int, empty_value=None, required=required, choices=(), **kwargs)


class PlaybookEntryForm(BootstrapMixin, forms.Form):
    stage = _StageChoice(required=True)
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Guidance"), max_length=10000, widget=forms.Textarea(attrs={"rows": 8}))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = stage_choices(actor.organization_id)
        self._style()


class TipForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Text"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8}))
    stage = _StageChoice(required=False, help_text=_("The stage this tip helps with, if any."))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = stage_choices(actor.organization_id)
        self._style()


class CommentForm(BootstrapMixin, forms.Form):
    body = forms.CharField(label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()
