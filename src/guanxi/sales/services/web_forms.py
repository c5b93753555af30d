"""Public lead forms (CUS-10): managing them, and a visitor's submission.

A submission has no signed-in user. The form itself carries the authority: someone holding
LeadPerm.MANAGE_FORMS chose its owner (the fallback assignee) and, optionally, a team whose reps
take the leads in turn. The spam defences that need the request (rate limit, body size,
honeypot) sit in the view; the signed fill-time token is made and checked here.
"""

from __future__ import annotations

import re
import time
from typing import Any

from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.models import Team
from guanxi.core.permissions import Scope, require, scope_for
from guanxi.core.validation import check_text, reject_unknown, resolve_owner
from guanxi.sales.models import Lead, WebForm
from guanxi.sales.permissions import LeadPerm
from guanxi.sales.services.lead_assignment import team_round_robin
from guanxi.sales.services.leads import build_lead, save_new_lead

FORM_FIELDS = ("name", "campaign", "source", "team", "owner", "thank_you", "allowed_origins", "is_active")
AUDITED = list(FORM_FIELDS)
# What a visitor may send, with its length limit (the model allows as much or more).
PUBLIC_FIELDS = {"name": 100, "company": 200, "title": 100, "phone": 40, "email": 254, "province": 50, "city": 50,
                 "industry": 100, "notes": 2000}
MAX_BODY_BYTES = 16 * 1024
MIN_FILL_SECONDS = 3
MAX_TOKEN_AGE = 24 * 3600
RATE_LIMIT = 10  # submissions per minute per address per form
TOKEN_SALT = "guanxi.sales.web_form"
ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:\d{1,5})?$")


# --- management ---------------------------------------------------------------------------

def _origins(text: str) -> str:
    lines = [line.strip().rstrip("/").lower() for line in str(text or "").splitlines() if line.strip()]
    bad = [line for line in lines if not ORIGIN.match(line)]
    if bad:
        raise ValidationError({"allowed_origins": [_("Not a website origin: %(value)s (write e.g. "
                                                     "https://www.example.com)") % {"value": bad[0][:100]}]})
    if len(lines) > 20:
        raise ValidationError({"allowed_origins": [_("At most 20 websites.")]})
    return "\n".join(dict.fromkeys(lines))


def _apply(actor, form: WebForm, data: dict[str, Any]) -> None:
    reject_unknown(data, FORM_FIELDS)
    check_text(data)
    for name in ("name", "campaign", "thank_you"):
        if name in data:
            setattr(form, name, " ".join(str(data[name] or "").split()))
    if "source" in data:
        if data["source"] not in Lead.Source.values:
            raise ValidationError({"source": [_("Choose a valid value.")]})
        form.source = data["source"]
    if "allowed_origins" in data:
        form.allowed_origins = _origins(data["allowed_origins"])
    if "is_active" in data:
        form.is_active = bool(data["is_active"])
    if "owner" in data or form.owner_id is None:
        form.owner = resolve_owner(actor, data.get("owner"), LeadPerm.MANAGE_FORMS, pool_allowed=False)
    if "team" in data:
        form.team = _team(actor, data["team"])
    if not form.name:
        raise ValidationError({"name": [_("This field is required.")]})
    try:
        form.full_clean(exclude=["organization", "team", "owner", "key"], validate_unique=False,
                        validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None


def _team(actor, value) -> Team | None:
    if value in (None, ""):
        return None
    team_id = value.pk if isinstance(value, Team) else value
    try:
        team = Team.objects.filter(organization_id=actor.organization_id, pk=int(team_id)).first()
    except (TypeError, ValueError):
        team = None
    store_bound = scope_for(actor, LeadPerm.MANAGE_FORMS) == Scope.STORE and actor.store_id \
        and not actor.store.is_headquarters
    if team is None or (store_bound and team.store_id != actor.store_id):
        raise ValidationError({"team": [_("Choose a valid team.")]})
    return team


@transaction.atomic
def web_form_create(*, actor, data: dict[str, Any]) -> WebForm:
    require(actor, LeadPerm.MANAGE_FORMS)
    form = WebForm(organization_id=actor.organization_id, source=Lead.Source.WEB)
    _apply(actor, form, dict(data))
    form.save()
    audit.record(actor=actor, action=audit.Action.CREATE, obj=form, changes=audit.snapshot(form, AUDITED))
    return form


@transaction.atomic
def web_form_update(*, actor, form: WebForm, data: dict[str, Any]) -> WebForm:
    require(actor, LeadPerm.MANAGE_FORMS)
    before = audit.snapshot(form, AUDITED)
    _apply(actor, form, dict(data))
    form.save()
    changes = audit.diff(before, audit.snapshot(form, AUDITED))
    if changes:
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=form, changes=changes)
    return form


@transaction.atomic
def web_form_delete(*, actor, form: WebForm) -> None:
    require(actor, LeadPerm.MANAGE_FORMS)
    audit.record(actor=actor, action=audit.Action.DELETE, obj=form, changes=audit.snapshot(form, AUDITED))
    form.delete()


# --- the public side ----------------------------------------------------------------------

def issue_token(form: WebForm, now: float | None = None) -> str:
    """A signed note of when the form was handed out; a submission must come back with it."""
    return signing.dumps({"f": form.pk, "t": int(now if now is not None else time.time())}, salt=TOKEN_SALT)


def token_problem(form: WebForm, token: str, now: float | None = None) -> str | None:
    """Why the token does not admit a submission (None when it does): forged, another form's,
    stale, or filled in faster than a person could."""
    now = now if now is not None else time.time()
    try:
        payload = signing.loads(str(token or "")[:500], salt=TOKEN_SALT, max_age=MAX_TOKEN_AGE)
    except signing.BadSignature:
        return _("The form has expired; please reload the page and try again.")
    if not isinstance(payload, dict) or payload.get("f") != form.pk or not isinstance(payload.get("t"), int) \
            or now - payload["t"] > MAX_TOKEN_AGE:
        return _("The form has expired; please reload the page and try again.")
    if now - payload["t"] < MIN_FILL_SECONDS:
        return _("That was quicker than a person can type; please wait a moment and send again.")
    return None


def rate_limited(form: WebForm, ip: str | None) -> bool:
    """Counts this submission; True when the address sent more than RATE_LIMIT this minute."""
    key = f"webform-rate:{form.pk}:{ip or '-'}:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=70)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=70)
        count = 1
    return count > RATE_LIMIT


def public_form(key: str) -> WebForm | None:
    """The active form behind `key` (call under unscoped(): no organisation is known yet)."""
    if not key or len(key) > 40:
        return None
    form = (WebForm.objects.filter(key=key, is_active=True, organization__is_active=True)
            .select_related("organization", "owner", "team").first())
    if form is None or form.owner is None or not form.owner.is_active:
        return None
    return form


@transaction.atomic
def web_form_submit(*, form: WebForm, data: dict[str, str]) -> Lead:
    """A visitor's lead: validated like any lead, tagged with the form's source and campaign,
    and handed to the team's next rep (or the form's owner)."""
    unknown = set(data) - set(PUBLIC_FIELDS)
    if unknown:
        raise ValidationError({name[:50]: [_("This field cannot be set.")] for name in sorted(unknown)[:10]})
    errors = {name: [_("At most %(n)s characters.") % {"n": limit}]
              for name, limit in PUBLIC_FIELDS.items() if len(data.get(name, "")) > limit}
    if errors:
        raise ValidationError(errors)
    check_text(data)
    if not (data.get("phone", "").strip() or data.get("email", "").strip()):
        raise ValidationError({"phone": [_("Leave a phone number or an e-mail address so we can reach you.")]})
    clean = {name: data.get(name, "") for name in PUBLIC_FIELDS}
    clean.update(source=form.source, campaign=form.campaign)
    owner = team_round_robin(form.organization_id, form.team) if form.team_id else None
    lead = build_lead(None, clean, organization_id=form.organization_id, owner=owner or form.owner,
                      region=form.organization.default_phone_region or "CN")
    lead.web_form = form
    return save_new_lead(None, lead, via=f"web form #{form.pk} {form.name}")
