"""Quotes (SAL-7): create from an opportunity or a customer, edit lines, totals, discount approval,
versions, the customer's decision. Sending by e-mail and the PDF live in `quote_documents`.

Life of a quote:
    draft ──submit──▶ pending_approval ──approve──▶ approved ──send──▶ sent ──accept──▶ accepted
      │                      └──reject──▶ draft            (draft that needs no approval: send)  └─decline─▶ rejected
      └── any line change on a pending or approved quote puts it back to draft (approval is for those lines)
    new version: draft v+1 with the same lines; the old one becomes superseded.

Approval: any line discount above SalesSettings.quote_discount_threshold (price-list discounts
count too) needs a user with QuotePerm.APPROVE over the quote (a manager of its store, an admin).

Configurator: "excludes" rules refuse the line that breaks them at once; "requires" rules are
checked when the quote is submitted, sent or accepted (a quote is built one line at a time, so
the required product may simply not be there yet). Both name the products in the user's language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.models import Organization
from guanxi.core.money import ZERO, to_cents
from guanxi.core.permissions import require, row_filter
from guanxi.core.validation import check_text, reject_unknown
from guanxi.customers.models import Contact, Customer, TimelineEvent
from guanxi.customers.selectors import customer_visible
from guanxi.customers.services import timeline_add
from guanxi.sales.models import Opportunity, Product, ProductRule, Quote, QuoteLine
from guanxi.sales.permissions import OpportunityPerm, QuotePerm
from guanxi.sales.selectors.quotes import sales_settings
from guanxi.sales.services.catalog import (
    HUNDRED,
    configure,
    parse_date,
    parse_percent,
    parse_price,
    parse_quantity,
    parse_tax_rate,
    price_for,
)
from guanxi.sales.services.numbering import next_number
from guanxi.sales.services.territories import customer_territory

QUOTE_FIELDS = ("customer", "opportunity", "contact", "valid_until", "terms", "notes")
QUOTE_UPDATE_FIELDS = ("contact", "valid_until", "terms", "notes")
LINE_FIELDS = ("product", "description", "quantity", "unit_price", "discount_percent", "tax_rate")
AUDITED = ["number", "version", "status", "customer", "opportunity", "contact", "valid_until", "subtotal",
           "discount_total", "tax_total", "total", "terms", "notes", "owner", "store", "territory"]
LINE_AUDITED = ["product", "description", "quantity", "unit_price", "discount_percent", "tax_rate", "net_amount",
                "tax_amount"]
LOCKED = (Quote.Status.SENT, Quote.Status.ACCEPTED, Quote.Status.REJECTED, Quote.Status.SUPERSEDED)
MAX_LINES = 200


# --- totals ----------------------------------------------------------------------------

@dataclass(frozen=True)
class LineAmounts:
    gross: Decimal
    net: Decimal
    tax: Decimal


MAX_DOCUMENT_AMOUNT = Decimal("999999999999.99")  # what NUMERIC(14, 2) holds


def line_amounts(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal, tax_rate: Decimal) -> LineAmounts:
    """One line, rounded half-up to the cent at the line:
        gross = round(quantity × unit price)
        net   = round(quantity × unit price × (1 − discount / 100))
        tax   = round(net × tax rate)            (on the rounded net)
    """
    exact = quantity * unit_price
    gross = to_cents(exact)
    net = to_cents(exact * (HUNDRED - discount_percent) / HUNDRED)
    tax = to_cents(net * tax_rate)
    return LineAmounts(gross=gross, net=net, tax=tax)


def recalculate(quote: Quote) -> Quote:
    """Store every line's rounded amounts and the quote's totals.

    The quote's figures are sums of the rounded line figures (never a rounding of an exact
    document sum), so the printed lines always add up to the printed totals:
        subtotal       = Σ line gross
        discount_total = Σ (line gross − line net)
        tax_total      = Σ line tax
        total          = Σ line net + Σ line tax  (= subtotal − discount_total + tax_total)
    `max_discount_percent` is the largest line discount (what approval looks at).
    """
    subtotal = discount = tax = net_sum = ZERO
    top = Decimal(0)
    lines = list(QuoteLine.objects.filter(quote=quote).select_related("product"))
    for line in lines:
        amounts = line_amounts(line.quantity, line.unit_price, line.discount_percent, line.tax_rate)
        cost = to_cents(line.quantity * line.product.cost) if line.product_id else ZERO
        if max(amounts.gross + amounts.tax, cost) > MAX_DOCUMENT_AMOUNT:
            # quantity × price beyond what a money column holds: refuse before anything is stored
            raise ValidationError({"quantity": [_("This line's amount is too large.")]})
        if (line.net_amount, line.tax_amount, line.cost) != (amounts.net, amounts.tax, cost):
            line.net_amount, line.tax_amount, line.cost = amounts.net, amounts.tax, cost
            line.save(update_fields=["net_amount", "tax_amount", "cost"])
        subtotal += amounts.gross
        discount += amounts.gross - amounts.net
        net_sum += amounts.net
        tax += amounts.tax
        top = max(top, line.discount_percent)
    quote.subtotal, quote.discount_total, quote.tax_total = subtotal, discount, tax
    quote.total = net_sum + tax
    if subtotal + tax > MAX_DOCUMENT_AMOUNT:
        raise ValidationError({"lines": [_("The quote's total is too large.")]})
    quote.max_discount_percent = top
    quote.save(update_fields=["subtotal", "discount_total", "tax_total", "total", "max_discount_percent",
                              "updated_at"])
    return quote


def approval_needed(quote: Quote) -> bool:
    threshold = sales_settings(quote.organization_id).quote_discount_threshold
    return QuoteLine.objects.filter(quote=quote, discount_percent__gt=threshold).exists()


def can_send(quote: Quote) -> bool:
    """Approved, already sent (a resend), or a draft that needs no approval."""
    if quote.status in (Quote.Status.APPROVED, Quote.Status.SENT):
        return True
    return quote.status == Quote.Status.DRAFT and not approval_needed(quote)


# --- helpers ---------------------------------------------------------------------------

def _timeline(quote: Quote, actor, what: str) -> None:
    name = f"{quote.number} v{quote.version} · {what}"
    timeline_add(quote.customer, TimelineEvent.Kind.QUOTE, actor, _("Quote: %(name)s") % {"name": name},
                 data={"name": name, "quote": quote.pk, "status": quote.status})


def _customer(actor, value) -> Customer:
    customer_id = value.pk if isinstance(value, Customer) else value
    try:
        customer = customer_visible(actor).filter(pk=int(customer_id)).first()
    except (TypeError, ValueError, OverflowError):
        customer = None
    if customer is None:
        raise ValidationError({"customer": [_("Choose a customer you can see.")]})
    return customer


def _opportunity(actor, value) -> Opportunity:
    opp_id = value.pk if isinstance(value, Opportunity) else value
    try:
        opp = (Opportunity.objects.filter(row_filter(actor, OpportunityPerm.VIEW), pk=int(opp_id))
               .select_related("customer", "contact", "stage").first())
    except (TypeError, ValueError, OverflowError):
        opp = None
    if opp is None:
        raise ValidationError({"opportunity": [_("Choose an opportunity you can see.")]})
    return opp


def _contact(customer: Customer, value) -> Contact | None:
    if value in (None, ""):
        return None
    contact_id = value.pk if isinstance(value, Contact) else value
    try:
        contact = Contact.objects.filter(customer_id=customer.pk, pk=int(contact_id)).first()
    except (TypeError, ValueError, OverflowError):
        contact = None
    if contact is None:
        raise ValidationError({"contact": [_("Choose a contact of this customer.")]})
    return contact


def _text(value, limit: int, field_name: str) -> str:
    text = str(value or "").strip()
    if len(text) > limit:
        raise ValidationError({field_name: [_("At most %(n)d characters.") % {"n": limit}]})
    return text


def _valid_until(value) -> dt.date | None:
    date = parse_date(value, "valid_until")
    if date is not None and not dt.date(2000, 1, 1) <= date <= dt.date(2200, 12, 31):
        raise ValidationError({"valid_until": [_("Enter a date between 2000 and 2200.")]})
    return date


def _require_editable(quote: Quote) -> None:
    if quote.status in LOCKED:
        raise ValidationError({"__all__": [_("This quote is %(status)s and can no longer be changed; "
                                             "make a new version instead.") % {"status": quote.get_status_display()}]})


def _lock(quote: Quote) -> Quote:
    return Quote.objects.select_for_update(of=("self",)).select_related("customer", "opportunity").get(pk=quote.pk)


def _back_to_draft(quote: Quote) -> None:
    """A changed line voids a pending request or a given approval."""
    if quote.status in (Quote.Status.PENDING_APPROVAL, Quote.Status.APPROVED):
        quote.status = Quote.Status.DRAFT
        quote.approved_by = None
        quote.approved_at = None
        quote.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])


def _price_date(quote: Quote) -> dt.date:
    return timezone.localdate(quote.created_at) if quote.created_at else timezone.localdate()


def _check_rules(quote: Quote, kinds: tuple[str, ...], field_name: str) -> None:
    products = [line.product for line in QuoteLine.objects.filter(quote=quote, product__isnull=False)
                .select_related("product")]
    broken = [v.message for v in configure(products, organization_id=quote.organization_id) if v.kind in kinds]
    if broken:
        raise ValidationError({field_name: broken})


def _ready(quote: Quote) -> None:
    if not QuoteLine.objects.filter(quote=quote).exists():
        raise ValidationError({"lines": [_("Add at least one line first.")]})
    _check_rules(quote, (ProductRule.Kind.REQUIRES, ProductRule.Kind.EXCLUDES), "lines")


# --- quotes ----------------------------------------------------------------------------

@transaction.atomic
def quote_create(*, actor, data: dict) -> Quote:
    """A new draft for an opportunity (its customer, contact, owner, store and territory) or for
    a customer (owned by the actor, in the actor's store, in the customer's territory)."""
    require(actor, QuotePerm.CREATE)
    reject_unknown(data, QUOTE_FIELDS)
    check_text(data)
    org = Organization.objects.get(pk=actor.organization_id)
    quote = Quote(organization_id=actor.organization_id, created_by=actor, currency=org.currency)
    if data.get("opportunity") not in (None, ""):
        opp = _opportunity(actor, data["opportunity"])
        require(actor, OpportunityPerm.CHANGE, opp)
        if data.get("customer") not in (None, "") and str(getattr(data["customer"], "pk", data["customer"])) \
                != str(opp.customer_id):
            raise ValidationError({"customer": [_("The opportunity belongs to another customer.")]})
        quote.opportunity, quote.customer = opp, opp.customer
        quote.owner_id, quote.store_id, quote.territory_id = opp.owner_id, opp.store_id, opp.territory_id
        quote.contact = opp.contact
    elif data.get("customer") not in (None, ""):
        quote.customer = _customer(actor, data["customer"])
        quote.owner, quote.store_id = actor, actor.store_id
        quote.territory = customer_territory(quote.customer)
    else:
        raise ValidationError({"customer": [_("Choose a customer or an opportunity.")]})
    if "contact" in data and data["contact"] not in (None, ""):
        quote.contact = _contact(quote.customer, data["contact"])
    settings = sales_settings(actor.organization_id)
    quote.valid_until = (_valid_until(data.get("valid_until"))
                         or timezone.localdate() + dt.timedelta(days=settings.quote_validity_days))
    quote.terms = _text(data.get("terms"), 10000, "terms")
    quote.notes = _text(data.get("notes"), 5000, "notes")
    quote.number = next_number(actor.organization_id, "quote")
    quote.version = 1
    quote.save()
    audit.record(actor=actor, action=audit.Action.CREATE, obj=quote,
                 changes={k: [None, v] for k, v in audit.snapshot(quote, AUDITED).items() if v not in ("", None)})
    _timeline(quote, actor, _("created"))
    return quote


@transaction.atomic
def quote_update(*, actor, quote: Quote, data: dict) -> Quote:
    require(actor, QuotePerm.CHANGE, quote)
    reject_unknown(data, QUOTE_UPDATE_FIELDS)
    check_text(data)
    quote = _lock(quote)
    _require_editable(quote)
    before = audit.snapshot(quote, AUDITED)
    if "contact" in data:
        quote.contact = _contact(quote.customer, data["contact"])
    if "valid_until" in data:
        quote.valid_until = _valid_until(data["valid_until"])
    if "terms" in data:
        quote.terms = _text(data["terms"], 10000, "terms")
    if "notes" in data:
        quote.notes = _text(data["notes"], 5000, "notes")
    quote.save()
    changes = audit.diff(before, audit.snapshot(quote, AUDITED))
    if changes:
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=quote, changes=changes)
    return quote


@transaction.atomic
def quote_delete(*, actor, quote: Quote) -> None:
    """Only a draft that was never sent can go; anything else stays on record."""
    require(actor, QuotePerm.DELETE, quote)
    quote = _lock(quote)
    if quote.status not in (Quote.Status.DRAFT, Quote.Status.PENDING_APPROVAL) or quote.sent_at:
        raise ValidationError({"__all__": [_("Only a draft that was never sent can be deleted.")]})
    if quote.contracts.exists():
        raise ValidationError({"__all__": [_("A contract refers to this quote.")]})
    audit.record(actor=actor, action=audit.Action.DELETE, obj=quote, changes=audit.snapshot(quote, AUDITED))
    _timeline(quote, actor, _("deleted"))
    previous = Quote.objects.filter(organization_id=quote.organization_id, number=quote.number,
                                    version=quote.version - 1, status=Quote.Status.SUPERSEDED).first()
    quote.delete()
    if previous is not None:  # deleting a new version brings the one before it back
        previous.status = (Quote.Status.REJECTED if previous.decided_at else Quote.Status.SENT if previous.sent_at
                           else Quote.Status.APPROVED if previous.approved_at else Quote.Status.DRAFT)
        previous.save(update_fields=["status", "updated_at"])


# --- lines -----------------------------------------------------------------------------

def _line_values(actor, quote: Quote, line: QuoteLine, data: dict) -> None:
    """Apply `data` to `line`; missing prices come from the price lists, missing tax from the product."""
    reject_unknown(data, LINE_FIELDS)
    check_text(data)
    errors: dict[str, list[str]] = {}

    def take(name, parse):
        if name in data and data[name] not in (None, ""):
            try:
                return parse(data[name])
            except ValidationError as exc:
                for key, messages in exc.message_dict.items():
                    errors.setdefault(key, []).extend(messages)
        return None

    product_changed = False
    if "product" in data:
        value = data["product"]
        if value in (None, ""):
            product_changed = line.product_id is not None
            line.product = None
        else:
            product_id = value.pk if isinstance(value, Product) else value
            try:
                product = Product.objects.filter(organization_id=quote.organization_id, pk=int(product_id)).first()
            except (TypeError, ValueError, OverflowError):
                product = None
            if product is None or (not product.is_active and product.pk != line.product_id):
                errors["product"] = [_("Choose an active product.")]
            else:
                product_changed = product.pk != line.product_id
                line.product = product
    old_quantity = line.quantity
    quantity = take("quantity", parse_quantity)
    if "quantity" in data and data["quantity"] in (None, ""):
        errors["quantity"] = [_("Enter a quantity above 0.")]
    unit_price = take("unit_price", lambda v: parse_price(v, "unit_price"))
    discount = take("discount_percent", parse_percent)
    tax_rate = take("tax_rate", parse_tax_rate)
    if "description" in data:
        try:
            line.description = " ".join(_text(data["description"], 300, "description").split())
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if quantity is not None:
        line.quantity = quantity
    product = line.product
    if product is not None:
        if product_changed and not str(data.get("description") or "").strip():
            line.description = product.name[:300]
        # A price typed by hand stays; a list price (and a list discount) follows the tiers when
        # the quantity changes.
        follow_price = follow_discount = line.pk is None or product_changed
        if not follow_price and quantity is not None and quantity != old_quantity:
            old = price_for(quote.customer, product, old_quantity, _price_date(quote))
            follow_price = line.unit_price == old.unit_price
            follow_discount = line.discount_percent == old.discount_percent
        if follow_price and unit_price is None:  # a typed unit price is the deal: no list discount on top
            price = price_for(quote.customer, product, line.quantity, _price_date(quote))
            line.unit_price = price.unit_price
            if discount is None and follow_discount:
                line.discount_percent = price.discount_percent
        if tax_rate is None and (line.pk is None or product_changed):
            line.tax_rate = product.tax_rate
    elif line.pk is None:
        if unit_price is None:
            raise ValidationError({"unit_price": [_("Enter a unit price for a line without a product.")]})
        if tax_rate is None:
            line.tax_rate = sales_settings(quote.organization_id).default_tax_rate
    if unit_price is not None:
        line.unit_price = unit_price
    if discount is not None:
        line.discount_percent = discount
    if tax_rate is not None:
        line.tax_rate = tax_rate
    if not line.description:
        raise ValidationError({"description": [_("Describe the line or choose a product.")]})


@transaction.atomic
def line_add(*, actor, quote: Quote, data: dict) -> QuoteLine:
    require(actor, QuotePerm.CHANGE, quote)
    quote = _lock(quote)
    _require_editable(quote)
    if QuoteLine.objects.filter(quote=quote).count() >= MAX_LINES:
        raise ValidationError({"__all__": [_("A quote has at most %(n)d lines.") % {"n": MAX_LINES}]})
    line = QuoteLine(organization_id=quote.organization_id, quote=quote, quantity=Decimal(1))
    _line_values(actor, quote, line, dict(data))
    top = QuoteLine.objects.filter(quote=quote).aggregate(m=Max("position"))["m"]
    line.position = (top or 0) + 1
    line.save()
    _check_rules(quote, (ProductRule.Kind.EXCLUDES,), "product")
    _back_to_draft(quote)
    recalculate(quote)
    line.refresh_from_db()
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=quote,
                 changes={f"line:{line.pk}": [None, audit.snapshot(line, LINE_AUDITED)]})
    return line


@transaction.atomic
def line_update(*, actor, line: QuoteLine, data: dict) -> QuoteLine:
    require(actor, QuotePerm.CHANGE, line.quote)
    quote = _lock(line.quote)
    _require_editable(quote)
    line = QuoteLine.objects.select_for_update(of=("self",)).select_related("product").get(pk=line.pk)
    before = audit.snapshot(line, LINE_AUDITED)
    _line_values(actor, quote, line, dict(data))
    line.save()
    _check_rules(quote, (ProductRule.Kind.EXCLUDES,), "product")
    recalculate(quote)
    line.refresh_from_db()
    changes = audit.diff(before, audit.snapshot(line, LINE_AUDITED))
    if changes:
        _back_to_draft(quote)
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=quote,
                     changes={f"line:{line.pk}:{k}": v for k, v in changes.items()})
    return line


@transaction.atomic
def line_remove(*, actor, line: QuoteLine) -> Quote:
    require(actor, QuotePerm.CHANGE, line.quote)
    quote = _lock(line.quote)
    _require_editable(quote)
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=quote,
                 changes={f"line:{line.pk}": [audit.snapshot(line, LINE_AUDITED), None]})
    QuoteLine.objects.filter(pk=line.pk).delete()
    _back_to_draft(quote)
    return recalculate(quote)


# --- approval --------------------------------------------------------------------------

def _set_status(actor, quote: Quote, status: str, what: str, extra: dict | None = None, **fields) -> Quote:
    before = quote.status
    quote.status = status
    for name, value in fields.items():
        setattr(quote, name, value)
    quote.save(update_fields=["status", *fields, "updated_at"])
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=quote,
                 changes={"status": [before, status], **(extra or {})})
    _timeline(quote, actor, what)
    return quote


@transaction.atomic
def quote_submit(*, actor, quote: Quote) -> Quote:
    """Ask for approval of a draft whose discounts pass the threshold."""
    require(actor, QuotePerm.CHANGE, quote)
    quote = _lock(quote)
    if quote.status != Quote.Status.DRAFT:
        raise ValidationError({"status": [_("Only a draft can be submitted for approval.")]})
    _ready(quote)
    if not approval_needed(quote):
        raise ValidationError({"status": [_("No discount passes the approval threshold; this quote can be sent "
                                            "as it is.")]})
    return _set_status(actor, quote, Quote.Status.PENDING_APPROVAL, _("submitted for approval"))


@transaction.atomic
def quote_approve(*, actor, quote: Quote) -> Quote:
    require(actor, QuotePerm.APPROVE, quote)
    quote = _lock(quote)
    if quote.status != Quote.Status.PENDING_APPROVAL:
        raise ValidationError({"status": [_("Only a quote awaiting approval can be approved.")]})
    return _set_status(actor, quote, Quote.Status.APPROVED, _("discounts approved"),
                       approved_by=actor, approved_at=timezone.now())


@transaction.atomic
def quote_reject(*, actor, quote: Quote, reason: str = "") -> Quote:
    """The approver turns the discounts down: the quote goes back to draft for the rep to rework."""
    require(actor, QuotePerm.APPROVE, quote)
    reason = _text(reason, 1000, "reason")
    check_text({"reason": reason})
    quote = _lock(quote)
    if quote.status != Quote.Status.PENDING_APPROVAL:
        raise ValidationError({"status": [_("Only a quote awaiting approval can be rejected.")]})
    what = _("discounts not approved") + (f": {reason}" if reason else "")
    return _set_status(actor, quote, Quote.Status.DRAFT, what[:200], extra={"reason": [None, reason]} if reason else None)


# --- versions and the customer's decision ------------------------------------------------

@transaction.atomic
def quote_new_version(*, actor, quote: Quote) -> Quote:
    """Copy the quote and its lines into version + 1 (a draft, valid for the usual days from
    today); the old version becomes superseded. Only the latest version has a successor."""
    require(actor, QuotePerm.CHANGE, quote)
    quote = _lock(quote)
    if quote.status in (Quote.Status.SUPERSEDED, Quote.Status.ACCEPTED):
        raise ValidationError({"status": [_("A %(status)s quote gets no new version.") % {
            "status": quote.get_status_display()}]})
    if Quote.objects.filter(organization_id=quote.organization_id, number=quote.number,
                            version__gt=quote.version).exists():
        raise ValidationError({"status": [_("A newer version of this quote exists.")]})
    settings = sales_settings(quote.organization_id)
    new = Quote(
        organization_id=quote.organization_id, number=quote.number, version=quote.version + 1,
        opportunity=quote.opportunity, customer=quote.customer, contact=quote.contact, price_list=quote.price_list,
        currency=quote.currency, terms=quote.terms, notes=quote.notes, owner_id=quote.owner_id,
        store_id=quote.store_id, territory_id=quote.territory_id, created_by=actor,
        valid_until=timezone.localdate() + dt.timedelta(days=settings.quote_validity_days),
    )
    new.save()
    QuoteLine.objects.bulk_create([
        QuoteLine(organization_id=line.organization_id, quote=new, position=line.position, product_id=line.product_id,
                  description=line.description, quantity=line.quantity, unit_price=line.unit_price,
                  discount_percent=line.discount_percent, tax_rate=line.tax_rate, net_amount=line.net_amount,
                  tax_amount=line.tax_amount, cost=line.cost)
        for line in QuoteLine.objects.filter(quote=quote).order_by("position", "id")
    ])
    recalculate(new)
    _set_status(actor, quote, Quote.Status.SUPERSEDED, _("superseded by version %(v)d") % {"v": new.version},
                extra={"superseded_by": [None, new.pk]})
    audit.record(actor=actor, action=audit.Action.CREATE, obj=new,
                 changes={**{k: [None, v] for k, v in audit.snapshot(new, AUDITED).items() if v not in ("", None)},
                          "copied_from": [None, quote.pk]})
    _timeline(new, actor, _("new version"))
    return new


@dataclass
class Decision:
    quote: Quote
    opportunity_moved: bool = False


def _decidable(quote: Quote) -> None:
    if quote.status not in (Quote.Status.SENT, Quote.Status.APPROVED, Quote.Status.DRAFT):
        raise ValidationError({"status": [_("This quote is %(status)s; only a sent or sendable quote can be "
                                            "accepted or declined.") % {"status": quote.get_status_display()}]})
    if quote.status == Quote.Status.DRAFT and approval_needed(quote):
        raise ValidationError({"status": [_("Its discounts need approval first.")]})


@transaction.atomic
def quote_accept(*, actor, quote: Quote) -> Decision:
    """The customer accepted. An open opportunity behind it moves to its pipeline's won stage
    (through opportunity_move, so the stage history and timeline show it)."""
    require(actor, QuotePerm.CHANGE, quote)
    quote = _lock(quote)
    _decidable(quote)
    _ready(quote)
    _set_status(actor, quote, Quote.Status.ACCEPTED, _("accepted by the customer"), decided_at=timezone.now())
    moved = False
    opp = quote.opportunity
    if opp is not None:
        opp = Opportunity.objects.select_related("stage").get(pk=opp.pk)
        won = opp.pipeline.stages.filter(is_won=True).order_by("position").first()
        if won is not None and not opp.stage.is_closed:
            from guanxi.sales.services.opportunities import opportunity_move

            opportunity_move(actor=actor, opportunity=opp, stage=won)
            moved = True
    return Decision(quote=quote, opportunity_moved=moved)


@transaction.atomic
def quote_decline(*, actor, quote: Quote, reason: str = "") -> Quote:
    """The customer turned the quote down (status rejected). The opportunity stays as it is."""
    require(actor, QuotePerm.CHANGE, quote)
    reason = _text(reason, 1000, "reason")
    check_text({"reason": reason})
    quote = _lock(quote)
    _decidable(quote)
    what = _("declined by the customer") + (f": {reason}" if reason else "")
    return _set_status(actor, quote, Quote.Status.REJECTED, what[:200], decided_at=timezone.now(),
                       extra={"reason": [None, reason]} if reason else None)

