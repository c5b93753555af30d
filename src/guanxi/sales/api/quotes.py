"""Quotes over JSON (SAL-7): thin handlers over sales.selectors.quotes and the quote services.

Status changes are POSTs on the quote: submit (ask for discount approval), approve / reject
(the approver's decision; reject returns it to draft), send (e-mail the PDF), accept / decline
(the customer's decision), new-version. A change the quote's status does not allow is a 422 on
`status`; a broken configurator rule a 422 on `product` (when adding) or `lines` (when submitting,
sending or accepting).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from ninja import Query, Router, Status

from guanxi.customers.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    _known_query,
    _page,
    api_field_names,
)
from guanxi.sales.api.quotes_schemas import (
    QuoteDecisionOut,
    QuoteIn,
    QuoteLineIn,
    QuoteLinePatch,
    QuoteListIn,
    QuoteOut,
    QuotePage,
    QuotePatch,
    ReasonIn,
    SendIn,
)
from guanxi.sales.models import Quote
from guanxi.sales.permissions import QuotePerm
from guanxi.sales.selectors import quotes as selectors
from guanxi.sales.services import quote_documents as documents
from guanxi.sales.services import quotes as services

quotes_router = Router(tags=["quotes"])

API_NAMES = {"customer": "customer_id", "opportunity": "opportunity_id", "contact": "contact_id",
             "product": "product_id"}


def _date(value) -> str | None:
    return value.isoformat() if value else None


def quote_out(q: Quote) -> dict:
    lines = selectors.quote_lines(quote=q)
    return {
        "id": q.pk, "number": q.number, "version": q.version, "status": q.status, "customer_id": q.customer_id,
        "customer_name": q.customer.name, "contact_id": q.contact_id, "opportunity_id": q.opportunity_id,
        "owner_id": q.owner_id, "store_id": q.store_id, "territory_id": q.territory_id, "currency": q.currency,
        "valid_until": _date(q.valid_until), "subtotal": str(q.subtotal), "discount_total": str(q.discount_total),
        "tax_total": str(q.tax_total), "total": str(q.total), "max_discount_percent": str(q.max_discount_percent),
        "approval_needed": services.approval_needed(q), "can_send": services.can_send(q), "terms": q.terms,
        "notes": q.notes, "approved_by_id": q.approved_by_id, "approved_at": q.approved_at, "sent_at": q.sent_at,
        "sent_to": q.sent_to, "decided_at": q.decided_at, "created_at": q.created_at, "updated_at": q.updated_at,
        "lines": [{
            "id": line.pk, "position": line.position, "product_id": line.product_id,
            "sku": line.product.sku if line.product_id else None, "description": line.description,
            "quantity": str(line.quantity), "unit_price": str(line.unit_price),
            "discount_percent": str(line.discount_percent), "tax_rate": str(line.tax_rate),
            "net_amount": str(line.net_amount), "tax_amount": str(line.tax_amount),
        } for line in lines],
    }


def summary_out(q: Quote) -> dict:
    return {"id": q.pk, "number": q.number, "version": q.version, "status": q.status, "customer_id": q.customer_id,
            "customer_name": q.customer.name, "opportunity_id": q.opportunity_id, "owner_id": q.owner_id,
            "currency": q.currency, "total": str(q.total), "valid_until": _date(q.valid_until),
            "created_at": q.created_at}


def _reload(actor, pk: int) -> dict:
    return quote_out(selectors.access_quote(actor, pk))


def _line_data(payload: dict) -> dict:
    data = dict(payload)
    if "product_id" in data:
        data["product"] = data.pop("product_id")
    return data


def _quote_data(payload: dict) -> dict:
    data = dict(payload)
    for api_name, name in (("customer_id", "customer"), ("opportunity_id", "opportunity"),
                           ("contact_id", "contact")):
        if api_name in data:
            data[name] = data.pop(api_name)
    return data


def _line_of(actor, quote_id: int, line_id: int):
    line = selectors.access_line(actor, line_id, QuotePerm.CHANGE)
    if line.quote_id != quote_id:
        raise Http404
    return line


@quotes_router.get("", response={200: QuotePage, **READ_ERRORS}, summary="List quotes", operation_id="quotes_list")
def quotes_list(request, params: Query[QuoteListIn]):
    """The quotes the caller may see; superseded versions only with `all_versions` or `status`."""
    _known_query(request, QuoteListIn)
    filters = selectors.QuoteFilters(
        q=params.q.strip(), status=params.status or "", owner_id=params.owner_id, store_id=params.store_id,
        customer_id=params.customer_id, opportunity_id=params.opportunity_id, all_versions=params.all_versions)
    return _page(selectors.quote_list(actor=request.auth, filters=filters, sort=params.sort), params.page,
                 params.page_size, summary_out)


@quotes_router.post("", response={201: QuoteOut, **WRITE_ERRORS}, summary="Create a quote",
                    operation_id="quotes_create")
def quotes_create(request, payload: QuoteIn):
    """A draft for `opportunity_id` or `customer_id`, numbered Q-YYYY-NNNNN, in the organisation's
    currency; `lines` are added in order, all or nothing (an error names `lines.N.field`)."""
    actor = request.auth
    data = payload.model_dump()
    lines = data.pop("lines")
    with transaction.atomic(), api_field_names(API_NAMES):
        quote = services.quote_create(actor=actor, data={k: v for k, v in _quote_data(data).items()
                                                        if v not in (None, "") or k in ("terms", "notes")})
        for index, line in enumerate(lines):
            try:
                services.line_add(actor=actor, quote=quote,
                                  data=_line_data({k: v for k, v in line.items() if v is not None}))
            except ValidationError as exc:
                raise ValidationError({f"lines.{index}.{API_NAMES.get(k, k)}": v
                                       for k, v in exc.message_dict.items()}) from None
    return Status(201, _reload(actor, quote.pk))


@quotes_router.get("/{quote_id}", response={200: QuoteOut, **READ_ERRORS}, summary="Get a quote with its lines",
                   operation_id="quotes_get")
def quotes_get(request, quote_id: int):
    return quote_out(selectors.access_quote(request.auth, quote_id))


@quotes_router.patch("/{quote_id}", response={200: QuoteOut, **WRITE_ERRORS}, summary="Change a quote's header",
                     operation_id="quotes_update")
def quotes_update(request, quote_id: int, payload: QuotePatch):
    quote = selectors.access_quote(request.auth, quote_id, QuotePerm.CHANGE)
    with api_field_names(API_NAMES):
        services.quote_update(actor=request.auth, quote=quote,
                              data=_quote_data(payload.model_dump(exclude_unset=True)))
    return _reload(request.auth, quote.pk)


@quotes_router.delete("/{quote_id}", response={204: None, **WRITE_ERRORS}, summary="Delete a draft quote",
                      operation_id="quotes_delete")
def quotes_delete(request, quote_id: int):
    quote = selectors.access_quote(request.auth, quote_id, QuotePerm.DELETE)
    services.quote_delete(actor=request.auth, quote=quote)
    return Status(204, None)


@quotes_router.get(
    "/{quote_id}/pdf", response={200: None, **READ_ERRORS}, summary="The quote as PDF", operation_id="quotes_pdf",
    openapi_extra={"responses": {200: {"description": "The PDF, as an attachment.", "content": {
        "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}},
)
def quotes_pdf(request, quote_id: int):
    quote = selectors.access_quote(request.auth, quote_id)
    response = HttpResponse(documents.quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True,
                                                                 filename=documents.quote_filename(quote))
    return response


# --- lines -----------------------------------------------------------------------------

@quotes_router.post("/{quote_id}/lines", response={201: QuoteOut, **WRITE_ERRORS}, summary="Add a line",
                    operation_id="quotes_line_add")
def quotes_line_add(request, quote_id: int, payload: QuoteLineIn):
    """Returns the whole quote with its new totals. A line on a pending or approved quote puts
    it back to draft."""
    quote = selectors.access_quote(request.auth, quote_id, QuotePerm.CHANGE)
    data = _line_data({k: v for k, v in payload.model_dump(exclude_unset=True).items()})
    data.setdefault("quantity", payload.quantity)
    with api_field_names(API_NAMES):
        services.line_add(actor=request.auth, quote=quote, data=data)
    return Status(201, _reload(request.auth, quote.pk))


@quotes_router.patch("/{quote_id}/lines/{line_id}", response={200: QuoteOut, **WRITE_ERRORS},
                     summary="Change a line", operation_id="quotes_line_update")
def quotes_line_update(request, quote_id: int, line_id: int, payload: QuoteLinePatch):
    line = _line_of(request.auth, quote_id, line_id)
    with api_field_names(API_NAMES):
        services.line_update(actor=request.auth, line=line, data=_line_data(payload.model_dump(exclude_unset=True)))
    return _reload(request.auth, quote_id)


@quotes_router.delete("/{quote_id}/lines/{line_id}", response={200: QuoteOut, **WRITE_ERRORS},
                      summary="Remove a line", operation_id="quotes_line_remove")
def quotes_line_remove(request, quote_id: int, line_id: int):
    line = _line_of(request.auth, quote_id, line_id)
    services.line_remove(actor=request.auth, line=line)
    return _reload(request.auth, quote_id)


# --- status changes --------------------------------------------------------------------

@quotes_router.post("/{quote_id}/submit", response={200: QuoteOut, **WRITE_ERRORS},
                    summary="Ask for approval of the discounts", operation_id="quotes_submit")
def quotes_submit(request, quote_id: int):
    """Only a draft with a line discount above the threshold (otherwise 422: send it as it is)."""
    quote = selectors.access_quote(request.auth, quote_id, QuotePerm.CHANGE)
    services.quote_submit(actor=request.auth, quote=quote)
    return _reload(request.auth, quote.pk)


@quotes_router.post("/{quote_id}/approve", response={200: QuoteOut, **WRITE_ERRORS},
                    summary="Approve the discounts", operation_id="quotes_approve")
def quotes_approve(request, quote_id: int):
    """Needs quote approval over this quote (its store's manager, an admin): 403 otherwise."""
    quote = selectors.access_quote(request.auth, quote_id, QuotePerm.APPROVE)
    services.quote_approve(actor=request.auth, quote=quote)
    return _reload(request.auth, quote.pk)


@quotes_router.post("/{quote_id}/reject", response={200: QuoteOut, **WRITE_ERRORS},
                    summary="Turn the discounts down (back to draft)", operation_id="quotes_reject")
def quotes_reject(request, quote_id: int, payload: ReasonIn):
    quote = selectors.access_quote(request.auth, quote_id, QuotePerm.APPROVE)
    services.quote_reject(actor=request.auth, quote=quote, reason=payload.reason)
    return _reload(request.auth, quote.pk)


@quotes_router.post("/{quote_id}/send", response={200: QuoteOut, **WRITE_ERRORS},
                    summary="E-mail the quote's PDF", operation_id="quotes_send")
def quotes_send(request, quote_id: int, payload: SendIn):
    """Refused (422 on `status`) unless approved, already sent, or a draft that needs no approval."""
    quote = selectors.access_quote(request.auth, quote_id, QuotePerm.CHANGE)
    to = payload.to if "to" in payload.model_fields_set else documents.default_recipient(quote)
    services_data = {"to": to, "subject": payload.subject, "message": payload.message}
    documents.quote_send(actor=request.auth, quote=quote, **services_data)
    return _reload(request.auth, quote.pk)


@quotes_router.post("/{quote_id}/new-version", response={201: QuoteOut, **WRITE_ERRORS},
                    summary="Copy into a new version", operation_id="quotes_new_version")
def quotes_new_version(request, quote_id: int):
    """A draft version + 1 with the same lines; this version becomes superseded."""
    quote = selectors.access_quote(request.auth, quote_id, QuotePerm.CHANGE)
    new = services.quote_new_version(actor=request.auth, quote=quote)
    return Status(201, _reload(request.auth, new.pk))


@quotes_router.post("/{quote_id}/accept", response={200: QuoteDecisionOut, **WRITE_ERRORS},
                    summary="The customer accepted", operation_id="quotes_accept")
def quotes_accept(request, quote_id: int):
    """Its open opportunity moves to the won stage (`opportunity_moved`)."""
    quote = selectors.access_quote(request.auth, quote_id, QuotePerm.CHANGE)
    decision = services.quote_accept(actor=request.auth, quote=quote)
    return {**_reload(request.auth, quote.pk), "opportunity_moved": decision.opportunity_moved}


@quotes_router.post("/{quote_id}/decline", response={200: QuoteOut, **WRITE_ERRORS},
                    summary="The customer declined (status rejected)", operation_id="quotes_decline")
def quotes_decline(request, quote_id: int, payload: ReasonIn):
    quote = selectors.access_quote(request.auth, quote_id, QuotePerm.CHANGE)
    services.quote_decline(actor=request.auth, quote=quote, reason=payload.reason)
    return _reload(request.auth, quote.pk)
