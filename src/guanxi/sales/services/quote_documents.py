"""The quote as a PDF (WeasyPrint, from sales/quotes/pdf.html) and sending it by e-mail (SAL-7).

The PDF is written in the organisation's language (it goes to the customer, whoever prints it)
with Noto Sans CJK SC for the Chinese glyphs. WeasyPrint may fetch nothing: the stylesheet is
inlined and the fetcher refuses every URL, so a quote's text cannot make the server read files
or call out.
"""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.core.models import Organization
from guanxi.core.permissions import require
from guanxi.core.validation import check_text
from guanxi.sales.models import Quote
from guanxi.sales.permissions import QuotePerm
from guanxi.sales.selectors.quotes import quote_lines
from guanxi.sales.services.quotes import _lock, _ready, _set_status, approval_needed

MAX_SUBJECT = 200
MAX_MESSAGE = 5000


def quote_filename(quote: Quote) -> str:
    return f"{quote.number}-v{quote.version}.pdf"


def _issued(quote: Quote, organization: Organization):
    try:
        zone = zoneinfo.ZoneInfo(organization.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = timezone.get_default_timezone()
    return timezone.localtime(quote.created_at, zone) if quote.created_at else timezone.now()


def quote_html(quote: Quote) -> str:
    organization = Organization.objects.get(pk=quote.organization_id)
    language = organization.default_language
    with translation.override(language):
        return render_to_string("sales/quotes/pdf.html", {
            "quote": quote, "organization": organization, "lines": quote_lines(quote=quote),
            "net_total": quote.subtotal - quote.discount_total, "issued": _issued(quote, organization),
            "language": language,
        })


def quote_pdf(quote: Quote) -> bytes:
    """The quote as PDF bytes. The caller has checked that the reader may see the quote."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    return HTML(string=quote_html(quote), url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()


def default_subject(quote: Quote) -> str:
    organization = Organization.objects.get(pk=quote.organization_id)
    with translation.override(organization.default_language):
        return _("Quote %(number)s (version %(version)s) from %(org)s") % {
            "number": quote.number, "version": quote.version, "org": organization.name}


def default_recipient(quote: Quote) -> str:
    if quote.contact_id and quote.contact.email:
        return quote.contact.email
    return quote.customer.email or ""


@transaction.atomic
def quote_send(*, actor, quote: Quote, to: str, subject: str = "", message: str = "") -> Quote:
    """E-mail the quote's PDF to `to` and mark it sent (sent_at, sent_to). Refused unless it is
    approved, already sent (a resend), or a draft whose discounts need no approval."""
    require(actor, QuotePerm.CHANGE, quote)
    data = {"to": to or "", "subject": subject or "", "message": message or ""}
    check_text(data)
    errors: dict[str, list[str]] = {}
    to = data["to"].strip()
    try:
        if len(to) > 254:
            raise ValidationError("too long")
        validate_email(to)
    except ValidationError:
        errors["to"] = [_("Enter a valid e-mail address.")]
    subject = " ".join(data["subject"].split()) or default_subject(quote)
    if len(subject) > MAX_SUBJECT:
        errors["subject"] = [_("At most %(n)d characters.") % {"n": MAX_SUBJECT}]
    body = data["message"].strip()
    if len(body) > MAX_MESSAGE:
        errors["message"] = [_("At most %(n)d characters.") % {"n": MAX_MESSAGE}]
    if errors:
        raise ValidationError(errors)
    quote = _lock(quote)
    if quote.status not in (Quote.Status.APPROVED, Quote.Status.SENT, Quote.Status.DRAFT):
        raise ValidationError({"status": [_("This quote is %(status)s and cannot be sent.") % {
            "status": quote.get_status_display()}]})
    if quote.status == Quote.Status.DRAFT and approval_needed(quote):
        raise ValidationError({"status": [_("Its discounts need approval before it can be sent.")]})
    _ready(quote)
    pdf = quote_pdf(quote)
    email = EmailMessage(subject=subject, body=body or subject, from_email=settings.DEFAULT_FROM_EMAIL, to=[to],
                         reply_to=[actor.email] if actor.email else None)
    email.attach(quote_filename(quote), pdf, "application/pdf")
    try:
        email.send(using="default")
    except OSError as exc:  # SMTP refused or unreachable: nothing is marked sent
        raise ValidationError({"to": [_("The e-mail could not be sent: %(error)s") % {"error": exc}]}) from None
    _set_status(actor, quote, Quote.Status.SENT, _("sent to %(to)s") % {"to": to},
                extra={"sent_to": [quote.sent_to or None, to]}, sent_at=timezone.now(), sent_to=to)
    return quote
