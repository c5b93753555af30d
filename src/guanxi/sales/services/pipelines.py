"""Pipelines and stages (SAL-3): the default pipeline and its configuration."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils import translation
from django.utils.translation import pgettext, pgettext_lazy

from guanxi.core import audit
from guanxi.core.models import Organization
from guanxi.core.permissions import require
from guanxi.core.validation import check_text
from guanxi.sales.models import Pipeline, Stage
from guanxi.sales.permissions import OpportunityPerm

# (name, probability, won, lost) of the pipeline every organisation starts with.
DEFAULT_STAGES = (
    (pgettext_lazy("stage", "Initial contact"), 10, False, False),
    (pgettext_lazy("stage", "Needs confirmed"), 30, False, False),
    (pgettext_lazy("stage", "Proposal / quote"), 60, False, False),
    (pgettext_lazy("stage", "Negotiation"), 80, False, False),
    (pgettext_lazy("stage", "Won"), 100, True, False),
    (pgettext_lazy("stage", "Lost"), 0, False, True),
)


def default_stage_names() -> list[str]:
    return [str(name) for name, *_rest in DEFAULT_STAGES]


@transaction.atomic
def pipeline_ensure_default(organization_id: int) -> Pipeline:
    """The organisation's default pipeline, created with the standard stages (in the
    organisation's language at the time) when it has none."""
    pipeline = Pipeline.objects.filter(organization_id=organization_id, is_default=True).first()
    if pipeline is not None:
        return pipeline
    language = Organization.objects.filter(pk=organization_id).values_list("default_language", flat=True).first()
    with translation.override(language or "zh-hans"):
        return _create_default(organization_id)


def _create_default(organization_id: int) -> Pipeline:
    pipeline = Pipeline.objects.create(organization_id=organization_id, name=pgettext("pipeline", "Standard sales"),
                                       is_default=True)
    for position, (name, probability, won, lost) in enumerate(DEFAULT_STAGES):
        Stage.objects.create(organization_id=organization_id, pipeline=pipeline, name=str(name),
                             position=position, probability=probability, is_won=won, is_lost=lost)
    return pipeline


@transaction.atomic
def pipeline_create(*, actor, name: str, stages: list[dict]) -> Pipeline:
    """stages: [{"name", "probability", "is_won", "is_lost"}] in board order; at least one open,
    one won and one lost stage."""
    require(actor, OpportunityPerm.MANAGE_PIPELINES)
    check_text({"name": name, **{f"stages.{i}": s.get("name", "") for i, s in enumerate(stages)}})
    name = " ".join((name or "").split())
    errors = {}
    if not name:
        errors["name"] = [_("This field is required.")]
    elif Pipeline.objects.filter(organization_id=actor.organization_id, name=name).exists():
        errors["name"] = [_("A pipeline with this name exists already.")]
    names = [" ".join(str(s.get("name", "")).split()) for s in stages]
    if any(not n for n in names) or len(set(names)) != len(names):
        errors["stages"] = [_("Every stage needs a distinct name.")]
    elif not any(s.get("is_won") for s in stages) or not any(s.get("is_lost") for s in stages) or all(
        s.get("is_won") or s.get("is_lost") for s in stages
    ):
        errors["stages"] = [_("A pipeline needs at least one open, one won and one lost stage.")]
    elif any(s.get("is_won") and s.get("is_lost") for s in stages):
        errors["stages"] = [_("A stage cannot be both won and lost.")]
    elif any(not 0 <= int(s.get("probability", 0)) <= 100 for s in stages):
        errors["stages"] = [_("Probabilities are between 0 and 100.")]
    if errors:
        raise ValidationError(errors)
    pipeline = Pipeline.objects.create(organization_id=actor.organization_id, name=name,
                                       position=Pipeline.objects.filter(organization_id=actor.organization_id).count())
    for position, (stage_name, spec) in enumerate(zip(names, stages, strict=True)):
        Stage.objects.create(organization_id=actor.organization_id, pipeline=pipeline, name=stage_name,
                             position=position, probability=int(spec.get("probability", 0)),
                             is_won=bool(spec.get("is_won")), is_lost=bool(spec.get("is_lost")))
    audit.record(actor=actor, action=audit.Action.CREATE, obj=pipeline, changes={"stages": names})
    return pipeline
