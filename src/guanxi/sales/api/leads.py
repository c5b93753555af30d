"""Leads over JSON (SAL-1, CUS-10): thin handlers over the lead selectors and services.

Reads and single-lead access go through sales.selectors.leads (404 missing or invisible, 403
visible but not allowed); writes through the lead services. The services speak model names
(`owner`, `customer`, `team`); the API speaks `owner_id`, `customer_id`, `team_id`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from guanxi.customers.api import _known_query, _page, api_field_names, external_id_conflict
from guanxi.customers.schemas import DuplicateOut, ErrorOut
from guanxi.sales.api.lead_schemas import (
    AssignIn,
    ConvertIn,
    ConvertOut,
    LeadExportIn,
    LeadFiltersIn,
    LeadIn,
    LeadListIn,
    LeadOut,
    LeadPage,
    LeadPatch,
)
from guanxi.sales.lead_export import export_leads
from guanxi.sales.models import Lead
from guanxi.sales.permissions import LeadPerm
from guanxi.sales.selectors import leads as selectors
from guanxi.sales.services import lead_assignment, lead_conversion
from guanxi.sales.services import leads as services

router = Router(tags=["leads"])

READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 409: ErrorOut, **READ_ERRORS}
API_NAMES = {"owner": "owner_id", "customer": "customer_id", "team": "team_id", "territory": "by_territory",
             "pipeline": "pipeline_id", "stage": "stage_id", "name_pinyin": "name"}


def lead_out(x: Lead) -> dict:
    return {
        "id": x.pk, "name": x.name, "company": x.company, "title": x.title, "phone": x.phone, "email": x.email,
        "province": x.province, "city": x.city, "postcode": x.postcode, "industry": x.industry, "source": x.source,
        "campaign": x.campaign, "status": x.status, "rating": x.rating, "score": x.score,
        "estimated_amount": str(x.estimated_amount) if x.estimated_amount is not None else None,
        "notes": x.notes, "external_id": x.external_id, "owner_id": x.owner_id,
        "owner_name": x.owner.display_name if x.owner_id else None, "store_id": x.store_id,
        "territory_id": x.territory_id, "territory_name": x.territory.name if x.territory_id else None,
        "web_form_id": x.web_form_id, "assigned_at": x.assigned_at, "converted_at": x.converted_at,
        "converted_customer_id": x.converted_customer_id, "converted_contact_id": x.converted_contact_id,
        "converted_opportunity_id": x.converted_opportunity_id, "created_at": x.created_at, "updated_at": x.updated_at,
    }


def _filters(params: LeadFiltersIn) -> selectors.LeadFilters:
    return selectors.LeadFilters(
        q=params.q.strip(), status=params.status or "", rating=params.rating or "", source=params.source or "",
        owner_id=params.owner_id, territory_id=params.territory_id, unowned=params.unowned, open_only=params.open,
    )


def _reload(actor, pk: int) -> dict:
    return lead_out(selectors.access_lead(actor, pk))


@router.get("", response={200: LeadPage, **READ_ERRORS}, summary="List leads", operation_id="leads_list")
def leads_list(request, params: Query[LeadListIn]):
    """The leads the caller may see (own/team/store/all by role, plus their territories), filtered,
    sorted and paginated: {"items": [...], "count": N}."""
    _known_query(request, LeadListIn)
    qs = selectors.lead_list(actor=request.auth, filters=_filters(params), sort=params.sort)
    return _page(qs, params.page, params.page_size, lead_out)


@router.post("", response={201: LeadOut, **WRITE_ERRORS}, summary="Create a lead", operation_id="leads_create")
def leads_create(request, payload: LeadIn):
    """The caller owns the new lead unless `owner_id` names someone they may assign leads to (who
    is then notified). Score and territory follow from the fields; source defaults to "api"."""
    data = payload.model_dump()
    if "owner_id" not in payload.model_fields_set:
        data.pop("owner_id")
    else:
        data["owner"] = data.pop("owner_id")
    with api_field_names(API_NAMES), external_id_conflict(data.get("external_id")):
        lead = services.lead_create(actor=request.auth, data=data)
    return Status(201, _reload(request.auth, lead.pk))


# Declared before /{lead_id} so "export" is not read as an id.
@router.get(
    "/export", response={200: None, **READ_ERRORS}, summary="Export leads (CSV or XLSX)", operation_id="leads_export",
    openapi_extra={"responses": {200: {"description": "The file, as an attachment.", "content": {
        "text/csv": {"schema": {"type": "string", "format": "binary"}},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
            "schema": {"type": "string", "format": "binary"}},
    }}}},
)
def leads_export(request, params: Query[LeadExportIn]):
    """The list's filters; the rows the caller may both see and export. Audited; formula-like
    cells are prefixed with an apostrophe."""
    _known_query(request, LeadExportIn)
    content, content_type, filename = export_leads(actor=request.auth, filters=_filters(params), sort=params.sort,
                                                   fmt=params.format)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


@router.get("/{lead_id}", response={200: LeadOut, **READ_ERRORS}, summary="Get a lead", operation_id="leads_get")
def leads_get(request, lead_id: int):
    return lead_out(selectors.access_lead(request.auth, lead_id))


@router.patch("/{lead_id}", response={200: LeadOut, **WRITE_ERRORS}, summary="Change or qualify a lead",
              operation_id="leads_update")
def leads_update(request, lead_id: int, payload: LeadPatch):
    """Only the fields sent change (status and rating qualify it). A converted lead is a 422."""
    lead = selectors.access_lead(request.auth, lead_id, LeadPerm.CHANGE)
    data = payload.model_dump(exclude_unset=True)
    with api_field_names(API_NAMES), external_id_conflict(data.get("external_id")):
        services.lead_update(actor=request.auth, lead=lead, data=data)
    return _reload(request.auth, lead.pk)


@router.delete("/{lead_id}", response={204: None, **READ_ERRORS}, summary="Delete a lead",
               operation_id="leads_delete")
def leads_delete(request, lead_id: int):
    lead = selectors.access_lead(request.auth, lead_id, LeadPerm.DELETE)
    services.lead_delete(actor=request.auth, lead=lead)
    return Status(204, None)


@router.post("/{lead_id}/assign", response={200: LeadOut, **WRITE_ERRORS}, summary="Assign a lead",
             operation_id="leads_assign")
def leads_assign(request, lead_id: int, payload: AssignIn):
    """Exactly one of `owner_id` (a user the caller may assign leads to), `team_id` (the team's
    next sales rep in turn) or `by_territory: true` (the next rep of the lead's territory). The
    assignee is notified in the app and by e-mail."""
    actor = request.auth
    lead = selectors.access_lead(actor, lead_id, LeadPerm.ASSIGN)
    chosen = [payload.owner_id is not None, payload.team_id is not None, payload.by_territory]
    if sum(chosen) != 1:
        raise ValidationError({"__all__": [_("Send exactly one of owner_id, team_id or by_territory.")]})
    with api_field_names(API_NAMES):
        if payload.owner_id is not None:
            lead_assignment.lead_assign(actor=actor, lead=lead, owner=payload.owner_id)
        elif payload.team_id is not None:
            lead_assignment.lead_assign_round_robin(actor=actor, lead=lead, team=payload.team_id)
        else:
            lead_assignment.lead_assign_by_territory(actor=actor, lead=lead)
    return _reload(actor, lead.pk)


@router.post("/{lead_id}/convert", response={200: ConvertOut, **WRITE_ERRORS, 409: DuplicateOut},
             summary="Convert a lead to customer + contact + opportunity", operation_id="leads_convert")
def leads_convert(request, lead_id: int, payload: ConvertIn):
    """One transaction. Similar existing customers make it a 409 listing those the caller may see
    (and counting the rest): send one of them back as `customer_id` to add the contact and the
    opportunity there, or `allow_duplicate: true` to create a new customer anyway. Converting a
    lead a second time is a 422."""
    actor = request.auth
    lead = selectors.access_lead(actor, lead_id, LeadPerm.CONVERT)
    try:
        with api_field_names(API_NAMES):
            result = lead_conversion.lead_convert(
                actor=actor, lead=lead, customer=payload.customer_id, allow_duplicate=payload.allow_duplicate,
                create_opportunity=payload.create_opportunity, opportunity_name=payload.opportunity_name,
                amount=payload.amount, pipeline=payload.pipeline_id, stage=payload.stage_id,
                expected_close=payload.expected_close)
    except lead_conversion.DuplicateCustomer as dup:
        return Status(409, {
            "detail": _("Similar customers already exist; send one as customer_id, or allow_duplicate: true."),
            "errors": {},
            "duplicates": [{"id": c.pk, "name": c.name, "phone": c.phone, "email": c.email}
                           for c in dup.duplicates.visible],
            "hidden_duplicates": dup.duplicates.hidden,
        })
    return {
        "lead": _reload(actor, result.lead.pk), "customer_id": result.customer.pk,
        "customer_created": result.customer_created, "contact_id": result.contact.pk if result.contact else None,
        "opportunity_id": result.opportunity.pk if result.opportunity else None,
    }
