"""Sales expense claims (SAL-10): a rep files a claim (draft), attaches the receipt, submits it; a
user holding ExpensePerm.APPROVE over it (the claimant's store manager, or an admin) approves or
rejects it. Nobody decides their own claim.

Flow: draft → submitted → approved | rejected. Only the claimant changes a claim, and only while
it is a draft or was rejected (changing a rejected claim makes it a draft again, to be submitted
anew). Approved claims are final and are what the cost of a deal adds up.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.models import Organization
from guanxi.core.money import parse_money
from guanxi.core.permissions import require, row_filter
from guanxi.core.validation import check_text, reject_unknown
from guanxi.sales.models import ExpenseClaim, Opportunity
from guanxi.sales.periods import org_tz
from guanxi.sales.permissions import ExpensePerm, OpportunityPerm

CLAIM_FIELDS = ("opportunity", "category", "amount", "spent_on", "description")
AUDITED = [*CLAIM_FIELDS, "status", "receipt_name"]
MAX_AMOUNT = Decimal("9999999.99")
EDITABLE = (ExpenseClaim.Status.DRAFT, ExpenseClaim.Status.REJECTED)
# What a receipt may be, told by its first bytes (the name and the browser's content type are not trusted).
RECEIPT_KINDS = (
    (b"\xff\xd8\xff", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"GIF87a", ".gif"),
    (b"GIF89a", ".gif"),
    (b"%PDF-", ".pdf"),
)


def receipt_max_bytes() -> int:
    return getattr(settings, "RECEIPT_MAX_BYTES", settings.ATTACHMENT_MAX_BYTES)


def receipt_kind(head: bytes) -> str | None:
    """The file extension for a receipt that starts with `head`, or None when it is not an image or PDF."""
    for magic, ext in RECEIPT_KINDS:
        if head.startswith(magic):
            return ext
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ".webp"
    return None


# --- validation ------------------------------------------------------------------------------

def _opportunity(actor, value) -> Opportunity | None:
    """An opportunity the claimant can see, or none."""
    if value in (None, ""):
        return None
    try:
        pk = int(getattr(value, "pk", value))
    except (TypeError, ValueError):
        pk = None
    opportunity = (Opportunity.objects.filter(row_filter(actor, OpportunityPerm.VIEW), pk=pk).first()
                   if pk and 0 < pk < 2**63 else None)
    if opportunity is None:
        raise ValidationError({"opportunity": [_("Choose an opportunity you can see.")]})
    return opportunity


def _today(organization_id: int) -> dt.date:
    return timezone.localtime(timezone.now(), org_tz(organization_id)).date()


def _apply(actor, claim: ExpenseClaim, data: dict) -> None:
    reject_unknown(data, CLAIM_FIELDS)
    check_text(data)
    if "opportunity" in data:
        value = data["opportunity"]
        unchanged = claim.opportunity_id is not None and str(getattr(value, "pk", value)) == str(claim.opportunity_id)
        if not unchanged:  # a link the claimant no longer sees may stay; a new one must be visible
            claim.opportunity = _opportunity(actor, value)
    if "category" in data:
        if data["category"] not in ExpenseClaim.Category.values:
            raise ValidationError({"category": [_("Choose a category.")]})
        claim.category = data["category"]
    if "amount" in data:
        amount = parse_money(data["amount"]) if data["amount"] not in (None, "") else None
        if amount is None:
            raise ValidationError({"amount": [_("Enter an amount.")]})
        if not Decimal("0.01") <= amount <= MAX_AMOUNT:
            raise ValidationError({"amount": [_("Enter an amount between 0.01 and 9,999,999.99.")]})
        claim.amount = amount
    if "spent_on" in data:
        value = data["spent_on"]
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value.strip())
            except ValueError:
                value = None
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise ValidationError({"spent_on": [_("Enter a date as YYYY-MM-DD.")]})
        if value > _today(claim.organization_id):
            raise ValidationError({"spent_on": [_("The date cannot be in the future.")]})
        if value.year < 2000:
            raise ValidationError({"spent_on": [_("Enter a date from the year 2000 on.")]})
        claim.spent_on = value
    if "description" in data:
        claim.description = " ".join(str(data["description"] or "").split())
    errors = {}
    if not claim.description:
        errors["description"] = [_("This field is required.")]
    elif len(claim.description) > 300:
        errors["description"] = [_("At most 300 characters.")]
    if claim.amount is None or claim.amount <= 0:
        errors.setdefault("amount", [_("Enter an amount.")])
    if claim.spent_on is None:
        errors["spent_on"] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)


def _claimant_only(actor, claim: ExpenseClaim, perm: ExpensePerm = ExpensePerm.CHANGE) -> None:
    require(actor, perm, claim)
    if claim.owner_id != actor.pk:
        raise PermissionDenied(perm)


def _locked(claim: ExpenseClaim) -> ExpenseClaim:
    return ExpenseClaim.objects.select_for_update().get(pk=claim.pk, organization_id=claim.organization_id)


def _status_is(claim: ExpenseClaim, *allowed) -> None:
    if claim.status not in allowed:
        raise ValidationError({"status": [_("This claim is %(status)s and cannot be changed that way.")
                                          % {"status": claim.get_status_display()}]})


# --- claims ----------------------------------------------------------------------------------

@transaction.atomic
def expense_create(*, actor, data: dict) -> ExpenseClaim:
    """A draft claim of the actor's own, filed under their store."""
    require(actor, ExpensePerm.CREATE)
    currency = Organization.objects.filter(pk=actor.organization_id).values_list("currency", flat=True).first()
    claim = ExpenseClaim(organization_id=actor.organization_id, owner=actor, store_id=actor.store_id,
                         created_by=actor, currency=currency or "CNY", amount=None)
    _apply(actor, claim, dict(data))
    if claim.opportunity is not None:
        claim.territory_id = claim.opportunity.territory_id
    claim.save()
    audit.record(actor=actor, action=audit.Action.CREATE, obj=claim,
                 changes={k: [None, v] for k, v in audit.snapshot(claim, AUDITED).items() if v not in ("", None)})
    return claim


@transaction.atomic
def expense_update(*, actor, claim: ExpenseClaim, data: dict) -> ExpenseClaim:
    _claimant_only(actor, claim)
    claim = _locked(claim)
    _status_is(claim, *EDITABLE)
    before = audit.snapshot(claim, AUDITED)
    _apply(actor, claim, dict(data))
    claim.territory_id = claim.opportunity.territory_id if claim.opportunity is not None else None
    if claim.status == ExpenseClaim.Status.REJECTED:
        claim.status = ExpenseClaim.Status.DRAFT
    claim.save()
    changes = audit.diff(before, audit.snapshot(claim, AUDITED))
    if changes:
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=claim, changes=changes)
    return claim


@transaction.atomic
def expense_delete(*, actor, claim: ExpenseClaim) -> None:
    """Only a draft, only by its claimant; the receipt file goes once the deletion is committed."""
    _claimant_only(actor, claim)
    claim = _locked(claim)
    _status_is(claim, ExpenseClaim.Status.DRAFT)
    audit.record(actor=actor, action=audit.Action.DELETE, obj=claim,
                 changes={k: [v, None] for k, v in audit.snapshot(claim, AUDITED).items() if v not in ("", None)})
    _delete_file_later(claim.receipt)
    claim.delete()


def _delete_file_later(fieldfile) -> None:
    if fieldfile:
        storage, name = fieldfile.storage, fieldfile.name
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def expense_attach_receipt(*, actor, claim: ExpenseClaim, upload) -> ExpenseClaim:
    """Attach (or replace) the receipt: an image (JPEG, PNG, GIF, WebP) or a PDF within the size
    limit, stored under a random name; the name the user gave is kept for the download."""
    _claimant_only(actor, claim)
    claim = _locked(claim)
    _status_is(claim, *EDITABLE)
    if upload is None:
        raise ValidationError({"receipt": [_("Choose a file.")]})
    limit = receipt_max_bytes()
    if not upload.size or upload.size > limit:
        raise ValidationError({"receipt": [_("The file must be between 1 byte and %(mb)s MB.")
                                           % {"mb": max(limit // (1024 * 1024), 1)}]})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    ext = receipt_kind(head)
    if ext is None:
        raise ValidationError({"receipt": [_("A receipt must be an image (JPEG, PNG, GIF, WebP) or a PDF.")]})
    name = " ".join((upload.name or "receipt").replace("\x00", "").replace("/", "_").replace("\\", "_").split())
    name = name[-200:] or "receipt"
    before = claim.receipt_name
    old = claim.receipt.name if claim.receipt else ""
    claim.receipt.save(f"receipt{ext}", ContentFile(upload.read()), save=False)
    claim.receipt_name = name
    claim.status = ExpenseClaim.Status.DRAFT  # a rejected claim being fixed goes round again
    claim.save(update_fields=["receipt", "receipt_name", "status", "updated_at"])
    if old:
        storage = claim.receipt.storage
        transaction.on_commit(lambda: storage.delete(old))
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=claim, changes={"receipt_name": [before or None, name]})
    return claim


@transaction.atomic
def expense_submit(*, actor, claim: ExpenseClaim) -> ExpenseClaim:
    _claimant_only(actor, claim)
    claim = _locked(claim)
    _status_is(claim, ExpenseClaim.Status.DRAFT)
    claim.status = ExpenseClaim.Status.SUBMITTED
    claim.decided_by, claim.decided_at, claim.decision_note = None, None, ""
    claim.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=claim, changes={"status": ["draft", "submitted"]})
    return claim


def _decide(actor, claim: ExpenseClaim, status: str, note: str) -> ExpenseClaim:
    require(actor, ExpensePerm.APPROVE, claim)
    if claim.owner_id == actor.pk:
        raise PermissionDenied(_("Nobody approves their own expense claim."))
    check_text({"note": note or ""})
    note = " ".join(str(note or "").split())
    if len(note) > 300:
        raise ValidationError({"note": [_("At most 300 characters.")]})
    if status == ExpenseClaim.Status.REJECTED and not note:
        raise ValidationError({"note": [_("Say why the claim is rejected.")]})
    claim = _locked(claim)
    _status_is(claim, ExpenseClaim.Status.SUBMITTED)
    claim.status = status
    claim.decided_by = actor
    claim.decided_at = timezone.now()
    claim.decision_note = note
    claim.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=claim,
                 changes={"status": ["submitted", status], "decision_note": [None, note or None]})
    return claim


@transaction.atomic
def expense_approve(*, actor, claim: ExpenseClaim, note: str = "") -> ExpenseClaim:
    return _decide(actor, claim, ExpenseClaim.Status.APPROVED, note)


@transaction.atomic
def expense_reject(*, actor, claim: ExpenseClaim, note: str) -> ExpenseClaim:
    return _decide(actor, claim, ExpenseClaim.Status.REJECTED, note)
