"""Opportunity forms and the board/list filter parsing. Forms only shape input; the rules live in
sales.services.opportunities."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.selectors import assignable_users
from guanxi.customers.forms import BootstrapMixin
from guanxi.customers.models import Contact
from guanxi.customers.selectors import contact_list, customer_visible
from guanxi.sales.models import Opportunity, Stage
from guanxi.sales.permissions import OpportunityPerm
from guanxi.sales.selectors.opportunities import DEFAULT_SORT, OPPORTUNITY_SORTS, STATUSES, OpportunityFilters, month_range

CUSTOMER_CHOICES = 50  # a picker shows the latest customers and the searched ones, not thousands


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _text(value, limit: int = 100) -> str:
    return str(value or "").replace("\x00", "").strip()[:limit]


def filters_from_params(params: Mapping) -> tuple[OpportunityFilters, str]:
    """Unknown or malformed values are dropped, never passed to the database."""
    month = _text(params.get("close_month"), 7)
    status = params.get("status")
    filters = OpportunityFilters(
        q=_text(params.get("q")),
        pipeline_id=_int(params.get("pipeline")),
        stage_id=_int(params.get("stage")),
        owner_id=_int(params.get("owner")),
        team_id=_int(params.get("team")),
        territory_id=_int(params.get("territory")),
        customer_id=_int(params.get("customer")),
        close_month=month if month_range(month) else "",
        status=status if status in STATUSES else "",
    )
    sort = params.get("sort") if params.get("sort") in OPPORTUNITY_SORTS else DEFAULT_SORT
    return filters, sort


def stage_choices(organization_id: int) -> list:
    """Stages grouped by pipeline (active pipelines), for one <select> with optgroups."""
    groups: dict[str, list] = {}
    for stage in (Stage.objects.filter(organization_id=organization_id, pipeline__is_active=True)
                  .select_related("pipeline").order_by("pipeline__position", "pipeline_id", "position", "id")):
        groups.setdefault(stage.pipeline.name, []).append((stage.pk, stage.name))
    return [("", "---------"), *groups.items()]


class OpportunityForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=None)
    contact = forms.ModelChoiceField(label=_("Contact"), queryset=None, required=False)
    stage = forms.TypedChoiceField(label=_("Stage"), coerce=int, choices=())
    amount = forms.CharField(label=_("Amount"), max_length=20, initial="0.00")
    probability = forms.IntegerField(label=_("Probability (%)"), min_value=0, max_value=100, required=False,
                                     help_text=_("Leave empty to follow the stage."))
    expected_close = forms.DateField(label=_("Expected close date"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}))
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False,
                                   help_text=_("Empty: you."))
    next_step = forms.CharField(label=_("Next step"), max_length=200, required=False)
    competitors = forms.CharField(label=_("Competitors"), max_length=300, required=False)
    lost_reason = forms.CharField(label=_("Lost reason"), max_length=300, required=False,
                                  help_text=_("Required when the stage is a lost stage."))
    source = forms.CharField(label=_("Source"), max_length=20, required=False)
    campaign = forms.CharField(label=_("Campaign"), max_length=100, required=False)
    description = forms.CharField(label=_("Description"), max_length=5000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, actor, instance: Opportunity | None = None, customer_id=None, **kwargs):
        perm = OpportunityPerm.CHANGE if instance else OpportunityPerm.CREATE
        if instance is not None and not kwargs.get("data") and not (args and args[0]):  # views pass POST or None
            kwargs["initial"] = {
                **{f: getattr(instance, f) for f in ("name", "amount", "expected_close", "next_step", "competitors",
                                                     "lost_reason", "source", "campaign", "description")},
                "customer": instance.customer_id, "contact": instance.contact_id, "stage": instance.stage_id,
                "owner": instance.owner_id,
                "probability": instance.probability if instance.probability_overridden else None,
            }
        elif instance is None and customer_id and not kwargs.get("data") and not (args and args[0]):
            kwargs["initial"] = {**kwargs.get("initial", {}), "customer": customer_id}
        super().__init__(*args, **kwargs)
        self.instance = instance
        visible = customer_visible(actor)
        self.fields["customer"].queryset = visible
        # Draw only the chosen customer and the latest ones; the search box (htmx) fetches others.
        chosen = self.data.get("customer") or self.initial.get("customer")
        shown = list(visible.order_by("-updated_at", "-id")[:CUSTOMER_CHOICES])
        chosen_id = _int(chosen)
        if chosen_id and all(c.pk != chosen_id for c in shown):
            shown = list(visible.filter(pk=chosen_id)) + shown
        self.fields["customer"].widget.choices = [("", "---------")] + [(c.pk, c.name) for c in shown]
        self.fields["customer"].widget.attrs.update({"data-testid": "customer"})
        contacts = contact_list(actor=actor)
        self.fields["contact"].queryset = contacts
        self.fields["contact"].widget.choices = [("", "---------")] + [
            (c.pk, c.name) for c in (contacts.filter(customer_id=chosen_id) if chosen_id else Contact.objects.none())
        ]
        self.fields["contact"].widget.attrs.update({"id": "id_contact"})
        self.fields["stage"].choices = stage_choices(actor.organization_id)
        owners = assignable_users(actor=actor, perm=perm)
        if instance is not None and instance.owner_id:
            owners = owners | owners.model.objects.filter(pk=instance.owner_id)
        self.fields["owner"].queryset = owners.distinct()
        if instance is None:
            self.fields["owner"].initial = actor.pk
            first_open = (Stage.objects.filter(organization_id=actor.organization_id, pipeline__is_default=True,
                                               is_won=False, is_lost=False).order_by("position").first())
            self.fields["stage"].initial = first_open.pk if first_open else None
        self._style()

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        stage = Stage.objects.filter(pk=data["stage"]).only("pk", "pipeline_id").first()
        data["pipeline"] = stage.pipeline_id if stage else None
        data["customer"] = data["customer"].pk
        data["contact"] = data["contact"].pk if data.get("contact") else None
        if data.get("owner"):
            data["owner"] = data["owner"].pk
        elif self.instance is None:
            data.pop("owner", None)  # the service makes the creator the owner
        else:
            data["owner"] = None
        if data.get("probability") is None:
            if self.instance is None:
                data.pop("probability")
            else:
                data["probability"] = None  # back to following the stage
        if self.instance is not None and data["customer"] == self.instance.customer_id:
            data.pop("customer")
        return data


class MoveForm(forms.Form):
    """The board's drop (and the detail page's "move to" form)."""

    stage = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    before = forms.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    lost_reason = forms.CharField(max_length=300, required=False)
