"""Contracts (SAL-7): created directly or from an accepted quote, changed, activated, terminated;
signed copies attached as files; a renewal date with a reminder some days before it.

Contracts are governed by QuotePerm (view / create / change), with the same row rules as quotes.
Status: draft ─activate→ active; draft | active ─terminate→ terminated. A terminated contract
no longer changes. Moving the renewal date (or the reminder days) re-arms the reminder.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.context import user_language
from guanxi.core.models import Organization
from guanxi.core.money import ZERO
from guanxi.core.notifications import notify
from guanxi.core.permissions import require
from guanxi.core.validation import check_text, reject_unknown, resolve_owner
from guanxi.customers.models import TimelineEvent
from guanxi.customers.services import timeline_add
from guanxi.sales.models import Contract, ContractFile, Quote, SalesSettings
from guanxi.sales.permissions import QuotePerm
from guanxi.sales.services.numbering import next_number
from guanxi.sales.services.orders import (
    MAX_AMOUNT,
    _customer,
    parse_date,
    parse_decimal,
    related_opportunity,
)
from guanxi.sales.services.territories import customer_territory

C = Contract.Status
CONTRACT_FIELDS = ("title", "customer", "opportunity", "owner", "value", "start_date", "end_date", "renewal_date",
                   "reminder_days", "terms", "signed_at")
CHANGEABLE = tuple(f for f in CONTRACT_FIELDS if f != "customer")
AUDITED = ["number", "title", "customer", "opportunity", "quote", "owner", "store", "territory", "status", "value",
           "currency", "start_date", "end_date", "renewal_date", "reminder_days", "signed_at"]
MAX_REMINDER_DAYS = 365
DATE_FIELDS = ("start_date", "end_date", "renewal_date", "signed_at")


def default_reminder_days(organization_id: int) -> int:
    row = SalesSettings.objects.filter(organization_id=organization_id).first()
    return row.contract_reminder_days if row else SalesSettings._meta.get_field("contract_reminder_days").default


def _timeline(actor, contract: Contract, name: str) -> None:
    timeline_add(contract.customer, TimelineEvent.Kind.CONTRACT, actor, _("Contract: %(name)s") % {"name": name},
                 data={"name": name, "contract": contract.pk})


def _reminder_days(value) -> int:
    if isinstance(value, bool):
        raise ValidationError({"reminder_days": [_("Enter a whole number of days from 0 to 365.")]})
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"reminder_days": [_("Enter a whole number of days from 0 to 365.")]}) from None
    if not 0 <= days <= MAX_REMINDER_DAYS:
        raise ValidationError({"reminder_days": [_("Enter a whole number of days from 0 to 365.")]})
    return days


def _apply(actor, contract: Contract, data: dict, perm: QuotePerm) -> None:
    """Set the fields in `data` on `contract`, validated; errors for every bad field at once."""
    errors: dict[str, list[str]] = {}

    def collect(fn):
        try:
            fn()
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)

    if "title" in data:
        def title():
            value = " ".join(str(data["title"] or "").split())
            if not value:
                raise ValidationError({"title": [_("This field is required.")]})
            if len(value) > 200:
                raise ValidationError({"title": [_("At most 200 characters.")]})
            contract.title = value
        collect(title)
    if "terms" in data:
        def terms():
            value = str(data["terms"] or "")
            if len(value) > 20000:
                raise ValidationError({"terms": [_("At most 20,000 characters.")]})
            contract.terms = value
        collect(terms)
    if "value" in data:
        def value():
            contract.value = parse_decimal(data["value"] if data["value"] not in (None, "") else 0, "value",
                                           places=2, low=ZERO, high=MAX_AMOUNT)
        collect(value)
    if "reminder_days" in data:
        def days():
            contract.reminder_days = _reminder_days(data["reminder_days"])
        collect(days)
    for name in DATE_FIELDS:
        if name in data:
            def date(name=name):
                value = data[name]
                setattr(contract, name, None if value in (None, "") else parse_date(value, name))
            collect(date)
    if "opportunity" in data:
        def opportunity():
            contract.opportunity = related_opportunity(actor, contract.customer, data["opportunity"])
        collect(opportunity)
    if "owner" in data:
        def owner():
            value = data["owner"]
            if str(getattr(value, "pk", value) or "") != str(contract.owner_id or ""):
                contract.owner = resolve_owner(actor, value, perm, pool_allowed=False)
                contract.store_id = contract.owner.store_id or contract.store_id
        collect(owner)
    if not errors and contract.start_date and contract.end_date and contract.end_date < contract.start_date:
        errors["end_date"] = [_("The end cannot be before the start.")]
    if not contract.title and "title" not in errors:
        errors["title"] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def contract_create(*, actor, data: dict) -> Contract:
    """A draft contract. `customer` and `title` are required; the caller owns it unless `owner` names
    someone they may assign to."""
    require(actor, QuotePerm.CREATE)
    data = dict(data)
    reject_unknown(data, CONTRACT_FIELDS)
    check_text(data)
    customer = _customer(actor, data.pop("customer", None))
    owner = resolve_owner(actor, data.pop("owner") if data.get("owner") not in (None, "") else actor.pk,
                          QuotePerm.CREATE, pool_allowed=False)
    contract = Contract(organization_id=actor.organization_id, customer=customer, owner=owner,
                        store_id=owner.store_id or actor.store_id, territory=customer_territory(customer),
                        currency=Organization.objects.values_list("currency", flat=True).get(pk=actor.organization_id),
                        reminder_days=default_reminder_days(actor.organization_id), created_by=actor)
    _apply(actor, contract, data, QuotePerm.CREATE)
    return _save_new(actor, contract)


def _save_new(actor, contract: Contract) -> Contract:
    contract.number = next_number(contract.organization_id, "contract")
    contract.save()
    audit.record(actor=actor, action=audit.Action.CREATE, obj=contract,
                 changes={k: [None, v] for k, v in audit.snapshot(contract, AUDITED).items() if v not in ("", None)})
    _timeline(actor, contract, f"{contract.number} {contract.title}")
    return contract


def contract_create_from_quote(actor, quote: Quote) -> Contract:
    """An accepted quote becomes a draft contract: value = the quote's total; customer, opportunity,
    owner, store, territory, currency and terms copied. One live contract per quote."""
    return _contract_from_quote(actor=actor, quote=quote)


@transaction.atomic
def _contract_from_quote(*, actor, quote: Quote) -> Contract:
    require(actor, QuotePerm.CREATE)
    require(actor, QuotePerm.VIEW, quote)
    quote = Quote.objects.select_for_update().select_related("customer").get(pk=quote.pk)
    if quote.status != Quote.Status.ACCEPTED:
        raise ValidationError({"quote": [_("Only an accepted quote can become a contract.")]})
    existing = Contract.objects.filter(quote=quote).exclude(status=C.TERMINATED).first()
    if existing is not None:
        raise ValidationError({"quote": [_("Contract %(number)s was already created from this quote.") % {
            "number": existing.number}]})
    owner = resolve_owner(actor, quote.owner_id or actor.pk, QuotePerm.CREATE, pool_allowed=False)
    contract = Contract(
        organization_id=quote.organization_id, customer=quote.customer, opportunity=quote.opportunity, quote=quote,
        owner=owner, store_id=quote.store_id or owner.store_id, territory_id=quote.territory_id,
        currency=quote.currency, value=quote.total, terms=quote.terms,
        title=(_("Contract for quote %(number)s") % {"number": quote.number})[:200],
        reminder_days=default_reminder_days(quote.organization_id), created_by=actor,
    )
    return _save_new(actor, contract)


def _locked(contract: Contract) -> Contract:
    return Contract.objects.select_for_update().select_related("customer").get(pk=contract.pk)


def _sync(target: Contract, source: Contract) -> None:
    for field in Contract._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


@transaction.atomic
def contract_update(*, actor, contract: Contract, data: dict) -> Contract:
    """Only the fields sent change. A new renewal date or reminder period re-arms the reminder."""
    require(actor, QuotePerm.CHANGE, contract)
    data = dict(data)
    reject_unknown(data, CHANGEABLE)
    check_text(data)
    locked = _locked(contract)
    if locked.status == C.TERMINATED:
        raise ValidationError({"status": [_("A terminated contract cannot be changed.")]})
    before = audit.snapshot(locked, AUDITED)
    _apply(actor, locked, data, QuotePerm.CHANGE)
    changes = audit.diff(before, audit.snapshot(locked, AUDITED))
    if {"renewal_date", "reminder_days"} & set(changes):
        locked.reminded_at = None
    locked.save()
    if changes:
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=locked, changes=changes)
    _sync(contract, locked)
    return contract


@transaction.atomic
def contract_activate(*, actor, contract: Contract) -> Contract:
    """draft → active; the start date defaults to today."""
    require(actor, QuotePerm.CHANGE, contract)
    locked = _locked(contract)
    if locked.status != C.DRAFT:
        raise ValidationError({"status": [_("Only a draft contract can be activated; this contract is "
                                            "%(status)s.") % {"status": locked.get_status_display()}]})
    before = audit.snapshot(locked, AUDITED)
    locked.status = C.ACTIVE
    locked.start_date = locked.start_date or timezone.localdate()
    if locked.end_date and locked.end_date < locked.start_date:
        raise ValidationError({"end_date": [_("The end cannot be before the start.")]})
    locked.save()
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=locked,
                 changes=audit.diff(before, audit.snapshot(locked, AUDITED)))
    _timeline(actor, locked, _("%(number)s activated") % {"number": locked.number})
    _sync(contract, locked)
    return contract


@transaction.atomic
def contract_terminate(*, actor, contract: Contract, reason: str = "") -> Contract:
    """draft | active → terminated."""
    require(actor, QuotePerm.CHANGE, contract)
    reason = " ".join(str(reason or "").split())
    if len(reason) > 500 or "\x00" in reason:
        raise ValidationError({"reason": [_("At most 500 characters.")]})
    locked = _locked(contract)
    if locked.status not in (C.DRAFT, C.ACTIVE):
        raise ValidationError({"status": [_("Only a draft or active contract can be terminated; this contract is "
                                            "%(status)s.") % {"status": locked.get_status_display()}]})
    before = audit.snapshot(locked, ["status"])
    locked.status = C.TERMINATED
    locked.save(update_fields=["status", "updated_at"])
    changes = audit.diff(before, audit.snapshot(locked, ["status"]))
    if reason:
        changes["reason"] = [None, reason]
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=locked, changes=changes)
    _timeline(actor, locked, (_("%(number)s terminated: %(reason)s") if reason else _("%(number)s terminated")) % {
        "number": locked.number, "reason": reason})
    _sync(contract, locked)
    return contract


@transaction.atomic
def contract_file_add(*, actor, contract: Contract, upload) -> ContractFile:
    """Attach a file (the signed copy, an annex). Stored under a random name; the original name is
    kept only for the download."""
    require(actor, QuotePerm.CHANGE, contract)
    if upload is None:
        raise ValidationError({"file": [_("Choose a file.")]})
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError({"file": [_("The file is larger than %(mb)s MB.") % {
            "mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)}]})
    if contract.status == C.TERMINATED:
        raise ValidationError({"status": [_("A terminated contract cannot be changed.")]})
    name = (upload.name or "file").replace("\x00", "").replace("/", "_").replace("\\", "_")[-200:] or "file"
    item = ContractFile(organization_id=contract.organization_id, contract=contract, original_name=name,
                        size=upload.size, content_type=(getattr(upload, "content_type", "") or "")[:100],
                        uploaded_by=actor)
    item.file.save(name, upload, save=False)
    item.save()
    audit.record(actor=actor, action=audit.Action.CREATE, obj=item,
                 changes={"contract": [None, contract.number], "file": [None, name]})
    return item


# --- renewal reminders -------------------------------------------------------------------------

def contracts_due(organization_id: int, today: dt.date) -> list[Contract]:
    """Active contracts whose renewal date minus reminder days is today or past, not yet reminded."""
    qs = Contract.objects.filter(organization_id=organization_id, status=C.ACTIVE, renewal_date__isnull=False,
                                 reminded_at__isnull=True)
    widest = qs.aggregate(m=Max("reminder_days"))["m"]
    if widest is None:
        return []
    candidates = qs.filter(renewal_date__lte=today + dt.timedelta(days=widest)).select_related("owner", "customer")
    return [c for c in candidates if c.renewal_date - dt.timedelta(days=c.reminder_days) <= today]


def _remind(contract: Contract) -> bool:
    """Claim the reminder (a conditional update: only one run can win it), then write the e-mail.
    A failed send rolls the claim back, so the next run tries again."""
    owner = contract.owner
    if owner is None or not owner.email or not owner.is_active:
        return False
    with transaction.atomic():
        now = timezone.now()
        claimed = Contract.objects.filter(pk=contract.pk, reminded_at__isnull=True).update(reminded_at=now)
        if not claimed:
            return False
        with translation.override(user_language(owner)):
            subject = _("Contract %(number)s is up for renewal on %(date)s") % {
                "number": contract.number, "date": contract.renewal_date.isoformat()}
            body = _("%(title)s with %(customer)s (value %(value)s %(currency)s) is up for renewal on %(date)s.") % {
                "title": contract.title, "customer": contract.customer.name, "value": f"{contract.value:,.2f}",
                "currency": contract.currency, "date": contract.renewal_date.isoformat()}
            name = _("%(number)s renewal due %(date)s") % {"number": contract.number,
                                                           "date": contract.renewal_date.isoformat()}
        send_mail(subject, body, None, [owner.email])
        notify(owner, subject, reverse("sales:contract_detail", args=[contract.pk]), email=False)
        contract.reminded_at = now
        audit.record(actor=None, action=audit.Action.UPDATE, obj=contract,
                     changes={"reminded_at": [None, str(now)], "reminded": [None, owner.get_username()]})
        timeline_add(contract.customer, TimelineEvent.Kind.CONTRACT, None, _("Contract: %(name)s") % {"name": name},
                     data={"name": name, "contract": contract.pk})
    return True


def _org_today(organization_id: int) -> dt.date:
    org = Organization.objects.get(pk=organization_id)
    return timezone.localtime(timezone.now(), _zone(org.timezone)).date()


def send_renewal_reminders(organization_id: int, today: dt.date | None = None) -> int:
    """E-mail the owner of every contract due for its renewal reminder, once; returns how many."""
    today = today or _org_today(organization_id)
    return sum(1 for contract in contracts_due(organization_id, today) if _remind(contract))


def expire_ended_contracts(organization_id: int, today: dt.date | None = None) -> int:
    """Active contracts whose end date has passed (in the organisation's time zone) become expired:
    each claimed by a conditional update, so two runs never expire one twice; audit and timeline
    lines as for a change by hand. Returns how many."""
    today = today or _org_today(organization_id)
    ended = Contract.objects.filter(organization_id=organization_id, status=C.ACTIVE, end_date__lt=today)
    count = 0
    for contract in ended.select_related("customer"):
        with transaction.atomic():
            if not Contract.objects.filter(pk=contract.pk, status=C.ACTIVE).update(status=C.EXPIRED,
                                                                                  updated_at=timezone.now()):
                continue
            audit.record(actor=None, action=audit.Action.UPDATE, obj=contract,
                         changes={"status": [C.ACTIVE.value, C.EXPIRED.value]})
            _timeline(None, contract, _("%(number)s expired %(date)s") % {"number": contract.number,
                                                                          "date": contract.end_date.isoformat()})
            count += 1
    return count


def _zone(name: str):
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC
