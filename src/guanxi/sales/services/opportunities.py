"""Opportunities (SAL-2): create, change, move between stages (board and API use `opportunity_move`).

Every stage move appends a StageChange with the time spent in the previous stage; closing
(won/lost stage) stamps closed_at, reopening clears it. Probability follows the stage unless the
user set it by hand (then it stays until they clear it by sending probability=None).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.models import Organization
from guanxi.core.money import parse_money
from guanxi.core.permissions import require, require_locked
from guanxi.core.validation import check_text, reject_unknown, resolve_owner
from guanxi.customers.models import Contact, Customer, TimelineEvent
from guanxi.customers.permissions import CustomerPerm
from guanxi.customers.selectors import customer_visible
from guanxi.customers.services import timeline_add
from guanxi.sales.models import Opportunity, Pipeline, Stage, StageChange
from guanxi.sales.permissions import OpportunityPerm
from guanxi.sales.services.pipelines import pipeline_ensure_default
from guanxi.sales.services.territories import customer_territory

OPPORTUNITY_FIELDS = ("name", "customer", "contact", "pipeline", "stage", "amount", "currency", "probability",
                      "expected_close", "next_step", "competitors", "lost_reason", "owner", "source", "campaign",
                      "description")
AUDITED = [f for f in OPPORTUNITY_FIELDS if f not in ("customer",)] + ["customer", "territory"]
MAX_AMOUNT = Decimal("999999999999.99")


def parse_amount(value, field: str = "amount") -> Decimal:
    amount = parse_money(value)
    if amount is None:
        raise ValidationError({field: [_("Enter a number.")]})
    if amount < 0 or amount > MAX_AMOUNT:
        raise ValidationError({field: [_("Enter an amount between 0 and 999,999,999,999.99.")]})
    return amount


def _customer(actor, value) -> Customer:
    customer_id = value.pk if isinstance(value, Customer) else value
    try:
        customer = customer_visible(actor).filter(pk=int(customer_id)).first()
    except (TypeError, ValueError):
        customer = None
    if customer is None:
        raise ValidationError({"customer": [_("Choose a customer you can see.")]})
    return customer


def _contact(customer: Customer, value) -> Contact | None:
    if value in (None, ""):
        return None
    contact_id = value.pk if isinstance(value, Contact) else value
    try:
        contact = Contact.objects.filter(customer_id=customer.pk, pk=int(contact_id)).first()
    except (TypeError, ValueError):
        contact = None
    if contact is None:
        raise ValidationError({"contact": [_("Choose a contact of this customer.")]})
    return contact


def _pipeline_and_stage(organization_id: int, pipeline_value, stage_value) -> tuple[Pipeline, Stage]:
    if pipeline_value in (None, ""):
        pipeline = (Pipeline.objects.filter(organization_id=organization_id, pk=stage_value.pipeline_id).first()
                    if isinstance(stage_value, Stage) else pipeline_ensure_default(organization_id))
    else:
        pipeline_id = pipeline_value.pk if isinstance(pipeline_value, Pipeline) else pipeline_value
        try:
            pipeline = Pipeline.objects.filter(organization_id=organization_id, pk=int(pipeline_id),
                                               is_active=True).first()
        except (TypeError, ValueError):
            pipeline = None
        if pipeline is None:
            raise ValidationError({"pipeline": [_("Choose a valid pipeline.")]})
    return pipeline, _stage_of(organization_id, pipeline, stage_value)


def _stage_of(organization_id: int, pipeline: Pipeline, stage_value) -> Stage:
    """The stage `stage_value` names in `pipeline` (the first open stage when blank)."""
    if stage_value in (None, ""):
        stage = pipeline.stages.filter(is_won=False, is_lost=False).order_by("position").first()
        if stage is None:
            raise ValidationError({"stage": [_("This pipeline has no open stage.")]})
        return stage
    stage_id = stage_value.pk if isinstance(stage_value, Stage) else stage_value
    try:
        found = list(Stage.objects.filter(organization_id=organization_id, pipeline=pipeline, pk=int(stage_id))
                     .order_by())
    except (TypeError, ValueError):
        found = []
    stage = found[0] if found else None
    if stage is None:
        raise ValidationError({"stage": [_("Choose a stage of this pipeline.")]})
    return stage


def _probability(value) -> int:
    try:
        probability = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"probability": [_("Enter a whole number from 0 to 100.")]}) from None
    if not 0 <= probability <= 100:
        raise ValidationError({"probability": [_("Enter a whole number from 0 to 100.")]})
    return probability


def _clean_text(opp: Opportunity, data: dict) -> None:
    for name in ("name", "next_step", "competitors", "lost_reason", "source", "campaign", "description"):
        if name in data:
            value = str(data[name] or "")
            setattr(opp, name, value if name == "description" else " ".join(value.split()))
    if "expected_close" in data:
        opp.expected_close = data["expected_close"] or None
    if "currency" in data and data["currency"]:
        currency = str(data["currency"]).upper()
        if len(currency) != 3 or not currency.isalpha():
            raise ValidationError({"currency": [_("Use a three-letter currency code such as CNY.")]})
        opp.currency = currency
    if not opp.name:
        raise ValidationError({"name": [_("This field is required.")]})
    try:
        opp.full_clean(exclude=["organization", "customer", "contact", "pipeline", "stage", "owner", "store",
                                "territory", "created_by"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None


def _position_at_end(stage: Stage) -> int:
    # pipeline_id too (a stage's cards are all in its pipeline): MAX reads one entry of the board index
    top = Opportunity.objects.filter(organization_id=stage.organization_id, pipeline_id=stage.pipeline_id,
                                     stage=stage).aggregate(m=Max("position"))
    return (top["m"] or 0) + 1


@transaction.atomic
def opportunity_create(*, actor, data: dict) -> Opportunity:
    require(actor, OpportunityPerm.CREATE)
    reject_unknown(data, OPPORTUNITY_FIELDS)
    check_text(data)
    customer = _customer(actor, data.get("customer"))
    org = Organization.objects.get(pk=actor.organization_id)
    opp = Opportunity(organization_id=actor.organization_id, created_by=actor, currency=org.currency,
                      customer=customer)
    opp.contact = _contact(customer, data.get("contact"))
    opp.pipeline, opp.stage = _pipeline_and_stage(actor.organization_id, data.get("pipeline"), data.get("stage"))
    opp.amount = parse_amount(data.get("amount") or 0)
    owner_value = data.get("owner", actor.pk)
    opp.owner = resolve_owner(actor, owner_value, OpportunityPerm.CREATE, pool_allowed=False)
    opp.store_id = opp.owner.store_id if opp.owner else actor.store_id
    territory = customer_territory(customer)
    opp.territory = territory
    _clean_text(opp, data)
    if data.get("probability") not in (None, ""):
        opp.probability = _probability(data["probability"])
        opp.probability_overridden = opp.probability != opp.stage.probability
    else:
        opp.probability = opp.stage.probability
    now = timezone.now()
    opp.stage_entered_at = now
    opp.closed_at = now if opp.stage.is_closed else None
    opp.position = _position_at_end(opp.stage)
    opp.save()
    StageChange.objects.create(organization_id=opp.organization_id, opportunity=opp, from_stage=None,
                               to_stage=opp.stage, actor=actor, amount=opp.amount, probability=opp.probability)
    audit.record(actor=actor, action=audit.Action.CREATE, obj=opp, changes=audit.snapshot(opp, AUDITED))
    timeline_add(customer, TimelineEvent.Kind.OPPORTUNITY, actor, _("Opportunity opened: %(name)s") % {"name": opp.name},
                 data={"name": opp.name, "opportunity": opp.pk})
    return opp


@transaction.atomic
def opportunity_update(*, actor, opportunity: Opportunity, data: dict) -> Opportunity:
    """Change fields; a different stage here is a move like on the board (history, probability)."""
    require(actor, OpportunityPerm.CHANGE, opportunity)
    reject_unknown(data, OPPORTUNITY_FIELDS)
    check_text(data)
    opp = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    before = audit.snapshot(opp, AUDITED)
    if "customer" in data and data["customer"] not in (None, "") and str(
        getattr(data["customer"], "pk", data["customer"])
    ) != str(opp.customer_id):
        opp.customer = _customer(actor, data["customer"])
        require(actor, CustomerPerm.VIEW, opp.customer)
        opp.territory = customer_territory(opp.customer)
    if "contact" in data:
        opp.contact = _contact(opp.customer, data["contact"])
    if "amount" in data:
        opp.amount = parse_amount(data["amount"] if data["amount"] is not None else 0)
    if "owner" in data:
        opp.owner = resolve_owner(actor, data["owner"], OpportunityPerm.CHANGE, pool_allowed=False)
        opp.store_id = opp.owner.store_id if opp.owner else opp.store_id
    _clean_text(opp, data)
    if "probability" in data:
        if data["probability"] in (None, ""):
            opp.probability_overridden = False
            opp.probability = opp.stage.probability
        else:
            opp.probability = _probability(data["probability"])
            opp.probability_overridden = True
    new_stage = None
    if "stage" in data or "pipeline" in data:
        pipeline, stage = _pipeline_and_stage(
            opp.organization_id, data.get("pipeline", opp.pipeline), data.get("stage") if "stage" in data else None
        )
        if stage.pk != opp.stage_id:
            new_stage = stage
            if stage.is_lost and not opp.lost_reason:
                raise ValidationError({"lost_reason": [_("Say why the deal was lost.")]})
        opp.pipeline = pipeline
    opp.save()
    if new_stage is not None:
        _move(actor, opp, new_stage, position=None)
    changes = audit.diff(before, audit.snapshot(opp, AUDITED))
    if changes:
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=opp, changes=changes)
    return opp


def _move(actor, opp: Opportunity, stage: Stage, position: int | None, also: tuple[str, ...] = ()) -> StageChange:
    now = timezone.now()
    previous = opp.stage
    seconds = int((now - opp.stage_entered_at).total_seconds()) if opp.stage_entered_at else None
    opp.stage = stage
    opp.stage_entered_at = now
    if not opp.probability_overridden or stage.is_closed:
        opp.probability = stage.probability
        opp.probability_overridden = False
    opp.closed_at = now if stage.is_closed else None
    opp.position = _position_at_end(stage) if position is None else position
    opp.save(update_fields=["stage", "stage_entered_at", "probability", "probability_overridden", "closed_at",
                            "position", "updated_at", *also])
    change = StageChange.objects.create(
        organization_id=opp.organization_id, opportunity=opp, from_stage=previous, to_stage=stage, actor=actor,
        amount=opp.amount, probability=opp.probability, seconds_in_previous=max(seconds or 0, 0),
    )
    timeline_add(opp.customer, TimelineEvent.Kind.STAGE_CHANGED, actor,
                 _("Opportunity moved: %(name)s") % {"name": f"{opp.name}: {previous.name} → {stage.name}"},
                 data={"name": f"{opp.name}: {previous.name} → {stage.name}", "opportunity": opp.pk})
    return change


@transaction.atomic
def opportunity_move(*, actor, opportunity: Opportunity, stage, before_id: int | None = None,
                     lost_reason: str | None = None) -> Opportunity:
    """Drop a card into `stage` (of the same pipeline), above the card `before_id` or at the end.
    Moving within the same stage only reorders (no history row)."""
    # The permission is checked on the row as read under the lock (one query for both).
    opp = require_locked(actor, OpportunityPerm.CHANGE, opportunity,
                         Opportunity.objects.select_related("stage", "customer", "pipeline"))
    if not opp.pipeline.is_active:
        raise ValidationError({"pipeline": [_("Choose a valid pipeline.")]})
    target = _stage_of(opp.organization_id, opp.pipeline, stage)
    if lost_reason is not None:
        check_text({"lost_reason": lost_reason})
        lost_reason = " ".join(str(lost_reason).split())[:300]
    if target.is_lost and target.pk != opp.stage_id and not (lost_reason or opp.lost_reason):
        raise ValidationError({"lost_reason": [_("Say why the deal was lost.")]})
    also: tuple[str, ...] = ()
    if lost_reason is not None:
        opp.lost_reason = lost_reason
        also = ("lost_reason",)  # written with the move's own UPDATE below
    position = None
    try:
        before_id = int(before_id) if before_id not in (None, "") else None
    except (TypeError, ValueError):
        raise ValidationError({"before_id": [_("Choose a valid card.")]}) from None
    if before_id is not None:
        anchor = Opportunity.objects.filter(organization_id=opp.organization_id, stage=target,
                                            pk=before_id).exclude(pk=opp.pk).first()
        if anchor is not None:
            Opportunity.objects.filter(organization_id=opp.organization_id, stage=target,
                                       position__gte=anchor.position).exclude(pk=opp.pk).update(
                position=F("position") + 1)
            position = anchor.position
    before = audit.snapshot(opp, ["stage", "probability"])
    if target.pk == opp.stage_id:
        opp.position = position if position is not None else _position_at_end(target)
        opp.save(update_fields=["position", *also])
        return opp
    _move(actor, opp, target, position, also)
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=opp,
                 changes=audit.diff(before, audit.snapshot(opp, ["stage", "probability"])))
    return opp


@transaction.atomic
def opportunity_delete(*, actor, opportunity: Opportunity) -> None:
    require(actor, OpportunityPerm.DELETE, opportunity)
    if opportunity.quotes.exists() or opportunity.orders.exists():
        raise ValidationError({"__all__": [_("This opportunity has quotes or orders; mark it lost instead.")]})
    audit.record(actor=actor, action=audit.Action.DELETE, obj=opportunity,
                 changes=audit.snapshot(opportunity, AUDITED))
    opportunity.delete()
