"""Pipelines and stages (SAL-3): the default pipeline and its configuration."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils import translation
from django.utils.translation import pgettext, pgettext_lazy

from guanxi.core import audit
from guanxi.core.models import Organization
from guanxi.core.permissions import require
from guanxi.core.validation import check_text, reject_unknown
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


# --- configuration after creation (the pipelines settings page) ------------------------------

STAGE_FIELDS = ("name", "probability", "is_won", "is_lost")


def _stage_rule_errors(specs: list[tuple[bool, bool]]) -> dict:
    """specs: (is_won, is_lost) of every stage the pipeline would have."""
    if any(won and lost for won, lost in specs):
        return {"is_lost": [_("A stage cannot be both won and lost.")]}
    if not any(won for won, _l in specs) or not any(lost for _w, lost in specs) or all(w or lo for w, lo in specs):
        return {"stages": [_("A pipeline needs at least one open, one won and one lost stage.")]}
    return {}


def _stage_name(value) -> str:
    name = " ".join(str(value or "").split())
    if not name:
        raise ValidationError({"name": [_("This field is required.")]})
    if len(name) > 100:
        raise ValidationError({"name": [_("At most 100 characters.")]})
    return name


def _stage_probability(value) -> int:
    try:
        probability = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"probability": [_("Enter a whole number from 0 to 100.")]}) from None
    if isinstance(value, bool) or not 0 <= probability <= 100:
        raise ValidationError({"probability": [_("Enter a whole number from 0 to 100.")]})
    return probability


def _holds_deals(stage: Stage) -> bool:
    return stage.opportunities.exists()


@transaction.atomic
def pipeline_update(*, actor, pipeline: Pipeline, data: dict) -> Pipeline:
    """Rename, (de)activate, or make default. The default pipeline stays active."""
    require(actor, OpportunityPerm.MANAGE_PIPELINES)
    reject_unknown(data, ("name", "is_active", "is_default"))
    check_text(data)
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    before = {"name": pipeline.name, "is_active": pipeline.is_active, "is_default": pipeline.is_default}
    if "name" in data:
        name = " ".join(str(data["name"] or "").split())
        if not name:
            raise ValidationError({"name": [_("This field is required.")]})
        if len(name) > 100:
            raise ValidationError({"name": [_("At most 100 characters.")]})
        if Pipeline.objects.filter(organization_id=pipeline.organization_id, name=name).exclude(pk=pipeline.pk).exists():
            raise ValidationError({"name": [_("A pipeline with this name exists already.")]})
        pipeline.name = name
    if data.get("is_default") and not pipeline.is_default:
        Pipeline.objects.filter(organization_id=pipeline.organization_id, is_default=True).update(is_default=False)
        pipeline.is_default = True
    if "is_active" in data:
        pipeline.is_active = bool(data["is_active"])
    if pipeline.is_default and not pipeline.is_active:
        raise ValidationError({"is_active": [_("The default pipeline cannot be switched off.")]})
    pipeline.save()
    changes = audit.diff(before, {"name": pipeline.name, "is_active": pipeline.is_active,
                                  "is_default": pipeline.is_default})
    if changes:
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=pipeline, changes=changes)
    return pipeline


@transaction.atomic
def stage_add(*, actor, pipeline: Pipeline, data: dict) -> Stage:
    """A new stage, placed before the first closed (won/lost) stage when it is open, else at the end."""
    require(actor, OpportunityPerm.MANAGE_PIPELINES)
    reject_unknown(data, STAGE_FIELDS)
    check_text(data)
    name = _stage_name(data.get("name"))
    probability = _stage_probability(data.get("probability", 0))
    won, lost = bool(data.get("is_won")), bool(data.get("is_lost"))
    if won and lost:
        raise ValidationError({"is_lost": [_("A stage cannot be both won and lost.")]})
    stages = list(Stage.objects.select_for_update().filter(organization_id=pipeline.organization_id,
                                                           pipeline=pipeline).order_by("position", "id"))
    if any(s.name == name for s in stages):
        raise ValidationError({"name": [_("A stage with this name exists already.")]})
    first_closed = next((i for i, s in enumerate(stages) if s.is_closed), len(stages))
    at = len(stages) if (won or lost) else first_closed
    stage = Stage(organization_id=pipeline.organization_id, pipeline=pipeline, name=name, probability=probability,
                  is_won=won, is_lost=lost)
    ordered = stages[:at] + [stage] + stages[at:]
    stage.position = at
    stage.save()
    _renumber(ordered)
    audit.record(actor=actor, action=audit.Action.CREATE, obj=stage,
                 changes={"pipeline": pipeline.pk, "name": name, "probability": probability, "is_won": won,
                          "is_lost": lost})
    return stage


@transaction.atomic
def stage_update(*, actor, stage: Stage, data: dict) -> Stage:
    """Rename, change the probability (open deals that follow the stage follow it), or change the
    won/lost flags (only of a stage that holds no deals, and keeping the open/won/lost rule)."""
    require(actor, OpportunityPerm.MANAGE_PIPELINES)
    reject_unknown(data, STAGE_FIELDS)
    check_text(data)
    from guanxi.sales.models import Opportunity

    stage = Stage.objects.select_for_update().get(pk=stage.pk)
    before = audit.snapshot(stage, list(STAGE_FIELDS))
    if "name" in data:
        name = _stage_name(data["name"])
        if Stage.objects.filter(organization_id=stage.organization_id, pipeline_id=stage.pipeline_id,
                                name=name).exclude(pk=stage.pk).exists():
            raise ValidationError({"name": [_("A stage with this name exists already.")]})
        stage.name = name
    if "probability" in data:
        stage.probability = _stage_probability(data["probability"])
    won = bool(data["is_won"]) if "is_won" in data else stage.is_won
    lost = bool(data["is_lost"]) if "is_lost" in data else stage.is_lost
    if (won, lost) != (stage.is_won, stage.is_lost):
        if _holds_deals(stage):
            raise ValidationError({"is_won": [_("Move this stage's deals elsewhere before changing won/lost.")]})
        others = Stage.objects.filter(organization_id=stage.organization_id, pipeline_id=stage.pipeline_id) \
            .exclude(pk=stage.pk).values_list("is_won", "is_lost")
        errors = _stage_rule_errors([*others, (won, lost)])
        if errors:
            raise ValidationError(errors)
        stage.is_won, stage.is_lost = won, lost
    stage.save()
    if "probability" in data and before["probability"] != stage.probability:
        Opportunity.objects.filter(organization_id=stage.organization_id, stage=stage,
                                   probability_overridden=False).update(probability=stage.probability)
    changes = audit.diff(before, audit.snapshot(stage, list(STAGE_FIELDS)))
    if changes:
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=stage, changes=changes)
    return stage


def _renumber(stages: list[Stage]) -> None:
    for position, stage in enumerate(stages):
        if stage.position != position:
            stage.position = position
            Stage.objects.filter(pk=stage.pk).update(position=position)


@transaction.atomic
def stage_reorder(*, actor, pipeline: Pipeline, stage_ids: list) -> list[Stage]:
    """Put the pipeline's stages in the order given (every stage exactly once)."""
    require(actor, OpportunityPerm.MANAGE_PIPELINES)
    stages = {s.pk: s for s in Stage.objects.select_for_update().filter(organization_id=pipeline.organization_id,
                                                                         pipeline=pipeline)}
    try:
        ids = [int(i) for i in stage_ids]
    except (TypeError, ValueError):
        raise ValidationError({"stages": [_("List every stage of this pipeline once.")]}) from None
    if sorted(ids) != sorted(stages):
        raise ValidationError({"stages": [_("List every stage of this pipeline once.")]})
    before = [s.pk for s in sorted(stages.values(), key=lambda s: (s.position, s.pk))]
    ordered = [stages[i] for i in ids]
    _renumber(ordered)
    if before != ids:
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=pipeline, changes={"stages": [before, ids]})
    return ordered


@transaction.atomic
def stage_delete(*, actor, stage: Stage) -> None:
    """Refused while deals sit in the stage, or when deals passed through it (their history keeps
    it), or when the pipeline would lose its last open, won or lost stage."""
    require(actor, OpportunityPerm.MANAGE_PIPELINES)
    from guanxi.sales.models import StageChange

    if _holds_deals(stage):
        raise ValidationError({"__all__": [_("This stage holds deals; move them to another stage first.")]})
    if StageChange.objects.filter(organization_id=stage.organization_id).filter(
        Q(from_stage=stage) | Q(to_stage=stage)
    ).exists():
        raise ValidationError({"__all__": [_("Deals have passed through this stage; its history keeps it. "
                                             "Rename it instead.")]})
    others = list(Stage.objects.filter(organization_id=stage.organization_id, pipeline_id=stage.pipeline_id)
                  .exclude(pk=stage.pk).order_by("position", "id"))
    errors = _stage_rule_errors([(s.is_won, s.is_lost) for s in others])
    if errors:
        raise ValidationError({"__all__": errors["stages"]})
    audit.record(actor=actor, action=audit.Action.DELETE, obj=stage,
                 changes=audit.snapshot(stage, list(STAGE_FIELDS)))
    stage.delete()
    _renumber(others)
