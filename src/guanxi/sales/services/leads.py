"""Leads (SAL-1, CUS-10): create, change, qualify, delete; scoring rules.

Every write re-derives what follows from the lead's fields: the normalised phone, the pinyin of
the name, the score (the sum of the points of every active rule the lead matches) and the
territory (by the territory rules). Assignment lives in lead_assignment.py, conversion in
lead_conversion.py, public web forms in web_forms.py.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.money import parse_money
from guanxi.core.notifications import notify
from guanxi.core.permissions import require
from guanxi.core.phones import normalize_phone
from guanxi.core.pinyin import full_and_initials
from guanxi.core.validation import check_text, reject_unknown, resolve_owner
from guanxi.sales.models import Lead, LeadScoreRule
from guanxi.sales.permissions import LeadPerm
from guanxi.sales.services.territories import place_of_lead, territory_match

LEAD_FIELDS = ("name", "company", "title", "phone", "email", "province", "city", "postcode", "industry", "source",
               "campaign", "status", "rating", "estimated_amount", "notes", "external_id")
CREATE_FIELDS = (*LEAD_FIELDS, "owner")
AUDITED = [*LEAD_FIELDS, "owner", "score", "territory"]
TEXT_FIELDS = ("name", "company", "title", "province", "city", "postcode", "industry", "campaign", "external_id")
MAX_AMOUNT = Decimal("999999999999.99")
RULE_FIELDS = ("name", "field", "operator", "value", "points", "is_active")
MAX_POINTS = 1000


def _region(actor) -> str:
    return actor.organization.default_phone_region or "CN"


def lead_url(lead: Lead) -> str:
    return reverse("sales:lead_detail", args=[lead.pk])


# --- scoring -----------------------------------------------------------------------------

def rule_matches(rule: LeadScoreRule, lead: Lead) -> bool:
    value = str(getattr(lead, rule.field, "") or "").strip().lower()
    wanted = rule.value.strip().lower()
    if rule.operator == LeadScoreRule.Operator.NOT_EMPTY:
        return bool(value)
    if rule.operator == LeadScoreRule.Operator.CONTAINS:
        return bool(wanted) and wanted in value
    return value == wanted


def active_rules(organization_id: int) -> list[LeadScoreRule]:
    return list(LeadScoreRule.objects.filter(organization_id=organization_id, is_active=True))


def lead_score(lead: Lead, rules: list[LeadScoreRule] | None = None) -> int:
    """The sum of the points of every active rule `lead` matches."""
    if rules is None:
        rules = active_rules(lead.organization_id)
    return sum(rule.points for rule in rules if rule.is_active and rule_matches(rule, lead))


def _derive(lead: Lead, *, rules=None, territories=None) -> None:
    """Everything that follows from the fields: pinyin, score, territory."""
    lead.name_pinyin = full_and_initials(lead.name, person=True)[0][:200]
    lead.score = lead_score(lead, rules)
    territory = territory_match(lead.organization_id, place_of_lead(lead), territories)
    lead.territory = territory


# --- validation ----------------------------------------------------------------------------

def _apply(actor, lead: Lead, data: dict[str, Any], region: str | None = None) -> None:
    """Copy the allowed fields from `data` onto `lead`, normalised and checked; raises before any write."""
    errors: dict[str, list[str]] = {}
    for name in TEXT_FIELDS:
        if name in data:
            setattr(lead, name, " ".join(str(data[name] or "").split()))
    if "notes" in data:
        lead.notes = str(data["notes"] or "").strip()
    if "email" in data:
        lead.email = str(data["email"] or "").strip().lower()
    if "phone" in data:
        try:
            lead.phone = normalize_phone(str(data["phone"] or ""), region or _region(actor))
        except ValidationError as exc:
            errors["phone"] = exc.messages
    for name, choices in (("source", Lead.Source), ("status", Lead.Status), ("rating", Lead.Rating)):
        if name in data:
            value = str(data[name] or "")
            if name == "rating" and value == "":
                lead.rating = ""
            elif value not in choices.values:
                errors[name] = [_("Choose a valid value.")]
            elif name == "status" and value == Lead.Status.CONVERTED:
                errors[name] = [_("A lead becomes converted only by converting it.")]
            else:
                setattr(lead, name, value)
    if "estimated_amount" in data:
        raw = data["estimated_amount"]
        if raw in (None, ""):
            lead.estimated_amount = None
        else:
            amount = parse_money(raw)
            if amount is None or amount < 0 or amount > MAX_AMOUNT:
                errors["estimated_amount"] = [_("Enter an amount between 0 and 999,999,999,999.99.")]
            else:
                lead.estimated_amount = amount
    if not lead.name:
        errors.setdefault("name", []).append(_("This field is required."))
    if errors:
        raise ValidationError(errors)
    try:
        lead.full_clean(exclude=["organization", "owner", "store", "territory", "created_by", "converted_by",
                                 "converted_customer", "converted_contact", "converted_opportunity", "web_form"],
                        validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    if lead.external_id and Lead.objects.filter(organization_id=lead.organization_id,
                                                external_id=lead.external_id).exclude(pk=lead.pk).exists():
        raise ValidationError({"external_id": [_("Another record already uses this external id.")]})


def notify_assignee(actor, lead: Lead) -> None:
    if lead.owner_id and (actor is None or lead.owner_id != actor.pk):
        notify(lead.owner, _("Lead assigned to you: %(name)s") % {"name": str(lead)}, lead_url(lead))


# --- create / change / delete -------------------------------------------------------------

def build_lead(actor, data: dict[str, Any], *, organization_id: int, owner=None, region: str | None = None) -> Lead:
    """A new, validated, unsaved lead (shared by the page/API service and the public web form,
    which has no actor and passes the organisation's phone region)."""
    lead = Lead(organization_id=organization_id, created_by=actor if actor is not None and actor.pk else None)
    _apply(actor, lead, data, region)
    lead.owner = owner
    return lead


def save_new_lead(actor, lead: Lead, *, via: str = "") -> Lead:
    """Store a lead built by build_lead: derived fields, owner's store, audit, the assignee told."""
    if lead.owner is not None:
        lead.store_id = lead.owner.store_id
        lead.assigned_at = timezone.now()
    elif actor is not None and actor.pk:
        lead.store_id = actor.store_id
    _derive(lead)
    lead.save()
    changes = {k: [None, v] for k, v in audit.snapshot(lead, AUDITED).items() if v not in ("", None, 0)}
    if via:
        changes["via"] = [None, via]
    audit.record(actor=actor, action=audit.Action.CREATE, obj=lead, changes=changes,
                 organization_id=lead.organization_id)
    notify_assignee(actor, lead)
    return lead


@transaction.atomic
def lead_create(*, actor, data: dict[str, Any]) -> Lead:
    """The caller owns the new lead unless `owner` names someone they may assign leads to
    (no owner — the shared pool — only for store-wide roles)."""
    require(actor, LeadPerm.CREATE)
    data = dict(data)
    reject_unknown(data, CREATE_FIELDS)
    check_text(data)
    owner_value = data.pop("owner") if "owner" in data else actor.pk
    owner = resolve_owner(actor, owner_value, LeadPerm.CREATE)
    lead = build_lead(actor, data, organization_id=actor.organization_id, owner=owner)
    return save_new_lead(actor, lead)


def refuse_converted(lead: Lead) -> None:
    if lead.status == Lead.Status.CONVERTED:
        raise ValidationError({"status": [_("This lead was converted; it can no longer be changed.")]})


@transaction.atomic
def lead_update(*, actor, lead: Lead, data: dict[str, Any]) -> Lead:
    """Change fields, qualify (status, rating); the owner changes only through assignment."""
    require(actor, LeadPerm.CHANGE, lead)
    data = dict(data)
    reject_unknown(data, LEAD_FIELDS)
    check_text(data)
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    refuse_converted(lead)
    before = audit.snapshot(lead, AUDITED)
    _apply(actor, lead, data)
    _derive(lead)
    lead.save()
    changes = audit.diff(before, audit.snapshot(lead, AUDITED))
    if changes:
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=lead, changes=changes)
    return lead


def lead_qualify(*, actor, lead: Lead, status: str, rating: str | None = None) -> Lead:
    """Move a lead through new → contacted → qualified / unqualified, optionally rating it."""
    data: dict[str, Any] = {"status": status}
    if rating is not None:
        data["rating"] = rating
    return lead_update(actor=actor, lead=lead, data=data)


@transaction.atomic
def lead_delete(*, actor, lead: Lead) -> None:
    require(actor, LeadPerm.DELETE, lead)
    audit.record(actor=actor, action=audit.Action.DELETE, obj=lead,
                 changes={k: [v, None] for k, v in audit.snapshot(lead, AUDITED).items() if v not in ("", None, 0)})
    lead.delete()


# --- scoring rules --------------------------------------------------------------------------

def _clean_rule(rule: LeadScoreRule, data: dict[str, Any]) -> None:
    reject_unknown(data, RULE_FIELDS)
    check_text(data)
    errors: dict[str, list[str]] = {}
    for name in ("name", "value"):
        if name in data:
            setattr(rule, name, " ".join(str(data[name] or "").split()))
    if "field" in data:
        if data["field"] not in LeadScoreRule.FIELDS:
            errors["field"] = [_("Choose a valid value.")]
        else:
            rule.field = data["field"]
    if "operator" in data:
        if data["operator"] not in LeadScoreRule.Operator.values:
            errors["operator"] = [_("Choose a valid value.")]
        else:
            rule.operator = data["operator"]
    if "points" in data:
        try:
            points = int(data["points"])
        except (TypeError, ValueError):
            points = None
        if points is None or isinstance(data["points"], bool) or not -MAX_POINTS <= points <= MAX_POINTS:
            errors["points"] = [_("Enter a whole number from -1000 to 1000.")]
        else:
            rule.points = points
    if "is_active" in data:
        rule.is_active = bool(data["is_active"])
    if not rule.name:
        errors.setdefault("name", []).append(_("This field is required."))
    if not rule.field:
        errors.setdefault("field", []).append(_("This field is required."))
    if rule.operator != LeadScoreRule.Operator.NOT_EMPTY and not rule.value and "value" not in errors:
        errors["value"] = [_("Say which value the field must have.")]
    if errors:
        raise ValidationError(errors)
    try:
        rule.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None


def rescore_leads(organization_id: int) -> int:
    """Apply the current rules to every open lead of the organisation; returns how many changed."""
    rules = active_rules(organization_id)
    changed = []
    for lead in Lead.objects.filter(organization_id=organization_id).exclude(status=Lead.Status.CONVERTED).iterator(
            chunk_size=2000):
        score = lead_score(lead, rules)
        if score != lead.score:
            lead.score = score
            changed.append(lead)
    Lead.objects.bulk_update(changed, ["score"], batch_size=2000)
    return len(changed)


@transaction.atomic
def score_rule_create(*, actor, data: dict[str, Any]) -> LeadScoreRule:
    require(actor, LeadPerm.MANAGE_FORMS)
    rule = LeadScoreRule(organization_id=actor.organization_id, value="")
    rule.field = ""
    _clean_rule(rule, dict(data))
    rule.save()
    audit.record(actor=actor, action=audit.Action.CREATE, obj=rule, changes=audit.snapshot(rule, list(RULE_FIELDS)))
    rescore_leads(actor.organization_id)
    return rule


@transaction.atomic
def score_rule_update(*, actor, rule: LeadScoreRule, data: dict[str, Any]) -> LeadScoreRule:
    require(actor, LeadPerm.MANAGE_FORMS)
    before = audit.snapshot(rule, list(RULE_FIELDS))
    _clean_rule(rule, dict(data))
    rule.save()
    changes = audit.diff(before, audit.snapshot(rule, list(RULE_FIELDS)))
    if changes:
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=rule, changes=changes)
        rescore_leads(actor.organization_id)
    return rule


@transaction.atomic
def score_rule_delete(*, actor, rule: LeadScoreRule) -> None:
    require(actor, LeadPerm.MANAGE_FORMS)
    audit.record(actor=actor, action=audit.Action.DELETE, obj=rule, changes=audit.snapshot(rule, list(RULE_FIELDS)))
    rule.delete()
    rescore_leads(actor.organization_id)
